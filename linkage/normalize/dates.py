"""Dates: birth dates with their precision, and withholding periods.

Parsing is vectorized over the distinct values: each accepted layout is one regular
expression applied with ``Series.str.extract``, the parts are assembled into ISO strings,
and one ``pandas.to_datetime(format="%Y-%m-%d")`` call validates them all (31/02 fails
there). Day-first is the Vietnamese convention; "05/25/1990", whose second field cannot
be a month, is read as a swapped month/day, a common export bug.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.normalize._vector import frame_from_unique

_TIME: Final = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
# (pattern, field order, precision); fields named y / m / d, the first two of "dmy"
# possibly swapped later.
_BIRTH_LAYOUTS: Final = (
    (rf"(\d{{1,2}})[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_TIME}", "dmy", "day"),
    (rf"(\d{{4}})[/.\-](\d{{1,2}})[/.\-](\d{{1,2}}){_TIME}", "ymd", "day"),
    (r"(\d{4})(\d{2})(\d{2})", "ymd", "day"),
    (r"(\d{1,2})[/.\-](\d{4})", "my", "year"),
    (r"(\d{4})", "y", "year"),
)
# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug absorbed); birth
# dates from 1927 on are five-digit serials. Four digits are always read as a year.
_EXCEL_SERIAL: Final = r"(\d{5})(?:\.\d+)?"
_EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
MIN_BIRTH_YEAR: Final = 1900
PERIOD_YEARS: Final = (1990, 2100)

# Withholding periods as returns carry them: a month, a quarter, or a year (the annual
# finalization). Text is NFC, lower-cased and stripped of "tháng" / "quý" / "kỳ" words
# first, so each layout is written once. Fields: y year, m month, q quarter, r roman quarter.
_PERIOD_LAYOUTS: Final = (
    (r"(\d{4})[/.\-](\d{1,2})", "ym"),
    (r"t?(\d{1,2})\s*[/.\-]\s*(\d{4})", "my"),
    (r"(\d{4})(\d{2})", "ym"),
    (rf"(\d{{4}})[/.\-](\d{{1,2}})[/.\-]\d{{1,2}}{_TIME}", "ym"),
    (rf"\d{{1,2}}[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_TIME}", "my"),
    (r"q\s*([1-4])\s*[/.\-]?\s*(\d{4})", "qy"),
    (r"(\d{4})\s*[/.\-]?\s*q\s*([1-4])", "yq"),
    (r"(iv|i{1,3})\s*[/.\-]\s*(\d{4})", "ry"),
    (r"(?:n|nam)?\s*(\d{4})", "y"),
)
# Words that introduce a period; replaced by the letter the layouts expect.
_PERIOD_WORDS: Final = (
    (r"^(?:kỳ|ky)\s*", ""),
    (r"^(?:quý|quy)\s*", "q"),
    (r"^(?:tháng|thang|th)\s*", "t"),
    (r"^năm\s*", "n"),
)
_ROMAN: Final = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

Floats = npt.NDArray[np.float64]


def _extract(
    text: pd.Series, layouts: tuple[tuple[str, str], ...]
) -> tuple[dict[str, Floats], npt.NDArray[np.int64]]:
    """Fields y/m/d/q (NaN when absent) and the index of the first layout each value fits.

    The layout index is -1 where no layout matches the whole value.
    """
    size = len(text)
    fields = {name: np.full(size, np.nan) for name in "ymdq"}
    layout = np.full(size, -1, dtype=np.int64)
    for position, (pattern, order) in enumerate(layouts):
        parts = text.str.extract(f"^{pattern}$", expand=True)
        hit = parts[0].notna().to_numpy() & (layout < 0)
        if not hit.any():
            continue
        for column, name in enumerate(order):
            found = parts.loc[hit, column]
            if name == "r":
                name, found = "q", found.map(_ROMAN)
            fields[name][hit] = pd.to_numeric(found).to_numpy(dtype=float)
        layout[hit] = position
    return fields, layout


def _iso_dates(year: Floats, month: Floats, day: Floats) -> pd.Series:
    """Timestamps of complete y/m/d triples; NaT for impossible ones (31/02, month 13)."""
    complete = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    iso = pd.Series(pd.NA, index=range(len(year)), dtype=object)
    if complete.any():
        y, m, d = (a[complete].astype(np.int64) for a in (year, month, day))
        iso[complete] = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d, strict=True)]
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


def _birth_columns(uniques: list[str], today: dt.date) -> dict[str, pa.Array]:
    text = pd.Series(uniques, dtype=object).str.strip()
    blank = (text == "").to_numpy()
    fields, layout = _extract(text, tuple((p, o) for p, o, _ in _BIRTH_LAYOUTS))
    day_layouts = [i for i, (_, _, precision) in enumerate(_BIRTH_LAYOUTS) if precision == "day"]
    precision_day = np.isin(layout, day_layouts)
    matched = layout >= 0
    year, month, day = fields["y"], fields["m"], fields["d"]
    # Swapped month/day: the month field cannot be a month but the day field can.
    swapped = (month > 12) & (day <= 12)
    month[swapped], day[swapped] = day[swapped], month[swapped]

    serial = text.str.fullmatch(_EXCEL_SERIAL).to_numpy(dtype=bool) & ~matched
    if serial.any():
        days = pd.to_numeric(text[serial]).to_numpy(dtype=float)
        serial_dates = _EXCEL_EPOCH + pd.to_timedelta(np.floor(days), unit="D")
        year[serial] = serial_dates.year
        month[serial] = serial_dates.month
        day[serial] = serial_dates.day
        precision_day |= serial
        matched |= serial

    stamps = _iso_dates(year, month, day)
    has_day = precision_day & stamps.notna().to_numpy()
    in_range = (year >= MIN_BIRTH_YEAR) & (year <= today.year)
    month_ok = np.isnan(month) | ((month >= 1) & (month <= 12))
    valid = np.where(precision_day, has_day, month_ok) & in_range
    valid &= ~(has_day & np.asarray(stamps > pd.Timestamp(today), dtype=bool))
    invalid = ~valid & ~blank

    def masked(values: Floats, keep: npt.NDArray[np.bool_], dtype: pa.DataType) -> pa.Array:
        present = keep & ~np.isnan(values)
        filled = np.where(present, values, 0).astype(np.int64)
        return pa.array(filled, mask=~present).cast(dtype)

    date_values = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return {
        "birth_date": pa.array(date_values, mask=~(valid & precision_day)).cast(pa.date32()),
        "birth_year": masked(year, valid, pa.int16()),
        "birth_month": masked(month, valid, pa.int8()),
        "birth_day": masked(day, valid & precision_day, pa.int8()),
        "birth_precision": pa.array(
            np.where(precision_day, "day", "year").astype(object), mask=~valid
        ),
        "invalid": pa.array(invalid),
    }


def birth_dates(values: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Parse birth dates as written in Vietnamese sources.

    Accepted: dd/mm/yyyy and d/m/yyyy with "/", "-" or "." (a time part is ignored),
    yyyy-mm-dd and yyyy/mm/dd, yyyymmdd, five-digit Excel serials (day precision);
    mm/yyyy and yyyy alone (year precision, with ``birth_month`` set for mm/yyyy). A
    placeholder 01/01/yyyy stays a day-precision date: whether it is real is a linking
    question. Two-digit years are refused (the century is a guess).

    Args:
        values: raw date strings.
        today: reference date; later dates and birth years are impossible.

    Returns:
        Frame of ``birth_date`` (date32, null unless day precision), ``birth_year``
        (int16), ``birth_month`` / ``birth_day`` (int8), ``birth_precision`` ("day" |
        "year") and ``invalid`` (numpy bool: a non-blank value that is not a possible
        birth date, year before 1900 or after ``today``). Values are null when invalid
        or blank.
    """
    reference = today or dt.date.today()
    frame = frame_from_unique(values, lambda uniques: _birth_columns(uniques, reference))
    frame["invalid"] = frame["invalid"].fillna(False).to_numpy(dtype=bool)
    return frame


