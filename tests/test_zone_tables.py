"""Checks the regional minimum-wage zone tables in configs/rules/zones/.

Decrees 90/2019, 38/2022 and 74/2024 list pre-2025 districts (checked against the office
crosswalk); Decrees 128/2025 (Annex I) and 293/2025 list 2025-07 communes (checked against
`vietnam_provinces`).
"""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
from vietnam_provinces import Ward

from linkage.normalize.units import district_communes

ROOT = Path(__file__).parents[1]
RULES_DIR = ROOT / "configs/rules"
RULE_FILE = RULES_DIR / "vn-social-insurance.toml"
CROSSWALK = ROOT / "configs/crosswalks/district-to-office.toml"
ZONES = {"I", "II", "III", "IV"}
RANK = {"I": 1, "II": 2, "III": 3, "IV": 4}
DISTRICT_COUNT = 696

Row = dict[str, str]


@dataclass(frozen=True)
class Table:
    """One decree's zone table and the period the rule file applies it to."""

    decree: str
    path: str  # relative to configs/rules, as the rule file names it
    scheme: str  # "pre-2025" (districts) or "2025-07" (communes)
    start: date
    end: date | None

    @property
    def unit(self) -> str:
        """Column prefix of the unit the table is keyed by."""
        return "district" if self.scheme == "pre-2025" else "ward"

    @property
    def code_column(self) -> str:
        """Column holding the unit code."""
        return f"{self.unit}_code"

    @property
    def name_column(self) -> str:
        """Column holding the unit name."""
        return f"{self.unit}_name"

    @property
    def header(self) -> list[str]:
        """Exact CSV header, so a renamed or reordered column fails loudly."""
        return ["province_code", self.code_column, self.name_column, "zone"]

    @property
    def code_width(self) -> int:
        """Digits in a unit code: 3 for districts, 5 for communes."""
        return 3 if self.scheme == "pre-2025" else 5


# In period order, as the rule file must list them.
TABLES = (
    Table("90/2019", "zones/decree-90-2019.csv", "pre-2025", date(2020, 1, 1), date(2022, 6, 30)),
    Table("38/2022", "zones/decree-38-2022.csv", "pre-2025", date(2022, 7, 1), date(2024, 6, 30)),
    Table("74/2024", "zones/decree-74-2024.csv", "pre-2025", date(2024, 7, 1), date(2025, 6, 30)),
    Table("128/2025", "zones/decree-128-2025.csv", "2025-07", date(2025, 7, 1), date(2025, 12, 31)),
    Table("293/2025", "zones/decree-293-2025.csv", "2025-07", date(2026, 1, 1), None),
)
BY_DECREE = {table.decree: table for table in TABLES}

# Per-zone unit counts, as built from each annex (293/2025: remainder rule per province).
ZONE_COUNTS = {
    "90/2019": {"I": 76, "II": 87, "III": 175, "IV": 358},
    "38/2022": {"I": 78, "II": 96, "III": 178, "IV": 344},
    "74/2024": {"I": 88, "II": 106, "III": 174, "IV": 328},
    "128/2025": {"I": 401, "II": 445, "III": 813, "IV": 1662},
    "293/2025": {"I": 440, "II": 435, "III": 799, "IV": 1647},
}

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

