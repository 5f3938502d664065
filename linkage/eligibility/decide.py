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
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.eligibility.ages import retirement_ages, sex_from_names
from linkage.eligibility.columns import (
    codes,
    equals,
    firsts,
    floats,
    order,
    positions,
    runs,
    strings,
    take,
)
from linkage.eligibility.details import Detail
from linkage.eligibility.exclusions import Facts, first_exclusion
from linkage.eligibility.parameters import RowParameters, parameters, zones_of
from linkage.eligibility.priority import (
    INSURED_SEVERITY,
    priorities,
    severities,
    unpaid_contributions,
)
from linkage.eligibility.rules import FloatArray, RuleSet, period_days
from linkage.errors import PipelineError
from linkage.normalize.dates import month_index, month_indexes
from linkage.normalize.units import commune_districts, district_province
from linkage.schema import (
    DISPOSITIONS,
    Band,
    CandidateReason,
    ContractType,
    Disposition,
    ExclusionReason,
    InsuredStatus,
    UnitScheme,
    conform,
)

# Reasons that rest on the row's age, period and contract length being known.
_DECIDED_WITH_FACTS = (
    CandidateReason.UNINSURED,
    CandidateReason.LAPSED,
    CandidateReason.UNDER_DECLARED,
)
_SMOOTHING_MONTHS = 3  # months of a worker at an employer before their median income is used
UNKNOWN_PROVINCE = "00"  # outreach unit of workers whose employer is not in the registry
UNKNOWN_DISTRICT = "000"  # also the district of employers registered without a district
_EPOCH = dt.date(1970, 1, 1)
# Insured-record fields a linked payroll row reads, by the name they take on the row.
_RECORD_FIELDS = {
    "status": "si_status",
    "contribution_salary": "contribution_salary",
    "national_id": "si_national_id",
    "birth_year": "si_birth_year",
    "birth_month": "si_birth_month",
    "gender": "si_gender",
    "id_gender": "si_id_gender",
    "employer_root": "si_employer_root",
}


def _first(cases: Sequence[tuple[np.ndarray, str | None]], default: str | None) -> np.ndarray:
    """Object array holding, per row, the value of the first case whose condition holds."""
    size = len(cases[0][0])
    result = np.full(size, default, dtype=object)
    decided = np.zeros(size, dtype=bool)
    for condition, value in cases:
        hit = condition & ~decided
        result[hit] = None if value is None else str(value)
        decided |= hit
    return result


def _linked(payroll: pd.DataFrame, links: pd.DataFrame, insured: pd.DataFrame) -> pd.DataFrame:
    """Link and insured-record fields aligned with payroll rows (nulls where unlinked).

    A row takes the first insured record of its SI code, as a merge on the deduplicated
    registry would.
    """
    usable = links[links["band"].isin([Band.MATCH.value, Band.REVIEW.value])]
    record_ids = pa.array(strings(usable["record_id"]))
    if pc.count_distinct(record_ids, mode="all").as_py() < len(record_ids):
        msg = "eligibility: links hold more than one row for some payroll records"
        raise PipelineError(msg)
    link = positions(payroll["record_id"], usable["record_id"])
    view = pd.DataFrame({"record_id": payroll["record_id"].reset_index(drop=True)})
    for column in ("si_code", "match_weight", "band"):
        view[column] = take(usable[column], link)
    record = positions(view["si_code"], insured["si_code"])
    for column, name in _RECORD_FIELDS.items():
        view[name] = take(insured[column], record)
    return view


def _employers(payroll: pd.DataFrame, businesses: pd.DataFrame) -> pd.DataFrame:
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


def _outreach_units(employer: pd.DataFrame) -> pd.DataFrame:
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


def _female(payroll: pd.DataFrame, linked: pd.DataFrame, insured: pd.DataFrame) -> np.ndarray:
    """Whether each row is a woman: stated, else in its CCCD, the linked record, its name.

    Only the retirement schedule depends on it; a row of unknown sex takes the men's, the
    later one, so nobody is excluded as over age who might still be below it.
    """
    registry = insured[["middle_ascii", "given_ascii"]].assign(
        gender=strings(insured["gender"]).fillna(strings(insured["id_gender"])).to_numpy()
    )
    sex = strings(payroll["gender"]).fillna(strings(payroll["id_gender"]))
    sex = sex.fillna(strings(linked["si_gender"])).fillna(strings(linked["si_id_gender"]))
    names = sex_from_names(payroll[["middle_ascii", "given_ascii"]], registry)
    sex = sex.fillna(strings(names))
    return equals(sex, "F")


