"""Regional minimum-wage zones of Decree 74/2024/NĐ-CP, one row per pre-2025 district."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ZONES_CSV = ROOT / "configs/rules/zones/decree-74-2024.csv"
CROSSWALK = ROOT / "configs/crosswalks/district-to-office.toml"
HEADER = ["province_code", "district_code", "district_name", "zone"]
ZONES = {"I", "II", "III", "IV"}


@cache
def read_rows() -> tuple[dict[str, str], ...]:
    """All rows of the zone table, in file order."""
    with ZONES_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADER
        return tuple(reader)


@cache
def crosswalk_districts() -> dict[str, dict[str, object]]:
    """Pre-2025 districts keyed by 3-digit code, as listed in the office crosswalk."""
    with CROSSWALK.open("rb") as handle:
        return tomllib.load(handle)["districts"]


def zone_of(district_code: str) -> str:
    """The zone given to one district code."""
    matches = [row["zone"] for row in read_rows() if row["district_code"] == district_code]
    assert len(matches) == 1, district_code
    return matches[0]


def test_every_crosswalk_district_appears_exactly_once() -> None:
    codes = [row["district_code"] for row in read_rows()]
    counts = Counter(codes)
    assert [code for code, n in counts.items() if n > 1] == []
    assert set(codes) == set(crosswalk_districts())
    assert len(codes) == 696


def test_rows_are_sorted_and_well_formed() -> None:
    rows = read_rows()
    assert [row["district_code"] for row in rows] == sorted(row["district_code"] for row in rows)
    districts = crosswalk_districts()
    for row in rows:
        assert row["zone"] in ZONES, row
        assert len(row["district_code"]) == 3, row
        assert len(row["province_code"]) == 2, row
        assert row["province_code"] == districts[row["district_code"]]["province"], row
        assert row["district_name"] == districts[row["district_code"]]["name"], row


@pytest.mark.parametrize(
    ("district_code", "name", "zone"),
    [
        ("001", "Quận Ba Đình", "I"),
        ("271", "Huyện Ba Vì", "II"),
        ("193", "Thành phố Hạ Long", "I"),
        ("195", "Thành phố Cẩm Phả", "II"),
        ("288", "Thành phố Hải Dương", "I"),
        ("299", "Huyện Ninh Giang", "III"),
        ("760", "Quận 1", "I"),
        ("787", "Huyện Cần Giờ", "II"),
        ("492", "Quận Hải Châu", "II"),
        ("497", "Huyện Hòa Vang", "II"),
        ("164", "Thành phố Thái Nguyên", "II"),
        ("412", "Thành phố Vinh", "II"),
        ("568", "Thành phố Nha Trang", "II"),
        ("336", "Thành phố Thái Bình", "II"),
        ("622", "Thành phố Pleiku", "III"),
        ("643", "Thành phố Buôn Ma Thuột", "III"),
        ("817", "Thị xã Cai Lậy", "III"),
        ("820", "Huyện Cai Lậy", "IV"),
        ("851", "Thị xã Duyên Hải", "III"),
        ("850", "Huyện Duyên Hải", "IV"),
        ("449", "Thị xã Kỳ Anh", "III"),
        ("447", "Huyện Kỳ Anh", "IV"),
        ("318", "Huyện Bạch Long Vĩ", "II"),
        ("026", "Huyện Đồng Văn", "IV"),
        ("731", "Thành phố Biên Hòa", "I"),
        ("736", "Huyện Định Quán", "II"),
    ],
)
def test_known_annex_entries(district_code: str, name: str, zone: str) -> None:
    assert crosswalk_districts()[district_code]["name"] == name
    assert zone_of(district_code) == zone


@pytest.mark.parametrize(
    ("district_code", "zone"),
    [
        ("374", "II"),  # TP Hoa Lư: TP Ninh Bình (II) + huyện Hoa Lư (III), highest zone
        ("474", "II"),  # Quận Thuận Hóa, from the former TP Huế (II)
        ("475", "II"),  # Quận Phú Xuân, from the former TP Huế (II)
        ("753", "III"),  # Huyện Long Đất: Long Điền (III) + Đất Đỏ (III)
        ("224", "IV"),  # Thị xã Chũ, split from huyện Lục Ngạn (IV)
        ("205", "I"),  # TP Đông Triều, listed as thị xã Đông Triều
        ("350", "III"),  # TX Kim Bảng, listed as huyện Kim Bảng
    ],
)
def test_units_changed_after_the_decree(district_code: str, zone: str) -> None:
    assert zone_of(district_code) == zone


def test_zone_counts() -> None:
    counts = Counter(row["zone"] for row in read_rows())
    assert counts == {"I": 88, "II": 106, "III": 174, "IV": 328}
