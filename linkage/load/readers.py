"""Read a source file (CSV, Excel, Parquet) into raw batches that match the data contract.

``read_source`` inspects the file at once (encoding, header row, required columns), so a
wrong file fails before any work; iterating the returned ``SourceReader`` then streams
batches of at most ``batch_rows`` rows, each conforming to ``schema.raw_schema(source)``:
every canonical column a string (leading zeros kept, NFC; empty or whitespace-only cells
null), missing optional columns null, plus ``source_file`` and ``source_line``. Rows whose
mapped fields are all empty are skipped and counted in ``SourceReader.stats``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.errors import InputError
from linkage.load._csv import CsvFile
from linkage.load._sheets import ExcelFile, ParquetFile
from linkage.load.columns import (
    HeaderMap,
    RawBatch,
    covers_required,
    map_headers,
    shown_headers,
)
from linkage.load.encoding import VIETNAMESE_LETTERS, check_text
from linkage.load.mapping import SourceMapping
from linkage.logs import warning
from linkage.schema import Source, conform, raw_schema

logger = logging.getLogger(__name__)

# Column whose text is checked for mojibake in every batch (names carry the most accents).
NAME_COLUMN: Final = {
    Source.PAYROLL: "full_name",
    Source.INSURED: "full_name",
    Source.BUSINESSES: "name",
}
_SAMPLE_VALUES: Final = 300
_TEXT_SUFFIXES: Final = (".csv", ".txt", ".tsv", ".csv.gz", ".txt.gz", ".tsv.gz")
_SUFFIXES: Final = (*_TEXT_SUFFIXES, ".xlsx", ".parquet")


@dataclass
class ReadStats:
    """What a reader saw, filled in as batches are read.

    Attributes:
        rows_read: data rows yielded (blank rows excluded).
        blank_rows: rows skipped because every mapped field was empty.
        ignored_headers: headers that map to no canonical column (names only).
        encoding: codec of a CSV file ("utf-8", "utf-8-sig", "cp1258"); None otherwise.
        sheet: the Excel sheet read; None otherwise.
        header_row: 1-based line / sheet row of the header row.
        nulled_invalid: per reason (``formula_without_value``), per canonical column, the
            values read as blank; the manifest's ``nulled_invalid`` reports them.
    """

    rows_read: int = 0
    blank_rows: int = 0
    ignored_headers: tuple[str, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    nulled_invalid: dict[str, dict[str, int]] = field(default_factory=dict)


FORMULA_WITHOUT_VALUE: Final = "formula_without_value"


class _Format(Protocol):
    headers: list[str]

    def batches(self, positions: list[int], batch_rows: int) -> Iterator[RawBatch]: ...


class SourceReader:
    """An iterator of raw batches of one source file; ``stats`` fills in while it runs.

    Single pass: iterate it once. Created by :func:`read_source`.
    """

    def __init__(
        self,
        path: Path,
        source: Source,
        file_format: _Format,
        header_map: HeaderMap,
        stats: ReadStats,
        batch_rows: int,
    ) -> None:
        self.path = path
        self.source = source
        self.stats = stats
        self._format = file_format
        self._header_map = header_map
        self._batch_rows = batch_rows
        self._schema = raw_schema(source)
        self._batches: Iterator[pd.DataFrame] | None = None

    def __iter__(self) -> SourceReader:
        return self

    def __next__(self) -> pd.DataFrame:
        if self._batches is None:
            self._batches = self._read()
        return next(self._batches)

    def _read(self) -> Iterator[pd.DataFrame]:
        positions = sorted(set(self._header_map.positions.values()))
        for raw in self._format.batches(positions, self._batch_rows):
            self._count_formulas(raw)
            frame = self._conform(raw)
            if len(frame):
                yield frame
        self._warn_formulas()

    def _count_formulas(self, raw: RawBatch) -> None:
        """Add a batch's formula cells without a saved value to ``stats``, per column."""
        if not raw.formulas_without_value:
            return
        counts = self.stats.nulled_invalid.setdefault(FORMULA_WITHOUT_VALUE, {})
        for name, position in self._header_map.positions.items():
            n = raw.formulas_without_value.get(position, 0)
            if n:
                counts[name] = counts.get(name, 0) + n

    def _warn_formulas(self) -> None:
        counts = self.stats.nulled_invalid.get(FORMULA_WITHOUT_VALUE)
        if not counts:
            return
        listed = ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items()))
        warning(
            FORMULA_WITHOUT_VALUE,
            f"{self.path.name}: {sum(counts.values()):,} formula cells have no saved value and "
            f"read as blank ({listed}); open the workbook in Excel and save it so the values "
            "are stored, or export it as CSV UTF-8",
            source=self.source.value,
            file=self.path.name,
            cells=sum(counts.values()),
        )

    def _conform(self, raw: RawBatch) -> pd.DataFrame:
        """Drop blank rows, rename to canonical columns, NFC, add provenance, conform."""
        columns = {p: _nonblank_or_null(a) for p, a in raw.columns.items()}
        filled = [pc.is_valid(a) for a in columns.values()]
        keep = filled[0]
        for mask in filled[1:]:
            keep = pc.or_(keep, mask)
        kept = pc.sum(keep).as_py() or 0
        self.stats.blank_rows += len(raw.lines) - kept
        self.stats.rows_read += kept

        arrays: dict[str, pa.Array] = {}
        for name in self._schema.names:
            position = self._header_map.positions.get(name)
            if position is not None:
                arrays[name] = _nfc(columns[position].filter(keep))
            elif name == "source_file":
                arrays[name] = pa.array([self.path.name] * kept, pa.string())
            elif name == "source_line":
                arrays[name] = pc.cast(raw.lines.filter(keep), pa.int64())
            else:
                arrays[name] = pa.nulls(kept, pa.string())
        self._check_names(arrays.get(NAME_COLUMN[self.source]))
        frame = pa.table(arrays).to_pandas(types_mapper=pd.ArrowDtype)
        return conform(frame, self._schema, stage=f"load {self.source.value}")

    def _check_names(self, names: pa.Array | None) -> None:
        """Refuse the file if this batch's names are mojibake (legacy encodings)."""
        if names is None:
            return
        accented = names.filter(pc.fill_null(pc.invert(pc.string_is_ascii(names)), False))
        sample = [v for v in accented.slice(0, _SAMPLE_VALUES).to_pylist() if v is not None]
        check_text(
            sample,
            str(self.path),
            what=f"column {NAME_COLUMN[self.source]!r}",
            legacy_bytes=self.stats.encoding == "cp1258",
        )