def _ages(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    rules: RuleSet,
    period: pd.Series,
    female: np.ndarray,
) -> tuple[FloatArray, FloatArray]:
    """Age at the period and retirement age, both in months; NaN where birth is unknown."""
    # Without a birth date on the payroll row: the linked insured record's, else the year
    # the worker's CCCD encodes.
    stated = floats(payroll["birth_year"])
    registered = floats(linked["si_birth_year"])
    year = np.where(np.isnan(stated), registered, stated)
    year = np.where(np.isnan(year), floats(payroll["id_birth_year"]), year)
    month = np.where(
        np.isnan(stated), floats(linked["si_birth_month"]), floats(payroll["birth_month"])
    )
    year_only = equals(payroll["birth_precision"], "year") | (
        np.isnan(stated) & np.isnan(registered)
    )
    month = np.where(np.isnan(month) | year_only, rules.retirement.year_only_birth_month, month)
    birth = month_index(year, month)
    age = month_indexes(period) - birth
    return age, retirement_ages(rules.retirement, birth, female)


def _household(payroll: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row's employer is a household, and whether the worker is its owner.

    A business household or a family files under a person's code: a 12-digit citizen ID as
    tax code. The worker whose own citizen ID or personal tax code is that code is the owner.
    """
    employer = strings(payroll["employer_tax_code"])
    household = (employer.str.len() == 12).fillna(value=False).to_numpy(dtype=bool)
    root = strings(payroll["employer_root"]).fillna(employer)
    own_id = (strings(payroll["national_id"]) == employer).fillna(value=False)
    own_code = (strings(payroll["person_tax_code"]) == root).fillna(value=False)
    owner = (own_id | own_code).to_numpy(dtype=bool)
    return household, owner


def _exclusions(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    p: RowParameters,
    closed: np.ndarray,
    owner: np.ndarray,
) -> np.ndarray:
    """Exclusion reason per row, the first of ``EXCLUSIONS``; None where the row is eligible."""
    facts = Facts(
        p=p,
        closed=closed,
        pensioner=equals(linked["band"], Band.MATCH.value)
        & equals(linked["si_status"], InsuredStatus.PENSIONER.value),
        foreign=_foreign(payroll),
        contract=floats(payroll["contract_months"]),
        probation=equals(payroll["contract_type"], ContractType.PROBATION.value),
        owner=owner,
        income=floats(payroll["monthly_income"]),
    )
    return first_exclusion(facts)


def _foreign(payroll: pd.DataFrame) -> np.ndarray:
    """A nationality other than VN is stated (unknown counts as Vietnamese)."""
    nationality = strings(payroll["nationality"]).str.upper()
    return ((nationality != "VN") & nationality.notna()).fillna(value=False).to_numpy(bool)


def _legal_floor(p: RowParameters, income: FloatArray) -> FloatArray:
    """The lowest base the law allows: the regional minimum, or a part-timer's reference level.

    From 2025-07 a part-timer's base need only reach the reference level (Decree 158/2025
    Art. 7(2)); no full-time wage may be below the regional minimum, so an income below it
    (or unknown) is read as part-time there. Before, the regional minimum held for all.
    """
    part_time = np.isnan(income) | (income < p.floor)
    return np.where(p.part_time_floor_is_reference & part_time, p.reference_level, p.floor)


def _coverage(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    insured: pd.DataFrame,
    floors: tuple[FloatArray, FloatArray],
    income: FloatArray,
    policy: tuple[float, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate reason and detail per row as if eligible; None where insured and declared.

    ``floors`` holds each row's legal floor and SI ceiling, ``policy`` the under-declaration
    margin and whether a law insures the first contract only.
    """
    legal_floor, ceiling = floors
    margin, first_contract_only = policy
    active_ids = insured.loc[insured["status"] == "active", "national_id"].dropna()
    # One lookup for the record's and the row's ID: the set of active IDs is built once.
    ids = pd.concat([strings(linked["si_national_id"]), strings(payroll["national_id"])])
    held = ids.isin(active_ids).to_numpy(dtype=bool)
    other_active = held[: len(payroll)] | held[len(payroll) :]
    salary = floats(linked["contribution_salary"])
    # An unknown income caps nothing: NaN, not fmin's ceiling, so only the legal floor judges.
    wage_cap = np.where(np.isnan(income), np.nan, np.fmin(income, ceiling))
    below_floor = salary < legal_floor
    under = below_floor | (salary < margin * wage_cap)
    match = equals(linked["band"], Band.MATCH.value)
    status = linked["si_status"]
    suspended = match & equals(status, "suspended")
    lapsed = suspended | (match & equals(status, "stopped"))
    active = match & equals(status, "active")
    # The salary is this employer's declaration only on this employer's record; a row
    # whose employer code is unknown is taken as at the record's employer.
    own = strings(payroll["employer_root"])
    same = (strings(linked["si_employer_root"]) == own) | own.isna()
    here = same.fillna(value=False).to_numpy(dtype=bool)
    review = equals(linked["band"], Band.REVIEW.value)
    cases: list[tuple[np.ndarray, str | None]] = [
        (review, CandidateReason.REVIEW),
        (lapsed & ~other_active, CandidateReason.LAPSED),
        (lapsed, None),
        (active & ~here & first_contract_only, ExclusionReason.COVERED_ELSEWHERE),
        (active & ~here, CandidateReason.UNINSURED),  # insured under each contract: not here
        (active & under, CandidateReason.UNDER_DECLARED),
        (active, None),
        (match, CandidateReason.REVIEW),  # linked to a record of unknown status: a clerk decides
    ]
    reason = _first(cases, CandidateReason.UNINSURED.value)
    details: list[tuple[np.ndarray, str | None]] = [
        (review, Detail.LINK_UNCERTAIN),
        (suspended, Detail.RECORD_SUSPENDED),
        (lapsed, Detail.RECORD_STOPPED),
        (active & ~here, Detail.NOT_INSURED_AT_THIS_EMPLOYER),
        (active & below_floor, Detail.BELOW_LEGAL_FLOOR),
        (active & under, Detail.BELOW_INCOME_HEURISTIC),
        (active, None),
        (match, Detail.RECORD_STATUS_UNKNOWN),
    ]
    detail = _first(details, Detail.NO_INSURED_RECORD.value)
    detail[pd.isna(reason) | (reason == ExclusionReason.COVERED_ELSEWHERE.value)] = None
    return reason, detail


