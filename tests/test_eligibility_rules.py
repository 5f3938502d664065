"""Rule file loading, effective-date lookup and Decree 135 retirement ages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkage.eligibility import load_rules
from linkage.eligibility.ages import retirement_age_months, sex_from_names
from linkage.errors import ConfigError
from linkage.normalize.dates import month_index
from tests.helpers import RULES_PATH, edited_rules, rules


def test_default_rules_load() -> None:
    loaded = rules()
    assert loaded.version == "vn-si-2026.2"
    assert loaded.policy.under_declared_margin == 0.7


@pytest.mark.parametrize(
    ("sex", "born", "age", "reached"),
    [
        ("male", (1960, 12), (60, 0), (2020, 12)),  # before Decree 135: legacy 60
        ("male", (1961, 1), (60, 3), (2021, 4)),  # first Decree 135 group
        ("male", (1961, 9), (60, 3), (2021, 12)),  # DOMAIN.md example: Jan-Sep 1961 at 60y3m
        ("male", (1961, 10), (60, 6), (2022, 4)),  # October 1961 falls into 2022: 60y6m
        ("male", (1966, 12), (62, 0), (2028, 12)),  # cap reached in 2028
        ("male", (1975, 5), (62, 0), (2037, 5)),  # capped
        ("female", (1966, 1), (55, 4), (2021, 5)),  # first group of women
        ("female", (1966, 8), (55, 4), (2021, 12)),  # last month of the 55y4m group
        ("female", (1966, 9), (55, 8), (2022, 5)),  # DOMAIN.md example: Sep 1966 at 55y8m
        ("female", (1980, 1), (60, 0), (2040, 1)),  # capped at 60 (2035 onward)
    ],
)
def test_retirement_age_decree_135(
    sex: str, born: tuple[int, int], age: tuple[int, int], reached: tuple[int, int]
) -> None:
    schedule = rules().retirement
    rule = schedule.male if sex == "male" else schedule.female
    birth = month_index(np.array([born[0]], dtype=float), np.array([born[1]], dtype=float))
    months = retirement_age_months(rule, schedule.start_year, birth.astype(np.int64))[0]
    assert divmod(int(months), 12) == age
    year, month = divmod(int(birth[0]) + int(months), 12)
    assert (year, month + 1) == reached


@pytest.mark.parametrize(
    ("period", "source"),
    [
        (dt.date(2019, 12, 1), None),  # before the first minimum-wage period: none in force
        (dt.date(2022, 7, 1), "Decree 38/2022/ND-CP"),
        (dt.date(2024, 6, 30), "Decree 38/2022/ND-CP"),  # last day of Decree 38
        (dt.date(2024, 7, 1), "Decree 74/2024/ND-CP"),  # first day of Decree 74
        (dt.date(2025, 7, 1), "Decree 74/2024/ND-CP"),  # law changes, wage does not
        (dt.date(2025, 12, 31), "Decree 74/2024/ND-CP"),
        (dt.date(2026, 1, 1), "Decree 293/2025/ND-CP"),  # Decree 293 from 2026
        (None, None),  # missing period
    ],
)
def test_minimum_wage_period_lookup(period: dt.date | None, source: str | None) -> None:
    timeline = rules().minimum_wage
    index = timeline.locate(pd.Series([period], dtype="object"))[0]
    found = timeline.periods[index].value.source if index >= 0 else None
    assert found == source


@pytest.mark.parametrize(
    ("period", "law"),
    [
        (dt.date(2018, 11, 30), "Law 58/2014/QH13"),  # before foreign workers were covered
        (dt.date(2018, 12, 1), "Law 58/2014/QH13"),  # Decree 143/2018 in force
        (dt.date(2025, 6, 30), "Law 58/2014/QH13"),  # last day of the old law
        (dt.date(2025, 7, 1), "Law 41/2024/QH15"),  # first day of the new law
    ],
)
def test_law_in_force(period: dt.date, law: str) -> None:
    timeline = rules().law
    index = timeline.locate(pd.Series([period]))[0]
    assert timeline.periods[index].value.name == law
    # Decree 143/2018 made foreign nationals compulsory from 2018-12-01
    assert timeline.periods[index].value.foreign_workers_covered == (period >= dt.date(2018, 12, 1))


def test_lookup_is_vectorized_over_many_periods() -> None:
    periods = pd.Series(pd.date_range("2020-01-01", "2027-12-01", freq="MS").date)
    index = rules().reference_level.locate(periods)
    amounts = rules().reference_level.values(index, lambda r: float(r.amount))
    assert amounts[periods == dt.date(2024, 7, 1)][0] == 2_340_000
    assert amounts[periods == dt.date(2026, 7, 1)][0] == 2_530_000
    timeline = rules().reference_level
    (july_2026,) = timeline.locate(pd.Series([dt.date(2026, 7, 1)]))
    assert timeline.periods[july_2026].value.source == "Decree 161/2026/ND-CP"


def test_rule_file_problems_are_listed_all_at_once(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    broken = (
        text.replace('version = "vn-si-2026.2"', "version = 3")  # wrong type
        .replace("under_declared_margin = 0.7", "under_declared_margin = 1.5")  # out of range
        .replace("I = 4_960_000", "I = 1_000")  # zone I below zone II
        .replace(
            'to = 2026-06-30\nsource = "Decree 73', 'to = 2026-12-31\nsource = "Decree 73'
        )  # overlap
        .replace('scheme = "2025-07"', 'scheme = "2026"')  # not a scheme
        .replace("decree-90-2019.csv", "decree-90-2019.tsv")  # no such table
        .replace("cap_age_months = 744", "cap_age_months = 700")  # cap below base
    )
    broken += "\n[bogus]\nkey = 1\n"  # unknown section
    path = edited_rules(tmp_path, broken)
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    problems = caught.value.problems
    expected = [
        "version",
        "policy.under_declared_margin",
        "minimum_wage[2]",
        "reference_level: period from 2024-07-01 overlaps",
        "zones[3].scheme",
        "zones[0].table",
        "retirement.male",
        "unknown key 'bogus'",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert all(str(path) in p for p in problems)
    assert len(problems) >= len(expected)


def test_missing_rule_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "absent.toml")


def test_sex_from_names_speaks_only_where_the_registry_agrees() -> None:
    def people(middle: str, given: str, sex: str | None, count: int) -> list[dict[str, Any]]:
        return [{"middle_ascii": middle, "given_ascii": given, "gender": sex}] * count

    registry = pd.DataFrame(
        people("thi", "lan", "F", 40)
        + people("van", "hung", "M", 40)
        + people("", "anh", "F", 20)
        + people("", "anh", "M", 20)
        + people("", "my", "F", 5)
        + people("", "tam", None, 50)
    )
    rows = pd.DataFrame(
        [
            ("thi", "anh"),  # the middle name speaks first
            ("", "hung"),  # no middle name: the given name
            ("", "anh"),  # a name both sexes bear
            ("", "my"),  # too few bearers: 6/7 < 0.95
            ("", "tam"),  # bearers of unknown sex teach nothing
            ("", "zzz"),  # unseen
            (None, None),
        ],
        columns=["middle_ascii", "given_ascii"],
    )
    told = sex_from_names(rows, registry).astype(object)
    assert told.where(told.notna(), None).tolist() == ["F", "M", None, None, None, None, None]
