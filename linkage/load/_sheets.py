"""Excel workbooks (openpyxl, read-only streaming) and Parquet files (pyarrow batches).

Both store typed cells; every value is turned into the string a clerk would have typed:
integers without ".0" (IDs stored as numbers keep their digits; the normalizer restores
leading zeros), dates as ISO ``yyyy-mm-dd``.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.errors import InputError
from linkage.load.columns import RawBatch

HEADER_SEARCH_ROWS: Final = 30  # title rows above the header row are common in reports
# A formula element of SpreadsheetML (<f>, <f t="shared" .../>, <x:f>), searched in the raw
# sheet XML so that a workbook without formulas is read once, with values only.
_FORMULA_ELEMENT: Final = re.compile(rb"<(?:\w+:)?f[\s>/]")
_XML_CHUNK: Final = 1 << 20


def cell_text(value: Any) -> str | None:
    """The text of an Excel cell: numbers without a trailing ".0", dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


class ExcelFile:
    """An .xlsx workbook: the first sheet whose header row names the required columns."""

    def __init__(self, path: Path, accepts: Callable[[Sequence[str]], bool]) -> None:
        """Find the sheet and row holding the headers (first sheet, row 1 by default).

        Args:
            path: the workbook.
            accepts: whether a candidate header row names every required column.

        Raises:
            InputError: the workbook cannot be opened or has no non-empty row.
        """
        self.path = path
        self.sheet: str | None = None
        self.header_row = 1
        self.headers: list[str] = []
        fallback: tuple[str, int, list[str]] | None = None
        workbook = self._workbook()
        try:
            for sheet in workbook.worksheets:
                rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
                for number, row in enumerate(rows, start=1):
                    headers = [(cell_text(v) or "").strip() for v in row]
                    if not any(headers):
                        continue
                    if fallback is None:
                        fallback = (sheet.title, number, headers)
                    if accepts(headers):
                        self.sheet, self.header_row, self.headers = sheet.title, number, headers
                        return
        finally:
            workbook.close()
        if fallback is None:
            msg = f"{path}: the workbook has no data; the header row must be in the first sheet."
            raise InputError(msg)
        self.sheet, self.header_row, self.headers = fallback

    def _workbook(self, *, values: bool = True) -> Any:
        """The workbook, read-only: saved values, or (``values=False``) formulas as text."""
        import openpyxl

        try:
            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it drops; they hold no data.
                warnings.simplefilter("ignore", UserWarning)
                return openpyxl.load_workbook(self.path, read_only=True, data_only=values)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
            msg = (
                f"{self.path}: cannot open it as an Excel .xlsx workbook ({type(e).__name__}); "
                "open it in Excel and save it again as .xlsx, or export CSV UTF-8."
            )
            raise InputError(msg) from e

    def _has_formulas(self, sheet: Any) -> bool:
        """Whether the sheet's XML holds any formula (scanned in C, chunk by chunk)."""
        part = getattr(sheet, "_worksheet_path", None)
        if not isinstance(part, str):
            return True  # unknown layout: look cell by cell
        tail = b""
        with zipfile.ZipFile(self.path) as archive, archive.open(part) as stream:
            for chunk in iter(lambda: stream.read(_XML_CHUNK), b""):
                if _FORMULA_ELEMENT.search(tail + chunk):
                    return True
                tail = chunk[-8:]
        return False

    def batches(self, positions: list[int], batch_rows: int) -> Iterator[RawBatch]:
        """Yield rows below the header row in batches of at most ``batch_rows``.

        A formula cell whose workbook holds no saved value (written by a program, never
        opened in Excel) reads as blank; such cells are counted per column in each batch.
        """
        workbook = self._workbook()
        formula_book = None
        try:
            sheet = workbook[self.sheet]
            first = self.header_row + 1
            rows = sheet.iter_rows(min_row=first, values_only=True)
            formulas: Iterator[tuple[Any, ...]] | None = None
            if self._has_formulas(sheet):
                formula_book = self._workbook(values=False)
                formulas = formula_book[self.sheet].iter_rows(min_row=first, values_only=True)
            values: dict[int, list[str | None]] = {p: [] for p in positions}
            unsaved = dict.fromkeys(positions, 0)
            lines: list[int] = []
            for number, row in enumerate(rows, first):
                width = len(row)
                for p in positions:
                    values[p].append(cell_text(row[p]) if p < width else None)
                if formulas is not None:
                    _count_unsaved(row, next(formulas, ()), positions, unsaved)
                lines.append(number)
                if len(lines) == batch_rows:
                    yield _raw_batch(values, lines, unsaved)
                    values, lines = {p: [] for p in positions}, []
                    unsaved = dict.fromkeys(positions, 0)
            if lines:
                yield _raw_batch(values, lines, unsaved)
        finally:
            workbook.close()
            if formula_book is not None:
                formula_book.close()


