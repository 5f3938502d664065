"""Header mapping: which column of a source file holds which canonical raw column."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import pyarrow as pa

from linkage.errors import InputError
from linkage.folding import fold
from linkage.load.mapping import SourceMapping
from linkage.schema import RAW_REQUIRED, Source


class RawBatch(NamedTuple):
    """Rows as a format reader hands them over, before mapping and blank-row removal.

    Attributes:
        columns: file column position -> string array, for the mapped positions.
        lines: int64 array of 1-based physical lines / sheet rows / row numbers.
        formulas_without_value: file column position -> cells of this batch that hold a
            formula with no saved value (Excel workbooks; read as blank).
    """

    columns: dict[int, pa.Array]
    lines: pa.Array
    formulas_without_value: dict[int, int] | None = None


@dataclass(frozen=True)
class HeaderMap:
    """Where each canonical column sits in a file.

    Attributes:
        positions: canonical column -> 0-based position of its column in the file.
        ignored: headers that map to no canonical column, in file order.
    """

    positions: dict[str, int]
    ignored: tuple[str, ...]


# Value shapes no header word has. Every source's required columns hold some of them (tax
# and social-insurance codes of 10 digits, a CCCD of 12, periods, months, VND salaries of 7
# digits and more), so a data row shows at least one; "Thu nhập năm 2024" or "Tháng
# 12/2024" are headers and match none.
_LONG_DIGITS: Final = re.compile(r"\d{6,}")  # an ID, a tax code, a salary
_DATE: Final = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")  # 18/10/1991, 1991-10-18
_NUMBER: Final = re.compile(r"[-+]?\d[\d.,\s]*")  # a whole cell: 2024, 12, 4.414.000
# A person's name as written in a data row: two or more capitalized words ("Nguyễn Thanh
# Nga", "LÊ THỊ ANH"); Vietnamese headers are in sentence case ("Họ và tên", "Ngày sinh").
_NAME_WORD: Final = re.compile(r"[^\W\d_][^\W\d_]+")
_HIDDEN: Final = "<hidden>"


def _is_data_cell(cell: str) -> bool:
    """Whether a cell holds a value no header has: a 6+ digit run, a date or a number."""
    return bool(_LONG_DIGITS.search(cell) or _DATE.search(cell) or _NUMBER.fullmatch(cell.strip()))


def _is_name_like(cell: str) -> bool:
    words = cell.split()
    return len(words) >= 2 and all(
        _NAME_WORD.fullmatch(w) and (w.istitle() or w.isupper()) for w in words
    )


def looks_like_data(cells: Sequence[str], known_headers: Container[str]) -> bool:
    """Whether a line read as the header row is rather a data row, not to be printed.

    It is when a cell holds a run of six or more digits, a date or a number; or when no
    cell is a header the mapping knows and most non-blank cells hold a digit or read as
    a person's name (a file without its header row, starting with a sparse row).

    Args:
        cells: the line's cells, as read.
        known_headers: folded header spellings of the mapping (``header_lookup`` keys).
    """
    if any(_is_data_cell(cell) for cell in cells):
        return True
    filled = [cell for cell in cells if cell.strip()]
    if not filled or any(fold(cell) in known_headers for cell in filled):
        return False
    personal = sum(1 for c in filled if _is_name_like(c) or any(ch.isdigit() for ch in c))
    return personal * 2 > len(filled)


def shown_headers(headers: Sequence[str]) -> list[str]:
    """Headers fit for a message or log: any cell shaped like a value is hidden."""
    return [_HIDDEN if _is_data_cell(header) else header for header in headers]


def _match(headers: Sequence[str], source: Source, mapping: SourceMapping) -> HeaderMap:
    lookup = mapping.header_lookup(source)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(headers):
        column = lookup.get(fold(header))
        if column is None:
            if header.strip():
                ignored.append(header)
        else:
            positions.setdefault(column, position)
    return HeaderMap(positions, tuple(ignored))


def covers_required(headers: Sequence[str], source: Source, mapping: SourceMapping) -> bool:
    """Whether ``headers`` name every required column of ``source``."""
    found = _match(headers, source, mapping).positions
    return all(column in found for column in RAW_REQUIRED[source])


def map_headers(
    headers: Sequence[str],
    source: Source,
    mapping: SourceMapping,
    where: str,
    *,
    header_at: str = "line 1",
) -> HeaderMap:
    """Map a file's headers onto the canonical columns of ``source``.

    Args:
        headers: the header row as written in the file.
        source: which source the file is.
        mapping: accepted header spellings.
        where: the file (and sheet), for messages.
        header_at: where the header row was read ("line 1", "row 2"), for messages.

    Raises:
        InputError: a required column is missing (naming it, the accepted spellings and
            the headers found, unless they look like data: then none of them), or two
            headers claim the same column.
    """
    header_map = _match(headers, source, mapping)
    lookup = mapping.header_lookup(source)
    problems: list[str] = []
    claims: dict[str, list[str]] = {}
    for header in headers:
        column = lookup.get(fold(header))
        if column is not None:
            claims.setdefault(column, []).append(header)
    for column, claimed_by in claims.items():
        if len(claimed_by) > 1:
            problems.append(
                f"headers {claimed_by!r} all mean column {column!r}; keep one, or rename the "
                "others to something the mapping does not know"
            )
    for column in RAW_REQUIRED[source]:
        if column not in header_map.positions:
            problems.append(
                f"required column {column!r} not found; accepted headers (case, accents "
                f"and punctuation ignored): {list(mapping.columns[source][column])}"
            )
    if problems:
        raise InputError(_headers_message(headers, source, mapping, where, header_at, problems))
    return header_map


def _headers_message(
    headers: Sequence[str],
    source: Source,
    mapping: SourceMapping,
    where: str,
    header_at: str,
    problems: list[str],
) -> str:
    """The message for headers that do not fit; a data row read as headers is not shown."""
    mapping_file = f" or add your header to {mapping.path}" if mapping.path else ""
    listed = "\n  ".join(problems)
    if looks_like_data(headers, mapping.header_lookup(source)):
        return (
            f"{where}: cannot read it as {source.value} data: the first line looks like "
            f"data, not headers ({header_at}; its values are not shown).\n  {listed}\n"
            "Add the header row above the data, naming each column with an accepted "
            f"header; if {header_at} is the header row, rename its headers{mapping_file}."
        )
    return (
        f"{where}: cannot read it as {source.value} data:\n  {listed}\n"
        f"Headers found: {shown_headers(headers)}.\nRename the file's headers{mapping_file}."
    )
