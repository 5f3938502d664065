"""Effective-dated values: periods with start and end dates, located vectorized."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_EPOCH = dt.date(1970, 1, 1)
_NO_DAY = np.iinfo(np.int64).min  # sentinel for a missing period date

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Period[T]:
    """A value in force from ``start`` to ``end`` (both inclusive; ``end`` None = open)."""

    start: dt.date
    end: dt.date | None
    value: T


@dataclass(frozen=True)
class Timeline[T]:
    """Non-overlapping periods of one rule, sorted by start."""

    name: str
    periods: tuple[Period[T], ...]

    def locate(self, when: pd.Series) -> IntArray:
        """Index of the period in force at each date of ``when``; -1 where none is."""
        days = period_days(when)
        if not self.periods:
            return np.full(len(days), -1, dtype=np.int64)
        starts = np.array([(p.start - _EPOCH).days for p in self.periods], dtype=np.int64)
        ends = np.array(
            [(p.end - _EPOCH).days if p.end else np.iinfo(np.int64).max for p in self.periods],
            dtype=np.int64,
        )
        index = np.searchsorted(starts, days, side="right") - 1
        safe = np.clip(index, 0, None)
        inside = (index >= 0) & (days != _NO_DAY) & (days <= ends[safe])
        return np.where(inside, index, -1).astype(np.int64)

    def values(self, index: IntArray, field: Callable[[T], float]) -> FloatArray:
        """``field`` of the period at each ``index`` (from ``locate``); NaN where -1."""
        table = np.array([field(p.value) for p in self.periods] + [np.nan], dtype=np.float64)
        return table[np.where(index >= 0, index, len(self.periods))]


def period_days(when: pd.Series) -> IntArray:
    """Days since 1970-01-01 of each date; a large negative sentinel where missing."""
    array = pa.array(when.astype(pd.ArrowDtype(pa.date32())), type=pa.date32())
    days = pc.fill_null(pc.cast(pc.cast(array, pa.int32()), pa.int64()), _NO_DAY)
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.int64)
