"""Effective-dated eligibility rules: typed, validated once, looked up vectorized by period.

A rule file (``configs/rules/*.toml``) holds tables of periods (``[[law]]``,
``[[minimum_wage]]`` ...), each with ``from`` and optional ``to`` dates. ``load_rules``
validates the whole file and reports every problem at once; ``Timeline.locate`` maps a
Series of payroll periods to the index of the period in force, without a Python loop.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkage.config import read_toml
from linkage.eligibility.timeline import FloatArray, IntArray, Period, Timeline, period_days
from linkage.eligibility.zones import OVERLAPS, ZONES, ZoneTable, read_zone_table
from linkage.errors import ConfigError
from linkage.schema import UnitScheme

__all__ = [
    "ZONES",
    "ContributionRates",
    "FloatArray",
    "IntArray",
    "Law",
    "MinimumWage",
    "Period",
    "Policy",
    "Rates",
    "ReferenceLevel",
    "Retirement",
    "RetirementRule",
    "RuleSet",
    "Timeline",
    "ZoneTable",
    "load_rules",
    "period_days",
]


@dataclass(frozen=True)
class Law:
    """The SI law in force and the thresholds it sets."""

    name: str
    min_contract_months: int
    foreign_workers_covered: bool  # compulsory for foreign nationals (from 2018-12-01)
    foreign_min_contract_months: int
    min_working_age: int
    contribution_ceiling_multiple: int
    part_time_low_wage_exclusion: bool
    # a worker with labour contracts at several employers is insured under the first one
    # only (Law 58 Art. 85(4)); false: under each contract
    first_contract_only: bool
    probation_excluded: bool  # a probation contract carries no compulsory SI
    registration_days: int  # the employer registers a new worker within this many days
    evasion_after_days: int  # ... and is evading when still not registered this much later
    # a part-timer's legal floor is the reference level, not the regional minimum (Law 41)
    part_time_floor_is_reference_level: bool
    household_owners_covered: bool  # business-household owners are compulsory (Law 41)


@dataclass(frozen=True)
class MinimumWage:
    """Regional minimum wage, VND per month, by zone I-IV."""

    source: str
    by_zone: Mapping[str, int]


@dataclass(frozen=True)
class ReferenceLevel:
    """Reference level (base salary), VND per month."""

    source: str
    amount: int


@dataclass(frozen=True)
class Rates:
    """Contribution rates of one party, as fractions of the SI base."""

    retirement: float
    sickness_maternity: float
    accident: float
    health: float
    unemployment: float

    @property
    def without_unemployment(self) -> float:
        """SI plus health insurance."""
        return self.retirement + self.sickness_maternity + self.accident + self.health


@dataclass(frozen=True)
class ContributionRates:
    """Employer and employee rates, used to estimate unpaid contributions."""

    ui_min_contract_months: int
    ui_ceiling_multiple: int  # UI salary ceiling = this x the regional minimum wage
    employer: Rates
    employee: Rates


@dataclass(frozen=True)
class RetirementRule:
    """Retirement age of one sex (Decree 135/2020), in months."""

    legacy_age_months: int
    base_age_months: int
    step_months_per_year: int
    cap_age_months: int


@dataclass(frozen=True)
class Retirement:
    """The retirement-age schedule: legacy age before ``start_year``, then a rising step.

    ``year_only_birth_month`` is the month the law places a birth known only by its year in
    (Decree 135/2020 Art. 3(3): 1 January); every age is counted that way.
    """

    start_year: int
    male: RetirementRule
    female: RetirementRule
    year_only_birth_month: int


@dataclass(frozen=True)
class Policy:
    """Engine choices that are not law: margins and estimation conventions."""

    under_declared_margin: float
    estimate_includes_employee_share: bool
    new_business_months: int  # an employer registered this recently ranks higher


@dataclass(frozen=True)
class RuleSet:
    """A whole, validated rule file."""

    version: str
    description: str
    source: Path
    policy: Policy
    law: Timeline[Law]
    retirement: Retirement
    minimum_wage: Timeline[MinimumWage]
    reference_level: Timeline[ReferenceLevel]
    contribution_rates: Timeline[ContributionRates]
    zones: Timeline[ZoneTable]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Reader:
    """Typed access to a TOML document that records problems instead of raising."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: {where}: {message}")

    def table(self, parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        if not isinstance(value, dict):
            self.fail(_join(where, key), f"missing or not a table: {value!r}")
            return {}
        return value

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(where or "top level", f"unknown key {key!r}; allowed: {sorted(allowed)}")

    def value[V](
        self, table: Mapping[str, Any], key: str, kind: type[V], where: str, *, minimum: float = 0
    ) -> V | None:
        value = table.get(key)
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            self.fail(_join(where, key), f"{value!r} is not {kind.__name__}")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and value < minimum:
            self.fail(_join(where, key), f"{value!r} must be >= {minimum}")
            return None
        return value

    def timeline[T](
        self,
        document: Mapping[str, Any],
        key: str,
        build: Callable[[dict[str, Any], str], T | None],
        allowed: set[str],
    ) -> Timeline[T]:
        entries = document.get(key)
        if not isinstance(entries, list) or not entries:
            self.fail(key, f"need at least one [[{key}]] period, got {entries!r}")
            return Timeline(key, ())
        periods: list[Period[T]] = []
        for number, entry in enumerate(entries):
            where = f"{key}[{number}]"
            self.check_keys(entry, allowed | {"from", "to"}, where)
            start, end = entry.get("from"), entry.get("to")
            if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
                self.fail(f"{where}.from", f"{start!r} is not a date (YYYY-MM-DD)")
                continue
            if end is not None and (not isinstance(end, dt.date) or end < start):
                self.fail(f"{where}.to", f"{end!r} is not a date on or after {start}")
                continue
            value = build(entry, where)
            if value is not None:
                periods.append(Period(start, end, value))
        periods.sort(key=lambda p: p.start)
        for before, after in itertools.pairwise(periods):
            if before.end is None or before.end >= after.start:
                self.fail(key, f"period from {before.start} overlaps the one from {after.start}")
        return Timeline(key, tuple(periods))


def _law(r: _Reader, entry: dict[str, Any], where: str) -> Law | None:
    name = r.value(entry, "name", str, where)
    ints = {
        k: r.value(entry, k, int, where, minimum=minimum)
        for k, minimum in (
            ("min_contract_months", 0),
            ("foreign_min_contract_months", 0),
            ("min_working_age", 0),
            ("contribution_ceiling_multiple", 1),
            ("registration_days", 0),
            ("evasion_after_days", 0),
        )
    }
    part_time = r.value(entry, "part_time_low_wage_exclusion", bool, where)
    foreign = r.value(entry, "foreign_workers_covered", bool, where)
    first = r.value(entry, "first_contract_only", bool, where)
    probation = r.value(entry, "probation_excluded", bool, where)
    part_time_floor = r.value(entry, "part_time_floor_is_reference_level", bool, where)
    owners = r.value(entry, "household_owners_covered", bool, where)
    flags = (part_time, foreign, first, probation, part_time_floor, owners)
    if name is None or None in flags or None in ints.values():
        return None
    return Law(
        name=name,
        part_time_low_wage_exclusion=bool(part_time),
        foreign_workers_covered=bool(foreign),
        first_contract_only=bool(first),
        probation_excluded=bool(probation),
        part_time_floor_is_reference_level=bool(part_time_floor),
        household_owners_covered=bool(owners),
        **ints,  # type: ignore[arg-type]
    )


def _minimum_wage(r: _Reader, entry: dict[str, Any], where: str) -> MinimumWage | None:
    source = r.value(entry, "source", str, where)
    amounts = {zone: r.value(entry, zone, int, where, minimum=1) for zone in ZONES}
    if source is None or any(v is None for v in amounts.values()):
        return None
    ordered = [amounts[z] for z in ZONES]
    if ordered != sorted(ordered, reverse=True):  # type: ignore[type-var]
        r.fail(where, f"zone amounts must not increase from I to IV, got {ordered!r}")
        return None
    return MinimumWage(source, {z: int(a) for z, a in amounts.items() if a is not None})


def _reference(r: _Reader, entry: dict[str, Any], where: str) -> ReferenceLevel | None:
    source = r.value(entry, "source", str, where)
    amount = r.value(entry, "amount", int, where, minimum=1)
    return None if source is None or amount is None else ReferenceLevel(source, amount)


def _rates(r: _Reader, entry: dict[str, Any], key: str, where: str) -> Rates | None:
    table = r.table(entry, key, where)
    names = ("retirement", "sickness_maternity", "accident", "health", "unemployment")
    r.check_keys(table, set(names), f"{where}.{key}")
    values = {n: r.value(table, n, float, f"{where}.{key}", minimum=0) for n in names}
    if any(v is None for v in values.values()):
        return None
    if sum(v for v in values.values() if v is not None) >= 1:
        r.fail(f"{where}.{key}", "rates must sum to less than 1")
        return None
    return Rates(**values)  # type: ignore[arg-type]


def _contribution(r: _Reader, entry: dict[str, Any], where: str) -> ContributionRates | None:
    ui_min = r.value(entry, "ui_min_contract_months", int, where)
    ui_ceiling = r.value(entry, "ui_ceiling_multiple", int, where, minimum=1)
    employer = _rates(r, entry, "employer", where)
    employee = _rates(r, entry, "employee", where)
    if ui_min is None or ui_ceiling is None or employer is None or employee is None:
        return None
    return ContributionRates(ui_min, ui_ceiling, employer, employee)


def _zones(r: _Reader, entry: dict[str, Any], where: str) -> ZoneTable | None:
    """One annex: its scheme, its table file (relative to the rule file), its overlap choice.

    ``other_scheme_overlap`` is the zone a unit of the other scheme overlapping units of
    several zones takes: ``highest`` or ``lowest``.
    """
    r.value(entry, "source", str, where)
    scheme, table = entry.get("scheme"), entry.get("table")
    overlap = entry.get("other_scheme_overlap")
    schemes = [s.value for s in UnitScheme]
    if scheme not in schemes:
        r.fail(f"{where}.scheme", f"{scheme!r} is not one of {schemes}")
    if not isinstance(table, str) or not table:
        r.fail(f"{where}.table", f"{table!r} is not a file name")
    if overlap not in OVERLAPS:
        r.fail(f"{where}.other_scheme_overlap", f"{overlap!r} is not one of {list(OVERLAPS)}")
    if scheme not in schemes or not isinstance(table, str) or not table or overlap not in OVERLAPS:
        return None
    problems: list[str] = []
    zones = read_zone_table(r.path.parent / table, UnitScheme(scheme), problems, overlap=overlap)
    for problem in problems:
        r.fail(f"{where}.table", problem)
    return zones


def _retirement(r: _Reader, document: Mapping[str, Any]) -> Retirement | None:
    table = r.table(document, "retirement", "")
    r.check_keys(table, {"start_year", "year_only_birth_month", "male", "female"}, "retirement")
    start = r.value(table, "start_year", int, "retirement", minimum=1900)
    month = r.value(table, "year_only_birth_month", int, "retirement", minimum=1)
    if month is not None and month > 12:
        r.fail("retirement.year_only_birth_month", f"{month!r} is not a month 1-12")
        month = None
    rules: dict[str, RetirementRule] = {}
    names = ("legacy_age_months", "base_age_months", "step_months_per_year", "cap_age_months")
    for sex in ("male", "female"):
        where = f"retirement.{sex}"
        sub = r.table(table, sex, "retirement")
        r.check_keys(sub, set(names), where)
        values = {n: r.value(sub, n, int, where) for n in names}
        if any(v is None for v in values.values()):
            continue
        rule = RetirementRule(**values)  # type: ignore[arg-type]
        if not rule.legacy_age_months <= rule.base_age_months <= rule.cap_age_months:
            r.fail(where, "need legacy_age_months <= base_age_months <= cap_age_months")
            continue
        rules[sex] = rule
    if start is None or month is None or len(rules) != 2:
        return None
    return Retirement(start, rules["male"], rules["female"], month)


def _policy(r: _Reader, document: Mapping[str, Any]) -> Policy | None:
    table = r.table(document, "policy", "")
    names = {"under_declared_margin", "estimate_includes_employee_share", "new_business_months"}
    r.check_keys(table, names, "policy")
    margin = r.value(table, "under_declared_margin", float, "policy")
    share = r.value(table, "estimate_includes_employee_share", bool, "policy")
    new = r.value(table, "new_business_months", int, "policy", minimum=0)
    if margin is not None and margin > 1:
        r.fail("policy.under_declared_margin", f"{margin!r} must be between 0 and 1")
        margin = None
    if margin is None or share is None or new is None:
        return None
    return Policy(margin, share, new)


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rule file.

    Raises:
        ConfigError: listing every problem found, each naming the file and the key.
    """
    document, _ = read_toml(path, "rule file")
    r = _Reader(path)
    sections = {"law", "minimum_wage", "reference_level", "contribution_rates", "zones"}
    r.check_keys(document, sections | {"version", "description", "policy", "retirement"}, "")
    version = r.value(document, "version", str, "")
    description = document.get("description", "")
    policy = _policy(r, document)
    retirement = _retirement(r, document)
    law = r.timeline(document, "law", lambda e, w: _law(r, e, w), set(Law.__annotations__))
    minimum_wage = r.timeline(
        document, "minimum_wage", lambda e, w: _minimum_wage(r, e, w), {"source", *ZONES}
    )
    reference = r.timeline(
        document, "reference_level", lambda e, w: _reference(r, e, w), {"source", "amount"}
    )
    rates = r.timeline(
        document,
        "contribution_rates",
        lambda e, w: _contribution(r, e, w),
        {"ui_min_contract_months", "ui_ceiling_multiple", "employer", "employee"},
    )
    zones = r.timeline(
        document,
        "zones",
        lambda e, w: _zones(r, e, w),
        {"source", "scheme", "table", "other_scheme_overlap"},
    )
    if r.problems or version is None or policy is None or retirement is None:
        raise ConfigError(r.problems or [f"{path}: invalid rule file"])
    return RuleSet(
        version=version,
        description=str(description),
        source=path,
        policy=policy,
        law=law,
        retirement=retirement,
        minimum_wage=minimum_wage,
        reference_level=reference,
        contribution_rates=rates,
        zones=zones,
    )
