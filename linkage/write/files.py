"""Owner-only files, Parquet with run metadata, and crash-atomic publication of a directory.

Everything is written into a temporary sibling of the final directory (same filesystem),
fsynced, then renamed into place. An existing output is first renamed aside and deleted
only after the new one is in place, so a crash never leaves a half-written directory under
the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FILE_MODE = 0o600
DIR_MODE = 0o700


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
        """Restrict, fsync and record a file just written under the staging root."""
        path.chmod(FILE_MODE)
        _fsync(path)
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


def _fsync_tree(root: Path) -> None:
    for directory, _, _ in os.walk(root, topdown=False):
        _fsync(Path(directory))


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Staging]:
    """Stage a directory and move it to ``final`` only if the block completes.

    On an exception the staging directory is removed and ``final`` is left as it was.
    """
    final = final.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))
    root.chmod(DIR_MODE)
    try:
        yield Staging(root)
        _fsync_tree(root)
        old: Path | None = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            old.rmdir()
            final.rename(old)
        try:
            root.rename(final)
        except BaseException:
            if old is not None:
                old.rename(final)
            raise
        _fsync(final.parent)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
