"""One disposition per payroll row: insured, outreach candidate (with a reason), or excluded.

The order of tests, each applying only to rows no earlier test decided:

1-8. the exclusions, in the order and with the sources of ``exclusions.EXCLUSIONS`` (no
   rules in force, employer closed, pensioner, over retirement age, foreign workers before
   they were covered or on short contracts, short contract, probation, part-time low wage);
   an age below the minimum working age is no exclusion (see missing facts below)
9. linked in the review band                       -> candidate ``review``
10. linked match, insured record suspended/stopped -> candidate ``lapsed``, unless the
   person holds another active insured record (same national ID) -> insured_ok
11. linked match, active at another employer       -> excluded ``covered_elsewhere``
   (Law 58 Art. 85: a worker with several contracts contributes under the first one; a law
   with ``first_contract_only = false`` insures each contract: ``uninsured`` here)
12. linked match, active here, contribution salary below the zone's minimum wage or below
   margin * min(income, ceiling)                   -> candidate ``under_declared``
   (income: the worker's median month here once three months are seen, so a Tết or
   13th-month bonus is no under-declaration)
13. linked match, active here                      -> insured_ok
14. unlinked                                       -> candidate ``uninsured``
    (a match to a record of unknown status goes to ``review``)
15. uninsured or lapsed, first seen on this employer's monthly payroll within the
    registration deadline (Law 41 Art. 28(1): 30 days) -> excluded ``registration_window``;
    still unregistered past the deadline and 60 more days (Art. 39(1)(a)) is suspected
    evasion, ranked first among its reason. Annual periods tell no tenure: not assessed.

Missing facts: a row that steps 10-14 would list as uninsured, lapsed or under-declared,
but whose period, birth year (stated, on the linked record, or in its CCCD) or contract
length is unknown, is a ``review`` candidate instead: a clerk checks it, the engine does not
guess. A blank birth year hides more than the age: with no birth date and no CCCD, a worker
at another employer than their record is found by name alone. On the validation set, of the
262 such rows the rest would list, 60% were uninsured; 28% had a record a name cannot single
out and 11% were outside working age. So a letter waits for the birth date. A row without
a period (the law in force is unknown) is ``review`` too. So is a worker below the minimum
working age (15): the SI law covers a labour contract signed for one (Law 41/2024 Art.
2(1)(a); the Labour Code allows it for some work only), so such a row is neither an
exclusion nor an ordinary letter.

Conventions: ages count whole months from the birth month to the period's last month; a
birth known only by its year is placed in January (Decree 135/2020 Art. 3(3)); a payroll
row without a birth date takes the linked insured record's, else the year its CCCD encodes;
one without a sex takes its CCCD's, the linked record's, else the one its name marks in the
registry; an unknown birth year, sex (men's later schedule), contract length or income never
excludes (see missing facts above). A worker retires at the end of the month the retirement
age is reached (Decree 135/2020 Art. 3(1)), so one reaching it in the period's last month is
retired when the list is used: excluded. Workers whose employer is absent
from the registry stay candidates under the unknown unit ``00``/``000``; workplaces coded by
their 2025-07 commune go to the office of the pre-2025 district that gave it most wards.

Then one outreach entry per (worker, employer root): the latest period decides; other
candidate rows of the pair become excluded ``duplicate_entry``. Priorities rank candidates
within each outreach unit.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from linkage.eligibility.ages import ages_in_months, is_female
from linkage.eligibility.columns import floats
from linkage.eligibility.details import Detail
from linkage.eligibility.exclusions import exclusion_reasons, households
from linkage.eligibility.jobs import duplicates, employment, entry_keys, job_codes
from linkage.eligibility.parameters import RowParameters, parameters, zones_of
from linkage.eligibility.priority import priorities, unpaid_contributions
from linkage.eligibility.records import coverage_reasons, legal_floor, linked_records
from linkage.eligibility.registration import registration_window
from linkage.eligibility.review import DECIDED_WITH_FACTS, review_facts, to_review
from linkage.eligibility.rules import FloatArray, RuleSet
from linkage.eligibility.workplaces import employer_facts, workplace_units
from linkage.errors import PipelineError
from linkage.schema import DISPOSITIONS, Disposition, ExclusionReason, conform


class _Decided(NamedTuple):
    """Per row, as the steps decide it; later steps change the arrays in place."""

    disposition: np.ndarray
    reason: np.ndarray
    detail: np.ndarray


def _exclusions_and_coverage(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    insured: pd.DataFrame,
    rules: RuleSet,
    laws: tuple[RowParameters, RowParameters],
    employer: tuple[np.ndarray, np.ndarray],
    income: FloatArray,
) -> _Decided:
    """Steps 1-14: the first exclusion, else what the linked record says of coverage.

    ``laws`` holds the rule values in force at each row's period end and at its start,
    ``employer`` whether the employer closed before the period and the worker owns it. A
    period straddling a change of law (an annual 2025 return: Law 58 to June, Law 41 from
    July) is judged under both: excluded only where both laws exclude, and held to the
    higher legal floor, since the months of either law can show a violation.
    """
    p, p_start = laws
    closed, owner = employer
    straddles = (p_start.law != p.law) & (p_start.law >= 0) & (p.law >= 0)
    excluded = exclusion_reasons(payroll, linked, p, closed, owner)
    excluded_start = exclusion_reasons(payroll, linked, p_start, closed, owner)
    excluded[straddles & pd.isna(excluded_start)] = None
    floor = legal_floor(p, income)
    floor = np.where(straddles, np.fmax(floor, legal_floor(p_start, income)), floor)
    coverage, detail = coverage_reasons(
        payroll,
        linked,
        insured,
        (floor, p.ceiling),
        income,
        (rules.policy.under_declared_margin, p.first_contract_only),
    )
    reason = np.where(pd.isna(excluded), coverage, excluded)
    detail[pd.notna(excluded)] = None
    elsewhere = coverage == ExclusionReason.COVERED_ELSEWHERE.value
    disposition = np.select(
        [pd.notna(excluded) | elsewhere, pd.notna(coverage)],
        [Disposition.EXCLUDED.value, Disposition.CANDIDATE.value],
        default=Disposition.INSURED_OK.value,
    )
    return _Decided(disposition, reason, detail)


def _review_undecided(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    insured: pd.DataFrame,
    rules: RuleSet,
    p: RowParameters,
    employer: tuple[np.ndarray, np.ndarray],
    decided: _Decided,
) -> None:
    """Send to review, in place, the listed rows whose decision rests on a fact not known.

    ``employer`` holds whether the employer is a household and the worker its owner.
    """
    household, owner = employer
    female = is_female(payroll, linked, insured)
    age, retirement = ages_in_months(payroll, linked, rules, payroll["period_end"], female)
    to_review(
        decided.disposition,
        (decided.reason, decided.detail),
        review_facts(payroll, (age, retirement), p, household & ~owner, owner),
        listed=np.isin(decided.reason, [r.value for r in DECIDED_WITH_FACTS]),
    )


def _exclude_duplicates(payroll: pd.DataFrame, jobs: np.ndarray, decided: _Decided) -> None:
    """Exclude, in place, the candidate rows that are not their job's outreach entry."""
    stale = duplicates(payroll, jobs, decided.disposition, decided.reason)
    decided.disposition[stale] = Disposition.EXCLUDED.value
    decided.reason[stale] = ExclusionReason.DUPLICATE_ENTRY.value
    decided.detail[stale] = None


