"""The rule values in force for each payroll row, looked up vectorized by period and zone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.eligibility.rules import ZONES, FloatArray, MinimumWage, RuleSet


@dataclass(frozen=True)
class RowParameters:
    """Per-row rule values (NaN where no rule is in force); arrays aligned with the input."""

    covered: np.ndarray  # bool: every rule table has a period in force
    min_contract_months: FloatArray
    foreign_covered: np.ndarray  # bool: foreign nationals are compulsory
    foreign_min_contract_months: FloatArray
    min_working_age_months: FloatArray
    part_time_exclusion: np.ndarray  # bool
    zone: np.ndarray  # object: "I".."IV" (default zone where no zone table is in force)
    floor: FloatArray  # regional minimum wage of the zone
    reference_level: FloatArray
    ceiling: FloatArray  # SI and health insurance base ceiling: a multiple of the reference
    rate: FloatArray  # SI and health insurance contribution rate used for estimates
    ui_ceiling: FloatArray  # unemployment insurance base ceiling: a multiple of the floor
    ui_rate: FloatArray  # unemployment insurance rate; 0 where the contract is too short


def _zone_amount(wage: MinimumWage, zone: str) -> float:
    return float(wage.by_zone[zone])


def zones_of(
    rules: RuleSet, period: pd.Series, province: pd.Series, district: pd.Series
) -> np.ndarray:
    """Minimum-wage zone per row: by district code, then province code, then the default."""
    index = rules.zones.locate(period)
    districts = district.astype("object")
    provinces = province.astype("object")
    result = np.full(len(period), None, dtype=object)
    for number, entry in enumerate(rules.zones.periods):
        rows = index == number
        if not rows.any():
            continue
        table = entry.value
        text = pd.ArrowDtype(pa.string())
        by_district = districts[rows].map(table.districts).astype(text)
        by_province = provinces[rows].map(table.provinces).astype(text)
        zone = by_district.fillna(by_province).fillna(table.default)
        result[rows] = zone.to_numpy(dtype=object)
    fallback = rules.zones.periods[-1].value.default if rules.zones.periods else ZONES[-1]
    result[index < 0] = fallback
    return result


def parameters(
    rules: RuleSet,
    period: pd.Series,
    zone: np.ndarray,
    contract_months: FloatArray,
) -> RowParameters:
    """Look up every rule value each row needs.

    Args:
        rules: The validated rule set.
        period: Payroll period per row (dates).
        zone: Minimum-wage zone per row, from ``zones_of``.
        contract_months: Contract length per row; NaN = unknown (treated as long enough for
            unemployment insurance).
    """
    law = rules.law.locate(period)
    wage = rules.minimum_wage.locate(period)
    reference = rules.reference_level.locate(period)
    rates = rules.contribution_rates.locate(period)
    covered = (law >= 0) & (wage >= 0) & (reference >= 0) & (rates >= 0)

    floor = np.full(len(period), np.nan)
    for name in ZONES:
        amounts = rules.minimum_wage.values(wage, partial(_zone_amount, zone=name))
        floor = np.where(zone == name, amounts, floor)
    level = rules.reference_level.values(reference, lambda r: float(r.amount))
    multiple = rules.law.values(law, lambda x: float(x.contribution_ceiling_multiple))

    share = rules.policy.estimate_includes_employee_share
    base_rate = rules.contribution_rates.values(
        rates,
        lambda c: c.employer.without_unemployment + share * c.employee.without_unemployment,
    )
    ui_rate = rules.contribution_rates.values(
        rates, lambda c: c.employer.unemployment + share * c.employee.unemployment
    )
    ui_min = rules.contribution_rates.values(rates, lambda c: float(c.ui_min_contract_months))
    with_ui = np.isnan(contract_months) | (contract_months >= ui_min)

    return RowParameters(
        covered=covered,
        min_contract_months=rules.law.values(law, lambda x: float(x.min_contract_months)),
        foreign_covered=rules.law.values(law, lambda x: float(x.foreign_workers_covered)) == 1.0,
        foreign_min_contract_months=rules.law.values(
            law, lambda x: float(x.foreign_min_contract_months)
        ),
        min_working_age_months=rules.law.values(law, lambda x: 12.0 * x.min_working_age),
        part_time_exclusion=rules.law.values(law, lambda x: float(x.part_time_low_wage_exclusion))
        == 1.0,
        zone=zone,
        floor=floor,
        reference_level=level,
        ceiling=level * multiple,
        rate=base_rate,
        ui_ceiling=floor
        * rules.contribution_rates.values(rates, lambda c: float(c.ui_ceiling_multiple)),
        ui_rate=np.where(with_ui, ui_rate, 0.0),
    )
