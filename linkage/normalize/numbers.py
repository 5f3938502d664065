"""Money amounts (VND) and contract months, as written by spreadsheets and people.

VND has no minor unit: "." and "," are thousands separators when every group after the
first has three digits ("12.000.000", "12,000,000"); otherwise the single separator is a
decimal point ("12000000.0", "12,5 triệu") and the amount is rounded half up. The words
triệu / tr (million) and nghìn / ngàn / k (thousand) multiply. Negative amounts are
invalid, not zero.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import as_series, map_unique, text_or_none
from linkage.folding import ascii_fold, fold
from linkage.normalize._text import nfc
from linkage.normalize.dates import month_indexes

_CURRENCY_RE: Final = re.compile(r"(?:vnd|dong|d|₫)$")
_MULTIPLIERS: Final = (
    ("trieu", 1_000_000),
    ("tr", 1_000_000),
    ("nghin", 1_000),
    ("ngan", 1_000),
    ("k", 1_000),
)
_GROUPED_RE: Final = re.compile(r"[0-9]{1,3}([.,])[0-9]{3}(?:\1[0-9]{3})*")
_GROUPED_DECIMAL_RE: Final = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})+(?!\1)[.,][0-9]+")
_DECIMAL_RE: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_MONTHS_RE: Final = re.compile(r"([0-9]+(?:[.,][0-9]+)?)(thang|th|t|nam|months?|years?)?")
_YEAR_UNITS: Final = frozenset({"nam", "year", "years"})
MAX_AMOUNT: Final = 10**15  # far above any monthly income; guards int64
MAX_MONTHS: Final = 1200
# An indefinite-term contract (Labour Code 2019 Art. 20: no end date) is longer than any
# fixed term (at most 36 months): it is recorded as the largest length accepted.
INDEFINITE_MONTHS: Final = MAX_MONTHS
# Contract lengths written as words (folded), as tax and HR exports carry them.
_CONTRACT_WORDS: Final = {
    "khong xac dinh thoi han": INDEFINITE_MONTHS,
    "khong thoi han": INDEFINITE_MONTHS,
    "vo thoi han": INDEFINITE_MONTHS,
    "khong xac dinh": INDEFINITE_MONTHS,
    "hdld khong xac dinh thoi han": INDEFINITE_MONTHS,
    "indefinite": INDEFINITE_MONTHS,
    "duoi 1 thang": 0,  # under a month: below every contract minimum
    "khong co hdld": 0,
    "khong co hop dong": 0,
    "khong co hop dong lao dong": 0,
    "khong hdld": 0,
    "khong": 0,
    "none": 0,
}


def _compact(raw: str) -> str:
    """Lower-case ASCII without spaces; punctuation kept (it separates thousands)."""
    return "".join(ascii_fold(nfc(raw).casefold()).split())


def _to_int(number: str) -> int | None:
    """Round a plain decimal string ("12.5") half up; None when out of range."""
    try:
        value = int(Decimal(number).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return None
    return value if value <= MAX_AMOUNT else None


def parse_amount(raw: str) -> int | None:
    """One VND amount as an integer, or None when it is not a non-negative amount."""
    text = _compact(raw)
    text = _CURRENCY_RE.sub("", text)
    multiplier = 1
    for word, factor in _MULTIPLIERS:
        if text.endswith(word):
            text, multiplier = text.removesuffix(word), factor
            break
    if multiplier == 1 and _GROUPED_RE.fullmatch(text):
        return _to_int(re.sub(r"[.,]", "", text))
    grouped = _GROUPED_DECIMAL_RE.fullmatch(text)
    if grouped:
        thousands = grouped.group(1)
        text = text.replace(thousands, "")
    if not _DECIMAL_RE.fullmatch(text):
        return None
    return _to_int(str(Decimal(text.replace(",", ".")) * multiplier))


def amounts(values: pd.Series) -> pd.Series:
    """Parse VND amounts ("12.000.000", "12,000,000", "12 000 000", "12000000.0", "12,5 tr").

    Returns:
        Arrow int64 Series; null when blank or invalid (negative, not a number). Callers
        tell the two apart with a blank test on the raw column.
    """
    array = text_or_none(values)
    if array is None:  # numbers from a spreadsheet
        return map_unique(values, parse_amount, pa.int64())
    # Plain digits (most of an export) are cast in Arrow; the rest is read one by one.
    plain = pc.fill_null(pc.match_substring_regex(array, "^[0-9]{1,15}$"), False)
    written = map_unique(
        as_series(pc.if_else(plain, None, array), values), parse_amount, pa.int64()
    )
    cast = pc.cast(pc.if_else(plain, array, None), pa.int64())
    return as_series(pc.coalesce(cast, pa.array(written, type=pa.int64())), values)


def parse_months(raw: str) -> int | None:
    """Contract months as written: "12", "12.0", "12 tháng", "1 năm", "Không xác định thời hạn".

    "Dưới 1 tháng" and "Không có HĐLĐ" give 0; an indefinite term gives
    ``INDEFINITE_MONTHS``; a length that is not a whole number of months gives None.
    """
    words = _CONTRACT_WORDS.get(fold(raw))
    if words is not None:
        return words
    match = _MONTHS_RE.fullmatch(_compact(raw))
    if not match:
        return None
    number = Decimal(match.group(1).replace(",", "."))
    if match.group(2) in _YEAR_UNITS:
        number *= 12
    if number != number.to_integral_value():
        return None
    months = int(number)
    return months if months <= MAX_MONTHS else None


def months(values: pd.Series) -> pd.Series:
    """Parse contract lengths in months; 0 means no labour contract (or under a month).

    Returns:
        Arrow int16 Series; null when blank or invalid (negative, fractional, > 1200).
    """
    return map_unique(values, parse_months, pa.int16())


def per_month(total: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """A period's total amount as a monthly one: total / calendar months start..end.

    For payroll whose income column holds the period's total (an annual finalization: the
    year's income). Null where the amount or either date is unknown.
    """
    months = pd.Series(month_indexes(end) - month_indexes(start) + 1, index=total.index)
    amount = pd.to_numeric(total.astype("object"), errors="coerce")
    monthly = (amount / months.where(months > 0)).round()
    return monthly.astype("Int64").astype(pd.ArrowDtype(pa.int64()))
