"""The rule values in force for each payroll row, looked up vectorized by period and zone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from linkage.eligibility.columns import codes, firsts, strings
from linkage.eligibility.rules import FloatArray, IntArray, MinimumWage, RuleSet
from linkage.eligibility.zones import REMAINING, ZONES


@dataclass(frozen=True)
class RowParameters:
    """Per-row rule values (NaN where no rule is in force); arrays aligned with the input."""

    covered: np.ndarray  # bool: every rule table has a period in force
    law: IntArray  # index of the [[law]] period in force; -1 where none is
    min_contract_months: FloatArray
    foreign_covered: np.ndarray  # bool: foreign nationals are compulsory
    foreign_min_contract_months: FloatArray
    min_working_age_months: FloatArray
    first_contract_only: np.ndarray  # bool: several contracts insure under the first only
    probation_excluded: np.ndarray  # bool
    registration_days: FloatArray
    evasion_after_days: FloatArray
    part_time_exclusion: np.ndarray  # bool
    part_time_floor_is_reference: np.ndarray  # bool: a part-timer's floor is the reference level
    household_owners_covered: np.ndarray  # bool
    zone: np.ndarray  # object: "I".."IV" (IV where no zone table is in force)
    floor: FloatArray  # regional minimum wage of the zone
    reference_level: FloatArray
    ceiling: FloatArray  # SI and health insurance base ceiling: a multiple of the reference
    rate: FloatArray  # SI and health insurance contribution rate used for estimates
    ui_ceiling: FloatArray  # unemployment insurance base ceiling: a multiple of the floor
    ui_rate: FloatArray  # unemployment insurance rate; 0 where the contract is too short


def _zone_amount(wage: MinimumWage, zone: str) -> float:
    return float(wage.by_zone[zone])


def zones_of(rules: RuleSet, period: pd.Series, units: pd.DataFrame) -> np.ndarray:
    """Minimum-wage zone per row, from the annex in force at its period (``zones``).

    Args:
        rules: Rule set from ``load_rules``.
        period: Period per row.
        units: ``unit_scheme``, ``province_code``, ``district_code`` and ``ward_code`` of
            each row's workplace, aligned with ``period``.
    """
    if not len(period):
        return np.array([], dtype=object)
    index = rules.zones.locate(period)
    columns = [units[c] for c in ("unit_scheme", "province_code", "district_code", "ward_code")]
    code = codes(index, *columns)
    first = firsts(code)
    distinct = [strings(column).iloc[first].fillna("").tolist() for column in columns]
    tables = rules.zones.periods
    zones = [
        tables[number].value.zone(scheme, province, district, ward) if number >= 0 else REMAINING
        for number, scheme, province, district, ward in zip(index[first], *distinct, strict=True)
    ]
    result: np.ndarray = np.asarray(zones, dtype=object)[code]
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
        law=law,
        min_contract_months=rules.law.values(law, lambda x: float(x.min_contract_months)),
        foreign_covered=rules.law.values(law, lambda x: float(x.foreign_workers_covered)) == 1.0,
        foreign_min_contract_months=rules.law.values(
            law, lambda x: float(x.foreign_min_contract_months)
        ),
        min_working_age_months=rules.law.values(law, lambda x: 12.0 * x.min_working_age),
        first_contract_only=rules.law.values(law, lambda x: float(x.first_contract_only)) == 1.0,
        probation_excluded=rules.law.values(law, lambda x: float(x.probation_excluded)) == 1.0,
        registration_days=rules.law.values(law, lambda x: float(x.registration_days)),
        evasion_after_days=rules.law.values(law, lambda x: float(x.evasion_after_days)),
        part_time_exclusion=rules.law.values(law, lambda x: float(x.part_time_low_wage_exclusion))
        == 1.0,
        part_time_floor_is_reference=rules.law.values(
            law, lambda x: float(x.part_time_floor_is_reference_level)
        )
        == 1.0,
        household_owners_covered=rules.law.values(
            law, lambda x: float(x.household_owners_covered)
        )
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
