"""The one masking rule: what a masked ID shows, and what it leaves an attacker to guess."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.privacy import (
    SHOWN_CHARACTERS,
    mask_citizen_code,
    mask_citizen_codes,
    mask_id,
    mask_ids,
)

# A guess needs at least this many candidates per masked ID (the bar was one in a
# hundred before): 10^3, the six random digits of a CCCD less the three shown.
MIN_CANDIDATES = 10**3


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("075090008455", "*********455"),  # CCCD: the last three digits only
        ("001190012345", "*********345"),  # the README's example
        ("123456789", "******789"),  # 9-digit CMND: likewise
        ("07930500123X", "*********23X"),  # malformed key in a reject file: same rule
        ("1234567", "****567"),  # the shortest value that shows anything
        ("123456", "******"),  # shorter: three shown would be half of it
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_masked_forms(value: str | None, masked: str) -> None:
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("079305001234", "*********234"),  # an SI code that is a citizen ID (VSS, 2025)
        ("0112345678", "0112345678"),  # a 10-digit SI code is not personal: kept
        ("", ""),
    ],
)
def test_si_codes_masked_only_when_citizen_ids(code: str, shown: str) -> None:
    assert mask_citizen_code(code) == shown
    assert mask_citizen_codes(pd.Series([code], dtype="string")).iloc[0] == shown


@given(st.one_of(st.none(), st.text(alphabet="0123456789ab*", max_size=14)))
def test_vectorized_mask_matches_mask_id(value: str | None) -> None:
    masked = mask_ids(pd.Series([value], dtype="object")).iloc[0]
    assert (mask_id(value) if value is not None else "") == ("" if pd.isna(masked) else masked)


@given(st.text(alphabet="0123456789", max_size=20))
def test_at_most_three_characters_shown(value: str) -> None:
    masked = mask_id(value)
    assert len(masked) == len(value)
    assert sum(c != "*" for c in masked) <= SHOWN_CHARACTERS


def _cccd_digits(birth_year: int, female: bool) -> tuple[str, str]:
    """Digits 4-6 of a CCCD: century and sex, then the year's last two digits."""
    century = 2 * ((birth_year - 1900) // 100) + int(female)
    return str(century), f"{birth_year % 100:02d}"


def candidates_left(masked: str, province: str, birth_year: int, female: bool) -> int:
    """How many 12-digit CCCDs agree with a masked one, the row's birth year, sex, province."""
    century, year = _cccd_digits(birth_year, female)
    known = {0: province[0], 1: province[1], 2: province[2], 3: century, 4: year[0], 5: year[1]}
    known.update({i: c for i, c in enumerate(masked) if c != "*"})
    return math.prod(1 if i in known else 10 for i in range(12))


@given(
    province=st.integers(1, 96).map(lambda n: f"{n:03d}"),
    birth_year=st.integers(1940, 2010),
    female=st.booleans(),
    random_part=st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
)
def test_masked_cccd_beside_birth_year_sex_and_province_leaves_a_thousand(
    province: str, birth_year: int, female: bool, random_part: str
) -> None:
    century, year = _cccd_digits(birth_year, female)
    cccd = province + century + year + random_part
    masked = mask_id(cccd)
    shown = {i: c for i, c in enumerate(masked) if c != "*"}
    assert all(cccd[i] == c for i, c in shown.items())  # the true ID is among the candidates
    assert candidates_left(masked, province, birth_year, female) >= MIN_CANDIDATES


def test_old_mask_left_a_hundred() -> None:
    # 075*****8455 fixed the province and four random digits: 10^2 candidates.
    assert candidates_left("075*****8455", "075", 1990, female=False) == 100