class _Ranking(NamedTuple):
    """The outreach unit of each row and where its candidates rank in it."""

    units: pd.DataFrame  # province_code, district_code, unit_scheme
    unpaid: np.ndarray  # float: estimated unpaid monthly contributions; NaN unless listed
    evasion: np.ndarray  # bool: a candidate suspected of evasion
    priority: np.ndarray  # contact order within the unit; missing unless a candidate


def _rank(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    employer: pd.DataFrame,
    p: RowParameters,
    income: FloatArray,
    decided: _Decided,
    evasion: np.ndarray,
) -> _Ranking:
    """Each candidate's unpaid contributions and priority within its outreach unit."""
    candidate = decided.disposition == Disposition.CANDIDATE.value
    salary = floats(linked["contribution_salary"])
    reason = decided.reason
    unpaid = np.where(candidate, unpaid_contributions(reason, income, salary, p), np.nan)
    evasion = evasion & candidate
    units = workplace_units(employer)
    # Within a reason, a violation the data shows (evasion, a base below the legal floor)
    # is contacted before a lead.
    violation = evasion | (decided.detail == Detail.BELOW_LEGAL_FLOOR.value)
    priority = priorities(units, reason, violation, unpaid, income, payroll["record_id"], candidate)
    return _Ranking(units, unpaid, evasion, priority)


