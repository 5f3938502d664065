"""Checks the Decree 293/2025/NĐ-CP regional minimum-wage zone table (from 2026-01-01)."""

from __future__ import annotations

import csv
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from vietnam_provinces import Ward

CSV_PATH = Path(__file__).parents[1] / "configs/rules/zones/decree-293-2025.csv"
HEADER = ["province_code", "ward_code", "ward_name", "zone"]
ZONES = {"I", "II", "III", "IV"}


@cache
def _rows() -> tuple[dict[str, str], ...]:
    """Return the CSV rows as dicts, in file order."""
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return tuple(reader)


def _by_code() -> dict[str, dict[str, str]]:
    """Return the rows keyed by 5-digit ward code."""
    return {row["ward_code"]: row for row in _rows()}


def test_every_ward_once_with_valid_zone() -> None:
    """Each current commune-level unit appears exactly once, sorted, with a valid zone."""
    rows = _rows()
    codes = [row["ward_code"] for row in rows]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    expected = {f"{int(w.code):05d}": w for w in Ward.iter_all()}
    assert set(codes) == set(expected)
    for row in rows:
        ward = expected[row["ward_code"]]
        assert row["province_code"] == f"{int(ward.province_code):02d}"
        assert row["ward_name"] == ward.name
        assert row["zone"] in ZONES


@pytest.mark.parametrize(
    ("ward_code", "province_code", "ward_name", "zone"),
    [
        ("00070", "01", "Phường Hoàn Kiếm", "I"),
        ("09700", "01", "Xã Ba Vì", "II"),
        ("26740", "79", "Phường Sài Gòn", "I"),
        ("25747", "79", "Phường Thủ Dầu Một", "I"),
        ("26506", "79", "Phường Vũng Tàu", "I"),
        ("27013", "79", "Phường Tây Thạnh", "I"),
        ("27664", "79", "Xã Cần Giờ", "II"),
        ("26732", "79", "Đặc khu Côn Đảo", "II"),
        ("26632", "79", "Xã Xuyên Mộc", "III"),
        ("11311", "31", "Phường Hồng Bàng", "I"),
        ("11914", "31", "Đặc khu Cát Hải", "I"),
        ("11948", "31", "Đặc khu Bạch Long Vĩ", "II"),
        ("20242", "48", "Phường Hải Châu", "II"),
        ("20551", "48", "Phường Điện Bàn", "III"),
        ("20900", "48", "Xã Trà My", "IV"),
        ("26068", "75", "Phường Biên Hòa", "I"),
        ("06994", "22", "Đặc khu Vân Đồn", "III"),
        ("01273", "04", "Phường Thục Phán", "III"),
        ("01290", "04", "Xã Bảo Lâm", "IV"),
        ("31078", "91", "Đặc khu Phú Quốc", "II"),
        ("21529", "51", "Xã Ba Vì", "IV"),
    ],
)
def test_known_annex_entries(ward_code: str, province_code: str, ward_name: str, zone: str) -> None:
    """Spot-check entries against the annex of the decree."""
    row = _by_code()[ward_code]
    assert (row["province_code"], row["ward_name"], row["zone"]) == (
        province_code,
        ward_name,
        zone,
    )


def test_zone_counts() -> None:
    """Per-zone counts as built from the annex (remainder rule per province)."""
    counts = Counter(row["zone"] for row in _rows())
    assert counts == {"I": 440, "II": 435, "III": 799, "IV": 1647}
