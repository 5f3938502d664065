"""Reading the three sources.

Batches are normalized in worker processes, duplicate keys rejected, and each source is
checked usable before anything is linked.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from linkage.config import Config
from linkage.errors import ConfigError, InputError
from linkage.link import (
    with_employer_province,
)
from linkage.load import SourceMapping, SourceReader, load_mapping, read_source
from linkage.logs import warning
from linkage.normalize import Normalized, normalize_batch, reject_duplicates
from linkage.schema import Source
from linkage.write import (
    InputFile,
)
from linkage.write.files import sha256_of

Progress = Callable[[str], None]
Tag = TypeVar("Tag")

_KEYS = {Source.BUSINESSES: "tax_code", Source.PAYROLL: "record_id", Source.INSURED: "si_code"}


@dataclass(frozen=True)
class SourceTable:
    """One source after loading and normalizing: usable rows, rejects, and what was read."""

    rows: pd.DataFrame
    rejects: pd.DataFrame
    input_file: InputFile




def load_source(
    path: Path,
    source: Source,
    mapping: SourceMapping,
    *,
    batch_rows: int,
    progress: Progress = lambda stage: None,
    normalizers: Normalizers | None = None,
) -> SourceTable:
    """Read one source in batches, normalize each batch, then reject duplicate keys."""
    tables = load_sources(
        {source: path}, mapping, batch_rows=batch_rows, progress=progress, normalizers=normalizers
    )
    return tables[source]


@dataclass
class _Loading:
    """One source file being read: its reader and its normalized batches so far."""

    source: Source
    path: Path
    reader: SourceReader
    parts: list[pd.DataFrame] = field(default_factory=list)
    rejects: list[pd.DataFrame] = field(default_factory=list)
    nulled: Counter[str] = field(default_factory=Counter)

    def add(self, normalized: Normalized) -> None:
        self.parts.append(normalized.table)
        self.rejects.append(normalized.rejects)
        self.nulled.update(normalized.nulled)

    def _nulled(self, read: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
        """Values kept as blank per column; per ``column:reason``, those never read.

        An xlsx formula without a saved value is one the reader could not read at all.
        """
        counts = Counter(self.nulled)
        for reason, columns in read.items():
            counts.update({f"{column}:{reason}": n for column, n in columns.items()})
        return {c: n for c, n in sorted(counts.items()) if n}

    def finish(self) -> SourceTable:
        """The source's table once every batch is in: duplicate keys rejected."""
        rows = pd.concat(self.parts, ignore_index=True)
        rows, duplicates = reject_duplicates(rows, _KEYS[self.source], self.source)
        stats = self.reader.stats
        return SourceTable(
            rows=rows,
            rejects=pd.concat([*self.rejects, duplicates], ignore_index=True),
            input_file=InputFile(
                source=self.source.value,
                path=str(self.path),
                sha256=sha256_of(self.path),
                rows_read=stats.rows_read,
                blank_rows=stats.blank_rows,
                nulled_invalid=self._nulled(stats.nulled_invalid),
            ),
        )


def load_sources(
    paths: Mapping[Source, Path],
    mapping: SourceMapping,
    *,
    batch_rows: int,
    progress: Progress = lambda stage: None,
    normalizers: Normalizers | None = None,
) -> dict[Source, SourceTable]:
    """Read the sources in turn, normalize each batch, and finish each source.

    The files' batches form one stream, so the workers normalize a file's first batches
    while this process finishes the file before it (its duplicate keys, its checksum).

    Raises:
        InputError: a file without data rows, as soon as it is read.
    """
    normalize = functools.partial(
        normalize_batch, vocabularies=mapping.vocabularies, income=mapping.income
    )

    def batches() -> Iterator[tuple[_Loading, tuple[Source, pd.DataFrame]]]:
        for source, path in paths.items():
            progress(f"loading {source.value}")
            loading = _Loading(
                source, path, read_source(path, source, mapping, batch_rows=batch_rows)
            )
            read = False
            for batch in loading.reader:
                read = True
                yield loading, (source, batch)
            if not read:
                msg = f"{path}: no data rows; check that the file holds the {source.value} table"
                raise InputError(msg)

    tables: dict[Source, SourceTable] = {}
    current: _Loading | None = None
    with Normalizers() if normalizers is None else nullcontext(normalizers) as workers:
        for loading, normalized in workers.map(normalize, batches()):
            if current is not None and loading is not current:
                tables[current.source] = current.finish()
            current = loading
            loading.add(normalized)
            progress(f"{loading.source.value}: {loading.reader.stats.rows_read:,} rows read")
    if current is not None:
        tables[current.source] = current.finish()
    return tables


