"""Offices of today: from the 2025 reform, a workplace's commune routes to its BHXH cơ sở.

Periods before the reform keep the pre-2025 district route (``decide``'s units). From the
reform (``reform`` in the office file, 2025-07-01) the outreach unit of a row is the
grassroots office serving its workplace's 2025-07 commune, coded ``2025-07`` / 2025-07
province / the pre-2025 district office it continues (VSS 1521/BHXH-TCCB, Phụ lục 02).

The commune comes from the business registry: a 2025-07 ward code as is, a pre-2025 ward
through the 2025-07-01 conversion. A commune listed by a cited office in force at the row's
period is routed ``cited``; any other goes to the office continuing the pre-2025 district
that gave it most wards, ``placeholder``, or, when that office is a cited one whose list
leaves the commune out, to the province's unknown office ``000``. A workplace known only by
its pre-2025 district goes to the office continuing that district, ``placeholder`` too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from linkage.config import read_toml
from linkage.eligibility.columns import codes, order, positions, runs, strings, take
from linkage.eligibility.priority import severities
from linkage.eligibility.workplaces import UNKNOWN_DISTRICT
from linkage.errors import ConfigError
from linkage.normalize.units import (
    _reference,
    commune_districts,
    commune_province,
    ward_communes,
)
from linkage.schema import UNIT_KEYS, Disposition, UnitScheme

UNKNOWN_OFFICE: Final = UNKNOWN_DISTRICT  # a commune whose serving office is not known


class Route(StrEnum):
    """How a row's office was found (``office_route``); null: the pre-2025 district route."""

    CITED = "cited"  # the commune is on a cited office's list in force at the period
    PLACEHOLDER = "placeholder"  # by the pre-2025 district: a default, not a source


@dataclass(frozen=True)
class Office:
    """One grassroots office with its cited list of communes."""

    code: str  # the pre-2025 district office it continues
    province: str  # 2025-07 province
    name: str
    address: str
    start: dt.date  # the list is in force from this date
    communes: frozenset[str]
    source: str


@dataclass(frozen=True)
class OfficeTable:
    """The cited offices of one file and the reform date."""

    version: str
    reform: dt.date
    offices: tuple[Office, ...]

    def by_commune(self) -> dict[str, Office]:
        """Each cited commune's office (a commune on two lists: the later list)."""
        found: dict[str, Office] = {}
        for office in sorted(self.offices, key=lambda o: o.start):
            found.update(dict.fromkeys(office.communes, office))
        return found

    def named(self) -> dict[tuple[str, str], Office]:
        """Offices by (2025-07 province, code)."""
        return {(o.province, o.code): o for o in self.offices}


_KEYS: Final = {"code", "province", "name", "address", "from", "communes", "source"}


def _office(value: Any, where: str, problems: list[str]) -> Office | None:
    if not isinstance(value, dict) or set(value) != _KEYS:
        keys = sorted(value) if isinstance(value, dict) else value
        problems.append(f"{where}: keys {keys!r}; need exactly {sorted(_KEYS)}")
        return None
    code, province, communes = value["code"], value["province"], value["communes"]
    if not (isinstance(code, str) and code.isdigit() and len(code) == 3):
        problems.append(f"{where}.code: {code!r} is not a 3-digit district office code")
    if not isinstance(value["from"], dt.date):
        problems.append(f"{where}.from: {value['from']!r} is not a date")
    texts = ("name", "address", "source")
    if any(not isinstance(value[k], str) or not value[k] for k in texts):
        problems.append(f"{where}: {list(texts)} must be non-empty strings")
    if not isinstance(communes, list) or not communes:
        problems.append(f"{where}.communes: {communes!r} is not a list of communes")
        return None
    wrong = [c for c in communes if not isinstance(c, str) or commune_province(c) != province]
    if wrong:
        problems.append(f"{where}.communes: {wrong!r} are no 2025-07 communes of {province!r}")
    if len(problems):
        return None
    return Office(
        code,
        province,
        value["name"],
        value["address"],
        value["from"],
        frozenset(communes),
        value["source"],
    )


