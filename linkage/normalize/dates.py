"""Dates: birth dates with their precision, and withholding periods.

Parsing is vectorized over the distinct values: each accepted layout is one regular
expression applied with Arrow's ``extract_regex`` to the values no earlier layout matched,
and the parts become numpy dates, kept where they read back unchanged (31/02 does not).
Day-first is the Vietnamese convention; "05/25/1990", whose second field cannot be a
month, is read as a swapped month/day, a common export bug.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import frame_from_unique

_TIME: Final = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
# (pattern, precision), tried in order, the first that matches the whole value wins;
# groups y / m / d, the month and day of a day-first date possibly swapped later.
_BIRTH_LAYOUTS: Final = (
    (rf"(?P<d>\d{{1,2}})[/.\-](?P<m>\d{{1,2}})[/.\-](?P<y>\d{{4}}){_TIME}", "day"),
    (rf"(?P<y>\d{{4}})[/.\-](?P<m>\d{{1,2}})[/.\-](?P<d>\d{{1,2}}){_TIME}", "day"),
    (r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})", "day"),
    (r"(?P<m>\d{1,2})[/.\-](?P<y>\d{4})", "year"),
    (r"(?P<y>\d{4})", "year"),
    # Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug absorbed); birth
    # dates from 1927 on are five-digit serials (group s). Four digits are always a year.
    (r"(?P<s>\d{5})(?:\.\d+)?", "day"),
)
_EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
MIN_BIRTH_YEAR: Final = 1900
PERIOD_YEARS: Final = (1990, 2100)

# Withholding periods as returns carry them: a month, a quarter, or a year (the annual
# finalization). Text is NFC, lower-cased and stripped of "tháng" / "quý" / "kỳ" words
# first, so each layout is written once. Groups: y year, m month, q quarter, r roman quarter.
_PERIOD_LAYOUTS: Final = (
    r"(?P<y>\d{4})[/.\-](?P<m>\d{1,2})",
    r"t?(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})",
    r"(?P<y>\d{4})(?P<m>\d{2})",
    rf"(?P<y>\d{{4}})[/.\-](?P<m>\d{{1,2}})[/.\-]\d{{1,2}}{_TIME}",
    rf"\d{{1,2}}[/.\-](?P<m>\d{{1,2}})[/.\-](?P<y>\d{{4}}){_TIME}",
    r"q\s*(?P<q>[1-4])\s*[/.\-]?\s*(?P<y>\d{4})",
    r"(?P<y>\d{4})\s*[/.\-]?\s*q\s*(?P<q>[1-4])",
    r"(?P<r>iv|i{1,3})\s*[/.\-]\s*(?P<y>\d{4})",
    r"(?:n|nam)?\s*(?P<y>\d{4})",
)
# Words that introduce a period; replaced by the letter the layouts expect.
_PERIOD_WORDS: Final = (
    (r"^(?:kỳ|ky)\s*", ""),
    (r"^(?:quý|quy)\s*", "q"),
    (r"^(?:tháng|thang|th)\s*", "t"),
    (r"^năm\s*", "n"),
)
_ROMAN: Final = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ROMAN_NUMERALS: Final = pa.array(list(_ROMAN))
_ROMAN_QUARTERS: Final = pa.array(list(_ROMAN.values()))
# RE2 (Arrow) reads \d as [0-9] and \s as [\t\n\f\r ]; Python as any Unicode digit or space,
# and its $ also matches before a final newline. On printable ASCII they agree; the rest
# (no-break spaces and the like: the loader only applies NFC) keeps the Python reading,
# pandas' str.extract. Digits of other scripts are made ASCII first (``_ascii_digits``).
_RE2_SAFE: Final = "^[ -~]*$"

Floats = npt.NDArray[np.float64]
Indexes = npt.NDArray[np.int64]
Days = npt.NDArray[np.datetime64]
Matches = Iterator[tuple[int, Indexes, dict[str, Floats]]]


def _extract(text: pa.Array, layouts: Sequence[str]) -> tuple[dict[str, Floats], Indexes]:
    """Groups (NaN when absent; r as q) of the first layout each whole value fits, and its index.

    The layout index is -1 where no layout matches the whole value.
    """
    size = len(text)
    names = {"q" if n == "r" else n for p in layouts for n in re.compile(p).groupindex}
    fields = {name: np.full(size, np.nan) for name in names}
    layout = np.full(size, -1, dtype=np.int64)
    safe = pc.match_substring_regex(text, _RE2_SAFE).to_numpy(zero_copy_only=False)
    for matches, rows in ((_re2_matches, safe), (_python_matches, ~safe)):
        for position, hit, found in matches(text, np.flatnonzero(rows), layouts):
            layout[hit] = position
            for name, values in found.items():
                fields[name][hit] = values
    return fields, layout


def _re2_matches(text: pa.Array, rows: Indexes, layouts: Sequence[str]) -> Matches:
    """Arrow's C regex on ``rows``, each layout on the rows still unmatched."""
    for position, pattern in enumerate(layouts):
        if not rows.size:
            return
        parts = pc.extract_regex(text.take(rows), f"^{pattern}$")
        hit = parts.is_valid().to_numpy(zero_copy_only=False)
        parts = parts.filter(hit)
        found = {}
        for name in parts.type.names:
            digits = parts.field(name)
            if name == "r":
                name, digits = "q", _ROMAN_QUARTERS.take(pc.index_in(digits, _ROMAN_NUMERALS))
            found[name] = pc.cast(digits, pa.int64()).to_numpy().astype(np.float64)
        yield position, rows[hit], found
        rows = rows[~hit]