class Normalizers:
    """Worker processes normalizing batches in order, shared by the files of one load.

    Normalizing is per-value Python that one core runs alone, so the batches of large files
    go to one worker per core while the next is read; at most one batch per worker waits,
    so memory holds a few batches, not the files. The workers start when a file has two
    batches or more, and keep what they cached (names, employers: a registry and its
    payroll name the same people). Small files, or a machine of one core, are normalized
    here. (A script calling this from its top level needs multiprocessing's
    ``if __name__ == "__main__":`` guard.)
    """

    def __init__(self) -> None:
        self.workers = os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Normalizers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def map(
        self, function: Callable[..., Normalized], batches: Iterable[tuple[Tag, tuple[Any, ...]]]
    ) -> Iterator[tuple[Tag, Normalized]]:
        """``function(*arguments)`` of each (tag, arguments) in order, with its tag.

        A tag that comes twice in a row is a file of several batches: then the workers run.
        """
        batches = iter(batches)
        head: list[tuple[Tag, tuple[Any, ...]]] = []
        for item in batches:
            head.append(item)
            if len(head) > 1 and head[-1][0] is head[-2][0]:
                break
        stream = itertools.chain(head, batches)
        if len(head) < 2 or head[-1][0] is not head[-2][0] or self.workers < 2:
            yield from ((tag, function(*arguments)) for tag, arguments in stream)
            return
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # no fork of a process with threads
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        pending: deque[tuple[Tag, Future[Normalized]]] = deque()
        try:
            for tag, arguments in stream:
                pending.append((tag, self._pool.submit(function, *arguments)))
                if len(pending) > self.workers:
                    tag, future = pending.popleft()
                    yield tag, future.result()
            while pending:
                tag, future = pending.popleft()
                yield tag, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def check_usable(table: SourceTable, max_reject_share: float) -> None:
    """Stop before linking when a source has no usable row or rejects too many.

    Raises:
        InputError: naming the file, the top reject reasons with their counts and the
            first offending line (never a value).
    """
    read, rejected = len(table.rows) + len(table.rejects), len(table.rejects)
    if len(table.rows) > 0 and rejected <= max_reject_share * read:
        return
    where = table.rejects["reason"].astype(str) + " in " + table.rejects["column"].astype(str)
    top = ", ".join(f"{k}: {n:,}" for k, n in where.value_counts().head(3).items())
    first = table.rejects.sort_values("source_line").iloc[0]
    source = table.input_file.source
    msg = (
        f"{table.input_file.path}: {rejected:,} of {read:,} {source} rows rejected "
        f"({rejected / read:.0%}; at most {max_reject_share:.0%} allowed by "
        f"[inputs].max_reject_share); top reasons: {top}; first at line "
        f"{int(first['source_line'])}, column {first['column']}. Check the file's layout and "
        "the header mapping; nothing was linked or written"
    )
    raise InputError(msg)


def source_summary(tables: dict[Source, SourceTable]) -> str:
    """Per source: rows read, used and rejected, and values nulled per column."""
    lines = []
    for source, table in tables.items():
        nulled = table.input_file.nulled_invalid
        listed = ", ".join(f"{c} {n:,}" for c, n in nulled.items())
        lines.append(
            f"{source.value}: {table.input_file.rows_read:,} rows read, {len(table.rows):,} "
            f"used, {len(table.rejects):,} rejected"
            + (f"; unusable values kept as blank: {listed}" if listed else "")
        )
    return "\n".join(lines)


def warn_unusable_columns(tables: dict[Source, SourceTable], max_share: float) -> None:
    """Warn of each column unusable in more than ``max_share`` of a source's rows.

    Usually a value vocabulary or a column the mapping does not know (every status word
    unknown, say), which the rows survive but eligibility cannot use.
    """
    for source, table in tables.items():
        used = max(len(table.rows), 1)
        for column, n in table.input_file.nulled_invalid.items():
            if n > max_share * used:
                warning(
                    "column unusable",
                    f"{source.value} {column} unusable in {n / used:.0%} of rows; check the "
                    "file's values against the mapping's vocabularies",
                    source=source.value,
                    column=column,
                    rows=n,
                )


def path_problem(path: Path) -> str | None:
    """Why an input file cannot be opened, in words, or None when it can be.

    A folder on the path that this user may not enter hides the file: that is said, not
    "does not exist".
    """
    try:
        path.stat()
    except PermissionError:
        return "cannot be read (permission denied on a folder of its path)"
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return f"cannot be read ({e.strerror or type(e).__name__})"
    if path.is_dir():
        return "is a directory, not a file"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def check_input_paths(config: Config) -> None:
    """Refuse inputs that cannot be opened before anything is read (exit 2).

    A path named in the configuration gets the exit code of the same path given on the
    command line (where click refuses it): a usage or configuration error.

    Raises:
        ConfigError: naming the configuration file, the key and the path, every problem at
            once.
    """
    problems = []
    for name in ("businesses", "payroll", "insured"):
        path = getattr(config.inputs, name)
        problem = path_problem(path)
        if problem is not None:
            problems.append(f"{config.source}: [inputs].{name} {str(path)!r} {problem}")
    if problems:
        raise ConfigError(problems)


def load_inputs(config: Config, progress: Progress) -> dict[Source, SourceTable]:
    """Load and normalize the three sources named by the configuration.

    Raises:
        ConfigError: an input file is missing or cannot be read (``check_input_paths``).
    """
    check_input_paths(config)
    mapping = load_mapping(config.inputs.mapping)
    paths = {
        Source.BUSINESSES: config.inputs.businesses,
        Source.PAYROLL: config.inputs.payroll,
        Source.INSURED: config.inputs.insured,
    }
    tables = load_sources(paths, mapping, batch_rows=config.inputs.batch_rows, progress=progress)
    for table in tables.values():
        check_usable(table, config.inputs.max_reject_share)
    businesses = tables[Source.BUSINESSES].rows
    for source in (Source.PAYROLL, Source.INSURED):  # where each works, for blocking
        table = tables[source]
        tables[source] = replace(table, rows=with_employer_province(table.rows, businesses))
    return tables
