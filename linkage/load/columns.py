"""Header mapping: which column of a source file holds which canonical raw column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

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
    """

    columns: dict[int, pa.Array]
    lines: pa.Array


@dataclass(frozen=True)
class HeaderMap:
    """Where each canonical column sits in a file.

    Attributes:
        positions: canonical column -> 0-based position of its column in the file.
        ignored: headers that map to no canonical column, in file order.
    """

    positions: dict[str, int]
    ignored: tuple[str, ...]


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
    headers: Sequence[str], source: Source, mapping: SourceMapping, where: str
) -> HeaderMap:
    """Map a file's headers onto the canonical columns of ``source``.

    Args:
        headers: the header row as written in the file.
        source: which source the file is.
        mapping: accepted header spellings.
        where: the file (and sheet), for messages.

    Raises:
        InputError: a required column is missing (naming it, the accepted spellings and
            the headers found), or two headers claim the same column.
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
        mapping_file = f" or add your header to {mapping.path}" if mapping.path else ""
        msg = (
            f"{where}: cannot read it as {source.value} data:\n  "
            + "\n  ".join(problems)
            + f"\nHeaders found: {list(headers)}.\nRename the file's headers{mapping_file}."
        )
        raise InputError(msg)
    return header_map