# (decree, district code, crosswalk name, zone): annex entries and prefix-sensitive pairs
# (thị xã vs huyện of the same name).
KNOWN_DISTRICTS = [
    ("90/2019", "001", "Quận Ba Đình", "I"),
    ("90/2019", "271", "Huyện Ba Vì", "II"),
    ("90/2019", "317", "Huyện Cát Hải", "I"),
    ("90/2019", "318", "Huyện Bạch Long Vĩ", "II"),
    ("90/2019", "769", "Thành phố Thủ Đức", "I"),
    ("90/2019", "787", "Huyện Cần Giờ", "II"),
    ("90/2019", "722", "Huyện Phú Giáo", "I"),
    ("90/2019", "741", "Huyện Xuân Lộc", "II"),
    ("90/2019", "193", "Thành phố Hạ Long", "II"),
    ("90/2019", "206", "Thị xã Quảng Yên", "III"),
    ("90/2019", "412", "Thành phố Vinh", "III"),
    ("90/2019", "336", "Thành phố Thái Bình", "III"),
    ("90/2019", "518", "Huyện Phú Ninh", "III"),
    ("90/2019", "450", "Thành Phố Đồng Hới", "II"),
    ("90/2019", "455", "Huyện Bố Trạch", "III"),
    ("90/2019", "916", "Quận Ninh Kiều", "II"),
    ("90/2019", "927", "Huyện Thới Lai", "III"),
    ("90/2019", "817", "Thị xã Cai Lậy", "III"),
    ("90/2019", "820", "Huyện Cai Lậy", "IV"),
    ("90/2019", "449", "Thị xã Kỳ Anh", "III"),
    ("90/2019", "447", "Huyện Kỳ Anh", "IV"),
    ("90/2019", "026", "Huyện Đồng Văn", "IV"),
    ("90/2019", "576", "Huyện Trường Sa", "IV"),
    ("38/2022", "193", "Thành phố Hạ Long", "I"),
    ("38/2022", "741", "Huyện Xuân Lộc", "I"),
    ("38/2022", "769", "Thành phố Thủ Đức", "I"),
    ("38/2022", "271", "Huyện Ba Vì", "II"),
    ("38/2022", "288", "Thành phố Hải Dương", "II"),
    ("38/2022", "206", "Thị xã Quảng Yên", "II"),
    ("38/2022", "203", "Huyện Vân Đồn", "III"),
    ("38/2022", "148", "Thành phố Hòa Bình", "II"),
    ("38/2022", "412", "Thành phố Vinh", "II"),
    ("38/2022", "421", "Huyện Quỳnh Lưu", "III"),
    ("38/2022", "709", "Thị xã Hòa Thành", "II"),
    ("38/2022", "738", "Huyện Thống Nhất", "II"),
    ("38/2022", "795", "Thị xã Kiến Tường", "III"),
    ("38/2022", "858", "Huyện Mang Thít", "III"),
    ("38/2022", "961", "Huyện Hoà Bình", "III"),
    ("38/2022", "954", "Thành phố Bạc Liêu", "II"),
    ("38/2022", "941", "Thành phố Sóc Trăng", "III"),
    ("38/2022", "380", "Thành phố Thanh Hóa", "III"),
    ("38/2022", "498", "Huyện Hoàng Sa", "II"),
    ("38/2022", "817", "Thị xã Cai Lậy", "III"),
    ("38/2022", "820", "Huyện Cai Lậy", "IV"),
    ("38/2022", "026", "Huyện Đồng Văn", "IV"),
    ("74/2024", "001", "Quận Ba Đình", "I"),
    ("74/2024", "271", "Huyện Ba Vì", "II"),
    ("74/2024", "193", "Thành phố Hạ Long", "I"),
    ("74/2024", "195", "Thành phố Cẩm Phả", "II"),
    ("74/2024", "288", "Thành phố Hải Dương", "I"),
    ("74/2024", "299", "Huyện Ninh Giang", "III"),
    ("74/2024", "760", "Quận 1", "I"),
    ("74/2024", "787", "Huyện Cần Giờ", "II"),
    ("74/2024", "492", "Quận Hải Châu", "II"),
    ("74/2024", "497", "Huyện Hòa Vang", "II"),
    ("74/2024", "164", "Thành phố Thái Nguyên", "II"),
    ("74/2024", "412", "Thành phố Vinh", "II"),
    ("74/2024", "568", "Thành phố Nha Trang", "II"),
    ("74/2024", "336", "Thành phố Thái Bình", "II"),
    ("74/2024", "622", "Thành phố Pleiku", "III"),
    ("74/2024", "643", "Thành phố Buôn Ma Thuột", "III"),
    ("74/2024", "817", "Thị xã Cai Lậy", "III"),
    ("74/2024", "820", "Huyện Cai Lậy", "IV"),
    ("74/2024", "851", "Thị xã Duyên Hải", "III"),
    ("74/2024", "850", "Huyện Duyên Hải", "IV"),
    ("74/2024", "449", "Thị xã Kỳ Anh", "III"),
    ("74/2024", "447", "Huyện Kỳ Anh", "IV"),
    ("74/2024", "318", "Huyện Bạch Long Vĩ", "II"),
    ("74/2024", "026", "Huyện Đồng Văn", "IV"),
    ("74/2024", "731", "Thành phố Biên Hòa", "I"),
    ("74/2024", "736", "Huyện Định Quán", "II"),
]

# (ward code, province code, ward name, zone): spot checks against the 293/2025 annex.
KNOWN_WARDS = [
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
]

# (ward code, province code, ward name, zone): spot checks against the 128/2025 Annex I.
KNOWN_WARDS_128 = [
    ("00070", "01", "Phường Hoàn Kiếm", "I"),
    ("09700", "01", "Xã Ba Vì", "II"),
    ("26740", "79", "Phường Sài Gòn", "I"),
    ("27664", "79", "Xã Cần Giờ", "II"),
    ("26732", "79", "Đặc khu Côn Đảo", "III"),  # II under 293/2025
    ("26632", "79", "Xã Xuyên Mộc", "III"),
    ("11311", "31", "Phường Hồng Bàng", "I"),
    ("11948", "31", "Đặc khu Bạch Long Vĩ", "II"),
    ("20242", "48", "Phường Hải Châu", "II"),
    ("26068", "75", "Phường Biên Hòa", "I"),
    ("21529", "51", "Xã Ba Vì", "IV"),  # same name as Hà Nội's, another province
    # straddling: TP Lạng Sơn (III) and huyện Cao Lộc (IV) -> the highest; the annex's
    # phường "Hoàng Văn Thụ" (the xã of that name is in Văn Lãng, IV)
    ("06187", "20", "Phường Kỳ Lừa", "III"),
    ("06172", "20", "Xã Hoàng Văn Thụ", "IV"),
    ("10843", "31", "Xã Hà Nam", "II"),  # Kim Thành (II) and Thanh Hà (III), resolved by hand
    ("18871", "44", "Phường Đồng Sơn", "II"),  # "Đông Sơn" in the transcription
]

