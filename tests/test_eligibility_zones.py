"""Minimum-wage zones: the annex in force at each period, for workplaces of either scheme."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from linkage.eligibility import load_rules
from linkage.eligibility.parameters import zones_of
from linkage.eligibility.zones import highest, lowest
from linkage.errors import ConfigError
from tests.helpers import RULES_PATH, edited_rules, rules

RULES = rules()
PRE, NEW = "pre-2025", "2025-07"


def _zone(
    period: dt.date, scheme: str, province: str, district: str | None, ward: str | None
) -> object:
    units = pd.DataFrame(
        {
            "unit_scheme": [scheme],
            "province_code": [province],
            "district_code": [district],
            "ward_code": [ward],
        }
    )
    return zones_of(RULES, pd.Series([pd.Timestamp(period)]), units)[0]


@pytest.mark.parametrize(
    ("period", "scheme", "province", "district", "ward", "zone"),
    [
        # Vinh: zone III under Decree 90/2019, II from Decree 38/2022
        (dt.date(2021, 5, 31), PRE, "40", "412", None, "III"),
        (dt.date(2023, 5, 31), PRE, "40", "412", None, "II"),
        # Đà Nẵng's quận are zone II under Decree 74/2024, not I
        (dt.date(2024, 12, 31), PRE, "48", "492", None, "II"),
        # Hải Dương city joined zone I under Decree 74/2024
        (dt.date(2023, 12, 31), PRE, "30", "288", None, "II"),
        (dt.date(2024, 12, 31), PRE, "30", "288", None, "I"),
        # a row coded in the 2025 scheme, in central Hồ Chí Minh City (Phường Sài Gòn)
        (dt.date(2026, 3, 31), NEW, "79", None, "26740", "I"),
        # ... and the same commune under the district annex: every district it came from
        # (Quận 1) is zone I
        (dt.date(2024, 12, 31), NEW, "79", None, "26740", "I"),
        # a pre-2025 district under the commune annex of Decree 293/2025
        (dt.date(2026, 3, 31), PRE, "79", "760", None, "I"),
        # Vị Xuyên: one ward went into the zone III commune of Hà Giang city, the rest are
        # zone IV: the district as a whole takes the lowest zone it overlaps ...
        (dt.date(2026, 3, 31), PRE, "02", "030", None, "IV"),
        # 1 Jul-31 Dec 2025: Decree 128/2025 Annex I by commune. Côn Đảo is III there (as
        # under Decree 74/2024), II from Decree 293/2025
        (dt.date(2025, 9, 30), NEW, "79", None, "26732", "III"),
        (dt.date(2026, 3, 31), NEW, "79", None, "26732", "II"),
        # Phường Kỳ Lừa straddles TP Lạng Sơn (III) and huyện Cao Lộc (IV): Annex I gives III,
        # and so does Decree 74/2024 for June, a new unit formed from several zones taking
        # the highest (Art. 3(3)(đ)), not the lowest
        (dt.date(2025, 9, 30), NEW, "20", None, "06187", "III"),
        (dt.date(2025, 6, 30), NEW, "20", None, "06187", "III"),
        # ... while an old district under a commune annex keeps the lowest zone it overlaps:
        # Cao Lộc's communes are IV but for Kỳ Lừa; TP Lạng Sơn's are all III
        (dt.date(2025, 9, 30), PRE, "20", "183", None, "IV"),
        (dt.date(2025, 9, 30), PRE, "20", "178", None, "III"),
        # known only by its province: Hà Nội's lowest zone (II under Decree 293/2025)
        (dt.date(2026, 3, 31), NEW, "01", None, None, "II"),
        # a unit the tables do not know: the annexes' remaining areas
        (dt.date(2026, 3, 31), NEW, "99", None, None, "IV"),
    ],
)
def test_zone_by_period_and_scheme(
    period: dt.date, scheme: str, province: str, district: str | None, ward: str | None, zone: str
) -> None:
    assert _zone(period, scheme, province, district, ward) == zone


def test_an_old_ward_code_is_more_precise_than_its_district() -> None:
    # ... but its ward 00934, which went into the Hà Giang city commune, takes that zone
    assert _zone(dt.date(2026, 3, 31), PRE, "02", "030", "00934") == "III"
    assert lowest(["III", "IV", "II"]) == "IV"
    assert highest(["III", "IV", "II"]) == "II"


def test_zone_table_problems_are_listed(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    path = edited_rules(tmp_path, text)
    table = tmp_path / "zones" / "decree-74-2024.csv"
    rows = table.read_text(encoding="utf-8").splitlines()
    rows += [
        "48,492,Quận Hải Châu,I",  # listed twice
        "01,760,Quận 1,I",  # a district of another province
        "01,001,Quận Ba Đình,V",  # no such zone
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    problems = " ".join(caught.value.problems)
    assert "'492' listed twice" in problems
    assert "'760' is no pre-2025 unit of its province" in problems
    assert "zone 'V'" in problems
    assert "zones[2].table" in problems


def test_the_overlap_choice_is_checked(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    edited = text.replace(
        'other_scheme_overlap = "lowest"  ', 'other_scheme_overlap = "majority"', 1
    )
    assert edited != text
    with pytest.raises(ConfigError) as caught:
        load_rules(edited_rules(tmp_path, edited))
    problems = " ".join(caught.value.problems)
    allowed = "is not one of ['highest', 'lowest']"
    assert f"zones[3].other_scheme_overlap: 'majority' {allowed}" in problems