def _period_columns(uniques: list[str]) -> dict[str, pa.Array]:
    text = pd.Series(uniques, dtype=object).str.normalize("NFC").str.strip().str.lower()
    for pattern, replacement in _PERIOD_WORDS:
        text = text.str.replace(pattern, replacement, regex=True)
    fields, _ = _extract(text, _PERIOD_LAYOUTS)
    year, month, quarter = fields["y"], fields["m"], fields["q"]
    is_quarter = ~np.isnan(quarter)
    is_year = np.isnan(month) & ~is_quarter
    first = np.where(is_quarter, 3 * quarter - 2, np.where(is_year, 1, month))
    months = np.where(is_quarter, 3, np.where(is_year, 12, 1))
    low, high = PERIOD_YEARS
    ok = (year >= low) & (year <= high) & (first >= 1) & (first <= 12)
    ones = np.ones(len(text))
    start = _iso_dates(np.where(ok, year, np.nan), first, ones)
    # Last day: the day before the first day of the following period.
    after = first + months
    following = _iso_dates(
        np.where(ok, year + (after > 12), np.nan), np.where(after > 12, after - 12, after), ones
    )
    missing = start.isna().to_numpy()
    precision = np.where(is_quarter, "quarter", np.where(is_year, "year", "month"))

    def days(stamps: pd.Series, shift: int = 0) -> pa.Array:
        values = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return pa.array(values - np.timedelta64(shift, "D"), mask=missing).cast(pa.date32())

    return {
        "period": days(start),
        "period_end": days(following, shift=1),
        "period_precision": pa.array(precision.astype(object), mask=missing),
    }


