"""Dates: birth dates with precision and withholding periods."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage._vector import frame_from_unique
from linkage.normalize import birth_dates, day_dates, periods
from linkage.normalize.dates import _dates, _extract, dated_periods
from linkage.schema import PERSON_FIELDS

TODAY = dt.date(2026, 6, 1)
D = dt.date
LAST_DAY = D(2100, 12, 31)  # a run date after every valid period: parsing alone is tested


def parse(raw: object) -> tuple[object, ...]:
    row = birth_dates(pd.Series([raw], dtype=object), today=TODAY).iloc[0]
    return tuple(None if pd.isna(v) else v for v in row)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/05/1990", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # dd/mm/yyyy
        ("3/5/1990", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # d/m/yyyy
        ("03-05-1990", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # dd-mm-yyyy
        ("03.05.1990", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # dd.mm.yyyy
        ("1990-05-03", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # ISO
        ("1990/05/03", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # yyyy/mm/dd
        ("19900503", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # yyyymmdd
        ("1990-05-03 00:00:00", (D(1990, 5, 3), 1990, 5, 3, "day", False)),  # with time
        ("33000", (D(1990, 5, 7), 1990, 5, 7, "day", False)),  # Excel serial
        ("33000.0", (D(1990, 5, 7), 1990, 5, 7, "day", False)),  # Excel serial as float
        ("01/01/1985", (D(1985, 1, 1), 1985, 1, 1, "day", False)),  # placeholder: still a day
        ("05/25/1990", (D(1990, 5, 25), 1990, 5, 25, "day", False)),  # swapped month/day
        ("12/05/1990", (D(1990, 5, 12), 1990, 5, 12, "day", False)),  # ambiguous: day first
        ("1990", (None, 1990, None, None, "year", False)),  # year only
        ("05/1990", (None, 1990, 5, None, "year", False)),  # month and year
        ("31/02/1990", (None, None, None, None, None, True)),  # impossible date
        ("13/13/1990", (None, None, None, None, None, True)),  # month 13 both ways
        ("13/1990", (None, None, None, None, None, True)),  # month 13
        ("1899", (None, None, None, None, None, True)),  # before 1900
        ("2027", (None, None, None, None, None, True)),  # future year
        ("02/06/2026", (None, None, None, None, None, True)),  # future day
        ("03/05/90", (None, None, None, None, None, True)),  # two-digit year refused
        ("unknown", (None, None, None, None, None, True)),  # text
        ("  ", (None, None, None, None, None, False)),  # blank is missing, not invalid
        (None, (None, None, None, None, None, False)),  # missing
    ],
)
def test_birth_dates(
    raw: str | None, expected: tuple[bool | dt.date | int | str | None, ...]
) -> None:
    assert parse(raw) == expected


def test_birth_dates_dtypes_follow_the_contract() -> None:
    frame = birth_dates(pd.Series(["03/05/1990", None]), today=TODAY)
    types = dict(PERSON_FIELDS)
    for column in frame.columns.drop("invalid"):
        assert frame[column].dtype == pd.ArrowDtype(types[column])
    assert frame["invalid"].dtype == bool


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=D(1900, 1, 1), max_value=TODAY), st.sampled_from(["/", "-", "."]))
def test_written_dates_round_trip(date: dt.date, separator: str) -> None:
    written = f"{date.day:02d}{separator}{date.month:02d}{separator}{date.year}"
    assert parse(written)[0] == date
    assert parse(date.isoformat())[0] == date


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789/-. ", max_size=12)), max_size=20))
def test_vectorized_equals_reference_loop(values: list[str | None]) -> None:
    frame = birth_dates(pd.Series(values, dtype=object), today=TODAY)
    for row, value in enumerate(values):
        assert tuple(None if pd.isna(v) else v for v in frame.iloc[row]) == parse(value)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    series = pd.Series([text], dtype=object)
    birth_dates(series, today=TODAY)
    periods(series)


def test_day_dates_keeps_day_precision_only() -> None:
    result = day_dates(pd.Series(["03/05/2020", "2020", "x"]), today=TODAY)
    assert result.iloc[0] == D(2020, 5, 3)
    assert result.iloc[1:].isna().all()


M, Q, Y = "month", "quarter", "year"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03", (D(2026, 3, 1), D(2026, 3, 31), M)),  # yyyy-mm
        ("03/2026", (D(2026, 3, 1), D(2026, 3, 31), M)),  # mm/yyyy
        ("3/2026", (D(2026, 3, 1), D(2026, 3, 31), M)),  # m/yyyy
        ("T3/2026", (D(2026, 3, 1), D(2026, 3, 31), M)),  # "T" for tháng
        ("T01/2024", (D(2024, 1, 1), D(2024, 1, 31), M)),  # zero-padded
        ("Tháng 03/2026", (D(2026, 3, 1), D(2026, 3, 31), M)),  # spelled out
        ("Tháng 2/2024", (D(2024, 2, 1), D(2024, 2, 29), M)),  # leap February ends on the 29th
        ("THANG 12/2024", (D(2024, 12, 1), D(2024, 12, 31), M)),  # capitals, no accents
        ("2026-03-01", (D(2026, 3, 1), D(2026, 3, 31), M)),  # a full date
        ("2026-03-15 00:00:00", (D(2026, 3, 1), D(2026, 3, 31), M)),  # any day, with time
        ("15/03/2026", (D(2026, 3, 1), D(2026, 3, 31), M)),  # day-first full date
        ("202603", (D(2026, 3, 1), D(2026, 3, 31), M)),  # yyyymm
        ("Q1/2026", (D(2026, 1, 1), D(2026, 3, 31), Q)),  # quarterly return
        ("q3-2025", (D(2025, 7, 1), D(2025, 9, 30), Q)),  # lower case quarter
        ("2026-Q2", (D(2026, 4, 1), D(2026, 6, 30), Q)),  # year first quarter
        ("Quý 1/2024", (D(2024, 1, 1), D(2024, 3, 31), Q)),  # spelled out
        ("Quy 4/2024", (D(2024, 10, 1), D(2024, 12, 31), Q)),  # no accents
        ("I/2024", (D(2024, 1, 1), D(2024, 3, 31), Q)),  # roman quarter
        ("IV/2024", (D(2024, 10, 1), D(2024, 12, 31), Q)),  # last roman quarter
        ("2024", (D(2024, 1, 1), D(2024, 12, 31), Y)),  # annual finalization
        ("Năm 2024", (D(2024, 1, 1), D(2024, 12, 31), Y)),  # spelled out
        (" 2024 ", (D(2024, 1, 1), D(2024, 12, 31), Y)),  # padded
        ("13/2026", None),  # month 13
        ("Q5/2026", None),  # no fifth quarter
        ("V/2026", None),  # no fifth roman quarter
        ("03/1850", None),  # out of range
        ("1850", None),  # year out of range
        ("march", None),  # text
        ("", None),  # blank
    ],
)
def test_periods(raw: str, expected: tuple[dt.date, dt.date, str] | None) -> None:
    result = periods(pd.Series([raw], dtype=object))
    assert str(result["period"].dtype) == "date32[day][pyarrow]"
    cells = tuple(result.iloc[0])
    got = None if pd.isna(cells[0]) else cells
    assert got == expected
    if got is None:
        assert result.iloc[0].isna().all()


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_period_contains_its_month(day: dt.date) -> None:
    """Every month written three ways gives one period that starts and ends around it."""
    texts = [f"{day.month:02d}/{day.year}", f"{day.year}-{day.month:02d}", day.isoformat()]
    result = periods(pd.Series(texts, dtype=object), today=LAST_DAY)
    assert result["period"].nunique() == 1
    assert result["period"].iloc[0] <= day <= result["period_end"].iloc[0]


# The pandas-based parser these functions replaced (per-value Python regex, ISO strings,
# to_datetime), kept verbatim as the reference the Arrow/numpy version must equal.
_OLD_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_OLD_BIRTH_LAYOUTS = (
    (rf"(\d{{1,2}})[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_OLD_TIME}", "dmy", "day"),
    (rf"(\d{{4}})[/.\-](\d{{1,2}})[/.\-](\d{{1,2}}){_OLD_TIME}", "ymd", "day"),
    (r"(\d{4})(\d{2})(\d{2})", "ymd", "day"),
    (r"(\d{1,2})[/.\-](\d{4})", "my", "year"),
    (r"(\d{4})", "y", "year"),
)
_OLD_PERIOD_LAYOUTS = (
    (r"(\d{4})[/.\-](\d{1,2})", "ym"),
    (r"t?(\d{1,2})\s*[/.\-]\s*(\d{4})", "my"),
    (r"(\d{4})(\d{2})", "ym"),
    (rf"(\d{{4}})[/.\-](\d{{1,2}})[/.\-]\d{{1,2}}{_OLD_TIME}", "ym"),
    (rf"\d{{1,2}}[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_OLD_TIME}", "my"),
    (r"q\s*([1-4])\s*[/.\-]?\s*(\d{4})", "qy"),
    (r"(\d{4})\s*[/.\-]?\s*q\s*([1-4])", "yq"),
    (r"(iv|i{1,3})\s*[/.\-]\s*(\d{4})", "ry"),
    (r"(?:n|nam)?\s*(\d{4})", "y"),
)
_OLD_PERIOD_WORDS = (
    (r"^(?:kỳ|ky)\s*", ""),
    (r"^(?:quý|quy)\s*", "q"),
    (r"^(?:tháng|thang|th)\s*", "t"),
    (r"^năm\s*", "n"),
)


def _old_extract(
    text: pd.Series, layouts: Iterable[tuple[str, str]]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    fields = {name: np.full(len(text), np.nan) for name in "ymdq"}
    layout = np.full(len(text), -1, dtype=np.int64)
    for position, (pattern, order) in enumerate(layouts):
        parts = text.str.extract(f"^{pattern}$", expand=True)
        hit = parts[0].notna().to_numpy() & (layout < 0)
        if not hit.any():
            continue
        for column, name in enumerate(order):
            found = parts.loc[hit, column]
            if name == "r":
                name, found = "q", found.map({"i": 1, "ii": 2, "iii": 3, "iv": 4})
            fields[name][hit] = pd.to_numeric(found).to_numpy(dtype=float)
        layout[hit] = position
    return fields, layout


def _old_iso_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> pd.Series:
    complete = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    iso = pd.Series(pd.NA, index=range(len(year)), dtype=object)
    if complete.any():
        y, m, d = (a[complete].astype(np.int64) for a in (year, month, day))
        iso[complete] = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d, strict=True)]
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


def _old_birth_columns(uniques: list[str], today: dt.date) -> dict[str, pa.Array]:
    text = pd.Series(uniques, dtype=object).str.strip()
    blank = (text == "").to_numpy()
    fields, layout = _old_extract(text, tuple((p, o) for p, o, _ in _OLD_BIRTH_LAYOUTS))
    precision_day = np.isin(layout, [0, 1, 2])
    matched = layout >= 0
    year, month, day = fields["y"], fields["m"], fields["d"]
    swapped = (month > 12) & (day <= 12)
    month[swapped], day[swapped] = day[swapped], month[swapped]
    serial = text.str.fullmatch(r"(\d{5})(?:\.\d+)?").to_numpy(dtype=bool) & ~matched
    if serial.any():
        days = pd.to_numeric(text[serial]).to_numpy(dtype=float)
        serial_dates = pd.Timestamp("1899-12-30") + pd.to_timedelta(np.floor(days), unit="D")
        year[serial] = serial_dates.year
        month[serial] = serial_dates.month
        day[serial] = serial_dates.day
        precision_day |= serial
    stamps = _old_iso_dates(year, month, day)
    has_day = precision_day & stamps.notna().to_numpy()
    in_range = (year >= 1900) & (year <= today.year)
    month_ok = np.isnan(month) | ((month >= 1) & (month <= 12))
    valid = np.where(precision_day, has_day, month_ok) & in_range
    valid &= ~(has_day & np.asarray(stamps > pd.Timestamp(today), dtype=bool))

    def masked(values: np.ndarray, keep: np.ndarray, dtype: pa.DataType) -> pa.Array:
        present = keep & ~np.isnan(values)
        return pa.array(np.where(present, values, 0).astype(np.int64), mask=~present).cast(dtype)

    date_values = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return {
        "birth_date": pa.array(date_values, mask=~(valid & precision_day)).cast(pa.date32()),
        "birth_year": masked(year, valid, pa.int16()),
        "birth_month": masked(month, valid, pa.int8()),
        "birth_day": masked(day, valid & precision_day, pa.int8()),
        "birth_precision": pa.array(
            np.where(precision_day, "day", "year").astype(object), mask=~valid
        ),
        "invalid": pa.array(~valid & ~blank),
    }


def _old_birth_dates(values: pd.Series, today: dt.date) -> pd.DataFrame:
    frame = frame_from_unique(values, lambda uniques: _old_birth_columns(uniques, today))
    frame["invalid"] = frame["invalid"].fillna(False).to_numpy(dtype=bool)
    return frame


def _old_period_columns(uniques: list[str]) -> dict[str, pa.Array]:
    text = pd.Series(uniques, dtype=object).str.normalize("NFC").str.strip().str.lower()
    for pattern, replacement in _OLD_PERIOD_WORDS:
        text = text.str.replace(pattern, replacement, regex=True)
    fields, _ = _old_extract(text, _OLD_PERIOD_LAYOUTS)
    year, month, quarter = fields["y"], fields["m"], fields["q"]
    is_quarter = ~np.isnan(quarter)
    is_year = np.isnan(month) & ~is_quarter
    first = np.where(is_quarter, 3 * quarter - 2, np.where(is_year, 1, month))
    months = np.where(is_quarter, 3, np.where(is_year, 12, 1))
    ok = (year >= 1990) & (year <= 2100) & (first >= 1) & (first <= 12)
    ones = np.ones(len(text))
    start = _old_iso_dates(np.where(ok, year, np.nan), first, ones)
    after = first + months
    following = _old_iso_dates(
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


def _old_periods(values: pd.Series) -> pd.DataFrame:
    return frame_from_unique(values, _old_period_columns)


type Outcome = pd.DataFrame | type[ValueError]


def _outcome(parse: Callable[[pd.Series], pd.DataFrame], values: list[str | None]) -> Outcome:
    """The frame, or the exception class: a value the old parser raised on must still raise."""
    try:
        return parse(pd.Series(values, dtype=object))
    except ValueError as error:
        return type(error)


def _assert_same(new: Outcome, old: Outcome) -> None:
    if isinstance(old, type):
        assert new is old
    else:
        assert isinstance(new, pd.DataFrame), new
        pd.testing.assert_frame_equal(new, old)


_PADDING = st.sampled_from(["", "", " ", "  ", "\t", "\xa0", "\u3000"])
_SEPARATORS = st.sampled_from(["/", "-", "."])
_TIMES = st.sampled_from(["", "", " 00:00:00", "T12:30", " 1:02:03.25", " 7:5", "  00:00"])
_BIRTH_YEARS = st.one_of(
    st.sampled_from([0, 1, 1677, 1850, 1899, 1900, 1990, 2024, 2026, 2027, 2262, 2263, 9999]),
    st.integers(1890, 2030),
)


def _number(draw: st.DrawFn, value: int) -> str:
    """A month or day written zero-padded or not."""
    return f"{value:02d}" if draw(st.booleans()) else str(value)


@st.composite
def birth_texts(draw: st.DrawFn) -> str:
    """Birth dates in every accepted layout, possible or not, padded with whitespace."""
    year, month, day = draw(_BIRTH_YEARS), draw(st.integers(0, 14)), draw(st.integers(0, 35))
    sep, time, yyyy = draw(_SEPARATORS), draw(_TIMES), f"{year:04d}"
    mm, dd = _number(draw, month), _number(draw, day)
    serial = draw(st.integers(1, 99999))
    decimals = draw(st.sampled_from(["", ".0", ".5", ".25", ".9999999999999999999"]))
    layouts = [
        f"{dd}{sep}{mm}{sep}{yyyy}{time}",  # day first (31/02, month 13, day 0 included)
        f"{mm}{sep}{dd}{sep}{yyyy}",  # month first: a swap when the day is above 12
        f"{yyyy}{sep}{mm}{sep}{dd}{time}",  # year first
        f"{yyyy}{month:02d}{day:02d}",  # yyyymmdd
        f"{mm}{sep}{yyyy}",  # month and year
        yyyy,  # year
        f"{serial}{decimals}",  # Excel serial (five digits) or a number that is not one
        f"{dd}{sep}{mm}{sep}{year % 100:02d}",  # two-digit year
        f"{dd}{sep}{mm}{sep}{yyyy}x",  # trailing garbage
    ]
    return draw(_PADDING) + draw(st.sampled_from(layouts)) + draw(_PADDING)


_PERIOD_YEARS = st.one_of(
    st.sampled_from([1850, 1989, 1990, 2026, 2100, 2101, 9999]), st.integers(1985, 2105)
)


@st.composite
def period_texts(draw: st.DrawFn) -> str:
    """Periods in every layout and word form, with cases, accents decomposed or not."""
    year, month, quarter = draw(_PERIOD_YEARS), draw(st.integers(0, 14)), draw(st.integers(0, 5))
    day, time, mm = draw(st.integers(0, 35)), draw(_TIMES), _number(draw, month)
    sep = draw(st.sampled_from(["/", "-", ".", " / ", " - ", "", "\u2009/\xa0"]))
    month_word = draw(st.sampled_from(["", "T", "t", "T ", "Tháng ", "THANG ", "th", "Kỳ T"]))
    quarter_word = draw(st.sampled_from(["Q", "q", "Q ", "Quý ", "QUY ", "quý\xa0", "Kỳ Q"]))
    roman = draw(st.sampled_from(["I", "II", "III", "IV", "V", "iii", "IIII"]))
    year_word = draw(st.sampled_from(["", "Năm ", "năm", "NAM ", "N", "Kỳ ", "ky "]))
    layouts = [
        f"{year}{sep}{mm}",  # 2026-03
        f"{month_word}{mm}{sep}{year}",  # T03/2026, Tháng 3/2026, 03/2026
        f"{year}{month:02d}",  # 202603
        f"{year}-{mm}-{day:02d}{time}",  # 2026-03-01, any day
        f"{day:02d}/{mm}/{year}{time}",  # 01/03/2026
        f"{quarter_word}{quarter}{sep}{year}",  # Q1/2026, Quý 1/2026
        f"{year}{sep}Q{quarter}",  # 2026-Q1
        f"{roman}{sep}{year}",  # I/2026 .. IV/2026
        f"{year_word}{year}",  # 2026, Năm 2026
    ]
    text = draw(_PADDING) + draw(st.sampled_from(layouts)) + draw(_PADDING)
    forms: list[Literal["NFC", "NFD"]] = ["NFC", "NFC", "NFD"]
    return unicodedata.normalize(draw(st.sampled_from(forms)), text)


_ODD_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "\t", "unknown", "31/02/1990", "29/02/2000", "29/02/1900"]),
    st.text(max_size=12),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(birth_texts(), _ODD_VALUES), max_size=30))
def test_birth_dates_equal_the_pandas_reference(values: list[str | None]) -> None:
    new = _outcome(lambda series: birth_dates(series, today=TODAY), values)
    _assert_same(new, _outcome(lambda series: _old_birth_dates(series, TODAY), values))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(period_texts(), _ODD_VALUES), max_size=30))
def test_periods_equal_the_pandas_reference(values: list[str | None]) -> None:
    new = _outcome(lambda series: periods(series, today=LAST_DAY), values)
    _assert_same(new, _outcome(_old_periods, values))


# Arabic-Indic and full-width digits, which Python's \d matches and RE2's does not.
_FOREIGN_DIGITS = st.sampled_from(
    [
        str.maketrans("0123456789", "".join(chr(zero + i) for i in range(10)))
        for zero in (0x660, 0xFF10)
    ]
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.one_of(birth_texts(), period_texts()), _FOREIGN_DIGITS, st.booleans())
def test_digits_of_any_script_read_as_ascii_digits(
    text: str, digits: dict[int, int], whole: bool
) -> None:
    """Arabic-Indic or full-width digits (NFC keeps them) read as the ASCII ones, never raise."""
    written = text.translate(digits) if whole else text[:-1] + text[-1:].translate(digits)
    for parse in (periods, lambda series: birth_dates(series, today=TODAY)):
        got, expected = (parse(pd.Series([t, "03/05/1990"], dtype=object)) for t in (written, text))
        pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.integers(1678, 2261), st.integers(-1, 14), st.integers(-1, 35)),
        min_size=1,
        max_size=20,
    )
)
def test_dates_agree_with_to_datetime_on_iso_strings(triples: list[tuple[int, int, int]]) -> None:
    """31/02, month 13 and day 0 are NaT as to_datetime made them (-1 stands for missing)."""
    parts = np.array(triples, dtype=float)
    parts[parts < 0] = np.nan
    year, month, day = parts.T
    expected = _old_iso_dates(year, month, day).to_numpy(dtype="datetime64[ns]")
    np.testing.assert_array_equal(_dates(year, month, day), expected.astype("datetime64[D]"))


# The accepted layouts never overlap, so the properties above cannot see their order.
_OVERLAPPING = (r"(?P<y>\d{4})\s*", r"(?P<m>\d{2})(?P<d>\d{2})\s*", r"(?P<d>\d)\s*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990", (0, 1990, None, None)),  # the first two fit: the first wins (Arrow's RE2)
        ("1990\xa0", (0, 1990, None, None)),  # the same on Python's path (a no-break space)
        ("7 ", (2, None, None, 7)),  # only the last fits
        ("7\u3000", (2, None, None, 7)),  # the same on Python's path
        ("x", (-1, None, None, None)),  # none fits
    ],
)
def test_first_matching_layout_wins(
    text: str, expected: tuple[int, int | None, None, int | None]
) -> None:
    fields, layout = _extract(pa.array([text, "0101"]), _OVERLAPPING)
    values = (fields["y"][0], fields["m"][0], fields["d"][0])
    assert (int(layout[0]), *(None if np.isnan(v) else v for v in values)) == expected
    assert layout[1] == 0


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        ("2100", None),  # the fuzzed annual period: every worker would be over age
        ("2027-01", None),  # a month after the run date
        ("Q1/2027", None),  # a quarter that has not begun
        ("12/2026", D(2026, 12, 1)),  # the run's own month
        ("Q4/2026", D(2026, 10, 1)),  # the quarter in progress
        ("Năm 2026", D(2026, 1, 1)),  # the year in progress
    ],
)
def test_periods_after_the_run_date_are_invalid(raw: str, start: dt.date | None) -> None:
    run_date = D(2026, 12, 7)
    frame, future = dated_periods(pd.Series([raw], dtype=object), today=run_date)
    got = frame["period"].iloc[0]
    assert (None if pd.isna(got) else got) == start
    assert bool(future[0]) is (start is None)
