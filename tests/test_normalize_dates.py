"""Dates: birth dates with precision and withholding periods."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.normalize import birth_dates, day_dates, periods
from linkage.schema import PERSON_FIELDS

TODAY = dt.date(2026, 6, 1)
D = dt.date


def parse(raw):
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
def test_birth_dates(raw, expected):
    assert parse(raw) == expected


def test_birth_dates_dtypes_follow_the_contract():
    frame = birth_dates(pd.Series(["03/05/1990", None]), today=TODAY)
    types = dict(PERSON_FIELDS)
    for column in frame.columns.drop("invalid"):
        assert frame[column].dtype == pd.ArrowDtype(types[column])
    assert frame["invalid"].dtype == bool


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=D(1900, 1, 1), max_value=TODAY), st.sampled_from(["/", "-", "."]))
def test_written_dates_round_trip(date, separator):
    written = f"{date.day:02d}{separator}{date.month:02d}{separator}{date.year}"
    assert parse(written)[0] == date
    assert parse(date.isoformat())[0] == date


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789/-. ", max_size=12)), max_size=20))
def test_vectorized_equals_reference_loop(values):
    frame = birth_dates(pd.Series(values, dtype=object), today=TODAY)
    for row, value in enumerate(values):
        assert tuple(None if pd.isna(v) else v for v in frame.iloc[row]) == parse(value)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    series = pd.Series([text], dtype=object)
    birth_dates(series, today=TODAY)
    periods(series)


def test_day_dates_keeps_day_precision_only():
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
def test_periods(raw, expected):
    result = periods(pd.Series([raw], dtype=object))
    assert str(result["period"].dtype) == "date32[day][pyarrow]"
    cells = tuple(result.iloc[0])
    got = None if pd.isna(cells[0]) else cells
    assert got == expected
    if got is None:
        assert result.iloc[0].isna().all()


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_period_contains_its_month(day):
    """Every month written three ways gives one period that starts and ends around it."""
    texts = [f"{day.month:02d}/{day.year}", f"{day.year}-{day.month:02d}", day.isoformat()]
    result = periods(pd.Series(texts, dtype=object))
    assert result["period"].nunique() == 1
    assert result["period"].iloc[0] <= day <= result["period_end"].iloc[0]