def load_offices(path: Path) -> OfficeTable:
    """Read and check a commune-to-office file.

    Raises:
        ConfigError: listing every problem, each naming the file and the key.
    """
    document, _ = read_toml(path, "office list")
    problems: list[str] = []
    if not isinstance(document.get("version"), str):
        problems.append(f"{path}: version: missing or not a string")
    if document.get("scheme") != UnitScheme.REFORM_2025.value:
        problems.append(f"{path}: scheme: must be {UnitScheme.REFORM_2025.value!r}")
    reform = document.get("reform")
    if not isinstance(reform, dt.date):
        problems.append(f"{path}: reform: {reform!r} is not a date")
    offices = []
    for number, value in enumerate(document.get("offices", []), start=1):
        found: list[str] = []
        office = _office(value, f"{path}: offices[{number}]", found)
        problems.extend(found)
        if office is not None:
            offices.append(office)
    seen = [(o.province, o.code) for o in offices]
    problems += [f"{path}: office {k!r} listed twice" for k in set(seen) if seen.count(k) > 1]
    if problems:
        raise ConfigError(problems)
    return OfficeTable(str(document["version"]), reform, tuple(offices))  # type: ignore[arg-type]


def _commune_of(ward: pd.Series, scheme: pd.Series) -> pd.Series:
    """2025-07 commune of each workplace: its 2025-07 ward, or its pre-2025 ward converted."""
    converted = {w: min(c) for w, c in ward_communes().items() if c}
    ward = ward.astype("object")
    new = (scheme.astype("object") == UnitScheme.REFORM_2025.value).to_numpy(dtype=bool)
    return ward.where(new, ward.map(converted))