def _person_keys(payroll: pd.DataFrame, si_code: pd.Series, *, si_first: bool) -> pd.Series:
    """Each row's first known person key, prefixed by its kind.

    SI code, national ID and personal tax code (the SI code first or last), then name and
    birth year, then the record ID.
    """
    ids = {
        "i": strings(payroll["national_id"]),
        "t": strings(payroll["person_tax_code"]),
    }
    ids = {"s": si_code, **ids} if si_first else {**ids, "s": si_code}
    keys = {
        **ids,
        "n": strings(payroll["name_ascii"]) + "|" + strings(payroll["birth_year"]),
        "r": strings(payroll["record_id"]),
    }
    # Prefix only the key each row takes: one concatenation, not one per kind.
    known = [values.notna().to_numpy(dtype=bool) for values in keys.values()]
    kind = np.select(known, list(range(len(keys))), default=len(keys))
    prefixes = pa.array([f"{name}:" for name in keys] + [None], type=pa.string())
    value = pc.coalesce(*(pa.array(values) for values in keys.values()))
    key = pc.binary_join_element_wise(prefixes.take(kind), value, "")
    return pd.Series(pd.arrays.ArrowExtensionArray(key))


def _employer_roots(payroll: pd.DataFrame) -> pd.Series:
    """The employer root of each row, else its tax code as written."""
    return strings(payroll["employer_root"]).fillna(strings(payroll["employer_tax_code"]))


def _worker_key(payroll: pd.DataFrame, linked: pd.DataFrame) -> pd.Series:
    """Linked SI code, else national ID, else personal tax code, else name and birth year.

    An unlinked row takes the SI code another row with the same national ID linked to, so a
    worker uninsured in one month and insured in a later one is recognized as the same.
    """
    national_id = strings(payroll["national_id"])
    si_code = strings(linked["si_code"])
    both = pd.DataFrame({"id": national_id, "si": si_code}).dropna()
    si_code = si_code.fillna(take(both["si"], positions(national_id, both["id"])))
    return _person_keys(payroll, si_code, si_first=True)


