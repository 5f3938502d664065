"""Eligibility rules end to end, on crafted monthly files run through ``linkage run``.

Registration deadlines and evasion (tenure from the months seen), the inspection order of
employers (one not registered with VSS first), a workplace coded by its 2025-07 commune
routed to its district office, a worker insured at another employer, a bonus month that is
no under-declaration beside a real one, and a registry row with a status word nobody
mapped: each read back from the published Parquet and manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_cli import invoke

REGISTERED = "0100109106"  # Hà Nội, Ba Đình (001): its workers are insured
UNREGISTERED = "0100109113"  # Ba Đình too, registered last August: no insured record at all
NEW_SCHEME = "0312345673"  # coded by its 2025-07 commune: Phường Sài Gòn (26740)
ODD_STATUS = "0100109120"  # Ba Đình, its status an unmapped word
MONTHS = ("06/2025", "07/2025", "08/2025", "09/2025")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _worker(
    n: int, employer: str, months: tuple[str, ...], income: str = "12000000"
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


@pytest.fixture(scope="module")
def run(tmp_path_factory):
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
        ],
    )
    insured = _csv(
        root / "insured.csv",
        [
            _record(3, REGISTERED, "11000000"),
            _record(6, REGISTERED, "11000000"),
            _record(7, REGISTERED, "9000000"),
            _record(8, REGISTERED, "6000000"),
        ],
    )
    out = root / "out"
    result = invoke(
        "run",
        "--businesses", businesses,
        "--payroll", payroll,
        "--insured", insured,
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    candidates = pd.read_parquet(out / "candidates").set_index("record_id")
    employers = pd.read_parquet(out / "employers").set_index("employer_tax_code")
    return result.output, manifest, candidates, employers


def test_registration_window_and_evasion(run) -> None:
    output, manifest, candidates, _ = run
    assert manifest["accounting"]["excluded"]["registration_window"] == 1  # W2, new hire
    assert "W2-09" not in candidates.index
    evader = candidates.loc["W1-09"]
    assert (evader["reason"], evader["tenure_days"], evader["suspected_evasion"]) == (
        "uninsured",
        122,
        True,
    )
    july = candidates.loc["W4-09"]
    assert (july["tenure_days"], july["suspected_evasion"]) == (92, True)
    assert manifest["registration"]["registration_window"] == 1
    assert "assessed" in manifest["registration"]["note"]
    assert "registration deadlines: every row has monthly periods" in output


def test_the_employer_not_registered_with_vss_is_inspected_first(run) -> None:
    _, _, _, employers = run
    ba_dinh = employers[employers["district_code"] == "001"]
    first = ba_dinh.loc[UNREGISTERED]
    assert (first["rank"], first["registered_with_vss"], first["new_business"]) == (1, False, True)
    assert ba_dinh.loc[REGISTERED, "registered_with_vss"]
    assert ba_dinh.loc[REGISTERED, "payroll_workers"] == 5


def test_a_2025_commune_goes_to_its_district_office(run) -> None:
    _, _, candidates, _ = run
    routed = candidates.loc["W5-09"]
    unit = (routed["unit_scheme"], routed["province_code"], routed["district_code"])
    assert unit == ("pre-2025", "79", "760")  # Quận 1, whose wards made Phường Sài Gòn
    assert routed["zone"] == "I"
    assert routed["office_placeholder"]  # the crosswalk's generated office name


def test_insured_elsewhere_and_bonus_months(run) -> None:
    _, manifest, candidates, _ = run
    assert manifest["accounting"]["excluded"]["covered_elsewhere"] == 1  # W6, at REGISTERED
    assert not candidates.index.str.startswith(("W6", "W7")).any()  # 9M >= 0.7 x 12M median
    assert candidates.loc["W8-08", "reason"] == "under_declared"  # 6M < 0.7 x 20M


def test_a_registry_row_with_an_unknown_status_is_kept_and_counted(run) -> None:
    _, manifest, candidates, _ = run
    businesses = next(i for i in manifest["inputs"] if i["source"] == "businesses")
    assert businesses["nulled_invalid"] == {"status": 1}
    listed = candidates.loc["W9-09"]
    assert (listed["province_code"], listed["district_code"]) == ("01", "001")
    assert listed["employer_name"] == "Công ty Đang Giải Thể"
