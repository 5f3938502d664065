"""Eligibility rules end to end, on crafted monthly files run through ``linkage run``.

Registration deadlines and evasion (tenure from the months seen), the inspection order of
employers (one not registered with VSS first), a workplace coded by its 2025-07 commune
routed to its district office, a worker insured at another employer, a bonus month that is
no under-declaration beside a real one, and a registry row with a status word nobody
mapped: each read back from the published Parquet and manifest.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linkage.eligibility import decide
from tests.helpers import invoke

REGISTERED = "0100109106"  # Hà Nội, Ba Đình (001): its workers are insured
UNREGISTERED = "0100109113"  # Ba Đình too, registered last August: no insured record at all
NEW_SCHEME = "0312345673"  # coded by its 2025-07 commune: Phường Sài Gòn (26740)
ODD_STATUS = "0100109120"  # Ba Đình, its status an unmapped word
HOUSEHOLD = "001090099015"  # a family paying wages under the head's citizen ID
MONTHS = ("06/2025", "07/2025", "08/2025", "09/2025")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _worker(
    n: int, employer: str, months: tuple[str, ...], income: str = "12000000", **more: str
) -> list[dict[str, str]]:
    return [
        {
            "record_id": f"W{n}-{month[:2]}",
            "employer_tax_code": employer,
            "full_name": NAMES[n % len(NAMES)],
            "national_id": f"00109001{n:04d}",
            "birth_date": "15/03/1990",
            "gender": "Nam" if n % 2 else "Nữ",
            "period": month,
            "contract_months": "12",
            "monthly_income": income,
            "nationality": "VN",
            "contract_type": "",
            **more,
        }
        for month in months
    ]


def _record(n: int, employer: str, salary: str) -> dict[str, str]:
    return {
        "si_code": f"01900000{n:02d}",
        "national_id": f"00109001{n:04d}",
        "full_name": NAMES[n % len(NAMES)],
        "birth_date": "15/03/1990",
        "gender": "Nam" if n % 2 else "Nữ",
        "employer_tax_code": employer,
        "status": "active",
        "contribution_salary": salary,
    }


@contextlib.contextmanager
def _decisions() -> Iterator[list[pd.DataFrame]]:
    """The dispositions of the runs inside (every payroll row, not only the published)."""
    from linkage import pipeline

    decided: list[pd.DataFrame] = []

    def keep(*args: Any, **kwargs: Any) -> pd.DataFrame:
        result = decide(*args, **kwargs)
        decided.append(result)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.run, "decide", keep)
        yield decided


type RulesRun = tuple[str, dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RulesRun:
    root = tmp_path_factory.mktemp("rules")
    businesses = _csv(
        root / "businesses.csv",
        [
            {
                "tax_code": REGISTERED,
                "name": "Công ty An Phát",
                "province_code": "01",
                "district_code": "001",
                "ward_code": "",
                "status": "active",
                "registered_on": "2010-01-04",
            },
            {
                "tax_code": UNREGISTERED,
                "name": "Công ty Mới Mở",
                "province_code": "01",
                "district_code": "001",
                "ward_code": "",
                "status": "active",
                "registered_on": "2025-08-15",
            },
            {
                "tax_code": NEW_SCHEME,
                "name": "Công ty Sài Gòn",
                "province_code": "79",
                "district_code": "",
                "ward_code": "26740",
                "status": "active",
                "registered_on": "2015-05-05",
            },
            {
                "tax_code": ODD_STATUS,
                "name": "Công ty Đang Giải Thể",
                "province_code": "01",
                "district_code": "001",
                "ward_code": "",
                "status": "đang làm thủ tục giải thể",  # in no vocabulary
                "registered_on": "2012-02-02",
            },
        ],
    )
    payroll = _csv(
        root / "payroll.csv",
        [
            *_worker(1, REGISTERED, MONTHS),  # uninsured since June at least: evasion
            *_worker(2, REGISTERED, MONTHS[-1:]),  # first seen in September: within 30 days
            *_worker(3, REGISTERED, MONTHS),  # insured and declared: no letter
            *_worker(4, UNREGISTERED, MONTHS[1:]),  # since July: 92 days
            *_worker(5, NEW_SCHEME, MONTHS),
            *_worker(6, NEW_SCHEME, MONTHS[:1]),  # insured at REGISTERED: covered there
            # three months, the last with a bonus: the median month is compared
            *_worker(7, REGISTERED, MONTHS[:2]),
            *_worker(7, REGISTERED, MONTHS[3:], income="30000000"),
            *_worker(8, REGISTERED, MONTHS[:3], income="20000000"),  # base 6M: under-declared
            *_worker(9, ODD_STATUS, MONTHS),
            # Issue 23's legal cases, one worker each, all in September 2025 (Law 41):
            *_worker(10, REGISTERED, MONTHS[3:], income="3000000"),  # part-timer, base 2.5M
            *_worker(11, REGISTERED, MONTHS[3:], income="3000000"),  # part-timer, base 2.0M
            *_worker(12, REGISTERED, MONTHS[3:]),  # full-time 12M, base 4.5M < 4.96M
            *_worker(13, REGISTERED, MONTHS[:1], nationality="CN", contract_months="24"),
            *_worker(14, REGISTERED, MONTHS[:1], birth_date="15/03/1950"),  # 75 years old
            *_worker(15, HOUSEHOLD, MONTHS[:1]),  # paid by a family: a domestic worker?
            *_worker(16, "001090010016", MONTHS[3:]),  # owner of the household paying
            *_worker(17, "001090010017", MONTHS[:1]),  # an owner in June: Law 58
            *_worker(18, REGISTERED, MONTHS[:1], contract_type="Thử việc"),  # June probation
        ],
    )
    insured = _csv(
        root / "insured.csv",
        [
            _record(3, REGISTERED, "11000000"),
            _record(6, REGISTERED, "11000000"),
            _record(7, REGISTERED, "9000000"),
            _record(8, REGISTERED, "6000000"),
            _record(10, REGISTERED, "2500000"),
            _record(11, REGISTERED, "2000000"),
            _record(12, REGISTERED, "4500000"),
        ],
    )
    out = root / "out"
    with _decisions() as decided:
        result = invoke(
            "run",
            "--businesses", businesses,
            "--payroll", payroll,
            "--insured", insured,
            "--out", out,
            "--as-of", "2025-09-30",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    candidates = pd.read_parquet(out / "candidates").set_index("record_id")
    employers = pd.read_parquet(out / "employers").set_index("employer_tax_code")
    return result.output, manifest, candidates, employers, decided[0].set_index("record_id")


def test_registration_window_and_evasion(run: RulesRun) -> None:
    output, manifest, candidates, _, _ = run
    assert manifest["accounting"]["excluded"]["registration_window"] == 1  # W2, new hire
    assert "W2-09" not in candidates.index
    evader = candidates.loc["W1-09"]
    assert (evader["reason"], evader["tenure_days"], evader["suspected_evasion"]) == (
        "uninsured",
        122,
        True,
    )
    # since July: a start on July 31 had until Aug 30, so 31 days late, no evasion yet
    july = candidates.loc["W4-09"]
    assert (july["tenure_days"], july["suspected_evasion"]) == (92, False)
    assert manifest["registration"]["registration_window"] == 1
    assert "assessed" in manifest["registration"]["note"]
    assert "registration deadlines: every row has monthly periods" in output
    assert manifest["registration"]["as_of"] == "2025-09-30"
    assert manifest["registration"]["as_of_source"] == "--as-of"
    assert "registry as of 2025-09-30 (--as-of)" in output


def test_the_employer_not_registered_with_vss_is_inspected_first(run: RulesRun) -> None:
    _, _, _, employers, _ = run
    ba_dinh = employers[employers["district_code"] == "001"]
    # From 2025-07 Ba Đình's workplaces go to the office continuing it: there the employer
    # registered after the reform, unknown to VSS, comes first.
    today = ba_dinh[ba_dinh["unit_scheme"] == "2025-07"]
    first = today.loc[UNREGISTERED]
    assert (first["rank"], first["registered_with_vss"], first["new_business"]) == (1, False, True)
    assert today.loc[REGISTERED, "registered_with_vss"]
    assert today.loc[REGISTERED, "payroll_workers"] == 11  # with the legal cases below
    # its candidates of the months before the reform stay with the district's own list
    before = ba_dinh[ba_dinh["unit_scheme"] == "pre-2025"]
    assert list(before.index) == [REGISTERED]


def test_a_2025_commune_goes_to_its_district_office(run: RulesRun) -> None:
    _, manifest, candidates, _, _ = run
    assert manifest["unit_scheme"] == "pre-2025,2025-07"  # the lists span the reform
    routed = candidates.loc["W5-09"]
    unit = (routed["unit_scheme"], routed["province_code"], routed["district_code"])
    # a September 2025 row: the office continuing Quận 1, whose wards made Phường Sài Gòn
    assert unit == ("2025-07", "79", "760")
    assert routed["zone"] == "I"
    assert routed["office_placeholder"]  # the crosswalk's generated office name


def test_insured_elsewhere_and_bonus_months(run: RulesRun) -> None:
    _, manifest, candidates, _, _ = run
    assert manifest["accounting"]["excluded"]["covered_elsewhere"] == 1  # W6, at REGISTERED
    assert not candidates.index.str.startswith(("W6", "W7")).any()  # 9M >= 0.7 x 12M median
    assert candidates.loc["W8-08", "reason"] == "under_declared"  # 6M < 0.7 x 20M


def test_a_registry_row_with_an_unknown_status_is_kept_and_counted(run: RulesRun) -> None:
    _, manifest, candidates, _, _ = run
    businesses = next(i for i in manifest["inputs"] if i["source"] == "businesses")
    assert businesses["nulled_invalid"] == {"status": 1}
    listed = candidates.loc["W9-09"]
    assert (listed["province_code"], listed["district_code"]) == ("01", "001")
    assert listed["employer_name"] == "Công ty Đang Giải Thể"


@pytest.mark.parametrize(
    ("record", "disposition", "reason", "detail"),
    [
        # a part-timer's floor is the reference level (Decree 158/2025 Art. 7(2)): 2.5M is
        # below the zone's 4.96M but no under-declaration of a 3M part-time wage
        ("W10-09", "insured_ok", None, None),
        ("W11-09", "candidate", "under_declared", "below_legal_floor"),  # 2.0M < 2.34M
        ("W12-09", "candidate", "under_declared", "below_legal_floor"),  # 4.5M < 4.96M
        ("W8-08", "candidate", "under_declared", "below_income_heuristic"),  # 6M of 20M
        ("W13-06", "candidate", "review", "foreign_worker_exemption_unknown"),
        ("W14-06", "candidate", "review", "pension_unknown_over_retirement_age"),
        ("W15-06", "candidate", "review", "domestic_worker_unknown"),
        ("W16-09", "candidate", "review", "household_business_tax_method_unknown"),
        ("W17-06", "excluded", "household_owner_not_covered", None),  # Law 58: no owners
        ("W18-06", "excluded", "probation", None),  # a probation contract under Law 58 too
        ("W1-09", "candidate", "uninsured", "no_insured_record"),
        ("W2-09", "excluded", "registration_window", "registration_window"),
    ],
)
def test_legal_cases_of_issue_23(
    run: RulesRun, record: str, disposition: str, reason: str | None, detail: str | None
) -> None:
    row = run[4].loc[record]
    got = tuple(None if pd.isna(row[c]) else row[c] for c in ("disposition", "reason", "detail"))
    assert got == (disposition, reason, detail)


def test_a_floor_violation_is_contacted_before_a_heuristic_lead(run: RulesRun) -> None:
    listed = run[4]
    under = listed[(listed["reason"] == "under_declared") & (listed["district_code"] == "001")]
    order = under.sort_values("priority")["detail"].tolist()
    assert order == sorted(order, key=lambda d: d != "below_legal_floor")


def test_an_annual_2025_return_is_judged_under_both_laws(tmp_path: Path) -> None:
    # Law 58 to June, Law 41 from July: a wage below the reference level is Law 41's
    # part-time exclusion but was compulsory for the first half: still a candidate. Without
    # --as-of, the run date is used, and said.
    businesses = _csv(
        tmp_path / "b.csv",
        [
            {
                "tax_code": REGISTERED,
                "name": "Công ty An Phát",
                "province_code": "01",
                "district_code": "001",
                "status": "active",
            }
        ],
    )
    rows = [
        *_worker(1, REGISTERED, ("2025",), income="2000000"),
        *_worker(2, REGISTERED, ("09/2025",), income="2000000"),
    ]
    payroll = _csv(tmp_path / "p.csv", rows)
    insured = _csv(tmp_path / "i.csv", [_record(3, REGISTERED, "9000000")])
    out = tmp_path / "out"
    with _decisions() as decided:
        result = invoke(
            "run", "--businesses", businesses, "--payroll", payroll, "--insured", insured,
            "--out", out,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    dispositions = decided[0].set_index("record_id")
    assert dispositions.loc["W1-20", "reason"] == "uninsured"  # the annual row
    assert dispositions.loc["W2-09", "reason"] == "part_time_low_wage"  # a Law 41 month
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["registration"]["as_of_source"].startswith("run date")
    assert "registry as of" in result.output


def test_a_commune_straddling_zones_is_judged_by_its_commune_zone(tmp_path: Path) -> None:
    # Phường Kỳ Lừa (06187), formed from TP Lạng Sơn (zone III) and huyện Cao Lộc (IV). A
    # full-time base of 3.6M is above zone IV's 3.45M but below zone III's 3.86M: in
    # September 2025 Decree 128/2025 Annex I puts the commune in III, a floor violation; in
    # June, under Decree 74/2024 by district, the commune formed from several zones takes the
    # highest of them (Art. 3(3)(đ)): III too, not IV.
    ky_lua = "4901234561"
    businesses = _csv(
        tmp_path / "b.csv",
        [
            {
                "tax_code": ky_lua,
                "name": "Công ty Kỳ Lừa",
                "province_code": "20",
                "district_code": "",
                "ward_code": "06187",
                "status": "active",
                "registered_on": "2015-05-05",
            }
        ],
    )
    payroll = _csv(
        tmp_path / "p.csv", [*_worker(1, ky_lua, ("06/2025",)), *_worker(2, ky_lua, ("09/2025",))]
    )
    insured = _csv(
        tmp_path / "i.csv", [_record(1, ky_lua, "3600000"), _record(2, ky_lua, "3600000")]
    )
    out = tmp_path / "out"
    with _decisions() as decided:
        result = invoke(
            "run", "--businesses", businesses, "--payroll", payroll, "--insured", insured,
            "--out", out, "--as-of", "2025-09-30",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    dispositions = decided[0].set_index("record_id")
    candidates = pd.read_parquet(out / "candidates").set_index("record_id")
    for record in ("W1-06", "W2-09"):
        got = tuple(dispositions.loc[record, c] for c in ("reason", "detail"))
        assert got == ("under_declared", "below_legal_floor"), record
        assert candidates.loc[record, "zone"] == "III"