# Communes whose Annex I zone is not the highest zone under Decree 74/2024 of the districts
# they were formed from (the annex as transcribed; see decree-128-2025.md), and the islands
# no old ward went into, which keep their old district's zone.
NOT_HIGHEST_OF_74_2024 = {
    "06886": "III",  # Xã Hải Lạng: Cẩm Phả (II) + Tiên Yên (III)
    "06970": "IV",  # Xã Ba Chẽ: Tiên Yên (III) + Ba Chẽ (IV)
    "21607": "IV",  # Xã Nhơn Châu: from TP Quy Nhơn (III), unlisted
    "29044": "III",  # Xã Hưng Nhượng: from Giồng Trôm (IV), listed in III
    "11948": "II",  # Đặc khu Bạch Long Vĩ (huyện, II)
    "19742": "IV",  # Đặc khu Cồn Cỏ (huyện, IV)
    "20333": "II",  # Đặc khu Hoàng Sa (huyện, II)
    "21548": "IV",  # Đặc khu Lý Sơn (huyện, IV)
    "26732": "III",  # Đặc khu Côn Đảo (huyện, III)
}

# Districts created or renamed after Decree 74/2024 and the zone the table gives them.
CHANGED_AFTER_74_2024 = [
    ("374", "II"),  # TP Hoa Lư: TP Ninh Bình (II) + huyện Hoa Lư (III), highest zone
    ("474", "II"),  # Quận Thuận Hóa, from the former TP Huế (II)
    ("475", "II"),  # Quận Phú Xuân, from the former TP Huế (II)
    ("753", "III"),  # Huyện Long Đất: Long Điền (III) + Đất Đỏ (III)
    ("224", "IV"),  # Thị xã Chũ, split from huyện Lục Ngạn (IV)
    ("205", "I"),  # TP Đông Triều, listed as thị xã Đông Triều
    ("350", "III"),  # TX Kim Bảng, listed as huyện Kim Bảng
]


