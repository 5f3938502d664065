"""Eligibility rules end to end, on crafted monthly files run through ``linkage run``.

Registration deadlines and evasion (tenure from the months seen), the inspection order of
employers (one not registered with VSS first), and a workplace coded by its 2025-07 commune
routed to its district office, each read back from the published Parquet and manifest.
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
MONTHS = ("06/2025", "07/2025", "08/2025", "09/2025")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung")


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _worker(n: int, employer: str, months: tuple[str, ...]) -> list[dict[str, str]]:
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
            "monthly_income": "12000000",
        }
        for month in months
    ]


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
        ],
    )
    insured = _csv(
        root / "insured.csv",
        [
            {
                "si_code": "0190000003",
                "national_id": "001090010003",
                "full_name": "Phạm Thị Dung",
                "birth_date": "15/03/1990",
                "gender": "Nam",
                "employer_tax_code": REGISTERED,
                "status": "active",
                "contribution_salary": "11000000",
            }
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
    assert (ba_dinh.loc[REGISTERED, "rank"], ba_dinh.loc[REGISTERED, "payroll_workers"]) == (2, 3)


def test_a_2025_commune_goes_to_its_district_office(run) -> None:
    _, _, candidates, _ = run
    routed = candidates.loc["W5-09"]
    unit = (routed["unit_scheme"], routed["province_code"], routed["district_code"])
    assert unit == ("pre-2025", "79", "760")  # Quận 1, whose wards made Phường Sài Gòn
    assert routed["zone"] == "I"
    assert routed["office_placeholder"]  # the crosswalk's generated office name
