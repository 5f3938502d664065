"""Outreach units: pre-2025 districts and the crosswalk to the 2025-07 units and VSS offices.

Outreach lists stay per pre-2025 district (tax registries still carry those codes,
DOMAIN.md section 3). A versioned crosswalk file maps each district to the post-reform
province, the communes its wards went into, and the grassroots office (*BHXH cơ sở*) that
serves it. ``crosswalk_toml`` regenerates the file from ``vietnam-provinces``; office names
are a generated default meant to be edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from linkage.config import read_toml
from linkage.eligibility.columns import codes, firsts
from linkage.eligibility.decide import UNKNOWN_DISTRICT, UNKNOWN_PROVINCE
from linkage.errors import ConfigError
from linkage.normalize.units import commune_province, district_communes
from linkage.schema import UNITS, UnitScheme

DEFAULT_OFFICE = "BHXH cơ sở {district}"  # [unverified] naming; edit per office in the file
UNKNOWN_UNIT_NAME = "Chưa xác định đơn vị"  # employer absent from the business registry


@dataclass(frozen=True)
class DistrictUnit:
    """One pre-2025 district and where it went in the 2025-07 scheme."""

    province_code: str
    name: str
    new_province_code: str
    communes: tuple[str, ...]
    office: str


@dataclass(frozen=True)
class Crosswalk:
    """A versioned district -> 2025-07 province / communes / office table."""

    version: str
    source: str
    districts: Mapping[str, DistrictUnit]


def _entry(code: str, value: Any, where: str, problems: list[str]) -> DistrictUnit | None:
    if not (code.isdigit() and len(code) == 3):
        problems.append(f"{where}: district code {code!r} is not 3 digits")
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}.{code}: {value!r} is not a table")
        return None
    keys = {"province", "name", "new_province", "communes", "office"}
    unknown = sorted(set(value) - keys)
    missing = sorted(keys - set(value))
    if unknown or missing:
        problems.append(f"{where}.{code}: unknown keys {unknown}, missing keys {missing}")
        return None
    strings = {k: value[k] for k in ("province", "name", "new_province", "office")}
    communes = value["communes"]
    bad = [k for k, v in strings.items() if not isinstance(v, str) or not v]
    if bad or not isinstance(communes, list) or not all(isinstance(c, str) for c in communes):
        problems.append(f"{where}.{code}: {bad or ['communes']} must be non-empty strings")
        return None
    return DistrictUnit(
        province_code=strings["province"],
        name=strings["name"],
        new_province_code=strings["new_province"],
        communes=tuple(communes),
        office=strings["office"],
    )


def load_crosswalk(path: Path) -> Crosswalk:
    """Read and validate a district-to-office crosswalk file.

    Raises:
        ConfigError: listing every problem, each naming the file and the key.
    """
    document, _ = read_toml(path, "crosswalk")
    problems: list[str] = []
    for key in ("version", "source"):
        if not isinstance(document.get(key), str):
            problems.append(f"{path}: {key}: missing or not a string")
    if document.get("from_scheme") != UnitScheme.PRE_2025.value:
        problems.append(f"{path}: from_scheme: must be {UnitScheme.PRE_2025.value!r}")
    if document.get("to_scheme") != UnitScheme.REFORM_2025.value:
        problems.append(f"{path}: to_scheme: must be {UnitScheme.REFORM_2025.value!r}")
    table = document.get("districts")
    districts: dict[str, DistrictUnit] = {}
    if not isinstance(table, dict) or not table:
        problems.append(f"{path}: districts: missing or empty table")
    else:
        for code, value in table.items():
            unit = _entry(code, value, f"{path}: districts", problems)
            if unit is not None:
                districts[code] = unit
    if problems:
        raise ConfigError(problems)
    return Crosswalk(str(document["version"]), str(document["source"]), districts)


def outreach_units(dispositions: pd.DataFrame, crosswalk: Crosswalk | None) -> pd.DataFrame:
    """The distinct outreach units of ``dispositions``, described through the crosswalk.

    Args:
        dispositions: Output of ``decide`` (its ``province_code``, ``district_code`` and
            ``unit_scheme`` columns).
        crosswalk: District table, or None to leave names and offices empty.

    Returns:
        One row per unit, columns ``UNITS``. Only pre-2025 district codes are looked up.
    """
    unit = ["province_code", "district_code", "unit_scheme"]
    first = firsts(codes(*(dispositions[column] for column in unit)))
    units = dispositions[unit].iloc[first].astype("object").reset_index(drop=True)
    table = crosswalk.districts if crosswalk else {}
    pre_2025 = units["unit_scheme"] == UnitScheme.PRE_2025.value
    found = units["district_code"].map(lambda code: table.get(code)).where(pre_2025)
    unknown = units["province_code"] == UNKNOWN_PROVINCE
    units["district_name"] = found.map(lambda u: u.name if u else None).where(
        ~unknown, UNKNOWN_UNIT_NAME
    )
    units["new_province_code"] = found.map(lambda u: u.new_province_code if u else None)
    units["office"] = found.map(lambda u: u.office if u else None)
    default = found.map(lambda u: DEFAULT_OFFICE.format(district=u.name) if u else None)
    units["office_placeholder"] = (units["office"] == default).where(units["office"].notna())
    units["crosswalk"] = crosswalk.version if crosswalk else None
    units.loc[units["district_code"] == UNKNOWN_DISTRICT, "office"] = None
    table = pa.Table.from_pandas(units, schema=UNITS, preserve_index=False)
    result: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return result


def crosswalk_toml(version: str, office_template: str = DEFAULT_OFFICE) -> str:
    """Generate the crosswalk file from ``vietnam-provinces`` (2026.9.0 official data).

    Each district's new province and communes come from the package's ward conversion table
    (effective 2025-07-01); districts without ward data fall back to the province table.
    """
    import vietnam_provinces
    from vietnam_provinces import _province_conversion_2025 as provinces
    from vietnam_provinces import _ward_conversion_2025 as wards
    from vietnam_provinces.legacy import District

    communes = district_communes()
    lines = [
        "# Pre-2025 district -> 2025-07 province, communes and serving VSS grassroots office.",
        "# Generated by linkage.eligibility.units.crosswalk_toml; edit offices freely.",
        "# new_province and communes: [checked] package data; office: [unverified] default name.",
        f'version = "{version}"',
        f'source = "vietnam-provinces {vietnam_provinces.__version__} '
        f"(data {vietnam_provinces.__data_version__}), "
        f'conversion effective {wards.EFFECTIVE_DATE}"',
        f'from_scheme = "{UnitScheme.PRE_2025.value}"',
        f'to_scheme = "{UnitScheme.REFORM_2025.value}"',
        "",
        "[districts]",
    ]
    for district in sorted(District.iter_all(), key=lambda d: int(d.code.value)):
        code = f"{int(district.code.value):03d}"
        province = int(district.province_code.value)
        targets = {p for c in communes.get(code, ()) if (p := commune_province(c))}
        fallback = {f"{p.code:02d}" for p in provinces.OLD_TO_NEW[province].new_provinces}
        new_province = min(targets or fallback)
        listed = ", ".join(f'"{c}"' for c in sorted(communes.get(code, ())))
        office = office_template.format(district=district.name)
        lines.append(
            f'"{code}" = {{ province = "{province:02d}", name = "{district.name}", '
            f'new_province = "{new_province}", communes = [{listed}], office = "{office}" }}'
        )
    return "\n".join(lines) + "\n"
