"""Regional minimum-wage zones: each decree's annex as a table of unit codes.

Decrees 90/2019, 38/2022 and 74/2024 list their zones by pre-2025 district; Decrees
128/2025 (Annex I, 2025-07-01 to 2025-12-31) and 293/2025 by 2025-07 commune. Each annex
ships as a CSV beside the rule file (its source and status in the ``.md`` of the same
name), one row per unit: ``province_code``, the unit code (``district_code`` or
``ward_code``), its name and ``zone``.

Rows are coded in either scheme whatever the period (tax registries still carry the old
districts in 2026), so a table also answers for the other scheme through the 2025-07-01
ward conversion. Which zone a unit overlapping several zones takes is the rule file's
``other_scheme_overlap`` of each annex (``highest`` or ``lowest``): a 2025-07 commune under
a district annex is an area formed from areas of different zones, which the decrees put in
the highest (Decree 38/2022 and 74/2024 Art. 3(3)(đ)); a pre-2025 district or ward under a
commune annex lies in one of its communes, which one the row does not say. A row known only
by its province takes the lowest zone of that province, and a unit the table does not know
is zone IV, the annexes' "remaining areas".
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from linkage.normalize.units import (
    commune_province,
    district_communes,
    district_province,
    ward_communes,
)
from linkage.schema import UnitScheme

ZONES: Final = ("I", "II", "III", "IV")
REMAINING: Final = ZONES[-1]  # the annexes' "remaining areas"
_UNIT_COLUMN: Final = {UnitScheme.PRE_2025: "district_code", UnitScheme.REFORM_2025: "ward_code"}

Overlap = Literal["highest", "lowest"]
OVERLAPS: Final[tuple[Overlap, ...]] = ("highest", "lowest")


def lowest(zones: Iterable[str]) -> str:
    """The zone with the lowest minimum wage among ``zones`` (IV when there is none)."""
    return max(zones, key=ZONES.index, default=REMAINING)


def highest(zones: Iterable[str]) -> str:
    """The zone with the highest minimum wage among ``zones`` (IV when there is none)."""
    return min(zones, key=ZONES.index, default=REMAINING)


_CHOOSE: Final = {"highest": highest, "lowest": lowest}


@dataclass(frozen=True)
class ZoneTable:
    """One annex: zone by unit, for units of both schemes.

    ``units`` is keyed by ("district", pre-2025 district), ("ward", pre-2025 ward) or
    ("commune", 2025-07 commune); ``provinces`` by (scheme, province code).
    """

    scheme: UnitScheme
    table: str  # file name, for messages
    units: Mapping[tuple[str, str], str]
    provinces: Mapping[tuple[str, str], str]  # lowest zone of the province

    def zone(
        self, scheme: str, province: str | None, district: str | None, ward: str | None
    ) -> str:
        """Zone of one workplace: by its most precise known unit, else its province."""
        if scheme == UnitScheme.PRE_2025.value:
            keys = [("ward", ward or ""), ("district", district or "")]
        else:
            keys = [("commune", ward or "")]
        for key in keys:
            if found := self.units.get(key):
                return found
        return self.provinces.get((scheme, province or ""), REMAINING)


def _zone_over(
    overlaps: Mapping[str, Iterable[str]], zones: Mapping[str, str], overlap: Overlap
) -> dict[str, str]:
    """Zone of each key over the zoned units it overlaps; keys overlapping none: absent."""
    choose = _CHOOSE[overlap]
    found = {key: [zones[u] for u in units if u in zones] for key, units in overlaps.items()}
    return {key: choose(listed) for key, listed in found.items() if listed}


def _all_units(
    scheme: UnitScheme, zones: Mapping[str, str], overlap: Overlap
) -> dict[tuple[str, str], str]:
    """The annex's own units, and the units of the other scheme through the conversion."""
    if scheme is UnitScheme.REFORM_2025:
        districts = _zone_over(district_communes(), zones, overlap)
        wards = _zone_over(ward_communes(), zones, overlap)
        return {
            **{("district", d): z for d, z in districts.items()},
            **{("ward", w): z for w, z in wards.items()},
            **{("commune", c): z for c, z in zones.items()},
        }
    feeding: dict[str, list[str]] = {}
    for district, communes in district_communes().items():
        for commune in communes:
            feeding.setdefault(commune, []).append(district)
    return {
        **{("commune", c): z for c, z in _zone_over(feeding, zones, overlap).items()},
        **{("district", d): z for d, z in zones.items()},
    }


def _by_province(units: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Lowest zone of each province of either scheme."""
    provinces: dict[tuple[str, str], list[str]] = {}
    for (kind, code), zone in units.items():
        if kind == "district" and (province := district_province(code)):
            provinces.setdefault((UnitScheme.PRE_2025.value, province), []).append(zone)
        elif kind == "commune" and (province := commune_province(code)):
            provinces.setdefault((UnitScheme.REFORM_2025.value, province), []).append(zone)
    return {key: lowest(zones) for key, zones in provinces.items()}


def read_zone_table(
    path: Path, scheme: UnitScheme, problems: list[str], *, overlap: Overlap = "lowest"
) -> ZoneTable | None:
    """Read and check one annex file; append every problem found to ``problems``.

    A row must name a unit of ``scheme`` once, in its province, with a zone I-IV. A unit of
    the other scheme overlapping units of several zones takes the ``overlap`` one of them.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot read the zone table ({error.__class__.__name__})")
        return None
    table, found = _zone_table(str(path), text, scheme, overlap)
    problems.extend(found)
    return table


@functools.lru_cache(maxsize=16)
def _zone_table(
    path: str, text: str, scheme: UnitScheme, overlap: Overlap
) -> tuple[ZoneTable | None, tuple[str, ...]]:
    """``read_zone_table`` of a file's text, worked out once per process.

    Extending a table over the other scheme's 10,000 units takes 0.2 s, and a sweep, an API
    user or the test suite loads the same rules again and again. Nothing changes a table once made.
    """
    column = _UNIT_COLUMN[scheme]
    known = district_province if scheme is UnitScheme.PRE_2025 else commune_province
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    needed = {"province_code", column, "zone"}
    if not rows or not needed <= set(rows[0].keys()):
        return None, (f"{path}: need columns {sorted(needed)} and at least one row",)
    problems: list[str] = []
    zones: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        code, zone = row[column], row["zone"]
        if known(code) is None or known(code) != row["province_code"]:
            problems.append(f"{path}:{line}: {code!r} is no {scheme} unit of its province")
        elif zone not in ZONES:
            problems.append(f"{path}:{line}: zone {zone!r} is not one of {list(ZONES)}")
        elif code in zones:
            problems.append(f"{path}:{line}: {code!r} listed twice")
        else:
            zones[code] = zone
    units = _all_units(scheme, zones, overlap)
    return ZoneTable(scheme, Path(path).name, units, _by_province(units)), tuple(problems)
