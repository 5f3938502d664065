"""Vectorized generators of Vietnamese identifiers: MST, CCCD, CMND and SI codes.

All generators return unique values and take an explicit ``numpy.random.Generator`` so a
seed reproduces them exactly. Numbers are built as int64 and rendered zero-padded at the
end, so leading zeros survive (DOMAIN.md section 1).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.object_]

MST_WEIGHTS: Final = np.array([31, 29, 23, 19, 17, 13, 7, 5, 3], dtype=np.int64)


def zero_pad(values: IntArray, width: int) -> StrArray:
    """Render non-negative integers as zero-padded decimal strings (object array)."""
    fmt = f"{{:0{width}d}}".format
    return np.array([fmt(v) for v in values.tolist()], dtype=object)


_TWO_DIGITS: Final = np.array([f"{i:02d}" for i in range(100)], dtype=object)


def two_digits(values: IntArray) -> StrArray:
    """Render integers 0-99 as two-digit strings through a lookup table."""
    return _TWO_DIGITS[values]


def as_text(values: IntArray) -> StrArray:
    """Render integers as decimal strings, formatting each distinct value once."""
    codes, uniques = pd.factorize(values)
    return np.array([str(v) for v in uniques.tolist()], dtype=object)[codes]


def sequence_ids(prefix: str, n: int, width: int) -> StrArray:
    """``prefix`` + a 1-based running number zero-padded to ``width``: PR00000001, ..."""
    width = max(width, len(str(n)))
    numbers = np.arange(1, n + 1).astype(np.dtypes.StringDType())
    return np.strings.add(prefix, np.strings.zfill(numbers, width)).astype(object)


def unique_random(rng: np.random.Generator, n: int, low: int, high: int) -> IntArray:
    """Draw ``n`` distinct integers uniformly from ``[low, high)``, in random order.

    Raises:
        ValueError: if the range holds fewer than ``n`` integers.
    """
    if high - low < n:
        msg = f"cannot draw {n} distinct values from a range of {high - low}"
        raise ValueError(msg)
    values = np.empty(0, dtype=np.int64)
    while values.size < n:
        extra = rng.integers(low, high, size=int((n - values.size) * 1.1) + 16, dtype=np.int64)
        merged = np.concatenate([values, extra])
        _, first = np.unique(merged, return_index=True)
        values = merged[np.sort(first)]
    return values[:n]


def mst_check_digit(body: IntArray) -> IntArray:
    """Check digit of 9-digit MST bodies; 10 marks a body that has no valid check digit."""
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1, dtype=np.int64)) % 10
    return 10 - (digits @ MST_WEIGHTS) % 11


def random_mst(rng: np.random.Generator, n: int, prefixes: IntArray | None = None) -> StrArray:
    """Unique valid 10-digit tax codes (enterprise or legacy personal).

    Args:
        rng: the random generator.
        n: how many codes.
        prefixes: optional 2-digit prefix (tax department) per code; random when omitted.
    """
    if prefixes is None:
        prefixes = rng.integers(1, 90, size=n, dtype=np.int64)
    codes = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        # Digits 3-9 are never all zero (stdnum rejects that as InvalidComponent).
        tail = rng.integers(1, 10_000_000, size=todo.size, dtype=np.int64)
        body = prefixes[todo] * 10_000_000 + tail
        check = mst_check_digit(body)
        codes[todo] = np.where(check < 10, body * 10 + check, -1)
        _, first = np.unique(codes, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep | (codes < 0))
    return zero_pad(codes, 10)


def cccd(
    rng: np.random.Generator,
    province: IntArray,
    birth_year: IntArray,
    female: npt.NDArray[np.bool_],
) -> StrArray:
    """Unique 12-digit citizen IDs consistent with province, century, sex and birth year.

    Layout (Decree 137/2015 Art. 13): ``0`` + 2-digit province, century/sex digit
    (0/1 = 1900s male/female, 2/3 = 2000s), last two digits of the birth year, 6 random.
    """
    century = (birth_year // 100 - 19) * 2 + female.astype(np.int64)
    prefix = (province * 10 + century) * 100 + birth_year % 100
    codes = np.zeros(province.size, dtype=np.int64)
    todo = np.arange(province.size)
    while todo.size:
        codes[todo] = prefix[todo] * 1_000_000 + rng.integers(0, 1_000_000, size=todo.size)
        _, first = np.unique(codes, return_index=True)
        keep = np.zeros(codes.size, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
    return zero_pad(codes, 12)


def cmnd(rng: np.random.Generator, n: int) -> StrArray:
    """Unique 9-digit old identity-card numbers (first digits loosely a province)."""
    return zero_pad(unique_random(rng, n, 10_000_000, 390_000_000), 9)


def si_code(rng: np.random.Generator, province: IntArray) -> StrArray:
    """Unique 10-digit social-insurance codes: 2-digit issuing province + 8 random digits."""
    n = province.size
    codes = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        codes[todo] = province[todo] * 100_000_000 + rng.integers(0, 100_000_000, size=todo.size)
        _, first = np.unique(codes, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
    return zero_pad(codes, 10)