def _count_unsaved(
    row: tuple[Any, ...], formulas: tuple[Any, ...], positions: list[int], counts: dict[int, int]
) -> None:
    """Count the cells of ``row`` that are blank only because their formula has no value."""
    for p in positions:
        if p < len(formulas) and (p >= len(row) or row[p] is None) and _is_formula(formulas[p]):
            counts[p] += 1


def _is_formula(cell: Any) -> bool:
    # openpyxl gives a formula as "=..." text, or as an ArrayFormula / DataTableFormula
    if isinstance(cell, str):
        return cell.startswith("=")
    return type(cell).__name__ in {"ArrayFormula", "DataTableFormula"}


def _raw_batch(
    values: dict[int, list[str | None]], lines: list[int], unsaved: dict[int, int]
) -> RawBatch:
    columns = {p: pa.array(v, pa.string()) for p, v in values.items()}
    return RawBatch(columns, pa.array(lines, pa.int64()), {p: n for p, n in unsaved.items() if n})


class ParquetFile:
    """A Parquet file read in row batches; typed columns are cast to text."""

    def __init__(self, path: Path) -> None:
        """Read the schema.

        Raises:
            InputError: the file is not readable Parquet.
        """
        self.path = path
        try:
            self.schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as e:
            msg = f"{path}: cannot read it as Parquet ({type(e).__name__}); re-export the file."
            raise InputError(msg) from e
        self.headers = list(self.schema.names)

    def batches(self, positions: list[int], batch_rows: int) -> Iterator[RawBatch]:
        """Yield rows in batches of at most ``batch_rows``; ``source_line`` is row index + 1."""
        names = [self.headers[p] for p in positions]
        row = 1
        try:
            with pq.ParquetFile(self.path) as parquet:
                for record_batch in parquet.iter_batches(batch_size=batch_rows, columns=names):
                    columns = {
                        p: self._text(record_batch.column(i), self.headers[p])
                        for i, p in enumerate(positions)
                    }
                    lines = pa.array(range(row, row + record_batch.num_rows), pa.int64())
                    row += record_batch.num_rows
                    yield RawBatch(columns, lines)
        except (OSError, pa.ArrowException) as e:
            msg = (
                f"{self.path}: the Parquet data cannot be read ({type(e).__name__}); re-export it."
            )
            raise InputError(msg) from e

    def _text(self, array: pa.Array, header: str) -> pa.Array:
        """Cast a typed column to strings the way an export to CSV would write them."""
        kind = array.type
        if pa.types.is_dictionary(kind):
            return self._text(array.dictionary_decode(), header)
        if pa.types.is_timestamp(kind):
            return pc.cast(pc.cast(array, pa.date32()), pa.string())
        if pa.types.is_floating(kind):
            integral = pc.and_(pc.equal(array, pc.floor(array)), pc.less(pc.abs(array), 2.0**53))
            as_int = pc.cast(pc.cast(pc.if_else(integral, array, 0.0), pa.int64()), pa.string())
            return pc.if_else(integral, as_int, pc.cast(array, pa.string()))
        if pa.types.is_decimal(kind) and kind.scale > 0:
            text = pc.cast(array, pa.string())
            return pc.replace_substring_regex(text, r"\.0+$", "")
        if (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_decimal(kind)
            or pa.types.is_date(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_null(kind)
        ):
            return pc.cast(array, pa.string())
        msg = (
            f"{self.path}: column {header!r} has type {kind}, which cannot be read as text; "
            "export it as a plain string, number or date column."
        )
        raise InputError(msg)
