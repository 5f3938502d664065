"""Bookkeeping for row rejection: the first problem of each row, and nulled optional values.

A rejected row gets exactly one REJECTS row (its first problem, in the order the checks
run), so rows in = rows kept + rows rejected. Details say what was wrong without the
value: values here are personal data (IDs, names, birth dates, salaries).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from linkage._vector import is_blank, map_unique
from linkage.normalize.ids import compact_digits
from linkage.privacy import mask_id
from linkage.schema import REJECTS, RejectReason, Source, conform

Mask = npt.NDArray[np.bool_]
# Digit keys this long are masked: a CMND that lost its zero has 8; a CCCD with a stray
# digit beside it has 13 or more, and must not reach a reject file as written.
_MIN_MASKED_DIGITS = 8


def safe_key(raw: str) -> str | None:
    """A record key fit for a reject file: stripped, citizen-ID-shaped values masked."""
    text = raw.strip()
    if not text:
        return None
    digits = compact_digits(text)
    if digits is not None:  # any run long enough to hold most of an ID is masked
        return mask_id(digits) if len(digits) >= _MIN_MASKED_DIGITS else text
    # A malformed value with many digits may still be most of a citizen ID.
    return mask_id(text) if sum(c.isdigit() for c in text) >= _MIN_MASKED_DIGITS else text


def record_keys(values: pd.Series) -> pd.Series:
    """Vectorized ``safe_key``."""
    return map_unique(values, safe_key, pa.string())


class RowChecks:
    """Collects, per row, the first reason it must be rejected."""

    def __init__(self, raw: pd.DataFrame, source: Source, key: pd.Series) -> None:
        """``key`` is the row's own key as read; it is masked for rejected rows only."""
        self._raw = raw
        self._source = source
        self._key = key
        size = len(raw)
        self._reason = np.full(size, None, dtype=object)
        self._column = np.full(size, None, dtype=object)
        self._detail = np.full(size, None, dtype=object)

    @property
    def rejected(self) -> Mask:
        """True for rows with at least one problem."""
        return np.asarray(pd.notna(self._reason), dtype=bool)

    def flag(self, mask: Mask, reason: RejectReason, column: str, detail: str) -> None:
        """Record a problem on the rows of ``mask`` that have none yet."""
        fresh = np.asarray(mask, dtype=bool) & ~self.rejected
        self._reason[fresh] = reason.value
        self._column[fresh] = column
        self._detail[fresh] = detail

    def require(self, column: str) -> Mask:
        """Flag blank values of a mandatory column; return the blank mask."""
        blank = is_blank(self._raw[column])
        self.flag(blank, RejectReason.MISSING_REQUIRED, column, f"{column} is blank")
        return blank

    def rejects(self) -> pd.DataFrame:
        """The REJECTS table of the flagged rows."""
        chosen = self.rejected
        frame = pd.DataFrame(
            {
                "source": self._source.value,
                "source_file": self._raw["source_file"].to_numpy()[chosen],
                "source_line": self._raw["source_line"].to_numpy()[chosen],
                "record_key": record_keys(self._key[chosen]).to_numpy(),
                "reason": self._reason[chosen],
                "column": self._column[chosen],
                "detail": self._detail[chosen],
            }
        )
        return conform(frame, REJECTS, stage=f"normalize {self._source.value}")


def nulled_mask(raw: pd.Series, result: pd.Series) -> Mask:
    """Rows whose raw value was present but whose normalized value is null."""
    return ~is_blank(raw) & result.isna().to_numpy(dtype=bool)
