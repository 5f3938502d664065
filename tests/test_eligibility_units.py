"""Outreach units through the crosswalk: names, offices, and offices still placeholders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.eligibility import load_crosswalk, outreach_units

CROSSWALK = Path(__file__).resolve().parents[1] / "configs/crosswalks/district-to-office.toml"


def _units(path: Path) -> pd.DataFrame:
    dispositions = pd.DataFrame(
        {
            "province_code": ["01", "01", "00"],
            "district_code": ["001", "002", "000"],
            "unit_scheme": ["pre-2025"] * 3,
        }
    )
    return outreach_units(dispositions, load_crosswalk(path)).set_index("district_code")


def test_generated_office_names_are_labelled_placeholders(tmp_path: Path) -> None:
    units = _units(CROSSWALK)
    assert units.loc["001", "office"] == "BHXH cơ sở Quận Ba Đình"
    assert units.loc["001", "office_placeholder"]
    assert pd.isna(units["office_placeholder"].loc["000"])  # the unknown unit has no office
    # an office that edits its name in the crosswalk is no placeholder any more
    edited = CROSSWALK.read_text(encoding="utf-8").replace(
        'office = "BHXH cơ sở Quận Hoàn Kiếm"', 'office = "BHXH khu vực I - Hoàn Kiếm"'
    )
    path = tmp_path / "crosswalk.toml"
    path.write_text(edited, encoding="utf-8")
    offices = CROSSWALK.with_name("commune-to-office.toml")
    (tmp_path / offices.name).write_bytes(offices.read_bytes())
    units = _units(path)
    assert units.loc["002", "office"] == "BHXH khu vực I - Hoàn Kiếm"
    assert not units.loc["002", "office_placeholder"]
    assert units.loc["001", "office_placeholder"]
