"""Numbers: VND amounts and contract months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.normalize import amounts, months, per_month
from linkage.normalize.numbers import INDEFINITE_MONTHS, parse_amount


def one(function: Callable[[pd.Series], pd.Series], raw: object) -> object:
    cell = function(pd.Series([raw], dtype=object)).iloc[0]
    return None if pd.isna(cell) else cell


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12000000", 12_000_000),  # plain
        ("12.000.000", 12_000_000),  # Vietnamese thousands dots
        ("12,000,000", 12_000_000),  # English thousands commas
        ("12 000 000", 12_000_000),  # spaces
        ("12\u00a0000\u00a0000", 12_000_000),  # non-breaking spaces
        ("12000000.0", 12_000_000),  # spreadsheet float
        ("12.000", 12_000),  # one dot group: thousands (VND has no decimals)
        ("12.000.000,50", 12_000_001),  # decimal comma, rounded half up
        ("12,000,000.49", 12_000_000),  # decimal point, rounded
        ("5.000.000 đ", 5_000_000),  # currency sign
        ("5,000,000 VND", 5_000_000),  # currency code
        ("12,5 triệu", 12_500_000),  # millions word
        ("12.5tr", 12_500_000),  # millions abbreviation
        ("15k", 15_000),  # thousands abbreviation
        ("0", 0),  # zero is a value
        ("-5000", None),  # negative: invalid
        ("(5000)", None),  # accounting negative
        ("1.234.56", None),  # broken grouping
        ("abc", None),  # text
        ("", None),  # blank
        (None, None),  # missing
    ],
)
def test_amounts(raw: str | None, expected: int | None) -> None:
    assert one(amounts, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),  # plain
        ("12.0", 12),  # spreadsheet float
        ("36 tháng", 36),  # with the unit
        ("12 tháng", 12),  # as HR exports write it
        ("12 THANG", 12),  # capitals, no accents
        ("12T", 12),  # abbreviated
        ("1 năm", 12),  # years
        ("1,5 năm", 18),  # a year and a half
        ("2 years", 24),  # English
        ("Không xác định thời hạn", INDEFINITE_MONTHS),  # indefinite term
        ("KHONG XAC DINH THOI HAN", INDEFINITE_MONTHS),  # ... without accents
        ("Dưới 1 tháng", 0),  # under a month
        ("Không có HĐLĐ", 0),  # no labour contract
        ("Không có hợp đồng", 0),  # ... spelled out
        ("0", 0),  # no labour contract
        ("1,3 năm", None),  # not a whole number of months
        ("Dưới 3 tháng", None),  # somewhere in 0-2 months: unknown, never guessed
        ("", None),  # blank
        ("-1", None),  # negative
        ("1.5", None),  # fractional
        ("5000", None),  # implausible
        ("abc", None),  # text
    ],
)
def test_months(raw: str, expected: int | None) -> None:
    assert one(months, raw) == expected


def test_dtypes() -> None:
    assert str(amounts(pd.Series(["1"])).dtype) == "int64[pyarrow]"
    assert str(months(pd.Series(["1"])).dtype) == "int16[pyarrow]"


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**12), st.sampled_from([".", ",", " "]))
def test_grouped_amounts_round_trip(value: int, separator: str) -> None:
    written = f"{value:,}".replace(",", separator)
    assert parse_amount(written) == value


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="0123456789.,- ktr", max_size=12)), max_size=20)
)
def test_vectorized_equals_reference_loop(values: list[str | None]) -> None:
    result = amounts(pd.Series(values, dtype=object))
    for row, value in enumerate(values):
        expected = None if value is None else parse_amount(value)
        cell = result.iloc[row]
        assert (None if pd.isna(cell) else cell) == expected


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    amounts(pd.Series([text]))
    months(pd.Series([text]))


@pytest.mark.parametrize(
    ("total", "start", "end", "monthly"),
    [
        (120_000_000, dt.date(2024, 1, 1), dt.date(2024, 12, 31), 10_000_000),  # a year
        (9_000_000, dt.date(2024, 1, 1), dt.date(2024, 3, 31), 3_000_000),  # a quarter
        (5_000_000, dt.date(2024, 7, 1), dt.date(2024, 7, 31), 5_000_000),  # a month
        (None, dt.date(2024, 1, 1), dt.date(2024, 12, 31), None),  # unknown amount
        (12_000_000, None, dt.date(2024, 12, 31), None),  # unknown period
    ],
)
def test_period_totals_per_month(
    total: int | None, start: dt.date | None, end: dt.date, monthly: int | None
) -> None:
    cell = per_month(pd.Series([total]), pd.Series([start]), pd.Series([end])).iloc[0]
    assert (None if pd.isna(cell) else cell) == monthly


@settings(max_examples=200)
@given(
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=1, max_value=24),
)
def test_per_month_times_months_gives_the_total_back(total: int, span: int) -> None:
    start = dt.date(2024, 1, 1)
    end_month = start.month + span - 1
    end = dt.date(2024 + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    monthly = per_month(pd.Series([total]), pd.Series([start]), pd.Series([end])).iloc[0]
    assert abs(monthly * span - total) <= span / 2


def test_plain_digits_at_the_range_edges_read_as_one_by_one() -> None:
    # the Arrow cast of plain digits against the scalar rule where int64 and MAX_AMOUNT bite
    values = ["999999999999999", "1000000000000000", "1000000000000001", "0" * 18 + "7", "0"]
    result = amounts(pd.Series(values, dtype=object))
    assert [None if pd.isna(v) else v for v in result] == [parse_amount(v) for v in values]
