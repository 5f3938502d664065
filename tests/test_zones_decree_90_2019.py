"""Checks the Decree 90/2019/NĐ-CP regional minimum-wage zone table (2020-01-01 to 2022-06-30)."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CSV_PATH = ROOT / "configs/rules/zones/decree-90-2019.csv"
CROSSWALK = ROOT / "configs/crosswalks/district-to-office.toml"
HEADER = ["province_code", "district_code", "district_name", "zone"]
ZONES = {"I", "II", "III", "IV"}


@cache
def _rows() -> tuple[dict[str, str], ...]:
    """Return the CSV rows as dicts, in file order."""
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return tuple(reader)


@cache
def _districts() -> dict[str, dict[str, str]]:
    """Return the crosswalk's pre-2025 districts keyed by 3-digit code."""
    with CROSSWALK.open("rb") as fh:
        return tomllib.load(fh)["districts"]


def _zone(code: str) -> str:
    """Return the zone given to one district code."""
    return {row["district_code"]: row["zone"] for row in _rows()}[code]


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
        ("001", "Quận Ba Đình", "I"),
        ("271", "Huyện Ba Vì", "II"),
        ("317", "Huyện Cát Hải", "I"),
        ("318", "Huyện Bạch Long Vĩ", "II"),
        ("769", "Thành phố Thủ Đức", "I"),
        ("787", "Huyện Cần Giờ", "II"),
        ("722", "Huyện Phú Giáo", "I"),
        ("741", "Huyện Xuân Lộc", "II"),
        ("193", "Thành phố Hạ Long", "II"),
        ("206", "Thị xã Quảng Yên", "III"),
        ("412", "Thành phố Vinh", "III"),
        ("336", "Thành phố Thái Bình", "III"),
        ("518", "Huyện Phú Ninh", "III"),
        ("450", "Thành Phố Đồng Hới", "II"),
        ("455", "Huyện Bố Trạch", "III"),
        ("916", "Quận Ninh Kiều", "II"),
        ("927", "Huyện Thới Lai", "III"),
        ("817", "Thị xã Cai Lậy", "III"),
        ("820", "Huyện Cai Lậy", "IV"),
        ("449", "Thị xã Kỳ Anh", "III"),
        ("447", "Huyện Kỳ Anh", "IV"),
        ("026", "Huyện Đồng Văn", "IV"),
        ("576", "Huyện Trường Sa", "IV"),
    ],
)
def test_known_annex_entries(district_code: str, district_name: str, zone: str) -> None:
    """Entries read from the annex (and the prefix-sensitive pairs) get the annex zone."""
    assert _districts()[district_code]["name"] == district_name
    assert _zone(district_code) == zone


def test_zone_counts() -> None:
    """The per-zone district counts stay as built."""
    counts = Counter(row["zone"] for row in _rows())
    assert counts == {"I": 76, "II": 87, "III": 175, "IV": 358}
