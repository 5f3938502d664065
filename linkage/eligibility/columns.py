"""Column operations the eligibility steps share: Arrow strings, integer codes, lookups, order.

Keys become integer codes or row positions once and are then joined, counted and ranked in
numpy or Arrow compute: merges, groupbys, maps and sorts on Arrow string columns through
pandas cost seconds at a million payroll rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import pair_codes
from linkage.eligibility.rules import FloatArray, IntArray


def strings(series: pd.Series) -> pd.Series:
    """The column as Arrow strings with a fresh 0..n-1 index."""
    return series.reset_index(drop=True).astype(pd.ArrowDtype(pa.string()))


def equals(series: pd.Series, value: str) -> np.ndarray:
    """Boolean mask of ``series == value``; False where missing."""
    return (strings(series) == value).fillna(value=False).to_numpy(dtype=bool)


def floats(series: pd.Series) -> FloatArray:
    """The column as float64, NaN where missing or not a number."""
    return np.asarray(pd.to_numeric(series, errors="coerce"), dtype=np.float64)


def _arrow(values: pd.Series | np.ndarray) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def codes(*columns: pd.Series | np.ndarray) -> IntArray:
    """One integer per distinct tuple of values, 0, 1, ... by first appearance.

    Missing is a value of its own, as in ``groupby(dropna=False)`` and ``drop_duplicates``.
    """
    combined = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for column in columns:
        encoded = _arrow(column).dictionary_encode(null_encoding="encode")
        code = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        combined = pair_codes(combined, code)
    return combined


def firsts(code: IntArray) -> IntArray:
    """Row of the first appearance of each code from ``codes``, in code order.

    Codes number values by first appearance, so a code is new where it passes all before it.
    """
    seen = np.maximum.accumulate(code) if len(code) else code
    return np.flatnonzero(np.diff(seen, prepend=-1) > 0)


def positions(keys: pd.Series, table: pd.Series) -> IntArray:
    """Row of each key's first occurrence in ``table``; -1 where absent.

    A missing key finds a missing table value, as in ``merge`` and ``Index.get_indexer``.
    """
    found = pc.index_in(_arrow(strings(keys)), value_set=_arrow(strings(table)))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def take(series: pd.Series, rows: IntArray) -> pd.Series:
    """The values of ``series`` at ``rows`` (missing where -1), dtype kept, index 0..n-1."""
    return pd.Series(series.array.take(rows, allow_fill=True))


def order(keys: Mapping[str, pd.Series | np.ndarray], descending: Collection[str] = ()) -> IntArray:
    """Row order of a stable sort by ``keys`` in turn, missing (None, NaN) last.

    The order of pandas' ``sort_values(kind="stable")``: strings compare by code point.
    """
    table = pa.table({name: pa.array(values, from_pandas=True) for name, values in keys.items()})
    sort_keys = [(name, "descending" if name in descending else "ascending") for name in keys]
    indices = pc.sort_indices(table, sort_keys=sort_keys)
    return np.asarray(indices.to_numpy(), dtype=np.int64)


def runs(groups: IntArray) -> IntArray:
    """1, 2, ... along each run of equal values: the rank within a group of sorted rows."""
    row = np.arange(len(groups), dtype=np.int64)
    start = np.ones(len(groups), dtype=bool)
    start[1:] = groups[1:] != groups[:-1]
    return row - np.maximum.accumulate(np.where(start, row, 0)) + 1


def first_case(cases: Sequence[tuple[np.ndarray, str | None]], default: str | None) -> np.ndarray:
    """Object array holding, per row, the value of the first case whose condition holds.

    ``decide``'s tests run in order: a row takes the first that applies, the rest are moot.
    """
    size = len(cases[0][0])
    result = np.full(size, default, dtype=object)
    decided = np.zeros(size, dtype=bool)
    for condition, value in cases:
        hit = condition & ~decided
        result[hit] = None if value is None else str(value)
        decided |= hit
    return result