def _entry_keys(payroll: pd.DataFrame, linked: pd.DataFrame) -> pd.Series:
    """Worker and employer root of each row, from what stays the same across refreshes.

    The citizen ID first (a worker keeps it when newly insured), then the personal tax
    code, the linked SI code, name and birth year, and as a last resort the record ID.
    """
    person = _person_keys(payroll, strings(linked["si_code"]), si_first=False)
    return person + "@" + _employer_roots(payroll).fillna("")


class Employment(NamedTuple):
    """What the (worker, employer root) pair's rows together tell, aligned with the rows."""

    tenure: FloatArray  # days on this payroll by the judging day; NaN unknown
    # days from the last day of the pair's first month to the judging day: the contract
    # started on or before it, so the deadline has surely passed once this exceeds it
    since_first_month: FloatArray
    exact: np.ndarray  # bool: the pair starts after the file's first month (a new hire)
    income: FloatArray  # typical monthly income: bonus months smoothed out


def _jobs(payroll: pd.DataFrame, linked: pd.DataFrame) -> np.ndarray:
    """An integer per (worker, employer root) pair: the rows of one job share it."""
    return codes(_worker_key(payroll, linked).fillna(""), _employer_roots(payroll).fillna(""))


def _employment(
    payroll: pd.DataFrame, jobs: np.ndarray, as_of: dt.date | None = None
) -> Employment:
    """Tenure and typical income of each row's worker at its employer.

    Tenure counts from the first period the pair appears in to the judging day (``as_of``,
    the registry's extraction date; without one, the row's period end), when all its periods are
    monthly (NaN otherwise: an annual return says nothing of a start date). It is exact only
    when that first period is later than the file's first month: a worker seen from the
    start may have been employed long before, so the count is a lower bound.

    Typical income is the median over the pair's months when it has at least
    ``_SMOOTHING_MONTHS``: a Tết or 13th-month bonus lifts one month's taxable income, not
    the SI base, and would otherwise read as under-declaration. Else the row's own income.
    """
    start = period_days(payroll["period"]).astype(np.float64)
    end = period_days(payroll["period_end"]).astype(np.float64)
    known = pd.notna(payroll["period"]).to_numpy(dtype=bool)
    known &= pd.notna(payroll["period_end"]).to_numpy(dtype=bool)
    monthly = known & (end - start < 31)
    pairs = pd.DataFrame(
        {
            "job": jobs,
            "start": np.where(known, start, np.nan),
            "monthly": monthly,
            "income": np.where(monthly, floats(payroll["monthly_income"]), np.nan),
        }
    )
    grouped = pairs.groupby("job", sort=False)
    first = grouped["start"].transform("min").to_numpy(dtype=np.float64)
    first_end = pairs.assign(end=np.where(known, end, np.nan)).groupby("job", sort=False)
    first_end_day = first_end["end"].transform("min").to_numpy(dtype=np.float64)
    all_monthly = grouped["monthly"].transform("all").to_numpy(dtype=bool)
    day = end if as_of is None else np.full(len(end), (as_of - _EPOCH).days, dtype=np.float64)
    tenure = np.where(all_monthly, np.maximum(day - first + 1, 0), np.nan)
    since = np.where(all_monthly, day - first_end_day, np.nan)
    file_start = np.nanmin(np.where(monthly, start, np.nan)) if monthly.any() else np.nan
    months = grouped["income"].transform("count").to_numpy()
    median = grouped["income"].transform("median").to_numpy(dtype=np.float64)
    own = floats(payroll["monthly_income"])
    typical = np.where(monthly & (months >= _SMOOTHING_MONTHS), median, own)
    return Employment(tenure, since, all_monthly & (first > file_start), typical)


