"""Identifiers: CCCD / CMND, enterprise and personal tax codes, SI codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.vn import mst
from vietnam_provinces import legacy

from linkage.normalize import (
    employer_root,
    national_ids,
    person_tax_codes,
    si_codes,
    tax_codes,
)
from linkage.normalize.ids import PROVINCE_CODES, _mst_ok
from linkage.schema import PERSON_FIELDS

TODAY = dt.date(2026, 6, 1)


def one(function: Callable[..., pd.Series], value: object, **kwargs: Any) -> object:
    result = function(pd.Series([value], dtype=object), **kwargs)
    cell = result.iloc[0]
    return None if pd.isna(cell) else cell


def ids_row(value: object) -> tuple[object, ...]:
    row = national_ids(pd.Series([value], dtype=object), today=TODAY).iloc[0]
    return tuple(None if pd.isna(v) else v for v in row)


def test_province_codes_match_the_legacy_package() -> None:
    assert {f"{p.code:02d}" for p in legacy.Province.iter_all()} == PROVINCE_CODES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001090012345", ("001090012345", "cccd", 1990, "M")),  # Hà Nội, male, 1990
        ("079305001234", ("079305001234", "cccd", 2005, "F")),  # HCM, female, 2005
        ("001 090 012 345", ("001090012345", "cccd", 1990, "M")),  # spaces
        ("001.090.012.345", ("001090012345", "cccd", 1990, "M")),  # dots
        ("'001090012345", ("001090012345", "cccd", 1990, "M")),  # Excel text apostrophe
        ("79305001234", ("079305001234", "cccd", 2005, "F")),  # 11 digits: Excel lost zero
        ("79305001234.0", ("079305001234", "cccd", 2005, "F")),  # Excel float rendering
        ("7.9305001234E+10", ("079305001234", "cccd", 2005, "F")),  # Excel scientific
        ("1.00981E+11", (None, None, None, None)),  # scientific, digits lost: never guessed
        ("1090012345", ("001090012345", "cccd", 1990, "M")),  # Hà Nội 001 as a number
        ("1090012345.0", ("001090012345", "cccd", 1990, "M")),  # ... rendered as a float
        ("\u00a0001 090\u00a0012345 ", ("001090012345", "cccd", 1990, "M")),  # NBSP
        ("001090\u200b012345", ("001090012345", "cccd", 1990, "M")),  # zero-width space
        ("\ufeff001090012345", ("001090012345", "cccd", 1990, "M")),  # BOM on the value
        ("001\u202f090\u202f012345", ("001090012345", "cccd", 1990, "M")),  # narrow NBSP
        ("003090012345", (None, None, None, None)),  # 003 is not a province
        ("001490012345", (None, None, None, None)),  # d4=4: born 2190, future
        ("001227012345", (None, None, None, None)),  # d4=2, year 2027: future
        ("99305001234", (None, None, None, None)),  # 11 digits, padded prefix 099 invalid
        ("123456789", ("123456789", "cmnd", None, None)),  # CMND
        ("12345678", ("012345678", "cmnd", None, None)),  # CMND that lost its zero
        ("02345678", (None, None, None, None)),  # 8 digits starting 0: not a lost zero
        ("000000000", (None, None, None, None)),  # placeholder
        ("12345", (None, None, None, None)),  # too short
        ("0010900123A5", (None, None, None, None)),  # letter
        ("", (None, None, None, None)),  # blank
        (None, (None, None, None, None)),  # missing
    ],
)
def test_national_ids(
    raw: str | None, expected: tuple[str | None, str | None, int | None, str | None]
) -> None:
    assert ids_row(raw) == expected


def test_national_ids_dtypes_follow_the_contract() -> None:
    frame = national_ids(pd.Series(["001090012345", None]), today=TODAY)
    types = dict(PERSON_FIELDS)
    for column in frame.columns:
        assert frame[column].dtype == pd.ArrowDtype(types[column])


@settings(max_examples=200, deadline=None)
@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    century_sex=st.integers(0, 3),
    year=st.integers(0, 99),
    serial=st.integers(0, 999_999),
)
def test_cccd_round_trips_birth_year_and_sex(
    province: str, century_sex: int, year: int, serial: int
) -> None:
    birth_year = 1900 + 100 * (century_sex // 2) + year
    number = f"0{province}{century_sex}{year:02d}{serial:06d}"
    row = ids_row(number)
    if birth_year > TODAY.year:
        assert row == (None, None, None, None)
    else:
        assert row == (number, "cccd", birth_year, "F" if century_sex % 2 else "M")
    if number.startswith("0") and birth_year <= TODAY.year:
        assert ids_row(number[1:])[0] == number  # the Excel-dropped zero comes back


def valid_mst(prefix: int) -> str:
    base = f"{prefix:09d}"
    return base + mst.calc_check_digit(base)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0100233488", "0100233488"),  # valid check digit
        ("0100233489", None),  # wrong check digit
        ("01 002 334 88", "0100233488"),  # spaces
        ("01.00.233.488", "0100233488"),  # dots
        ("0100233488-001", "0100233488001"),  # branch suffix
        ("0100233488-000", None),  # branch 000 does not exist
        ("0100233488001", "0100233488001"),  # compact branch
        ("100233488", "0100233488"),  # Excel dropped the zero
        ("100233489", None),  # padded but still invalid
        ("'0100233488", "0100233488"),  # Excel text apostrophe
        ("0314409058-002", "0314409058002"),  # stdnum's own example
        ("001090012345", "001090012345"),  # household business under the owner's CCCD
        ("79305001234", "079305001234"),  # that CCCD after Excel dropped its zero
        ("100233488001", "0100233488001"),  # 12 digits without a leading 0: a branch
        ("0100233488\u00a0", "0100233488"),  # trailing NBSP
        ("abc", None),  # garbage
        (None, None),  # missing
    ],
)
def test_tax_codes(raw: str | None, expected: str | None) -> None:
    assert one(tax_codes, raw, today=TODAY) == expected


def test_employer_root_folds_branches() -> None:
    raw = pd.Series(["0100233488-001", "0100233488", "001090012345", "bad", None])
    roots = employer_root(tax_codes(raw, today=TODAY))
    assert roots.tolist()[:3] == ["0100233488", "0100233488", "001090012345"]
    assert roots.isna().tolist()[3:] == [True, True]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0100233488", "0100233488"),  # 10-digit MST
        ("100233488", "0100233488"),  # 9 digits, zero restored
        ("0100233489", None),  # bad check digit
        ("001090012345", "001090012345"),  # citizen ID as tax code (from 1 Jul 2025)
        ("1090012345", "001090012345"),  # not an MST: a Hà Nội CCCD that lost "00"
        ("01090012345", "001090012345"),  # 11-digit CCCD, zero restored
        ("0100233488-001", None),  # branch codes are not personal
        ("", None),  # blank
    ],
)
def test_person_tax_codes(raw: str, expected: str | None) -> None:
    assert one(person_tax_codes, raw, today=TODAY) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**13 - 1), st.sampled_from([9, 10, 12, 13]))
def test_integer_mst_rule_equals_stdnum(number: int, length: int) -> None:
    text = f"{number:0{length}d}"[-length:]
    expected = mst.is_valid(text)
    assert bool(_mst_ok(np.array([int(text)]), np.array([len(text)]))[0]) == expected


def enterprise_code_by_stdnum(digits: str) -> str | None:
    """The scalar rule ``tax_codes`` applies to a digit string that is no household CCCD."""
    if len(digits) in (9, 12) and mst.is_valid("0" + digits):
        return "0" + digits
    return digits if len(digits) in (10, 13) and mst.is_valid(digits) else None


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, 10**9 - 1),
    st.integers(0, 999),
    st.booleans(),
    st.sampled_from([9, 10, 12, 13]),
)
def test_tax_codes_agree_with_stdnum(base: int, branch: int, checked: bool, length: int) -> None:
    digits = f"{base:09d}"
    code = digits + (mst.calc_check_digit(digits)[-1] if checked else str(base % 10))
    code += f"{branch:03d}" if length >= 12 else ""
    text = code[1:] if length in (9, 12) else code  # Excel dropped a leading digit
    kind = one(lambda v, today: national_ids(v, today=today)["national_id_kind"], text, today=TODAY)
    assume(not (kind == "cccd" and len(text) in (11, 12)))  # household CCCDs: the table
    assert one(tax_codes, text, today=TODAY) == enterprise_code_by_stdnum(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**9 - 1))
def test_person_tax_code_agrees_with_stdnum(prefix: int) -> None:
    code = valid_mst(prefix)
    assume(mst.is_valid(code))  # a check value of 10 has no digit: no such code
    assert one(person_tax_codes, code, today=TODAY) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7912345678", "7912345678"),  # 10 digits
        ("0123456789", "0123456789"),  # leading zero kept
        ("123456789", "0123456789"),  # 9 digits, "01" is a province: zero restored
        ("312345678", None),  # 9 digits, "03" is no province: not a lost zero
        ("0000000000", None),  # placeholder
        ("079305001234", "079305001234"),  # citizen ID as SI code (VSS, Aug 2025)
        ("79305001234", "079305001234"),  # same, Excel lost the zero
        ("099305001234", None),  # 12 digits but not a CCCD
        ("79 1234 5678", "7912345678"),  # spaces
        ("12345", None),  # too short
    ],
)
def test_si_codes(raw: str, expected: str | None) -> None:
    assert one(si_codes, raw, today=TODAY) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 .-'", max_size=14)), max_size=20))
def test_vectorized_ids_equal_a_reference_loop(values: list[str | None]) -> None:
    frame = national_ids(pd.Series(values, dtype=object), today=TODAY)
    for row, value in enumerate(values):
        expected = ids_row(value)
        actual = tuple(None if pd.isna(v) else v for v in frame.iloc[row])
        assert actual == expected


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    series = pd.Series([text], dtype=object)
    national_ids(series, today=TODAY)
    tax_codes(series)
    person_tax_codes(series, today=TODAY)
    si_codes(series, today=TODAY)
