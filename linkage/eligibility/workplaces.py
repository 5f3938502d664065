"""Each row's employer as the business registry knows it, and the outreach unit it falls in.

The unit an employer absent from the registry is listed under is ``UNKNOWN_PROVINCE`` /
``UNKNOWN_DISTRICT``: such workers stay candidates, someone must find the employer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.eligibility.columns import codes, equals, firsts, positions, strings, take
from linkage.eligibility.rules import period_days
from linkage.normalize.units import commune_districts, district_province
from linkage.schema import UnitScheme

UNKNOWN_PROVINCE = "00"  # outreach unit of workers whose employer is not in the registry
UNKNOWN_DISTRICT = "000"  # also the district of employers registered without a district


def employer_facts(payroll: pd.DataFrame, businesses: pd.DataFrame) -> pd.DataFrame:
    """Registry fields of each row's employer: by exact tax code, then by the root (branches).

    ``closed`` holds only where the registry dates the closure before the row's period: a
    withholding return for the period shows wages were paid then, and contributions owed
    for a period survive a later closure (they are settled in the dissolution). A closed
    status without a date therefore excludes nobody.
    """
    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    position = positions(payroll["employer_tax_code"], registry["tax_code"])
    by_root = positions(payroll["employer_root"], registry["tax_code"])
    position = np.where(position >= 0, position, by_root)
    found = position >= 0
    fields = ("tax_code", "status", "closed_on", "province_code", "district_code", "ward_code")
    rows = {column: take(registry[column], position) for column in (*fields, "unit_scheme")}
    out = pd.DataFrame(index=pd.RangeIndex(len(payroll)))
    out["found"] = found
    known = pd.notna(rows["closed_on"]).to_numpy(dtype=bool)
    known &= pd.notna(payroll["period"]).to_numpy(dtype=bool)
    before = known & (period_days(rows["closed_on"]) < period_days(payroll["period"]))
    out["closed"] = found & equals(rows["status"], "closed") & before
    out["employer_code"] = strings(rows["tax_code"]).fillna(strings(payroll["employer_tax_code"]))
    out["province_code"] = strings(rows["province_code"]).fillna(UNKNOWN_PROVINCE)
    out["district_code"] = strings(rows["district_code"]).fillna(UNKNOWN_DISTRICT)
    out["ward_code"] = strings(rows["ward_code"])
    out["unit_scheme"] = strings(rows["unit_scheme"]).fillna(UnitScheme.PRE_2025.value)
    return out


def workplace_units(employer: pd.DataFrame) -> pd.DataFrame:
    """The outreach unit of each row: its employer's unit, a 2025-07 one routed to an office.

    Offices still serve the pre-2025 districts (the crosswalk names them), so a workplace
    coded by its 2025-07 commune goes to the district that gave the commune most of its
    wards (``commune_districts``). One known only by its 2025-07 province stays there.
    """
    # Computed once per distinct workplace, then spread over the rows.
    unit = ["province_code", "district_code", "unit_scheme"]
    code = codes(*(employer[column] for column in [*unit, "ward_code"]))
    distinct = employer.iloc[firsts(code)].reset_index(drop=True)
    units = distinct[unit].copy()
    new = (units["unit_scheme"] == UnitScheme.REFORM_2025.value).fillna(value=False)
    district = distinct["ward_code"].astype("object").map(commune_districts()).where(new)
    routed = district.notna().to_numpy(dtype=bool)
    units.loc[routed, "district_code"] = district[routed]
    units.loc[routed, "province_code"] = district[routed].map(district_province)
    units.loc[routed, "unit_scheme"] = UnitScheme.PRE_2025.value
    return pd.DataFrame({column: take(units[column], code) for column in unit})