def _duplicates(
    payroll: pd.DataFrame, jobs: np.ndarray, disposition: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    """Candidate rows that are not the latest entry of their (worker, employer root) pair."""
    severity = severities(reason)
    entries = np.flatnonzero(disposition != Disposition.EXCLUDED.value)
    ordered = entries[
        order(
            {
                "job": jobs[entries],
                "day": period_days(payroll["period_end"])[entries],
                "severity": np.where(np.isnan(severity), INSURED_SEVERITY, severity)[entries],
                "record_id": take(strings(payroll["record_id"]).fillna(""), entries),
            },
            descending={"day"},
        )
    ]
    stale = np.zeros(len(payroll), dtype=bool)
    stale[ordered[runs(jobs[ordered]) > 1]] = True
    stale &= disposition == Disposition.CANDIDATE.value
    return stale


class ReviewFacts(NamedTuple):
    """Per row: the detail that sends a listed row to review instead, else None."""

    missing: np.ndarray  # object: a fact the decision needs is missing (any listed row)
    unseen: np.ndarray  # object: a fact the law turns on that the data cannot show


def _review_facts(
    payroll: pd.DataFrame,
    ages: tuple[FloatArray, FloatArray],
    p: RowParameters,
    household: np.ndarray,
    owner: np.ndarray,
) -> ReviewFacts:
    """Why a row that would be listed goes to review, each with its ``Detail``.

    Missing facts apply to every listed reason. What the data cannot show (a foreign
    worker's exemption, a pension past the retirement age, a domestic worker, a household's
    tax method) matters only for a worker not insured at all (uninsured or lapsed): an
    insured, under-declared worker is covered whatever those facts are.
    """
    age, retirement = ages
    missing = _first(
        [
            (pd.isna(payroll["period"]).to_numpy(dtype=bool), Detail.MISSING_PERIOD),
            (np.isnan(age), Detail.MISSING_BIRTH_YEAR),
            (np.isnan(floats(payroll["contract_months"])), Detail.MISSING_CONTRACT_LENGTH),
            (age < p.min_working_age_months, Detail.UNDER_MINIMUM_WORKING_AGE),
        ],
        None,
    )
    unseen = _first(
        [
            # Law 41 Art. 2(7), Decree 158/2025 Art. 3(4)-(5): a pension or a monthly SI
            # allowance excludes, the age alone does not (retired at the end of the month
            # the age is reached, Decree 135/2020 Art. 3(1))
            (age >= retirement, Detail.PENSION_UNKNOWN_OVER_RETIREMENT_AGE),
            # Law 41 Art. 2(2)(a)-(c); Decree 143/2018 Art. 2(2): exempt foreign workers
            (_foreign(payroll), Detail.FOREIGN_WORKER_EXEMPTION_UNKNOWN),
            # Law 41 Art. 2(1)(m), Decree 158/2025 Art. 3(2): owners taxed by declaration
            (owner & p.household_owners_covered, Detail.HOUSEHOLD_TAX_METHOD_UNKNOWN),
            # Decree 115/2015 Art. 2(4); Law 41 Art. 2(7): domestic workers are excluded
            (household, Detail.DOMESTIC_WORKER_UNKNOWN),
        ],
        None,
    )
    return ReviewFacts(missing, unseen)


def _to_review(
    disposition: np.ndarray,
    decided: tuple[np.ndarray, np.ndarray],
    facts: ReviewFacts,
    *,
    listed: np.ndarray,
) -> None:
    """Send to review, in place, the rows a missing or unseen fact leaves undecided.

    A row without a period is reviewed whatever else it is (the law in force is unknown).
    """
    reason, detail = decided
    no_period = facts.missing == Detail.MISSING_PERIOD.value
    missing = pd.notna(facts.missing) & (listed | no_period)
    not_insured = np.isin(reason, [CandidateReason.UNINSURED.value, CandidateReason.LAPSED.value])
    unseen = pd.notna(facts.unseen) & not_insured & ~missing
    for rows, why in ((missing, facts.missing), (unseen, facts.unseen)):
        disposition[rows] = Disposition.CANDIDATE.value
        reason[rows] = CandidateReason.REVIEW.value
        detail[rows] = why[rows]


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
    linked = _linked(payroll, links, insured)
    employer = _employers(payroll, businesses)
    zone = zones_of(rules, period, employer)
    jobs = _jobs(payroll, linked)
    employment = _employment(payroll, jobs, as_of)
    income = employment.income
    contract = floats(payroll["contract_months"])
    p = parameters(rules, period, zone, contract)
    # A period straddling a change of law (an annual 2025 return: Law 58 to June, Law 41
    # from July) is judged under both: excluded only where both laws exclude, and held to
    # the higher legal floor, since the months of either law can show a violation.
    opening = payroll["period"]
    p_start = parameters(rules, opening, zones_of(rules, opening, employer), contract)
    straddles = (p_start.law != p.law) & (p_start.law >= 0) & (p.law >= 0)
    household, owner = _household(payroll)
    closed = employer["closed"].to_numpy(dtype=bool)
    excluded = _exclusions(payroll, linked, p, closed, owner)
    excluded_start = _exclusions(payroll, linked, p_start, closed, owner)
    excluded[straddles & pd.isna(excluded_start)] = None
    floor = _legal_floor(p, income)
    floor = np.where(straddles, np.fmax(floor, _legal_floor(p_start, income)), floor)
    coverage, detail = _coverage(
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
    age, retirement = _ages(payroll, linked, rules, period, _female(payroll, linked, insured))
    _to_review(
        disposition,
        (reason, detail),
        _review_facts(payroll, (age, retirement), p, household & ~owner, owner),
        listed=np.isin(reason, [r.value for r in _DECIDED_WITH_FACTS]),
    )
    # Registration (Law 41 Art. 28-39; Law 58 Art. 99(1)(a)), judged at the as-of date: the
    # contract began on some day of the first month seen, so the 30-day deadline has surely
    # passed only 30 days after that month's last day; before, a new hire is not yet owed.
    # One still unregistered past the deadline and the evasion window is graded first.
    tenure, exact = employment.tenure, employment.exact
    since = employment.since_first_month
    unregistered = np.isin(reason, [CandidateReason.UNINSURED.value, CandidateReason.LAPSED.value])
    window = unregistered & exact & (since <= p.registration_days)
    disposition[window] = Disposition.EXCLUDED.value
    reason[window] = ExclusionReason.REGISTRATION_WINDOW.value
    detail[window] = Detail.REGISTRATION_WINDOW.value
    evasion = unregistered & ~window & (since > p.registration_days + p.evasion_after_days)
    stale = _duplicates(payroll, jobs, disposition, reason)
    disposition[stale] = Disposition.EXCLUDED.value
    reason[stale] = ExclusionReason.DUPLICATE_ENTRY.value
    detail[stale] = None

    candidate = disposition == Disposition.CANDIDATE.value
    salary = floats(linked["contribution_salary"])
    unpaid = np.where(candidate, unpaid_contributions(reason, income, salary, p), np.nan)
    evasion &= candidate
    units = _outreach_units(employer)
    # Within a reason, a violation the data shows (evasion, a base below the legal floor)
    # is contacted before a lead.
    violation = evasion | (detail == Detail.BELOW_LEGAL_FLOOR.value)
    priority = priorities(units, reason, violation, unpaid, income, payroll["record_id"], candidate)

    result = conform(
        pd.DataFrame(
            {
                "record_id": payroll["record_id"],
                "disposition": disposition,
                "reason": reason,
                "priority": pd.array(priority, dtype="Int32"),
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
                "unpaid_monthly": pd.array(np.round(unpaid), dtype="Int64"),
                "tenure_days": pd.Series(tenure).astype("Int32"),
                "suspected_evasion": pd.Series(evasion).astype("boolean").where(~np.isnan(tenure)),
                "entry_key": _entry_keys(payroll, linked),
                "detail": pd.Series(detail, dtype="object"),
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


def registration_report(dispositions: pd.DataFrame) -> dict[str, Any]:
    """What the run could tell about registration deadlines and evasion, for the manifest.

    Tenure comes only from monthly periods; with annual returns the engine cannot tell a new
    hire from a long-serving worker, and says so.
    """
    known = dispositions["tenure_days"].notna()
    rows = int(known.sum())
    window = int((dispositions["reason"] == ExclusionReason.REGISTRATION_WINDOW.value).sum())
    evasion = int(dispositions["suspected_evasion"].fillna(value=False).astype(bool).sum())
    if rows == len(dispositions):
        note = "every row has monthly periods: registration window and evasion assessed"
    elif rows:
        note = (
            f"{len(dispositions) - rows:,} rows have annual or unknown periods: no tenure, so "
            "neither the registration window nor evasion is assessed for them"
        )
    else:
        note = (
            "no row has monthly periods: the registration window and evasion are not "
            "assessed, and new hires are listed like other workers"
        )
    return {
        "rows_with_tenure": rows,
        "registration_window": window,
        "suspected_evasion": evasion,
        "note": note,
    }