def periods(values: pd.Series) -> pd.DataFrame:
    """Withholding periods with their precision: first day, last day, month/quarter/year.

    Accepted: months "2026-03", "03/2026", "3/2026", "T03/2026", "Tháng 3/2026", "202603",
    "2026-03-01" or "01/03/2026" (any day: the month is meant); quarters "Q1/2026",
    "Quý 1/2026", "I/2026", "2026-Q1"; years "2026" or "Năm 2026" (the annual
    finalization). Years outside 1990-2100 are invalid. Eligibility judges age and the law
    in force on ``period_end``, the period's last day.

    Returns:
        Frame of ``period`` and ``period_end`` (Arrow date32) and ``period_precision``
        ("month" | "quarter" | "year"); null when missing or invalid.
    """
    return frame_from_unique(values, _period_columns)


def day_dates(values: pd.Series, *, today: dt.date | None = None) -> pd.Series:
    """Dates known to the day (registration dates and the like), same layouts as births.

    Returns:
        Arrow date32 Series; null when blank, invalid or known only to the month or year.
    """
    result: pd.Series = birth_dates(values, today=today)["birth_date"]
    result.name = values.name
    return result


def month_index(year: Floats, month: Floats) -> Floats:
    """Months since year 0 of (year, month): year * 12 + month - 1; NaN where either is."""
    return year * 12 + (month - 1)


def month_indexes(dates: pd.Series) -> Floats:
    """``month_index`` of each date; NaN where missing.

    Read from the Arrow dates in C: through Python date objects it cost 2 s a million rows.
    """
    array = pa.array(dates.astype(pd.ArrowDtype(pa.date32())), type=pa.date32())
    year, month = (
        np.asarray(part.to_numpy(zero_copy_only=False), dtype=np.float64)
        for part in (pc.year(array), pc.month(array))
    )
    return month_index(year, month)