def _python_matches(text: pa.Array, rows: Indexes, layouts: Sequence[str]) -> Matches:
    """Python's regex (Unicode digits and spaces) on ``rows``, as ``_re2_matches`` yields."""
    if not rows.size:
        return
    values = pd.Series(text.take(rows).to_pylist(), dtype=object)
    pending = np.ones(len(rows), dtype=bool)
    for position, pattern in enumerate(layouts):
        parts = values.str.extract(f"^{pattern}$", expand=True)
        hit = parts.iloc[:, 0].notna().to_numpy() & pending
        pending &= ~hit
        found = {}
        for name in parts.columns:
            digits = parts.loc[hit, name]
            if name == "r":
                name, digits = "q", digits.map(_ROMAN)
            found[name] = pd.to_numeric(digits).to_numpy(dtype=np.float64)
        yield position, rows[hit], found


def _dates(year: Floats, month: Floats, day: Floats) -> Days:
    """Dates of complete y/m/d triples; NaT for impossible ones (31/02, month 13, day 0).

    Months since 1970 plus days, kept where the date reads back as the same year, month and
    day: ``to_datetime``'s verdict on the ISO string, without strings. (pandas also refused
    years outside its nanosecond range, 1677-2262; every caller refuses those years itself.)
    """
    complete = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    y, m, d = (np.where(complete, part, 1).astype(np.int64) for part in (year, month, day))
    month_start = ((y - 1970) * 12 + m - 1).astype("datetime64[M]")
    dates = month_start.astype("datetime64[D]") + (d - 1)
    back_month = dates.astype("datetime64[M]")
    possible = (
        complete
        & (back_month.astype("datetime64[Y]").astype(np.int64) + 1970 == y)
        & (back_month.astype(np.int64) % 12 + 1 == m)
        & ((dates - back_month).astype(np.int64) + 1 == d)
    )
    return np.where(possible, dates, np.datetime64("NaT", "D"))


def _ascii_digits(text: str) -> str:
    """Decimal digits of any script (Arabic-Indic, full-width: NFC keeps them) as 0-9."""
    return text if text.isascii() else "".join(str(unicodedata.decimal(c, c)) for c in text)


