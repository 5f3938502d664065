"""Offices of today: a workplace's 2025-07 commune routes to the grassroots office serving it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from linkage.eligibility import load_crosswalk, office_coverage, outreach_units, route
from linkage.eligibility.offices import load_offices
from linkage.eligibility.units import Crosswalk
from linkage.errors import ConfigError

CROSSWALKS = Path(__file__).resolve().parents[1] / "configs/crosswalks"
CROSSWALK = load_crosswalk(CROSSWALKS / "district-to-office.toml")
VINH_BINH = "28651"  # Xã Vĩnh Bình (Đồng Tháp): most of its wards came from Gò Công Tây (823)
TAN_PHU_DONG = "28696"  # Xã Tân Phú Đông: from the old district Tân Phú Đông (825)


def _routed(
    rows: list[tuple[str, str, str, dt.date]], crosswalk: Crosswalk = CROSSWALK
) -> pd.DataFrame:
    """Route one candidate per (record, ward, scheme, period end) through the crosswalk."""
    n = len(rows)
    businesses = pd.DataFrame(
        {
            "tax_code": [f"T{i}" for i in range(n)],
            "ward_code": [r[1] for r in rows],
            "unit_scheme": [r[2] for r in rows],
        }
    )
    dispositions = pd.DataFrame(
        {
            "record_id": [r[0] for r in rows],
            "employer_code": businesses["tax_code"],
            "unit_scheme": "pre-2025",
            "province_code": "82",
            "district_code": "823",  # where decide puts them: by most wards
            "disposition": "candidate",
            "reason": "uninsured",
            "priority": pd.array(range(1, n + 1), dtype="Int32"),
            "suspected_evasion": pd.array([None] * n, dtype="boolean"),
            "unpaid_monthly": pd.array([1000] * n, dtype="Int64"),
        }
    )
    payroll = pd.DataFrame({"period_end": [r[3] for r in rows]})
    routed, routes = route(dispositions, payroll, businesses, crosswalk)
    assert routes is not None
    units = outreach_units(routed, crosswalk)
    out = routed.merge(routes, on="record_id").merge(
        units, on=["unit_scheme", "province_code", "district_code"], how="left"
    )
    return out.set_index("record_id")


@pytest.mark.parametrize(
    ("ward", "scheme", "end", "unit", "office", "route_kind"),
    [
        # listed by Đồng Tháp 600/TB-BHXH, in force from 01/10/2025: the cited office
        (VINH_BINH, "2025-07", dt.date(2025, 11, 30), "825", "BHXH cơ sở Tân Phú Đông", "cited"),
        # the same commune before the notice: the office of the district of most wards
        (VINH_BINH, "2025-07", dt.date(2025, 8, 31), "823", None, "placeholder"),
        # a period before the reform keeps the pre-2025 district route
        (VINH_BINH, "2025-07", dt.date(2024, 12, 31), "823", None, None),
        # Thốt Nốt (VSS 1521/BHXH-TCCB) is in force from the reform, by a pre-2025 ward
        ("31207", "pre-2025", dt.date(2025, 7, 31), "923", "BHXH cơ sở Thốt Nốt", "cited"),
    ],
)
def test_routes_by_commune_period_and_source(
    ward: str, scheme: str, end: dt.date, unit: str, office: str | None, route_kind: str | None
) -> None:
    row = _routed([("R1", ward, scheme, end)]).loc["R1"]
    assert row["district_code"] == unit
    if office is not None:
        assert row["office"] == office
    if route_kind is None and unit == "823":
        assert row["unit_scheme"] == "pre-2025"
        assert pd.isna(row["office_route"])
    elif route_kind is not None:
        assert row["unit_scheme"] == "2025-07"
        assert row["office_route"] == route_kind
        assert bool(row["office_placeholder"]) is (route_kind == "placeholder")
    if route_kind == "cited":
        assert "TB-BHXH" in row["office_source"] or "1521/BHXH-TCCB" in row["office_source"]


def test_a_commune_a_cited_list_leaves_out_goes_to_no_office(tmp_path: Path) -> None:
    for name in ("district-to-office.toml", "commune-to-office.toml"):
        text = (CROSSWALKS / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(', "28696"]', "]"), encoding="utf-8")
    crosswalk = load_crosswalk(tmp_path / "district-to-office.toml")
    row = _routed([("R1", TAN_PHU_DONG, "2025-07", dt.date(2025, 11, 30))], crosswalk).loc["R1"]
    # by its wards the commune would go to 825, whose cited list no longer names it
    assert (row["unit_scheme"], row["district_code"]) == ("2025-07", "000")
    assert row["office"] == "Chưa xác định BHXH cơ sở"
    assert row["office_route"] == "placeholder"
    assert row["office_placeholder"]


def test_priorities_rank_again_within_the_new_units() -> None:
    frame = _routed(
        [
            ("R1", VINH_BINH, "2025-07", dt.date(2025, 11, 30)),
            ("R2", TAN_PHU_DONG, "2025-07", dt.date(2025, 11, 30)),
            ("R3", VINH_BINH, "2025-07", dt.date(2024, 12, 31)),
        ]
    )
    assert frame.loc[["R1", "R2"], "district_code"].tolist() == ["825", "825"]
    assert frame.loc[["R1", "R2"], "priority"].tolist() == [1, 2]
    assert frame.loc["R3", "priority"] == 1  # alone in the pre-2025 district now


def test_coverage_counts_cited_communes_against_placeholders() -> None:
    before = office_coverage(CROSSWALK, dt.date(2025, 9, 1))
    after = office_coverage(CROSSWALK, dt.date(2026, 1, 1))
    assert before is not None
    assert after is not None
    assert after["communes"] == 3321
    assert before["cited_communes"] == 4  # Thốt Nốt only, from the reform
    assert after["cited_communes"] == 17
    assert after["placeholder_communes"] == 3321 - 17
    assert set(after["cited_offices"]) == {"66", "82", "92"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a commune of another province
        ('"28651", "28660"', "are no 2025-07 communes of '82'"),
        # an office code that is no pre-2025 district code
        ('code = "825"', "is not a 3-digit district office code"),
    ],
)
def test_office_file_errors_name_the_key(tmp_path: Path, edit: str, message: str) -> None:
    text = (CROSSWALKS / "commune-to-office.toml").read_text(encoding="utf-8")
    broken = {'"28651", "28660"': '"24412", "28660"', 'code = "825"': 'code = "82"'}[edit]
    path = tmp_path / "offices.toml"
    path.write_text(text.replace(edit, broken, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="offices\\[1\\]") as error:
        load_offices(path)
    assert message in str(error.value)
