"""A taxpayer's payroll rows share blank person fields and, when matched, one record."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from linkage.link.taxpayers import (
    claimed_elsewhere,
    record_owners,
    share_taxpayer_fields,
    sibling_links,
    taxpayer_codes,
)
from tests.helpers import payroll

CCCD = "001090012345"


def test_blank_fields_are_filled_from_agreeing_siblings() -> None:
    frame = payroll(
        {"person_tax_code": "8000000001", "national_id": CCCD, "birth_year": 1990},
        {"person_tax_code": "8000000001", "national_id": None, "birth_year": None},
        {"person_tax_code": None, "national_id": None},  # no taxpayer: nothing to share
    )
    shared = share_taxpayer_fields(frame)
    assert shared["national_id"].tolist()[:2] == [CCCD, CCCD]
    assert shared["birth_year"].tolist()[:2] == [1990, 1990]
    assert pd.isna(shared["national_id"].iloc[2])
    assert frame["national_id"].isna().sum() == 2  # the input is not changed


def test_conflicting_siblings_fill_nothing() -> None:
    frame = payroll(
        {"person_tax_code": "8000000001", "national_id": CCCD},
        {"person_tax_code": "8000000001", "national_id": "001090099999"},
        {"person_tax_code": "8000000001", "national_id": None},
    )
    assert pd.isna(share_taxpayer_fields(frame)["national_id"].iloc[2])


def test_year_only_birth_fills_a_row_without_birth() -> None:
    frame = payroll(
        {"person_tax_code": "8000000001", "birth_year": 1990, "birth_precision": "year"},
        {"person_tax_code": "8000000001", "birth_year": None, "birth_precision": None},
    )
    shared = share_taxpayer_fields(frame)
    assert shared["birth_year"].iloc[1] == 1990
    assert shared["birth_precision"].iloc[1] == "year"


def test_sibling_links_only_when_the_taxpayer_names_one_record() -> None:
    frame = payroll(
        {"person_tax_code": "A"},  # 0: matched to record 1
        {"person_tax_code": "A"},  # 1: unmatched sibling -> record 1
        {"person_tax_code": "B"},  # 2: matched to record 2
        {"person_tax_code": "B"},  # 3: matched to record 3: B names two records
        {"person_tax_code": "B"},  # 4: left alone
        {"person_tax_code": None, "period": dt.date(2025, 9, 1)},  # 5: no taxpayer
    )
    chosen = pd.DataFrame(
        {
            "payroll_pos": [0, 1, 2, 3],
            "insured_pos": [1, 9, 2, 3],
            "band": ["match", "review", "match", "match"],
        }
    )
    extra = sibling_links(taxpayer_codes(frame), chosen)
    assert extra.to_dict("list") == {"payroll_pos": [1], "insured_pos": [1]}


def test_a_record_owned_by_one_taxpayer_is_no_candidate_for_another() -> None:
    frame = payroll(
        {"person_tax_code": "A"},  # 0: matched to record 1, the heavier match: owner
        {"person_tax_code": "B"},  # 1: also matched to record 1: another person
        {"person_tax_code": None},  # 2: no tax code: never excluded this way
        {"person_tax_code": "A"},  # 3: the owner's own sibling
    )
    chosen = pd.DataFrame(
        {
            "payroll_pos": [0, 1],
            "insured_pos": [1, 1],
            "band": ["match", "match"],
            "match_weight": [20.0, 8.0],
        }
    )
    contenders = pd.DataFrame({"payroll_pos": [0, 1, 1, 2, 3], "insured_pos": [1, 1, 2, 1, 1]})
    owner = taxpayer_codes(frame)
    record_owner = record_owners(owner, chosen, insured_rows=3)
    assert record_owner.tolist() == [-1, owner[0], -1]
    assert claimed_elsewhere(owner, record_owner, contenders).tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]
