"""Owner-only files and Parquet with run metadata, written into a staging directory.

Publication (moving the staged output into place) is ``linkage.write.outdir``'s.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from linkage.errors import ConfigError

FILE_MODE = 0o600
DIR_MODE = 0o700
SOFTWARE: Final = "linkage"  # the generator of every page and chart linkage writes
_CONCURRENT_FSYNCS = 16


@dataclass(frozen=True)
class ExportedFile:
    """One file of the export record: path relative to the output directory."""

    path: str
    rows: int
    sha256: str
    bytes: int


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def owned_file(path: Path, *, replace: bool = True) -> Iterator[Path]:
    """A hidden file beside ``path`` to write; on success it becomes ``path``, owner-only.

    The file is fsynced and renamed onto ``path`` (with ``replace``), or hard-linked there,
    which fails with FileExistsError when ``path`` exists (an existing file is never
    replaced); on any error it is removed and ``path`` is as it was. A crash never leaves a
    half-written file under the final name.
    """
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        yield partial
        partial.chmod(FILE_MODE)
        _fsync(partial)
        if replace:
            os.replace(partial, path)
        else:
            os.link(partial, path)
        _fsync(path.parent)
    finally:
        partial.unlink(missing_ok=True)


def check_new_file(
    path: Path, suffixes: Sequence[str], *, option: str = "--out", beside: Sequence[Path] = ()
) -> None:
    """Refuse a one-file output unless it is new, before any input is read.

    The file (and each file written ``beside`` it) must not exist, not even as a symlink,
    must end in one of ``suffixes`` and go into an existing folder: linkage never replaces a
    file, and a command should fail on its arguments, not after minutes of work.

    Raises:
        ConfigError: naming the path and what to give instead.
    """
    taken = [p for p in (path, *beside) if p.exists() or p.is_symlink()]
    msg = f"{option} {path}: give a new {' or '.join(suffixes)} file"
    if taken:
        what = "it" if taken[0] == path else str(taken[0])
        msg += f" ({what} exists; linkage never replaces a file)"
    elif path.suffix.lower() in suffixes:
        if path.parent.is_dir():
            return
        msg = f"{option} {path}: folder {path.parent} does not exist"
    raise ConfigError(msg)


def create_new_file(path: Path, write: Callable[[Path], object], *, option: str = "--out") -> None:
    """Write a new owner-only file through ``write(temp)``; an existing file is never replaced.

    Raises:
        ConfigError: ``path`` appeared while it was written.
    """
    try:
        with owned_file(path, replace=False) as temp:
            write(temp)
    except FileExistsError as e:
        msg = f"{option} {path}: exists; linkage never replaces a file"
        raise ConfigError(msg) from e


def is_linkage_page(path: Path) -> bool:
    """True when ``path`` is an HTML page linkage wrote (its ``generator`` meta)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="{SOFTWARE} '.encode() in start


def make_dir(path: Path) -> None:
    """Create ``path`` and its missing parents, each owner-only whatever the umask."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE)
        directory.chmod(DIR_MODE)


class Staging:
    """A staging directory that records every file written into it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[ExportedFile] = []

    def finish_file(self, path: Path, rows: int) -> ExportedFile:
        """Restrict and record a file just written under the staging root.

        ``fsync_tree`` makes every file durable before the staging root is published.
        """
        path.chmod(FILE_MODE)
        record = ExportedFile(
            path=path.relative_to(self.root).as_posix(),
            rows=rows,
            sha256=sha256_of(path),
            bytes=path.stat().st_size,
        )
        self.files.append(record)
        return record

    def write_parquet(
        self, relative: str, table: pa.Table, metadata: Mapping[str, str]
    ) -> ExportedFile:
        """Write ``table`` zstd-compressed with ``metadata`` as Parquet key-value metadata."""
        path = self.root / relative
        make_dir(path.parent)
        existing = table.schema.metadata or {}
        merged = {**existing, **{k.encode(): v.encode() for k, v in metadata.items()}}
        pq.write_table(table.replace_schema_metadata(merged), path, compression="zstd")
        return self.finish_file(path, table.num_rows)

    def write_bytes(self, relative: str, data: bytes, rows: int) -> ExportedFile:
        """Write raw bytes (JSON, ...) as an owner-only file."""
        path = self.root / relative
        make_dir(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return self.finish_file(path, rows)


def fsync_tree(root: Path) -> None:
    """Fsync every file and directory under ``root``, several at a time.

    An output is about two files per outreach unit; fsynced one after another, the disk's
    flushes cost seconds, while concurrent ones share the journal's commits.
    """
    paths = []
    for directory, _, files in os.walk(root, topdown=False):
        paths += [Path(directory, name) for name in files]
        paths.append(Path(directory))
    with ThreadPoolExecutor(_CONCURRENT_FSYNCS) as pool:
        list(pool.map(_fsync, paths))