def _birth_columns(uniques: list[str], today: dt.date) -> dict[str, pa.Array]:
    text = pa.array([_ascii_digits(value.strip()) for value in uniques], type=pa.string())
    blank = pc.equal(text, "").to_numpy(zero_copy_only=False)
    fields, layout = _extract(text, [pattern for pattern, _ in _BIRTH_LAYOUTS])
    day_layouts = [i for i, (_, precision) in enumerate(_BIRTH_LAYOUTS) if precision == "day"]
    precision_day = np.isin(layout, day_layouts)
    year, month, day = fields["y"], fields["m"], fields["d"]
    # Swapped month/day: the month field cannot be a month but the day field can.
    swapped = (month > 12) & (day <= 12)
    month[swapped], day[swapped] = day[swapped], month[swapped]

    serial = ~np.isnan(fields["s"])
    if serial.any():
        days = pd.to_numeric(pd.Series(text.filter(serial).to_pylist(), dtype=object))
        serial_dates = _EXCEL_EPOCH + pd.to_timedelta(np.floor(days.to_numpy(float)), unit="D")
        year[serial] = serial_dates.year
        month[serial] = serial_dates.month
        day[serial] = serial_dates.day

    dates = _dates(year, month, day)
    has_day = precision_day & ~np.isnat(dates)
    in_range = (year >= MIN_BIRTH_YEAR) & (year <= today.year)
    month_ok = np.isnan(month) | ((month >= 1) & (month <= 12))
    valid = np.where(precision_day, has_day, month_ok) & in_range
    valid &= ~(has_day & (dates > np.datetime64(today, "D")))
    invalid = ~valid & ~blank

    def masked(values: Floats, keep: npt.NDArray[np.bool_], dtype: pa.DataType) -> pa.Array:
        present = keep & ~np.isnan(values)
        filled = np.where(present, values, 0).astype(np.int64)
        return pa.array(filled, mask=~present).cast(dtype)

    return {
        "birth_date": pa.array(dates, mask=~(valid & precision_day)).cast(pa.date32()),
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
    text = pd.Series([_ascii_digits(u) for u in uniques], dtype=object)
    text = text.str.normalize("NFC").str.strip().str.lower()
    for pattern, replacement in _PERIOD_WORDS:
        text = text.str.replace(pattern, replacement, regex=True)
    fields, _ = _extract(pa.array(text, type=pa.string()), _PERIOD_LAYOUTS)
    year, month, quarter = fields["y"], fields["m"], fields["q"]
    is_quarter = ~np.isnan(quarter)
    is_year = np.isnan(month) & ~is_quarter
    first = np.where(is_quarter, 3 * quarter - 2, np.where(is_year, 1, month))
    months = np.where(is_quarter, 3, np.where(is_year, 12, 1))
    low, high = PERIOD_YEARS
    ok = (year >= low) & (year <= high) & (first >= 1) & (first <= 12)
    ones = np.ones(len(text))
    start = _dates(np.where(ok, year, np.nan), first, ones)
    # Last day: the day before the first day of the following period.
    after = first + months
    following = _dates(
        np.where(ok, year + (after > 12), np.nan), np.where(after > 12, after - 12, after), ones
    )
    missing = np.isnat(start)
    precision = np.where(is_quarter, "quarter", np.where(is_year, "year", "month"))

    def days(dates: Days, shift: int = 0) -> pa.Array:
        return pa.array(dates - np.timedelta64(shift, "D"), mask=missing).cast(pa.date32())

    return {
        "period": days(start),
        "period_end": days(following, shift=1),
        "period_precision": pa.array(precision.astype(object), mask=missing),
    }


def periods(values: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Withholding periods with their precision: first day, last day, month/quarter/year.

    Accepted: months "2026-03", "03/2026", "3/2026", "T03/2026", "Tháng 3/2026", "202603",
    "2026-03-01" or "01/03/2026" (any day: the month is meant); quarters "Q1/2026",
    "Quý 1/2026", "I/2026", "2026-Q1"; years "2026" or "Năm 2026" (the annual
    finalization). Years outside 1990-2100 are invalid, and so is a period that starts
    after ``today`` (the run date): "2100" would make every worker over age. Eligibility
    judges age and the law in force on ``period_end``, the period's last day.

    Returns:
        Frame of ``period`` and ``period_end`` (Arrow date32) and ``period_precision``
        ("month" | "quarter" | "year"); null when missing or invalid.
    """
    return dated_periods(values, today=today)[0]


def dated_periods(
    values: pd.Series, *, today: dt.date | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
    """``periods``, and where a valid period was nulled for starting after ``today``."""
    frame = frame_from_unique(values, _period_columns)
    reference = pa.scalar(today or dt.date.today(), pa.date32())
    start = pa.array(frame["period"], type=pa.date32())
    future = pc.fill_null(pc.greater(start, reference), False).to_numpy(zero_copy_only=False)
    if future.any():
        frame = frame.mask(pd.Series(future, index=frame.index), axis=0)
    return frame, future


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