def route_offices(
    dispositions: pd.DataFrame,
    payroll: pd.DataFrame,
    businesses: pd.DataFrame,
    offices: OfficeTable,
    new_provinces: Mapping[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dispositions with units from the reform routed to offices, and each row's route.

    Args:
        dispositions: ``decide`` output, payroll order.
        payroll: Normalized payroll (``period_end``), the same rows.
        businesses: Normalized business registry, for the workplace's ward.
        offices: The cited offices.
        new_provinces: Pre-2025 district -> its 2025-07 province (the district crosswalk).

    Returns:
        The dispositions (unit columns replaced, candidates re-ranked within the new units)
        and a frame of ``record_id``, ``commune_code`` and ``office_route`` (Route value,
        null on the district route).
    """
    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    at = positions(dispositions["employer_code"], registry["tax_code"])
    commune = _commune_of(take(registry["ward_code"], at), take(registry["unit_scheme"], at))
    end = pd.to_datetime(payroll["period_end"].astype("object"), errors="coerce")
    end = end.reset_index(drop=True)
    after = (end >= pd.Timestamp(offices.reform)).fillna(value=False).to_numpy(dtype=bool)
    district = strings(dispositions["district_code"]).astype("object")
    known = after & (district != UNKNOWN_DISTRICT).to_numpy(dtype=bool)
    known &= (strings(dispositions["unit_scheme"]) == UnitScheme.PRE_2025.value).to_numpy(
        dtype=bool
    )
    cited_office = commune.map(offices.by_commune())
    in_force = cited_office.map(lambda o: o.start if isinstance(o, Office) else None)
    cited = after & pd.notna(in_force).to_numpy(dtype=bool)
    starts = pd.to_datetime(in_force[cited]).to_numpy()
    cited[cited] = starts <= end[cited].to_numpy()
    by_ward = commune.map(commune_districts())
    placeholder = after & ~cited & by_ward.notna().to_numpy(dtype=bool)
    bare = known & ~cited & ~placeholder  # a pre-2025 district without a commune
    cited_province = cited_office.map(lambda o: getattr(o, "province", None))
    cited_code = cited_office.map(lambda o: getattr(o, "code", None))
    province = cited_province.to_numpy(dtype=object).copy()
    code = cited_code.to_numpy(dtype=object).copy()
    province[~cited] = None
    code[~cited] = None
    province = np.where(placeholder, commune.map(commune_province), province)
    code = np.where(placeholder, by_ward, code)
    province = np.where(bare, district.map(new_provinces), province)
    code = np.where(bare, district, code)
    # A placeholder route never lands on a cited office whose list leaves the commune out.
    named = offices.named()
    taken = [
        (p, c) in named and named[(p, c)].start <= day.date() if pd.notna(day) else False
        for p, c, day in zip(province, code, end, strict=True)
    ]
    code = np.where((placeholder | bare) & np.array(taken, dtype=bool), UNKNOWN_OFFICE, code)
    routed = cited | placeholder | (bare & pd.notna(province))
    result = dispositions.copy()
    result.loc[routed, "unit_scheme"] = UnitScheme.REFORM_2025.value
    result.loc[routed, "province_code"] = province[routed]
    result.loc[routed, "district_code"] = code[routed]
    if routed.any():
        result["priority"] = rerank(result)
    kinds = np.full(len(cited), None, dtype=object)
    kinds[routed] = Route.PLACEHOLDER.value
    kinds[cited] = Route.CITED.value
    routes = pd.DataFrame(
        {
            "record_id": dispositions["record_id"].to_numpy(),
            "commune_code": commune.where(after & pd.notna(commune), None).to_numpy(),
            "office_route": kinds,
        }
    )
    return result, routes


def rerank(dispositions: pd.DataFrame) -> pd.Series:
    """Candidates' contact order within their (new) units, ``decide``'s order kept.

    Severity, suspected evasion and unpaid amount as in ``priority.priorities``; rows that
    tie keep their order from ``decide`` (its priority, then record id), so a unit that
    routing left alone keeps its priorities.
    """
    candidate = (dispositions["disposition"] == Disposition.CANDIDATE.value).to_numpy(dtype=bool)
    rows = np.flatnonzero(candidate)
    keys = {k: take(dispositions[k], rows) for k in UNIT_KEYS}
    reason = dispositions["reason"].astype("object").to_numpy()[rows]
    evasion = dispositions["suspected_evasion"].astype("boolean").fillna(value=False)
    ranked = rows[
        order(
            {
                **keys,
                "severity": severities(reason),
                "evasion": evasion.to_numpy(dtype=bool)[rows],
                "unpaid": np.nan_to_num(
                    pd.to_numeric(dispositions["unpaid_monthly"]).to_numpy(
                        dtype="float64", na_value=np.nan
                    )
                )[rows],
                "before": take(dispositions["priority"], rows),
                "record_id": take(strings(dispositions["record_id"]), rows),
            },
            descending={"evasion", "unpaid"},
        )
    ]
    unit = codes(*(take(dispositions[k], ranked) for k in UNIT_KEYS))
    complete = dispositions[UNIT_KEYS].notna().all(axis=1).to_numpy(dtype=bool)[ranked]
    priority = np.full(len(dispositions), np.nan)
    priority[ranked] = np.where(complete, runs(unit), np.nan)
    return pd.Series(pd.array(priority, dtype="Int32"), index=dispositions.index)


def coverage(offices: OfficeTable, today: dt.date) -> dict[str, Any]:
    """Communes with a cited office in force at ``today`` against placeholder routes."""
    communes = _reference().wards_2025
    cited = {c for o in offices.offices if o.start <= today for c in o.communes}
    provinces: dict[str, list[dict[str, Any]]] = {}
    for office in sorted(offices.offices, key=lambda o: (o.province, o.code)):
        provinces.setdefault(office.province, []).append(
            {
                "office": office.name,
                "code": office.code,
                "from": office.start.isoformat(),
                "communes": len(office.communes),
                "source": office.source,
            }
        )
    return {
        "version": offices.version,
        "reform": offices.reform.isoformat(),
        "communes": len(communes),
        "cited_communes": len(cited),
        "placeholder_communes": len(communes) - len(cited),
        "cited_offices": provinces,
    }