@cache
def read_rows(decree: str) -> tuple[Row, ...]:
    """Rows of one decree's table in file order; the header must match its scheme exactly."""
    table = BY_DECREE[decree]
    with (RULES_DIR / table.path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == table.header, table.path
        return tuple(reader)


def row_of(decree: str, code: str) -> Row:
    """The single row for one unit code, failing if the code is missing or repeated."""
    code_column = BY_DECREE[decree].code_column
    matches = [row for row in read_rows(decree) if row[code_column] == code]
    assert len(matches) == 1, (decree, code)
    return matches[0]


@cache
def crosswalk_districts() -> dict[str, dict[str, object]]:
    """Pre-2025 districts keyed by 3-digit code: the reference for the district tables."""
    with CROSSWALK.open("rb") as handle:
        districts: dict[str, dict[str, object]] = tomllib.load(handle)["districts"]
    return districts


@cache
def current_communes() -> dict[str, tuple[str, str]]:
    """2025-07 communes as 5-digit code -> (2-digit province, name): the 293/2025 reference."""
    return {
        f"{int(ward.code):05d}": (f"{int(ward.province_code):02d}", ward.name)
        for ward in Ward.iter_all()
    }


def reference_units(decree: str) -> dict[str, tuple[str, str]]:
    """The units a table must cover, as code -> (province code, name), for its scheme."""
    if BY_DECREE[decree].scheme == "2025-07":
        return current_communes()
    return {
        code: (str(district["province"]), str(district["name"]))
        for code, district in crosswalk_districts().items()
    }


@pytest.mark.parametrize("decree", list(BY_DECREE))
def test_every_unit_once_sorted_and_well_formed(decree: str) -> None:
    """Each reference unit appears exactly once, sorted, with its province, name and a zone."""
    table = BY_DECREE[decree]
    rows = read_rows(decree)
    codes = [row[table.code_column] for row in rows]
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    assert codes == sorted(codes)
    expected = reference_units(decree)
    assert set(codes) == set(expected)
    if table.scheme == "pre-2025":
        assert len(codes) == DISTRICT_COUNT
    for row in rows:
        assert len(row[table.code_column]) == table.code_width, row
        assert len(row["province_code"]) == 2, row
        province, name = expected[row[table.code_column]]
        assert row["province_code"] == province, row
        assert row[table.name_column] == name, row
        assert row["zone"] in ZONES, row


@pytest.mark.parametrize(
    ("decree", "district_code", "district_name", "zone"),
    KNOWN_DISTRICTS,
    ids=[f"{decree}-{code}" for decree, code, _, _ in KNOWN_DISTRICTS],
)
def test_known_district_entries(
    decree: str, district_code: str, district_name: str, zone: str
) -> None:
    """Entries read from each annex (and the prefix-sensitive pairs) get the annex zone."""
    assert crosswalk_districts()[district_code]["name"] == district_name
    row = row_of(decree, district_code)
    assert (row["district_name"], row["zone"]) == (district_name, zone)


@pytest.mark.parametrize(
    ("ward_code", "province_code", "ward_name", "zone"),
    KNOWN_WARDS,
    ids=[code for code, _, _, _ in KNOWN_WARDS],
)
def test_known_ward_entries(ward_code: str, province_code: str, ward_name: str, zone: str) -> None:
    """Spot-check 293/2025 entries, including same-named communes in different provinces."""
    row = row_of("293/2025", ward_code)
    assert (row["province_code"], row["ward_name"], row["zone"]) == (
        province_code,
        ward_name,
        zone,
    )


@pytest.mark.parametrize(
    ("ward_code", "province_code", "ward_name", "zone"),
    KNOWN_WARDS_128,
    ids=[code for code, _, _, _ in KNOWN_WARDS_128],
)
def test_known_ward_entries_of_decree_128(
    ward_code: str, province_code: str, ward_name: str, zone: str
) -> None:
    """Spot-check Annex I of 128/2025, a straddling commune and the names resolved by hand."""
    row = row_of("128/2025", ward_code)
    assert (row["province_code"], row["ward_name"], row["zone"]) == (
        province_code,
        ward_name,
        zone,
    )


def test_decree_128_is_the_highest_zone_of_74_2024_over_each_commune() -> None:
    """Annex I put each new commune in the highest 74/2024 zone of the districts it came
    from (the decrees' rule for a unit formed from several zones), but for the listed ones."""
    district_zone = {row["district_code"]: row["zone"] for row in read_rows("74/2024")}
    feeding: dict[str, list[str]] = {}
    for district, communes in district_communes().items():
        for commune in communes:
            feeding.setdefault(commune, []).append(district_zone[district])
    derived = {
        row["ward_code"]: min(feeding.get(row["ward_code"], ["?"]), key=lambda z: RANK.get(z, 0))
        for row in read_rows("128/2025")
    }
    annex = {row["ward_code"]: row["zone"] for row in read_rows("128/2025")}
    differing = {code: zone for code, zone in annex.items() if derived[code] != zone}
    assert differing == NOT_HIGHEST_OF_74_2024


@pytest.mark.parametrize("decree", list(BY_DECREE))
def test_zone_counts(decree: str) -> None:
    """The per-zone unit counts stay as built, so an accidental edit shows up."""
    assert Counter(row["zone"] for row in read_rows(decree)) == ZONE_COUNTS[decree]


def test_changes_from_decree_90_2019() -> None:
    """Only the listed districts differ from 90/2019, and every change is an upgrade."""
    old = {row["district_code"]: row["zone"] for row in read_rows("90/2019")}
    new = {row["district_code"]: row["zone"] for row in read_rows("38/2022")}
    changed = {code: (old[code], new[code]) for code in new if old[code] != new[code]}
    assert changed == CHANGED_FROM_90_2019
    assert all(RANK[after] < RANK[before] for before, after in changed.values())


@pytest.mark.parametrize(("district_code", "zone"), CHANGED_AFTER_74_2024)
def test_units_changed_after_decree_74_2024(district_code: str, zone: str) -> None:
    """Districts merged, split or renamed after the decree still get the zone it implies."""
    assert row_of("74/2024", district_code)["zone"] == zone


def test_rule_file_names_these_tables_in_period_order() -> None:
    """The rule file's [[zones]] must point at exactly these tables, periods back to back."""
    with RULE_FILE.open("rb") as handle:
        entries = tomllib.load(handle)["zones"]
    got = [(entry["table"], entry["scheme"], entry["from"], entry.get("to")) for entry in entries]
    assert got == [(t.path, t.scheme, t.start, t.end) for t in TABLES]
    for entry, table in zip(entries, TABLES, strict=True):
        assert f"Decree {table.decree}/" in entry["source"], entry
        assert (RULES_DIR / entry["table"]).is_file(), entry
    for before, after in pairwise(TABLES):
        assert before.end is not None
        assert before.end + timedelta(days=1) == after.start