# Printable ASCII and precomposed Vietnamese letters are NFC in any sequence: none of them
# combines with what precedes it. Most values are only these.
_NFC_ALREADY: Final = f"^[ -~{''.join(sorted(c for c in VIETNAMESE_LETTERS if not c.isascii()))}]*$"


def _nfc(array: pa.Array) -> pa.Array:
    """Unicode NFC of the values; those of ``_NFC_ALREADY`` characters as they are.

    Recognizing those is one vectorized pass; normalizing is per value, so only the others
    (decomposed marks, other scripts, look-alike symbols) are normalized.
    """
    if pc.all(pc.fill_null(pc.string_is_ascii(array), True)).as_py():  # the faster check
        return array
    other = pc.invert(pc.fill_null(pc.match_substring_regex(array, _NFC_ALREADY), True))
    if not pc.any(other).as_py():
        return array
    return pc.replace_with_mask(array, other, pc.utf8_normalize(array.filter(other), form="NFC"))


def _nonblank_or_null(array: pa.Array) -> pa.Array:
    """The column with whitespace-only values as null, so they count as empty."""
    blank = pc.or_(pc.equal(array, ""), pc.utf8_is_space(array))
    return pc.if_else(pc.fill_null(blank, False), pa.scalar(None, pa.string()), array)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return next((s for s in _SUFFIXES if name.endswith(s)), path.suffix.lower())


def read_source(
    path: Path, source: Source, mapping: SourceMapping, *, batch_rows: int = 250_000
) -> SourceReader:
    """Open a source file and check its headers; iterate the result for raw batches.

    Args:
        path: a .csv/.txt (optionally .gz), .xlsx or .parquet file.
        source: which source the file holds.
        mapping: header spellings (see :func:`linkage.load.load_mapping`).
        batch_rows: most rows per yielded batch.

    Returns:
        A single-pass iterator of DataFrames conforming to ``schema.raw_schema(source)``,
        with ``.stats`` (rows read, blank rows skipped, ignored headers).

    Raises:
        InputError: missing or unreadable file, unsupported type, empty file, missing
            required column, malformed rows (some are raised while iterating).
        EncodingError: a legacy encoding (TCVN3, VNI) or mojibake was detected.
    """
    source = Source(source)
    if batch_rows < 1:
        msg = f"batch_rows must be >= 1, got {batch_rows!r}"
        raise ValueError(msg)
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "no such file"
        msg = f"{path}: {what}; give the path of the exported {source.value} file."
        raise InputError(msg)
    suffix = _suffix(path)
    stats = ReadStats()
    file_format: _Format
    where = str(path)
    header_at = "the column names"  # Parquet; text and Excel files name a line or row
    if suffix in _TEXT_SUFFIXES:
        csv_file = CsvFile(path, lambda headers: covers_required(headers, source, mapping))
        stats.encoding, stats.header_row = csv_file.codec, csv_file.header_row
        header_at = f"line {csv_file.header_row}"
        if csv_file.header_row > 1:
            where = f"{path} (header on line {csv_file.header_row})"
        file_format = csv_file
    elif suffix == ".xlsx":
        excel = ExcelFile(path, lambda headers: covers_required(headers, source, mapping))
        stats.sheet, stats.header_row = excel.sheet, excel.header_row
        header_at = f"row {excel.header_row}"
        where = f"{path} (sheet {excel.sheet!r}, row {excel.header_row})"
        file_format = excel
    elif suffix == ".parquet":
        file_format = ParquetFile(path)
    else:
        msg = (
            f"{path}: unsupported file type {suffix!r}; use CSV (.csv, .tsv, .txt, .csv.gz), "
            "Excel (.xlsx; save older .xls files as .xlsx) or Parquet (.parquet)."
        )
        raise InputError(msg)

    headers: Sequence[str] = file_format.headers
    check_text(list(headers), where, what="the header row", legacy_bytes=stats.encoding == "cp1258")
    header_map = map_headers(headers, source, mapping, where, header_at=header_at)
    stats.ignored_headers = header_map.ignored
    if header_map.ignored:
        logger.debug(
            "%s: ignoring %d unmapped headers: %s",
            path.name,
            len(header_map.ignored),
            shown_headers(header_map.ignored),
        )
    return SourceReader(path, source, file_format, header_map, stats, batch_rows)
