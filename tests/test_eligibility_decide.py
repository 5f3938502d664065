"""decide(): one disposition per payroll row, each rule at its boundary, duplicates, priority."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import schema
from linkage.eligibility import decide, load_rules, rank_employers
from linkage.errors import PipelineError
from linkage.schema import CandidateReason, Disposition, ExclusionReason
from tests.helpers import (
    EMPLOYER,
    OTHER_EMPLOYER,
    RULES_PATH,
    RURAL_EMPLOYER,
    businesses,
    edited_rules,
    insured,
    links,
    payroll,
    rules,
)

RULES = rules()
D = dt.date


def one(
    row: dict[str, Any],
    *,
    link: dict[str, Any] | None = None,
    records: tuple[dict[str, Any], ...] = (),
    employer: dict[str, Any] | None = None,
) -> tuple[str, str | None]:
    """Disposition and reason of a single payroll row."""
    frame = payroll(row)
    link_rows = [{"record_id": "R000", "si_code": "S1", **link}] if link is not None else []
    result = decide(
        frame,
        links(*link_rows),
        insured(*records),
        businesses(*([employer] if employer else [])),
        RULES,
    )
    value = result.iloc[0]
    reason = None if pd.isna(value["reason"]) else str(value["reason"])
    return str(value["disposition"]), reason


CANDIDATE, EXCLUDED, OK = Disposition.CANDIDATE, Disposition.EXCLUDED, Disposition.INSURED_OK
U = CandidateReason


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({}, (CANDIDATE, U.UNINSURED)),  # adult, 12-month contract, unlinked
        ({"contract_months": 0}, (EXCLUDED, ExclusionReason.SHORT_CONTRACT)),  # no contract
        ({"contract_months": 1}, (CANDIDATE, U.UNINSURED)),  # 1 month is enough (10% group too)
        ({"contract_months": None}, (CANDIDATE, U.REVIEW)),  # unknown length: a clerk decides
        ({"period": None}, (CANDIDATE, U.REVIEW)),  # unknown period: the law in force is unknown
        (
            {"nationality": "CN", "contract_months": 6},
            (EXCLUDED, ExclusionReason.FOREIGN_SHORT_CONTRACT),
        ),  # foreign worker, 6 months < 12
        ({"nationality": "CN", "contract_months": 12}, (CANDIDATE, U.REVIEW)),  # 12 months: exempt?
        ({"nationality": None, "contract_months": 6}, (CANDIDATE, U.UNINSURED)),  # unknown = VN
        ({"birth_year": 2010, "birth_month": 9}, (CANDIDATE, U.UNINSURED)),  # exactly 15y0m
        (
            {"birth_year": 2010, "birth_month": 10},
            (CANDIDATE, U.REVIEW),
        ),  # 14y11m: the SI law covers a contract for an under-15, a clerk checks it
        (
            {"birth_year": 2011, "birth_month": None, "birth_precision": "year"},
            (CANDIDATE, U.REVIEW),
        ),  # year only: 1 January 2011 (Decree 135/2020 Art. 3(3)), so 14y8m
        (
            {"birth_year": None, "birth_month": None, "national_id": "123456789"},
            (CANDIDATE, U.REVIEW),
        ),  # no birth year anywhere (a CMND encodes none): review, not a guess
        (
            {"birth_year": None, "birth_month": None, "id_birth_year": 1990},
            (CANDIDATE, U.UNINSURED),
        ),  # no stated birth, but the CCCD encodes 1990
        (
            {"birth_year": 1961, "birth_month": 9, "period": D(2021, 11, 1)},
            (CANDIDATE, U.UNINSURED),
        ),  # man born 1961-09: 60y2m in 2021-11
        (
            {"birth_year": 1961, "birth_month": 9, "period": D(2021, 12, 1)},
            (CANDIDATE, U.REVIEW),
        ),  # reaches 60y3m in 2021-12 and retires at its end (Decree 135/2020 Art. 3(1))
        (
            {"birth_year": 1961, "birth_month": None, "birth_precision": "year"}
            | {"period": D(2021, 4, 1)},
            (CANDIDATE, U.REVIEW),
        ),  # year only: January 1961, 60y3m in 2021-04 (the decree's own example)
        (
            {"birth_year": 1961, "birth_month": None, "birth_precision": "year"}
            | {"period": D(2021, 3, 1)},
            (CANDIDATE, U.UNINSURED),
        ),
        (
            {"birth_year": 1961, "birth_month": 10, "period": D(2022, 1, 1)},
            (CANDIDATE, U.UNINSURED),
        ),  # born 1961-10: 60y6m, so not yet retired in 2022-01
        (
            {"gender": "F", "birth_year": 1966, "birth_month": 9, "period": D(2022, 4, 1)},
            (CANDIDATE, U.UNINSURED),
        ),
        (
            {"gender": "F", "birth_year": 1966, "birth_month": 9, "period": D(2022, 5, 1)},
            (CANDIDATE, U.REVIEW),
        ),  # woman born 1966-09 reaches 55y8m in 2022-05
        (
            {"gender": None, "birth_year": 1966, "birth_month": 9, "period": D(2022, 6, 1)},
            (CANDIDATE, U.UNINSURED),
        ),  # unknown sex: the later (men's) age applies
        (
            {"gender": None, "id_gender": "F", "birth_year": 1966, "birth_month": 9}
            | {"period": D(2022, 6, 1)},
            (CANDIDATE, U.REVIEW),
        ),  # the sex the CCCD encodes
        (
            {"monthly_income": 2_000_000, "period": D(2025, 6, 1)},
            (CANDIDATE, U.UNINSURED),
        ),  # low wage under the old law: still compulsory
        (
            {"monthly_income": 2_000_000, "period": D(2025, 7, 1)},
            (EXCLUDED, ExclusionReason.PART_TIME_LOW_WAGE),
        ),  # Law 41/2024: below the reference level reads as part-time
        ({"period": D(2019, 12, 1)}, (EXCLUDED, ExclusionReason.NO_RULES_IN_FORCE)),
        (
            {"employer_tax_code": "0100109106001", "employer_root": EMPLOYER},
            (CANDIDATE, U.UNINSURED),
        ),  # unregistered branch found through its root
        (
            {"employer_tax_code": "9999999999", "employer_root": "9999999999"},
            (CANDIDATE, U.UNINSURED),
        ),  # employer absent from the registry: listed under the unknown unit
    ],
)
def test_unlinked_rules(
    row: dict[str, dt.date | int | str | None],
    expected: tuple[Disposition, CandidateReason | ExclusionReason],
) -> None:
    assert one(row) == expected


def test_foreign_workers_only_from_decree_143(tmp_path: Path) -> None:
    # The shipped rules start the minimum-wage tables in 2020, so a 2018 row has no rules in
    # force at all; moving the Decree 143/2018 date into 2024 shows the rule itself.
    text = RULES_PATH.read_text(encoding="utf-8")
    moved = text.replace("to = 2018-11-30", "to = 2024-05-31").replace(
        "from = 2018-12-01", "from = 2024-06-01"
    )
    assert moved != text
    early = load_rules(edited_rules(tmp_path, moved))
    foreign = payroll({"nationality": "CN", "contract_months": 24, "period": D(2024, 5, 1)})
    result = decide(foreign, links(), insured(), businesses(), early)
    assert result.iloc[0]["reason"] == ExclusionReason.FOREIGN_NOT_COVERED.value
    later = payroll({"nationality": "CN", "contract_months": 24, "period": D(2024, 6, 1)})
    result = decide(later, links(), insured(), businesses(), early)
    assert result.iloc[0]["reason"] == CandidateReason.REVIEW.value  # exempt? a clerk checks
    assert result.iloc[0]["detail"] == "foreign_worker_exemption_unknown"
    national = payroll({"contract_months": 24, "period": D(2024, 5, 1)})
    result = decide(national, links(), insured(), businesses(), early)
    assert result.iloc[0]["reason"] == CandidateReason.UNINSURED.value


def test_closed_employer_is_excluded_first() -> None:
    closed: dict[str, object] = {
        "tax_code": EMPLOYER,
        "name": "X",
        "province_code": "01",
        "district_code": "001",
    }
    closed |= {"status": "closed", "closed_on": D(2025, 3, 1)}
    row = {"contract_months": 0}  # also a short contract: the employer test comes first
    assert one(row, employer=closed) == (EXCLUDED, ExclusionReason.EMPLOYER_CLOSED)


@pytest.mark.parametrize(
    ("closed_on", "expected"),
    [
        (D(2025, 3, 1), (EXCLUDED, ExclusionReason.EMPLOYER_CLOSED)),  # closed before
        (D(2025, 9, 15), (CANDIDATE, CandidateReason.UNINSURED)),  # closed after wages paid
        (None, (CANDIDATE, CandidateReason.UNINSURED)),  # closed, no date: owes the period
    ],
)
def test_a_later_or_undated_closure_does_not_cancel_the_period(
    closed_on: dt.date | None, expected: tuple[Disposition, CandidateReason | ExclusionReason]
) -> None:
    closed: dict[str, object] = {
        "tax_code": EMPLOYER,
        "name": "X",
        "province_code": "01",
        "district_code": "001",
    }
    closed["status"] = "closed"
    if closed_on is not None:
        closed["closed_on"] = closed_on
    assert one({}, employer=closed) == expected  # a September 2025 return


@pytest.mark.parametrize(
    ("row", "link", "record", "expected"),
    [
        ({}, {}, {}, (OK, None)),  # declared 8M of 10M income: fine
        (
            {"monthly_income": 5_000_000},
            {},
            {"contribution_salary": 4_900_000},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # below zone I floor 4.96M (Decree 74), margin alone would pass
        (
            {"monthly_income": 5_200_000, "period": D(2025, 12, 1)},
            {},
            {"contribution_salary": 5_000_000},
            (OK, None),
        ),  # 5.0M >= 4.96M under Decree 74
        (
            {"monthly_income": 5_400_000, "period": D(2026, 1, 1)},
            {},
            {"contribution_salary": 5_000_000},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # same salary below 5.31M under Decree 293 (a full-time income: 5.4M)
        (
            {"monthly_income": 5_200_000, "period": D(2026, 1, 1)},
            {},
            {"contribution_salary": 5_000_000},
            (OK, None),
        ),  # an income below 5.31M is a part-timer's: the floor is the reference level
        (
            {
                "monthly_income": 3_600_000,
                "employer_tax_code": RURAL_EMPLOYER,
                "employer_root": RURAL_EMPLOYER,
            },
            {},
            {"contribution_salary": 3_500_000, "employer_tax_code": RURAL_EMPLOYER},
            (OK, None),
        ),  # zone IV floor 3.45M
        (
            {"monthly_income": 20_000_000},
            {},
            {"contribution_salary": 6_000_000},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # 6M < 0.7 x 20M: by margin
        (
            {"monthly_income": 20_000_000},
            {},
            {"contribution_salary": 13_000_000},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # 65% of income: more than bonuses and overtime explain
        ({"monthly_income": 20_000_000}, {}, {"contribution_salary": 15_000_000}, (OK, None)),
        # an unknown income shows no heuristic shortfall: only the legal floor can be judged
        ({"monthly_income": None}, {}, {"contribution_salary": 6_000_000}, (OK, None)),
        (
            {"monthly_income": None},
            {},
            {"contribution_salary": 2_000_000},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # below the reference level, which an unknown (maybe part-time) wage must reach
        (
            {"monthly_income": 100_000_000},
            {},
            {"contribution_salary": 35_000_000},
            (OK, None),
        ),  # margin applies to the ceiling 46.8M, not the income
        (
            {"monthly_income": 20_000_000},
            {},
            {"contribution_salary": 6_000_000, "employer_tax_code": RURAL_EMPLOYER},
            (EXCLUDED, ExclusionReason.COVERED_ELSEWHERE),
        ),  # active at another employer: insured under that contract (Law 58 Art. 85)
        (
            {"monthly_income": 20_000_000},
            {},
            {"contribution_salary": 6_000_000, "employer_tax_code": EMPLOYER + "001"},
            (CANDIDATE, U.UNDER_DECLARED),
        ),  # a branch of this employer is this employer
        (
            {"monthly_income": 20_000_000, "employer_tax_code": None, "employer_root": None},
            {},
            {"contribution_salary": 15_000_000},
            (OK, None),
        ),  # employer code unknown: judged on the linked record
        ({}, {}, {"status": "stopped"}, (CANDIDATE, U.LAPSED)),
        ({}, {}, {"status": "suspended"}, (CANDIDATE, U.LAPSED)),
        # already drawing a pension: outside compulsory insurance (Law 41/2024)
        ({}, {}, {"status": "pensioner"}, (EXCLUDED, ExclusionReason.PENSIONER)),
        # a pension record reached only through a review-band link decides nothing
        ({}, {"band": "review"}, {"status": "pensioner"}, (CANDIDATE, U.REVIEW)),
        ({}, {"band": "review"}, {}, (CANDIDATE, U.REVIEW)),  # uncertain link: clerk checks
        ({}, {"band": "non_match"}, {}, (CANDIDATE, U.UNINSURED)),  # non-match = unlinked
        ({"contract_months": 0}, {}, {}, (EXCLUDED, ExclusionReason.SHORT_CONTRACT)),
    ],
)
def test_linked_rules(
    row: dict[str, dt.date | int | str | None],
    link: dict[str, str],
    record: dict[str, int | str],
    expected: tuple[Disposition, CandidateReason | ExclusionReason | None],
) -> None:
    records = ({"si_code": "S1", "national_id": "001090099999", **record},)
    assert one(row, link=link, records=records) == expected


def test_a_row_without_a_sex_takes_the_linked_records_else_its_names() -> None:
    woman = {"gender": None, "birth_year": 1966, "birth_month": 9, "period": D(2022, 6, 1)}
    record = {"si_code": "S1", "gender": "F", "status": "stopped"}
    assert one(woman, link={}, records=(record,)) == (CANDIDATE, U.REVIEW)  # a pension?
    assert one({**woman, "birth_month": 12}, link={}, records=(record,)) == (CANDIDATE, U.LAPSED)
    named = {**woman, "middle_ascii": "thi", "given_ascii": "lan"}
    women = tuple({"si_code": f"W{i}", "gender": "F", "middle_ascii": "thi"} for i in range(40))
    assert one(named, records=women) == (CANDIDATE, U.REVIEW)
    assert one(named, records=women[:5]) == (CANDIDATE, U.UNINSURED)  # too few bearers


def test_lapsed_but_active_elsewhere_is_insured() -> None:
    records = (
        {"si_code": "S1", "national_id": "001090099999", "status": "stopped"},
        {"si_code": "S2", "national_id": "001090099999", "status": "active"},
    )
    assert one({}, link={}, records=records) == (OK, None)


def test_duplicates_collapse_to_one_entry_per_worker_and_employer() -> None:
    worker = {"national_id": "001090011111"}
    frame = payroll(
        {**worker, "period": D(2025, 8, 1)},
        {**worker, "period": D(2025, 10, 1)},  # latest: the kept entry
        {**worker, "period": D(2025, 9, 1)},
        {**worker, "employer_tax_code": "0100109106001"},  # branch, same root
        {
            **worker,
            "employer_tax_code": OTHER_EMPLOYER,
            "employer_root": OTHER_EMPLOYER,
            "period": D(2025, 8, 1),  # seen from the file's first month: no new hire
        },
    )
    result = decide(frame, links(), insured(), businesses(), RULES)
    assert list(result["disposition"]) == [
        "excluded",
        "candidate",
        "excluded",
        "excluded",
        "candidate",
    ]
    assert result["reason"].iloc[0] == ExclusionReason.DUPLICATE_ENTRY


def test_latest_insured_month_supersedes_earlier_candidates() -> None:
    worker = {"national_id": "001090022222"}
    frame = payroll({**worker, "period": D(2025, 8, 1)}, {**worker, "period": D(2025, 9, 1)})
    result = decide(
        frame,
        links({"record_id": "R001", "si_code": "S1"}),
        insured({"si_code": "S1", "national_id": "001090022222"}),
        businesses(),
        RULES,
    )
    assert list(result["disposition"]) == ["excluded", "insured_ok"]


def test_priority_orders_by_severity_then_unpaid_amount() -> None:
    frame = payroll(
        {"monthly_income": 20_000_000},  # R000 review
        {"monthly_income": 20_000_000},  # R001 under-declared
        {"monthly_income": 9_000_000},  # R002 uninsured, smaller
        {"monthly_income": 30_000_000},  # R003 uninsured, larger
        {"monthly_income": 15_000_000},  # R004 lapsed
    )
    result = decide(
        frame,
        links(
            {"record_id": "R000", "si_code": "S0", "band": "review"},
            {"record_id": "R001", "si_code": "S1"},
            {"record_id": "R004", "si_code": "S4"},
        ),
        insured(
            {"si_code": "S0"},
            {"si_code": "S1", "contribution_salary": 5_000_000},
            {"si_code": "S4", "status": "stopped"},
        ),
        businesses(),
        RULES,
    )
    assert dict(zip(result["record_id"], result["priority"], strict=True)) == {
        "R003": 1,
        "R002": 2,
        "R004": 3,
        "R001": 4,
        "R000": 5,
    }
    # 32% of the base: 21.5% employer + 10.5% employee
    assert result.set_index("record_id").loc["R003", "unpaid_monthly"] == 9_600_000


def test_unpaid_estimate_caps_si_and_ui_bases_apart() -> None:
    # 2025-09, zone I: SI base <= 20 x 2.34M = 46.8M; UI base <= 20 x 4.96M = 99.2M
    result = decide(
        payroll({"monthly_income": 60_000_000}), links(), insured(), businesses(), RULES
    )
    # 30% SI and health on 46.8M, plus 2% unemployment insurance on all 60M
    assert result.iloc[0]["unpaid_monthly"] == round(0.30 * 46_800_000 + 0.02 * 60_000_000)


def test_duplicate_links_are_a_pipeline_error() -> None:
    twice = links({"record_id": "R000", "si_code": "S1"}, {"record_id": "R000", "si_code": "S2"})
    with pytest.raises(PipelineError):
        decide(payroll({}), twice, insured(), businesses(), RULES)


def test_rank_employers_counts_and_ranks_per_district() -> None:
    frame = payroll(
        {},
        {"national_id": "001090033333", "monthly_income": 50_000_000},
        {"employer_tax_code": OTHER_EMPLOYER, "employer_root": OTHER_EMPLOYER},
        {"employer_tax_code": "9999999999", "employer_root": "9999999999"},
    )
    result = decide(frame, links(), insured(), businesses(), RULES)
    ranking = rank_employers(result, frame, businesses(), insured(), new_business_months=12)
    assert list(ranking.columns) == schema_names()
    hanoi = ranking[ranking["district_code"] == "001"].iloc[0]
    assert (hanoi["uninsured"], hanoi["candidates"], hanoi["rank"]) == (2, 2, 1)
    unknown = ranking[ranking["province_code"] == "00"].iloc[0]
    assert pd.isna(unknown["employer_name"])


def schema_names() -> list[str]:
    from linkage.schema import EMPLOYERS

    return list(EMPLOYERS.names)


ROW = st.fixed_dictionaries(
    {
        "contract_months": st.one_of(st.none(), st.integers(0, 36)),
        "nationality": st.sampled_from(["VN", "CN", None]),
        "birth_year": st.one_of(st.none(), st.integers(1940, 2015)),
        "gender": st.sampled_from(["M", "F", None]),
        "monthly_income": st.one_of(st.none(), st.integers(0, 120_000_000)),
        "period": st.sampled_from([D(2019, 1, 1), D(2024, 7, 1), D(2025, 7, 1), D(2026, 1, 1)]),
        "employer_tax_code": st.sampled_from([EMPLOYER, OTHER_EMPLOYER, "9999999999"]),
        "national_id": st.sampled_from(["001090000001", "001090000002", None]),
        "link": st.sampled_from([None, "match", "review", "non_match"]),
        "status": st.sampled_from(["active", "stopped", "suspended"]),
        "salary": st.one_of(st.none(), st.integers(0, 60_000_000)),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=12), closed=st.booleans())
def test_every_row_gets_exactly_one_disposition(
    rows: list[dict[str, dt.date | int | str | None]], closed: bool
) -> None:
    payroll_rows, link_rows, insured_rows = [], [], []
    for number, row in enumerate(rows):
        link, status, salary = row.pop("link"), row.pop("status"), row.pop("salary")
        row["employer_root"] = row["employer_tax_code"]
        payroll_rows.append(row)
        if link is not None:
            si = f"S{number}"
            link_rows.append({"record_id": f"R{number:03d}", "si_code": si, "band": link})
            insured_rows.append({"si_code": si, "status": status, "contribution_salary": salary})
    frame = payroll(*payroll_rows)
    frame["national_id"] = [r["national_id"] for r in payroll_rows]
    registry = businesses(
        {
            "tax_code": EMPLOYER,
            "name": "A",
            "province_code": "01",
            "district_code": "001",
            "status": "closed" if closed else "active",
        }
    )
    result = decide(frame, links(*link_rows), insured(*insured_rows), registry, RULES)

    assert list(result["record_id"]) == list(frame["record_id"])
    assert list(result.columns[: len(schema.DISPOSITIONS.names)]) == schema.DISPOSITIONS.names
    disposition = result["disposition"].astype(object)
    reason = result["reason"].astype(object)
    assert set(disposition) <= {d.value for d in Disposition}
    assert reason[disposition == "insured_ok"].isna().all()
    assert set(reason[disposition == "candidate"]) <= {r.value for r in CandidateReason}
    assert set(reason[disposition == "excluded"]) <= {r.value for r in ExclusionReason}
    candidates = result[disposition == "candidate"]
    assert result["priority"].notna().eq(disposition == "candidate").all()
    for _, unit in candidates.groupby(["province_code", "district_code"]):
        assert sorted(unit["priority"]) == list(range(1, len(unit) + 1))
    key = frame["national_id"].astype(object).fillna(frame["record_id"].astype(object))
    listed = result.assign(key=key.to_numpy())[(disposition == "candidate").to_numpy()]
    unlinked = listed[listed["si_code"].isna()]
    assert not unlinked.duplicated(["key", "employer_code"]).any()


def test_empty_registries_and_empty_payroll() -> None:
    empty_registry = schema.empty(schema.BUSINESSES)
    result = decide(payroll({}), links(), insured(), empty_registry, RULES)
    assert list(result[["province_code", "district_code"]].iloc[0]) == ["00", "000"]
    assert result["reason"].iloc[0] == CandidateReason.UNINSURED
    nothing = decide(schema.empty(schema.PAYROLL), links(), insured(), businesses(), RULES)
    assert len(nothing) == 0
    empty_payroll = schema.empty(schema.PAYROLL)
    ranked = rank_employers(nothing, empty_payroll, businesses(), insured(), new_business_months=12)
    assert ranked.empty


def _months(worker: dict[str, Any], *months: int, **row: Any) -> list[dict[str, Any]]:
    return [{**worker, **row, "period": D(2025, month, 1)} for month in months]


def test_registration_window_and_suspected_evasion() -> None:
    # A monthly file from June. Law 41 Art. 28(1): the employer registers a new worker within
    # 30 days of the contract's start, some day of the first month seen, so the deadline has
    # surely passed only 30 days after that month's end; Art. 39(1)(a): still unregistered
    # 60 days after that is evasion. Without an as-of date, judged at each period's end.
    known = _months({"national_id": "001090033333"}, 6, 7, 8, 9)  # since the first month
    hired = _months({"national_id": "001090044444"}, 9)  # first seen in September
    hired_july = _months({"national_id": "001090055555"}, 7, 8, 9)
    hired_august = _months({"national_id": "001090066666"}, 8, 9)
    frame = payroll(*known, *hired, *hired_july, *hired_august)
    result = decide(frame, links(), insured(), businesses(), RULES)
    rows = result.set_index("record_id")
    september = rows[rows.index.isin(["R003", "R004", "R007", "R009"])]
    assert list(september["reason"]) == [
        CandidateReason.UNINSURED,  # on payroll since June at least: 92 days past June 30
        ExclusionReason.REGISTRATION_WINDOW,  # new this month: not yet owed
        CandidateReason.UNINSURED,  # since July: 61 days past July 31, late
        ExclusionReason.REGISTRATION_WINDOW,  # since August: a start on Aug 31 is not late
    ]
    assert list(september["tenure_days"]) == [122, 30, 92, 61]
    assert list(september["suspected_evasion"]) == [True, False, False, False]
    assert list(september["detail"]) == [
        "no_insured_record",
        "registration_window",
        "no_insured_record",
        "registration_window",
    ]
    # evasion is graded first among the uninsured of the unit
    listed = september[september["disposition"] == CANDIDATE].sort_values("priority")
    assert list(listed.index) == ["R003", "R007"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (None, ExclusionReason.REGISTRATION_WINDOW),  # at the period's end: 31 days into July
        (D(2025, 8, 15), ExclusionReason.REGISTRATION_WINDOW),  # a July 20 start is not late
        (D(2025, 8, 30), ExclusionReason.REGISTRATION_WINDOW),  # nor a July 31 one: Aug 30
        (D(2025, 8, 31), CandidateReason.UNINSURED),  # every July start is past its deadline
    ],
)
def test_a_hire_in_a_31_day_month_is_listed_only_past_every_deadline(
    as_of: dt.date | None, expected: CandidateReason | ExclusionReason
) -> None:
    # The payroll shows months only; judged at the registry's extraction date (as_of), a
    # July hire is listed only once a start on July 31 would be 30 days past.
    frame = payroll(
        *_months({"national_id": "001090033333"}, 6, 7),  # the file starts in June
        *_months({"national_id": "001090055555"}, 7),  # first seen in July
    )
    result = decide(frame, links(), insured(), businesses(), RULES, as_of=as_of)
    assert result.iloc[2]["reason"] == expected


def test_annual_periods_tell_no_tenure() -> None:
    year = {"period": D(2024, 1, 1), "period_end": D(2024, 12, 31), "period_precision": "year"}
    result = decide(payroll({**year}), links(), insured(), businesses(), RULES)
    assert result["reason"].iloc[0] == CandidateReason.UNINSURED
    assert pd.isna(result["tenure_days"].iloc[0])
    assert pd.isna(result["suspected_evasion"].iloc[0])


def test_every_candidate_reason_has_a_severity() -> None:
    from linkage.eligibility.priority import SEVERITY

    assert set(SEVERITY) == set(CandidateReason)


def test_employers_not_registered_with_vss_are_inspected_first() -> None:
    # Two Hà Nội employers: the first owes more, but the second has no insured record at all
    # under its root (not registered with VSS) and was registered last month.
    unregistered = "0100109107"
    registry = businesses(
        {
            "tax_code": unregistered,
            "name": "Công ty Mới",
            "province_code": "01",
            "district_code": "001",
            "registered_on": D(2025, 8, 15),
        }
    )
    frame = payroll(
        {"national_id": "001090077777", "monthly_income": 40_000_000},
        {"national_id": "001090077778", "monthly_income": 40_000_000},
        {"employer_tax_code": unregistered, "employer_root": unregistered},
    )
    records = insured({"si_code": "S9", "national_id": "001090099999"})  # one at EMPLOYER
    result = decide(frame, links(), records, registry, RULES)
    ranking = rank_employers(result, frame, registry, records, new_business_months=12)
    hanoi = ranking[ranking["district_code"] == "001"].set_index("employer_tax_code")
    assert hanoi.loc[unregistered, "rank"] == 1
    assert not hanoi.loc[unregistered, "registered_with_vss"]
    assert hanoi.loc[unregistered, "new_business"]
    unpaid = hanoi["unpaid_monthly"]
    assert unpaid.loc[EMPLOYER] > unpaid.loc[unregistered]
    assert (hanoi.loc[EMPLOYER, "rank"], hanoi.loc[EMPLOYER, "payroll_workers"]) == (2, 2)
    assert hanoi.loc[EMPLOYER, "registered_with_vss"]
    assert not hanoi.loc[EMPLOYER, "new_business"]  # no registration date: not known as new


@pytest.mark.parametrize(
    ("ward", "unit", "zone"),
    [
        # Phường Sài Gòn (2025-07) came from Quận 1: its office, zone I under Decree 293/2025
        ("26740", ("pre-2025", "79", "760"), "I"),
        # Phường Hai Bà Trưng: all its wards from Hai Bà Trưng (007)
        ("00256", ("pre-2025", "01", "007"), "I"),
        # Phường Vĩnh Tuy straddles: two wards each from 007 and Hoàng Mai (008); the tie
        # goes to the lower code
        ("00283", ("pre-2025", "01", "007"), "I"),
        # known only by its new province: stays in the 2025-07 province's unit
        (None, ("2025-07", "79", "000"), "III"),
    ],
)
def test_workplaces_in_the_2025_scheme_go_to_their_communes_office(
    ward: str | None, unit: tuple[str, str, str], zone: str
) -> None:
    new_scheme = "0312345678"
    registry = businesses(
        {
            "tax_code": new_scheme,
            "name": "Công ty Sài Gòn",
            "province_code": "79",
            "district_code": None,
            "ward_code": ward,
            "unit_scheme": "2025-07",
        }
    )
    frame = payroll(
        {
            "employer_tax_code": new_scheme,
            "employer_root": new_scheme,
            "period": D(2026, 3, 1),
        }
    )
    result = decide(frame, links(), insured(), registry, RULES).iloc[0]
    assert (result["unit_scheme"], result["province_code"], result["district_code"]) == unit
    assert result["zone"] == zone


def test_a_law_insuring_each_contract_lists_workers_active_elsewhere(tmp_path: Path) -> None:
    row = {"national_id": "001090088888"}
    elsewhere = insured(
        {"si_code": "S1", "national_id": "001090088888", "employer_tax_code": OTHER_EMPLOYER}
    )
    link = links({"record_id": "R000", "si_code": "S1"})
    first_only = decide(payroll(row), link, elsewhere, businesses(), RULES).iloc[0]
    assert first_only["reason"] == ExclusionReason.COVERED_ELSEWHERE
    text = RULES_PATH.read_text(encoding="utf-8")
    each = text.replace("first_contract_only = true", "first_contract_only = false")
    every_contract = load_rules(edited_rules(tmp_path, each))
    result = decide(payroll(row), link, elsewhere, businesses(), every_contract).iloc[0]
    assert result["reason"] == CandidateReason.UNINSURED


def test_a_bonus_month_is_no_under_declaration() -> None:
    # Three months at one employer, SI base 9M; August carries a Tết-style bonus (30M).
    worker = {"national_id": "001090099999"}
    incomes = {6: 10_000_000, 7: 10_000_000, 8: 30_000_000}
    rows = [{**worker, "period": D(2025, m, 1), "monthly_income": v} for m, v in incomes.items()]
    record = insured({"si_code": "S1", "national_id": "001090099999", "contribution_salary": 9e6})
    link = links(*({"record_id": f"R{i:03d}", "si_code": "S1"} for i in range(3)))
    result = decide(payroll(*rows), link, record, businesses(), RULES)
    assert list(result["disposition"]) == [OK, OK, OK]  # 9M >= 0.7 x the 10M median month
    # a base well below the typical month is still under-declared, once
    low = insured({"si_code": "S1", "national_id": "001090099999", "contribution_salary": 5e6})
    result = decide(payroll(*rows), link, low, businesses(), RULES)
    assert list(result["reason"]) == [
        ExclusionReason.DUPLICATE_ENTRY,
        ExclusionReason.DUPLICATE_ENTRY,
        CandidateReason.UNDER_DECLARED,
    ]


def test_separate_probation_contracts_are_out_under_both_laws() -> None:
    probation = {"contract_type": "probation", "contract_months": 2}
    before = decide(
        payroll({**probation, "period": D(2025, 6, 1)}), links(), insured(), businesses(), RULES
    )
    after = decide(
        payroll({**probation, "period": D(2025, 7, 1)}), links(), insured(), businesses(), RULES
    )
    # A separate probation contract was no labour contract under Law 58 either
    assert before["reason"].iloc[0] == ExclusionReason.PROBATION
    assert after["reason"].iloc[0] == ExclusionReason.PROBATION
    labour = decide(payroll({"contract_type": "labour"}), links(), insured(), businesses(), RULES)
    assert labour["reason"].iloc[0] == CandidateReason.UNINSURED


def test_every_exclusion_reason_is_decided_in_one_place() -> None:
    from linkage.eligibility.exclusions import DECIDED_ELSEWHERE, EXCLUSIONS, NO_LONGER_GIVEN

    tabled = [e.reason for e in EXCLUSIONS]
    assert len(tabled) == len(set(tabled))
    assert set(tabled) | DECIDED_ELSEWHERE | NO_LONGER_GIVEN == set(ExclusionReason)
    assert not set(tabled) & DECIDED_ELSEWHERE
    assert not (set(tabled) | DECIDED_ELSEWHERE) & NO_LONGER_GIVEN
    assert all(e.source for e in EXCLUSIONS)