def _table(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    employer: pd.DataFrame,
    rules: RuleSet,
    zone: np.ndarray,
    decided: _Decided,
    ranking: _Ranking,
    tenure: FloatArray,
) -> pd.DataFrame:
    """The DISPOSITIONS table, one row per payroll row in payroll order.

    Raises:
        PipelineError: if the table does not hold exactly one row per payroll row.
    """
    units, evasion = ranking.units, ranking.evasion
    result = conform(
        pd.DataFrame(
            {
                "record_id": payroll["record_id"],
                "disposition": decided.disposition,
                "reason": decided.reason,
                "priority": pd.array(ranking.priority, dtype="Int32"),
                "rule_set": rules.version,
                "si_code": linked["si_code"],
                "match_weight": linked["match_weight"],
                "si_status": linked["si_status"],
                "contribution_salary": linked["contribution_salary"],
                "employer_code": employer["employer_code"],
                "province_code": units["province_code"],
                "district_code": units["district_code"],
                "unit_scheme": units["unit_scheme"],
                "zone": pd.Series(zone, dtype="object"),
                "unpaid_monthly": pd.array(np.round(ranking.unpaid), dtype="Int64"),
                "tenure_days": pd.Series(tenure).astype("Int32"),
                "suspected_evasion": pd.Series(evasion).astype("boolean").where(~np.isnan(tenure)),
                "entry_key": entry_keys(payroll, linked),
                "detail": pd.Series(decided.detail, dtype="object"),
            }
        ),
        DISPOSITIONS,
        stage="eligibility",
    )
    if len(result) != len(payroll) or not result["record_id"].equals(
        payroll["record_id"].astype(result["record_id"].dtype)
    ):
        msg = f"eligibility: {len(result)} dispositions for {len(payroll)} payroll rows"
        raise PipelineError(msg)
    return result


def decide(
    payroll: pd.DataFrame,
    links: pd.DataFrame,
    insured: pd.DataFrame,
    businesses: pd.DataFrame,
    rules: RuleSet,
    *,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Give every payroll row exactly one disposition under the rules in force at its period.

    Args:
        payroll: Normalized payroll (schema.PAYROLL).
        links: Links from the link stage (schema.LINKS); bands other than match and review
            are ignored, and a payroll row without a link is unlinked.
        insured: Normalized insured registry (schema.INSURED).
        businesses: Normalized business registry (schema.BUSINESSES).
        rules: Rule set from ``load_rules``.
        as_of: The day the insured registry was extracted: registration deadlines and
            tenure are judged then. None: at each row's period end.

    Returns:
        schema.DISPOSITIONS columns, one row per payroll row in
        payroll order.

    Raises:
        PipelineError: if an input breaks the contract (duplicate links) or the result does
            not hold exactly one row per payroll row.
    """
    payroll = payroll.reset_index(drop=True)
    period = payroll["period_end"]  # judged on the period's last day
    linked = linked_records(payroll, links, insured)
    employer = employer_facts(payroll, businesses)
    zone = zones_of(rules, period, employer)
    jobs = job_codes(payroll, linked)
    work = employment(payroll, jobs, as_of)
    contract = floats(payroll["contract_months"])
    p = parameters(rules, period, zone, contract)
    # Also the rules at the period's start: a period may straddle a change of law.
    opening = payroll["period"]
    p_start = parameters(rules, opening, zones_of(rules, opening, employer), contract)
    household, owner = households(payroll)
    closed = employer["closed"].to_numpy(dtype=bool)
    decided = _exclusions_and_coverage(
        payroll, linked, insured, rules, (p, p_start), (closed, owner), work.income
    )
    _review_undecided(payroll, linked, insured, rules, p, (household, owner), decided)
    evasion = registration_window(decided, work, p)
    _exclude_duplicates(payroll, jobs, decided)
    ranking = _rank(payroll, linked, employer, p, work.income, decided, evasion)
    return _table(payroll, linked, employer, rules, zone, decided, ranking, work.tenure)
