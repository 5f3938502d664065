"""CSV / text files: encoding detection, then pyarrow's streaming reader, all columns string.

``source_line`` is the physical line where a record starts (header = line 1). Records are
counted by pyarrow (empty lines included, as all-null rows); line breaks inside quoted
fields are counted per record and added, so multi-line records keep later lines exact. A
header that itself spans lines is not supported (it would shift every number).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from linkage.errors import InputError
from linkage.load.columns import RawBatch
from linkage.load.encoding import detect_encoding, first_bad_byte, undecodable_message

HEAD_BYTES: Final = 1 << 20  # sample used for encoding, delimiter and header detection
HEADER_SEARCH_LINES: Final = 30  # title rows above the header row, as in office exports
_DELIMITERS: Final = (",", ";", "\t", "|")
_LINE_END: Final = re.compile(r"\r\n|\r|\n")  # CR-only files come from old Mac exports
_WIDE_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _unreadable(path: Path, error: Exception) -> InputError:
    if isinstance(error, EOFError | gzip.BadGzipFile | zlib.error):
        msg = f"{path}: the gzip file is corrupt or truncated; compress the export again."
        return InputError(msg)
    reason = getattr(error, "strerror", None) or type(error).__name__
    msg = f"{path}: cannot read the file ({reason}); check that it is readable."
    return InputError(msg)


def _check_wide(path: Path, head: bytes) -> None:
    """Refuse UTF-16 / UTF-32 text by name: its NUL bytes would read as garbage."""
    if head.startswith(_WIDE_BOMS) or head[:4096].count(b"\x00") > len(head[:4096]) // 4:
        msg = (
            f"{path}: the file is UTF-16 (Excel's 'Unicode Text'); save it as CSV UTF-8 "
            "(Excel: Save As > CSV UTF-8)."
        )
        raise InputError(msg)


_READ_ERRORS: Final = (OSError, EOFError, zlib.error)


class CsvFile:
    """A delimited text file, inspected eagerly (encoding, delimiter, header row)."""

    def __init__(
        self, path: Path, accepts: Callable[[Sequence[str]], bool] = lambda headers: True
    ) -> None:
        """Read the first MiB: pick the encoding, the header row and its delimiter.

        The header row is the first of the first ``HEADER_SEARCH_LINES`` lines that
        ``accepts`` (title rows above it are skipped, as in the Excel reader); failing
        that, the first non-blank line, for the mapping to report what it lacks.

        Raises:
            InputError: unreadable, corrupt, UTF-16 or empty file; EncodingError for
                legacy encodings.
        """
        self.path = path
        try:
            with _open_binary(path) as stream:
                head = stream.read(HEAD_BYTES)
        except _READ_ERRORS as e:
            raise _unreadable(path, e) from e
        _check_wide(path, head)
        self.codec = detect_encoding(head, str(path))
        text = head.decode(self.codec, errors="ignore")
        lines = _LINE_END.split(text, maxsplit=HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
        candidates = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
        if not candidates:
            msg = f"{path}: the file is empty; the header row must come first."
            raise InputError(msg)
        parsed = [(n, self._fields(line)) for n, line in candidates]
        self.header_row, self.headers = next(((n, h) for n, h in parsed if accepts(h)), parsed[0])
        self.delimiter = self._delimiter_of(lines[self.header_row - 1])
        rest = _LINE_END.split(text, maxsplit=self.header_row)[self.header_row :]
        self.has_data = len(head) == HEAD_BYTES or any(part.strip() for part in rest)

    @staticmethod
    def _delimiter_of(line: str) -> str:
        return max(_DELIMITERS, key=line.count)

    def _fields(self, line: str) -> list[str]:
        try:
            row = next(csv.reader([line], delimiter=self._delimiter_of(line)), [])
        except csv.Error:  # an unbalanced quote or a huge field: not a header row
            return []
        return [unicodedata.normalize("NFC", h).strip() for h in row]

    def batches(self, positions: list[int], batch_rows: int) -> Iterator[RawBatch]:
        """Yield rows in batches of at most ``batch_rows``, with physical line numbers.

        Raises:
            InputError: malformed rows (naming the line) or undecodable bytes.
        """
        if not self.has_data:
            return
        names = [f"c{i}" for i in range(len(self.headers))]
        read_options = pacsv.ReadOptions(
            column_names=names,
            skip_rows=self.header_row,
            encoding="utf8" if self.codec.startswith("utf-8") else self.codec,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=True, ignore_empty_lines=False
        )
        convert_options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        )
        records = 0  # records read so far
        extra_lines = 0  # line breaks inside quoted fields so far
        try:
            with _open_binary(self.path) as stream:
                reader = pacsv.open_csv(
                    stream,
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                for record_batch in _rebatch(reader, batch_rows):
                    breaks = _line_breaks(record_batch)
                    before = pc.subtract(pc.cumulative_sum(breaks), breaks)
                    start = self.header_row + 1 + records + extra_lines
                    lines = pc.add(pa.array(range(start, start + record_batch.num_rows)), before)
                    records += record_batch.num_rows
                    extra_lines += pc.sum(breaks).as_py() or 0
                    yield RawBatch({p: record_batch.column(p) for p in positions}, lines)
        except pa.ArrowInvalid as e:
            raise self._explain(e) from None
        except _READ_ERRORS as e:
            raise _unreadable(self.path, e) from e

    def _explain(self, error: pa.ArrowInvalid) -> InputError:
        """Turn a pyarrow parse error into a message with a line number and no data."""
        text = str(error)
        if "UTF8" in text or "decode" in text.lower():
            with _open_binary(self.path) as stream:
                bad = first_bad_byte(iter(lambda: stream.read(HEAD_BYTES), b""), self.codec)
            if bad is None:  # pyarrow saw what Python's codec accepts: name no line
                msg = f"{self.path}: bytes that are not valid {self.codec} text"
            else:
                msg = undecodable_message(str(self.path), bad, self.codec)
            return InputError(msg)
        ragged = _first_ragged_record(
            self.path, self.codec, self.delimiter, len(self.headers), self.header_row
        )
        if ragged.end > ragged.start:  # a quote opened on the first line ran on
            msg = (
                f"{self.path}:{ragged.start}: malformed CSV: a quote opened on this line is "
                f"not closed, so the record runs on to line {ragged.end}"
                + (f" ({ragged.found} fields, not {len(self.headers)})" if ragged.found else "")
                + ". Close or remove that quote."
            )
            return InputError(msg)
        msg = (
            f"{self.path}:{ragged.start}: malformed CSV: expected {len(self.headers)} fields "
            f"(as in the header row), found {ragged.found}. Check quoting and delimiters "
            f"(detected {self.delimiter!r}) on that line."
        )
        return InputError(msg)


def _rebatch(reader: pacsv.CSVStreamingReader, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Re-cut pyarrow's block-sized batches into batches of exactly ``batch_rows``."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for record_batch in reader:
        pending.append(record_batch)
        size += record_batch.num_rows
        while size >= batch_rows:
            table = pa.Table.from_batches(pending).combine_chunks()
            yield from table.slice(0, batch_rows).to_batches(max_chunksize=batch_rows)
            rest = table.slice(batch_rows)
            pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def _line_breaks(record_batch: pa.RecordBatch) -> pa.Array:
    """Per record, the line breaks inside its quoted fields."""
    total = pa.array([0] * record_batch.num_rows, pa.int64())
    for column in record_batch.columns:
        counts = pc.fill_null(pc.count_substring(column, "\n"), 0)
        total = pc.add(total, pc.cast(counts, pa.int64()))
    return total


@dataclass(frozen=True)
class _Ragged:
    start: int  # physical line where the record starts (0: none found)
    end: int  # physical line where it ends
    found: int  # its number of fields


def _first_ragged_record(
    path: Path, codec: str, delimiter: str, width: int, header_row: int
) -> _Ragged:
    """The first record after the header whose field count differs, by its first line."""
    with _open_binary(path) as stream:
        text = io.TextIOWrapper(stream, encoding=codec, errors="replace", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        start = 1
        try:
            for row in reader:
                if start > header_row and row and len(row) != width:
                    return _Ragged(start, reader.line_num, len(row))
                start = reader.line_num + 1
        except csv.Error:  # a quote that runs past the field size limit or the file's end
            return _Ragged(start, max(reader.line_num, start + 1), 0)
    return _Ragged(0, 0, 0)
