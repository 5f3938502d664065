"""Run scalar code once per distinct value and broadcast the result back to every row.

Names, IDs and dates repeat heavily (a 3M-row payroll holds a few hundred thousand distinct
names and ~30k distinct birth dates), so factorizing first turns per-row Python into
per-distinct-value Python, and Arrow ``take`` broadcasts the results back in C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Codes = npt.NDArray[np.int64]


def pair_keys(first: npt.ArrayLike, second: npt.ArrayLike, width: int) -> Codes:
    """One int64 per (first, second), ``second`` in [0, width).

    Pairs as keys to sort, join, deduplicate and decode (``np.divmod(keys, width)``) without
    a frame.
    """
    return np.asarray(first, dtype=np.int64) * np.int64(width) + np.asarray(second, np.int64)


def pair_codes(first: npt.ArrayLike, second: npt.ArrayLike) -> Codes:
    """Dense codes 0, 1, ... by first appearance for each distinct (first, second).

    Both are arrays of non-negative codes: a tuple of columns becomes one code, by hashing,
    not sorting.
    """
    codes = np.asarray(second, dtype=np.int64)
    return pd.factorize(pair_keys(first, codes, int(codes.max(initial=0)) + 1))[0].astype(np.int64)


def factorize_arrow(values: pd.Series) -> tuple[Codes, pa.Array]:
    """Codes (-1 for missing) and the distinct non-missing values as an Arrow string array.

    Arrow-backed and plain string columns are dictionary-encoded in C; a column holding
    non-strings (numbers from a spreadsheet) falls back to ``pandas.factorize`` + ``str``.
    """
    array = text_or_none(values)
    if array is None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [value if isinstance(value, str) else str(value) for value in uniques.tolist()]
        return np.asarray(codes, dtype=np.int64), pa.array(texts, type=pa.string())
    encoded = pc.dictionary_encode(array)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return np.asarray(codes, dtype=np.int64), encoded.dictionary


def arrow_text(values: pd.Series) -> pa.Array:
    """A column of strings (Arrow-backed or objects, missing as null) as one Arrow array.

    Raises:
        pyarrow.ArrowInvalid, pyarrow.ArrowTypeError: a value is not a string.
    """
    array = pa.array(values, type=pa.string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def text_or_none(values: pd.Series) -> pa.Array | None:
    """``arrow_text``, or None when a value is no string (numbers from a spreadsheet)."""
    try:
        return arrow_text(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def factorize_text(values: pd.Series) -> tuple[Codes, list[str]]:
    """Codes (-1 for missing) and the distinct non-missing values as Python strings."""
    codes, uniques = factorize_arrow(values)
    return codes, uniques.to_pylist()


def take(codes: Codes, per_unique: pa.Array) -> pa.Array:
    """Broadcast one Arrow value per distinct input back to rows; code -1 gives null."""
    indices = pa.array(codes, type=pa.int64(), mask=codes < 0)
    return per_unique.take(indices)


def as_series(array: pa.Array, like: pd.Series, name: str | None = None) -> pd.Series:
    """Wrap an Arrow array as an Arrow-backed Series on ``like``'s index."""
    return pd.Series(
        pd.arrays.ArrowExtensionArray(array),
        index=like.index,
        name=like.name if name is None else name,
    )


def map_unique(values: pd.Series, func: Callable[[str], Any], dtype: pa.DataType) -> pd.Series:
    """Apply ``func`` to each distinct non-missing value; missing input stays missing.

    ``func`` returns a value of ``dtype`` or None (which becomes null).
    """
    codes, uniques = factorize_text(values)
    per_unique = pa.array([func(u) for u in uniques], type=dtype)
    return as_series(take(codes, per_unique), values)


def frame_from_unique(
    values: pd.Series, compute: Callable[[list[str]], Mapping[str, pa.Array]]
) -> pd.DataFrame:
    """Build a frame whose columns ``compute`` derives from the distinct values.

    Args:
        values: the input column.
        compute: maps the list of distinct non-missing strings to named Arrow arrays of
            the same length.

    Returns:
        One Arrow-backed column per array, aligned on ``values.index``; null where the
        input is missing.
    """
    codes, uniques = factorize_text(values)
    columns = compute(uniques)
    return pd.DataFrame(
        {name: as_series(take(codes, array), values, name) for name, array in columns.items()},
        index=values.index,
    )


# What Python's ``str.strip`` removes (the characters ``str.isspace`` holds: a test checks
# every code point), as a class of Arrow's regex engine, so the Arrow passes below give what
# per-value ``strip`` gave.
_SPACE: Final = (
    r"[\x{9}-\x{D}\x{1C}-\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}"
    r"\x{202F}\x{205F}\x{3000}]"
)


def is_blank(values: pd.Series) -> npt.NDArray[np.bool_]:
    """True where a raw value is missing or only whitespace."""
    array = text_or_none(values)
    if array is None:  # numbers from a spreadsheet: never blank
        codes, uniques = factorize_text(values)
        blank_unique = np.array([not u.strip() for u in uniques] + [True], dtype=bool)
        return blank_unique[codes]  # code -1 (missing) indexes the trailing True
    blank = pc.match_substring_regex(array, f"^{_SPACE}*$")
    return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


def stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding whitespace (``str.strip``); missing where nothing is left."""
    array = text_or_none(values)
    if array is None:  # numbers from a spreadsheet
        return map_unique(values, lambda value: value.strip() or None, pa.string())
    array = pc.replace_substring_regex(array, f"^{_SPACE}+|{_SPACE}+$", "")
    return as_series(pc.if_else(pc.equal(array, ""), None, array), values)
