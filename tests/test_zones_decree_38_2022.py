"""Checks the Decree 38/2022/NĐ-CP regional minimum-wage zone table (2022-07-01 to 2024-06-30)."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CSV_PATH = ROOT / "configs/rules/zones/decree-38-2022.csv"
PREVIOUS_CSV = ROOT / "configs/rules/zones/decree-90-2019.csv"
CROSSWALK = ROOT / "configs/crosswalks/district-to-office.toml"
HEADER = ["province_code", "district_code", "district_name", "zone"]
ZONES = {"I", "II", "III", "IV"}
RANK = {"I": 1, "II": 2, "III": 3, "IV": 4}

# District code -> (zone under 90/2019, zone under 38/2022).
CHANGED_FROM_90_2019 = {
    "148": ("III", "II"),
    "152": ("III", "II"),
    "193": ("II", "I"),
    "199": ("IV", "III"),
    "200": ("IV", "III"),
    "201": ("IV", "III"),
    "203": ("IV", "III"),
    "205": ("III", "II"),
    "206": ("III", "II"),
    "412": ("III", "II"),
    "414": ("IV", "III"),
    "419": ("IV", "III"),
    "421": ("IV", "III"),
    "425": ("IV", "III"),
    "426": ("IV", "III"),
    "427": ("IV", "III"),
    "429": ("III", "II"),
    "430": ("IV", "III"),
    "431": ("III", "II"),
    "432": ("IV", "III"),
    "709": ("III", "II"),
    "741": ("II", "I"),
    "855": ("III", "II"),
    "858": ("IV", "III"),
    "861": ("III", "II"),
    "954": ("III", "II"),
    "961": ("IV", "III"),
}


def _read(path: Path) -> tuple[dict[str, str], ...]:
    """Return the rows of one zone CSV as dicts, in file order."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return tuple(reader)


@cache
def _rows() -> tuple[dict[str, str], ...]:
    """Return the 38/2022 CSV rows."""
    return _read(CSV_PATH)


@cache
def _districts() -> dict[str, dict[str, str]]:
    """Return the crosswalk's pre-2025 districts keyed by 3-digit code."""
    with CROSSWALK.open("rb") as fh:
        return tomllib.load(fh)["districts"]


def _zones(rows: tuple[dict[str, str], ...]) -> dict[str, str]:
    """Map district code to zone."""
    return {row["district_code"]: row["zone"] for row in rows}


def test_every_district_once_with_valid_zone() -> None:
    """Each crosswalk district appears exactly once, sorted, with its province, name and a zone."""
    rows = _rows()
    codes = [row["district_code"] for row in rows]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    districts = _districts()
    assert set(codes) == set(districts)
    for row in rows:
        district = districts[row["district_code"]]
        assert row["province_code"] == district["province"]
        assert row["district_name"] == district["name"]
        assert row["zone"] in ZONES


@pytest.mark.parametrize(
    ("district_code", "district_name", "zone"),
    [
        ("193", "Thành phố Hạ Long", "I"),
        ("741", "Huyện Xuân Lộc", "I"),
        ("769", "Thành phố Thủ Đức", "I"),
        ("271", "Huyện Ba Vì", "II"),
        ("288", "Thành phố Hải Dương", "II"),
        ("206", "Thị xã Quảng Yên", "II"),
        ("203", "Huyện Vân Đồn", "III"),
        ("148", "Thành phố Hòa Bình", "II"),
        ("412", "Thành phố Vinh", "II"),
        ("421", "Huyện Quỳnh Lưu", "III"),
        ("709", "Thị xã Hòa Thành", "II"),
        ("738", "Huyện Thống Nhất", "II"),
        ("795", "Thị xã Kiến Tường", "III"),
        ("858", "Huyện Mang Thít", "III"),
        ("961", "Huyện Hoà Bình", "III"),
        ("954", "Thành phố Bạc Liêu", "II"),
        ("941", "Thành phố Sóc Trăng", "III"),
        ("380", "Thành phố Thanh Hóa", "III"),
        ("498", "Huyện Hoàng Sa", "II"),
        ("817", "Thị xã Cai Lậy", "III"),
        ("820", "Huyện Cai Lậy", "IV"),
        ("026", "Huyện Đồng Văn", "IV"),
    ],
)
def test_known_annex_entries(district_code: str, district_name: str, zone: str) -> None:
    """Entries read from the annex (and the prefix-sensitive pairs) get the annex zone."""
    assert _districts()[district_code]["name"] == district_name
    assert _zones(_rows())[district_code] == zone


def test_zone_counts() -> None:
    """The per-zone district counts stay as built."""
    counts = Counter(row["zone"] for row in _rows())
    assert counts == {"I": 78, "II": 96, "III": 178, "IV": 344}


def test_changes_from_decree_90_2019() -> None:
    """Only the listed districts differ from 90/2019, and every change is an upgrade."""
    old, new = _zones(_read(PREVIOUS_CSV)), _zones(_rows())
    changed = {code: (old[code], new[code]) for code in new if old[code] != new[code]}
    assert changed == CHANGED_FROM_90_2019
    assert all(RANK[after] < RANK[before] for before, after in changed.values())
