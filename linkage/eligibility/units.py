"""Outreach units: pre-2025 districts and the crosswalk to the 2025-07 units and VSS offices.

Periods before the 2025 reform stay per pre-2025 district (tax registries still carry
those codes, DOMAIN.md section 3). A versioned crosswalk file maps each district to the
post-reform province, the communes its wards went into, and the office that continues it
(*BHXH cơ sở*); its ``offices`` key names the commune-to-office file (``offices.py``) that
routes periods from the reform. ``crosswalk_toml`` regenerates the district file from
``vietnam-provinces``; office names there are a generated default, flagged as placeholders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.config import read_toml
from linkage.eligibility.columns import codes, firsts
from linkage.eligibility.offices import (
    UNKNOWN_OFFICE,
    OfficeTable,
    coverage,
    load_offices,
    route_offices,
)
from linkage.eligibility.workplaces import UNKNOWN_DISTRICT, UNKNOWN_PROVINCE
from linkage.errors import ConfigError
from linkage.normalize.units import commune_province, district_communes
from linkage.schema import UNITS, UnitScheme

DEFAULT_OFFICE = "BHXH cơ sở {district}"  # [unverified] naming; edit per office in the file
UNKNOWN_UNIT_NAME = "Chưa xác định đơn vị"  # employer absent from the business registry
UNKNOWN_OFFICE_NAME = "Chưa xác định BHXH cơ sở"  # a 2025-07 commune no known office serves


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
    offices: OfficeTable | None = None  # commune -> office from the reform

    def new_provinces(self) -> dict[str, str]:
        """Pre-2025 district -> its 2025-07 province."""
        return {code: unit.new_province_code for code, unit in self.districts.items()}


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
    offices = document.get("offices")
    if offices is not None and not isinstance(offices, str):
        problems.append(f"{path}: offices: {offices!r} is not a file name")
    if problems:
        raise ConfigError(problems)
    table = load_offices(path.parent / offices) if offices else None
    return Crosswalk(str(document["version"]), str(document["source"]), districts, table)


def route(
    dispositions: pd.DataFrame,
    payroll: pd.DataFrame,
    businesses: pd.DataFrame,
    crosswalk: Crosswalk | None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Dispositions routed to today's offices from the reform, and each row's route.

    Without an office file the district route stays (routes: None). See ``offices``.
    """
    if crosswalk is None or crosswalk.offices is None:
        return dispositions, None
    return route_offices(
        dispositions, payroll, businesses, crosswalk.offices, crosswalk.new_provinces()
    )


def office_coverage(crosswalk: Crosswalk | None, today: dt.date) -> dict[str, Any] | None:
    """Communes with a cited office in force ``today`` against placeholders (manifest)."""
    if crosswalk is None or crosswalk.offices is None:
        return None
    return coverage(crosswalk.offices, today)


def outreach_units(dispositions: pd.DataFrame, crosswalk: Crosswalk | None) -> pd.DataFrame:
    """The distinct outreach units of ``dispositions``, described through the crosswalk.

    Args:
        dispositions: Output of ``decide`` (its ``province_code``, ``district_code`` and
            ``unit_scheme`` columns), routed to offices by ``route_offices`` or not.
        crosswalk: District table and offices, or None to leave names and offices empty.

    Returns:
        One row per unit, columns ``UNITS``. A pre-2025 unit is described by its district; a
        2025-07 unit is an office: cited (its name and source) or the one continuing the
        district of its code (the district file's name, a placeholder).
    """
    unit = ["province_code", "district_code", "unit_scheme"]
    first = firsts(codes(*(dispositions[column] for column in unit)))
    units = dispositions[unit].iloc[first].astype("object").reset_index(drop=True)
    table = crosswalk.districts if crosswalk else {}
    found = units["district_code"].map(lambda code: table.get(code))
    unknown = units["province_code"] == UNKNOWN_PROVINCE
    units["district_name"] = found.map(lambda u: u.name if u else None).where(
        ~unknown, UNKNOWN_UNIT_NAME
    )
    units["new_province_code"] = found.map(lambda u: u.new_province_code if u else None)
    units["office"] = found.map(lambda u: u.office if u else None)
    default = found.map(lambda u: DEFAULT_OFFICE.format(district=u.name) if u else None)
    same = (units["office"] == default).astype(object)
    units["office_placeholder"] = same.where(units["office"].notna(), None)
    units["office_source"] = None
    office = (units["unit_scheme"] == UnitScheme.REFORM_2025.value).to_numpy(dtype=bool)
    if office.any():
        _describe_offices(units, office, crosswalk)
    units["crosswalk"] = crosswalk.version if crosswalk else None
    units.loc[units["district_code"] == UNKNOWN_DISTRICT, "office"] = None
    units.loc[units["district_code"] == UNKNOWN_DISTRICT, "office_placeholder"] = None
    nowhere = office & (units["district_code"] == UNKNOWN_OFFICE).to_numpy(dtype=bool)
    units.loc[nowhere, "office"] = UNKNOWN_OFFICE_NAME
    units.loc[nowhere, "office_placeholder"] = True
    table = pa.Table.from_pandas(units, schema=UNITS, preserve_index=False)
    result: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return result


def _describe_offices(units: pd.DataFrame, office: np.ndarray, crosswalk: Crosswalk | None) -> None:
    """Names, province and source of the 2025-07 office units (rows ``office``), in place."""
    named = crosswalk.offices.named() if crosswalk and crosswalk.offices else {}
    keys = zip(units["province_code"], units["district_code"], strict=True)
    cited = pd.Series([named.get(key) for key in keys], index=units.index, dtype=object)
    has = office & cited.notna().to_numpy(dtype=bool)
    units.loc[office, "new_province_code"] = units.loc[office, "province_code"]
    units.loc[has, "office"] = cited[has].map(lambda o: o.name)
    units.loc[has, "office_source"] = cited[has].map(lambda o: o.source)
    units.loc[office, "office_placeholder"] = ~has[office]


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
        'offices = "commune-to-office.toml"',
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
