"""Who works where, for how long, and how (or whether) each job is insured.

Each (person, employer) job gets one scenario that fixes its ground truth without relying on
edge-of-rule judgement: ages sit far from the retirement and minimum ages, contribution
salaries far from the floors, and only one exclusion reason ever applies to a job.

The registry holds one record per person (Law 58: a worker with several contracts
contributes under one of them). A person's primary job sets that record; their other jobs
are insured at another employer, lapsed, or uninsured with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth import ids
from linkage.tools.synth.businesses import generate_businesses
from linkage.tools.synth.people import AgeBand, generate_persons

IntArray = npt.NDArray[np.int64]


class Scenario(IntEnum):
    """Ground-truth scenario of one job."""

    INSURED_OK = 0
    UNINSURED = 1
    LAPSED = 2
    UNDER_DECLARED = 3
    SHORT_CONTRACT = 4
    OVER_RETIREMENT_AGE = 5
    UNDER_AGE = 6
    EMPLOYER_CLOSED = 7
    INSURED_ELSEWHERE = 8  # another job of a person insured (active) at another employer


# Share of primary jobs (one per person) per scenario; a person's further jobs follow the
# primary's insurance (see EXTRA_JOB_SCENARIO).
SCENARIO_MIX: Final = {
    Scenario.INSURED_OK: 0.57,
    Scenario.UNINSURED: 0.20,
    Scenario.LAPSED: 0.07,
    Scenario.UNDER_DECLARED: 0.06,
    Scenario.SHORT_CONTRACT: 0.05,
    Scenario.OVER_RETIREMENT_AGE: 0.02,
    Scenario.UNDER_AGE: 0.01,
    Scenario.EMPLOYER_CLOSED: 0.02,
}
# Scenario of a further job by the primary's: the one registry record decides it.
EXTRA_JOB_SCENARIO: Final = {
    Scenario.INSURED_OK: Scenario.INSURED_ELSEWHERE,
    Scenario.UNDER_DECLARED: Scenario.INSURED_ELSEWHERE,
    Scenario.LAPSED: Scenario.LAPSED,
    Scenario.UNINSURED: Scenario.UNINSURED,
}
# (disposition, reason) written to truth_candidates.csv per scenario.
TRUTH: Final = {
    Scenario.INSURED_OK: ("insured_ok", ""),
    Scenario.UNINSURED: ("candidate", "uninsured"),
    Scenario.LAPSED: ("candidate", "lapsed"),
    Scenario.UNDER_DECLARED: ("candidate", "under_declared"),
    Scenario.SHORT_CONTRACT: ("excluded", "short_contract"),
    # past the age, only a pension excludes (Law 41 Art. 2(7)); the data does not show one
    Scenario.OVER_RETIREMENT_AGE: ("candidate", "review"),
    Scenario.UNDER_AGE: ("candidate", "review"),  # a contract for an under-15: a clerk checks
    Scenario.EMPLOYER_CLOSED: ("excluded", "employer_closed"),
    Scenario.INSURED_ELSEWHERE: ("insured_ok", ""),
}
# Primary-job scenarios whose person has a registry record.
INSURED_SCENARIOS: Final = (Scenario.INSURED_OK, Scenario.LAPSED, Scenario.UNDER_DECLARED)
# Job scenarios whose payroll rows link to their person's registry record.
LINKED_SCENARIOS: Final = (*INSURED_SCENARIOS, Scenario.INSURED_ELSEWHERE)

PERIODS_P: Final = (0.25, 0.30, 0.45)  # monthly mode: 1, 2 or 3 monthly periods per job
MONTHS: Final = 6  # monthly mode: periods 2026-01 .. 2026-06
# Of persons whose primary job is eligible: a second employer; of those, a third. The
# validation set has 9.8 % of persons on two payroll rows and 0.9 % on three.
SECOND_JOB_SHARE: Final = 0.125
THIRD_JOB_SHARE: Final = 0.09
FOREIGN_SHARE: Final = 0.012  # of insured_ok / uninsured primary jobs
CONTRACTS: Final = (1, 2, 3, 6, 12, 24, 36)
CONTRACTS_P: Final = (0.03, 0.03, 0.08, 0.10, 0.36, 0.20, 0.20)
EMPLOYEES_PER_BUSINESS: Final = 12
INSURED_PER_PAYROLL_PERSON: Final = 1.5
LAPSED_AT_PREVIOUS_EMPLOYER: Final = 0.5
# VSS uses the citizen ID as SI code from Aug 2025, but registry extracts still carry the
# 10-digit code for most records (the validation set: all of them).
SI_CODE_IS_CCCD: Final = 0.1
# Contribution salary / taxable income of a correctly declared job: mostly the contract
# wage (80-102 % of taxable income), some with large allowances outside the base (72-80 %).
# Not lower: the rule set flags a base below 70 % of income as a lead to check
# ([policy].under_declared_margin), so a truth of "correct" at 60-70 % put 7.5 % of the
# insured jobs inside the rule's own band and cost under_declared F1 0.82 (2,225 of 2,380
# false positives at 100k rows): the truth broke its promise to stay clear of the rules.
DECLARED_SHARE_P: Final = 0.85
DECLARED_SHARE: Final = (0.80, 1.02)
ALLOWANCE_SHARE: Final = (0.72, 0.80)
# Legal thresholds used only to place salaries well clear of them (2026 values).
REGION_I_MINIMUM: Final = 5_310_000
REGION_IV_MINIMUM: Final = 3_700_000
CEILING: Final = 20 * 2_530_000


@dataclass(frozen=True)
class Population:
    """Clean synthetic world before any source formatting.

    Attributes:
        persons: one row per person (``people.generate_persons`` columns).
        businesses: the enterprise registry (``businesses.generate_businesses`` columns).
        jobs: one row per (person, employer): ``person``, ``employer`` (row indices),
            ``scenario``, ``primary`` (the job that sets the person's registry record),
            ``contract_months``, ``monthly_income``, ``first_month`` (0 for the annual
            period), ``n_periods``.
        insured: one clean insured record per person: ``si_code``, ``person``,
            ``employer``, ``status`` (active | suspended | stopped),
            ``contribution_salary``, ``job`` (row index of the primary payroll job it
            covers, -1 for persons not in payroll).
    """

    persons: pd.DataFrame
    businesses: pd.DataFrame
    jobs: pd.DataFrame
    insured: pd.DataFrame


def _round(values: npt.NDArray[np.float64], step: int) -> IntArray:
    return (np.round(values / step) * step).astype(np.int64)


def _draw_from(
    rng: np.random.Generator, pool: IntArray, weight: npt.NDArray[np.float64], n: int
) -> IntArray:
    p = weight[pool] / weight[pool].sum()
    return pool[rng.choice(pool.size, size=n, p=p)]


def _cut_jobs(
    rng: np.random.Generator,
    job_person: IntArray,
    primary: npt.NDArray[np.bool_],
    n_periods: IntArray,
    rows: int,
) -> tuple[IntArray, IntArray]:
    """Take persons in random order, primary job first, until periods add up to ``rows``.

    Every kept person keeps their primary job; only the last one may lose further jobs or
    periods.
    """
    rank = rng.permutation(int(job_person.max()) + 1)[job_person]
    order = np.lexsort((~primary, rank))
    total = np.cumsum(n_periods[order])
    if total[-1] < rows:
        msg = f"internal: {total[-1]} periods drawn for {rows} rows"
        raise RuntimeError(msg)
    k = int(np.searchsorted(total, rows))
    kept = order[: k + 1]
    periods = n_periods[kept].copy()
    periods[-1] -= total[k] - rows
    return kept, periods


def _distinct_employers(employer: IntArray, job_person: IntArray, open_pool: IntArray) -> IntArray:
    """Move a person's repeated employer to the next open business until all differ."""
    employer = employer.copy()
    for _ in range(8):
        clash = pd.DataFrame({"p": job_person, "e": employer}).duplicated().to_numpy()
        if not clash.any():
            break
        position = np.searchsorted(open_pool, employer[clash]) + 1
        employer[clash] = open_pool[position % open_pool.size]
    return employer


class _Jobs(NamedTuple):
    """The drawn jobs, before their persons and employers are drawn."""

    scenario: IntArray  # per primary job, drawn: the person's scenario
    foreign: npt.NDArray[np.bool_]  # per primary job, drawn: the person is foreign
    person: IntArray  # per kept job: index into the primary jobs
    job_scenario: IntArray
    primary: npt.NDArray[np.bool_]
    periods: IntArray


def _draw_jobs(rng: np.random.Generator, job_rows: int, periods_p: tuple[float, ...]) -> _Jobs:
    """Primary jobs by scenario, further jobs of eligible persons, cut to ``job_rows`` periods."""
    mean_periods = float(np.dot(periods_p, [1, 2, 3]))
    jobs_per_person = 1 + SECOND_JOB_SHARE * (1 + THIRD_JOB_SHARE)
    n_primary = int(job_rows / mean_periods / jobs_per_person * 1.2) + 20
    scenario = rng.choice(len(SCENARIO_MIX), size=n_primary, p=list(SCENARIO_MIX.values()))
    foreign = np.isin(scenario, [Scenario.INSURED_OK, Scenario.UNINSURED]) & (
        rng.random(n_primary) < FOREIGN_SHARE
    )
    # Further jobs of persons whose primary job is eligible: a second, sometimes a third.
    extendable = np.isin(scenario, list(EXTRA_JOB_SCENARIO))
    second = np.flatnonzero(extendable & (rng.random(n_primary) < SECOND_JOB_SHARE))
    third = second[rng.random(second.size) < THIRD_JOB_SHARE]
    extra = np.concatenate([second, third])
    follow = np.arange(len(Scenario))
    for primary_scenario, extra_scenario in EXTRA_JOB_SCENARIO.items():
        follow[primary_scenario] = extra_scenario
    job_person = np.concatenate([np.arange(n_primary), extra])
    job_scenario = np.concatenate([scenario, follow[scenario[extra]]])
    primary = np.concatenate([np.ones(n_primary, bool), np.zeros(extra.size, bool)])
    n_periods = rng.choice(3, size=job_person.size, p=periods_p) + 1
    kept, periods = _cut_jobs(rng, job_person, primary, n_periods, job_rows)
    kept_sorted = np.argsort(kept, kind="stable")
    kept, periods = kept[kept_sorted], periods[kept_sorted]
    return _Jobs(scenario, foreign, job_person[kept], job_scenario[kept], primary[kept], periods)


def _draw_persons(rng: np.random.Generator, drawn: _Jobs) -> tuple[pd.DataFrame, IntArray, int]:
    """Persons with a kept job, then extra insured persons absent from payroll.

    Returns the persons, each job's person row, and the number of payroll persons.
    """
    scenario = drawn.scenario
    slots, job_person = np.unique(drawn.person, return_inverse=True)
    n_payroll_persons = slots.size
    n_covered = int(np.isin(scenario[slots], INSURED_SCENARIOS).sum())
    n_extra = max(0, round(INSURED_PER_PAYROLL_PERSON * n_payroll_persons) - n_covered)
    band = np.full(n_payroll_persons + n_extra, AgeBand.WORKING, dtype=np.int8)
    band[:n_payroll_persons] = np.select(
        [scenario[slots] == Scenario.UNDER_AGE, scenario[slots] == Scenario.OVER_RETIREMENT_AGE],
        [AgeBand.UNDER_AGE, AgeBand.OVER_RETIREMENT],
        default=AgeBand.WORKING,
    )
    is_foreign = np.zeros(band.size, dtype=bool)
    is_foreign[:n_payroll_persons] = drawn.foreign[slots]
    is_foreign[n_payroll_persons:] = rng.random(n_extra) < 0.005
    persons = generate_persons(rng, band, is_foreign)
    return persons, job_person, n_payroll_persons


def _draw_employers(
    rng: np.random.Generator, job_scenario: IntArray, job_person: IntArray
) -> tuple[pd.DataFrame, IntArray]:
    """The businesses, at least one closed, and each job's employer row among them.

    A job of the employer-closed scenario is at a closed business, any other at an active
    one; a person's jobs are at different employers.
    """
    n_jobs = job_person.size
    businesses = generate_businesses(rng, max(30, n_jobs // EMPLOYEES_PER_BUSINESS))
    status = businesses["status"].to_numpy()
    if not (status == "closed").any():
        status[int(np.argmin(businesses["size_weight"].to_numpy()))] = "closed"
        businesses["status"] = status
    weight = businesses["size_weight"].to_numpy()
    open_pool = np.flatnonzero(status == "active")
    closed_pool = np.flatnonzero(status == "closed")
    closed_job = job_scenario == Scenario.EMPLOYER_CLOSED
    employer = _draw_from(rng, open_pool, weight, n_jobs)
    employer[closed_job] = _draw_from(rng, closed_pool, weight, int(closed_job.sum()))
    return businesses, _distinct_employers(employer, job_person, open_pool)


def build_population(rng: np.random.Generator, job_rows: int, *, annual: bool = True) -> Population:
    """Draw persons, businesses, jobs with exactly ``job_rows`` payroll periods, and insurance.

    Args:
        rng: the random generator.
        job_rows: payroll rows before duplicates and rejects are added.
        annual: one annual period per job (the tax-year finalization) instead of 1-3
            monthly periods.
    """
    drawn = _draw_jobs(rng, job_rows, (1.0, 0.0, 0.0) if annual else PERIODS_P)
    job_scenario, periods = drawn.job_scenario, drawn.periods
    persons, job_person, n_payroll_persons = _draw_persons(rng, drawn)
    n_jobs = job_person.size
    businesses, employer = _draw_employers(rng, job_scenario, job_person)

    contract = np.array(CONTRACTS)[rng.choice(len(CONTRACTS), size=n_jobs, p=CONTRACTS_P)]
    contract[job_scenario == Scenario.SHORT_CONTRACT] = 0
    foreign_job = persons["nationality"].to_numpy()[job_person] != "Việt Nam"
    contract[foreign_job] = rng.choice([12, 24, 36], size=int(foreign_job.sum()))
    # Taxable monthly income; about a fifth fall below the region-I minimum wage, so their
    # contribution salary sits on the floor (as in the validation set).
    income = _round(np.clip(rng.lognormal(np.log(9_000_000), 0.55, n_jobs), 3e6, 4e7), 1_000)
    # Half the under-declared jobs declare a normal wage but on a high income.
    high = (job_scenario == Scenario.UNDER_DECLARED) & (rng.random(n_jobs) < 0.5)
    income[high] = _round(rng.uniform(2e7, 4e7, int(high.sum())), 1_000)
    first_month = (
        np.zeros(n_jobs, dtype=np.int64) if annual else rng.integers(1, MONTHS + 2 - periods)
    )

    jobs = pd.DataFrame(
        {
            "person": job_person,
            "employer": employer,
            "scenario": job_scenario,
            "primary": drawn.primary,
            "contract_months": contract,
            "monthly_income": income,
            "first_month": first_month,
            "n_periods": periods,
        }
    )
    insured = _insured_records(rng, persons, businesses, jobs, high, n_payroll_persons)
    return Population(persons=persons, businesses=businesses, jobs=jobs, insured=insured)


def _declared_salary(rng: np.random.Generator, income: IntArray) -> IntArray:
    """A correctly declared contribution salary: most of the income, never below the floor."""
    n = income.size
    share = np.where(
        rng.random(n) < DECLARED_SHARE_P,
        rng.uniform(*DECLARED_SHARE, n),
        rng.uniform(*ALLOWANCE_SHARE, n),
    )
    declared = (np.ceil(np.minimum(income, CEILING) * share / 1_000) * 1_000).astype(np.int64)
    return np.maximum(declared, REGION_I_MINIMUM)


def _insured_records(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    businesses: pd.DataFrame,
    jobs: pd.DataFrame,
    high_income: npt.NDArray[np.bool_],
    n_payroll_persons: int,
) -> pd.DataFrame:
    """Clean insured records: one per insured payroll person, plus persons absent from it."""
    scenario = jobs["scenario"].to_numpy()
    covered = np.flatnonzero(jobs["primary"].to_numpy() & np.isin(scenario, INSURED_SCENARIOS))
    sc = scenario[covered]
    income = jobs["monthly_income"].to_numpy()[covered]
    employer = jobs["employer"].to_numpy()[covered].copy()
    n = covered.size
    n_businesses = len(businesses)

    lapsed = sc == Scenario.LAPSED
    elsewhere = lapsed & (rng.random(n) < LAPSED_AT_PREVIOUS_EMPLOYER)
    shift = rng.integers(1, n_businesses, size=int(elsewhere.sum()))
    employer[elsewhere] = (employer[elsewhere] + shift) % n_businesses
    status = np.full(n, "active", dtype=object)
    status[lapsed] = np.where(rng.random(int(lapsed.sum())) < 0.4, "suspended", "stopped")

    # insured_ok: at least the region-I minimum and 60 % of income (capped at the ceiling).
    salary = _declared_salary(rng, income)
    under = sc == Scenario.UNDER_DECLARED
    on_high = under & high_income[covered]
    # under_declared: below the region-IV minimum, or a normal wage on a high income but
    # under 35 % of it (income >= 20M, so 35 % is always above the region-I minimum).
    low = _round(rng.uniform(2_500_000, 3_400_000, n), 10_000)
    span = np.maximum(0.35 * income - REGION_I_MINIMUM, 0)
    partial = np.floor((REGION_I_MINIMUM + rng.random(n) * span) / 10_000) * 10_000
    salary = np.where(under & ~on_high, low, np.where(on_high, partial.astype(np.int64), salary))

    # Persons absent from payroll, at any business.
    extra = np.arange(n_payroll_persons, len(persons))
    weight = businesses["size_weight"].to_numpy()
    x_employer = rng.choice(n_businesses, size=extra.size, p=weight / weight.sum())
    x_status = np.array(["active", "suspended", "stopped"], dtype=object)[
        rng.choice(3, size=extra.size, p=[0.85, 0.05, 0.10])
    ]
    x_status[businesses["status"].to_numpy()[x_employer] == "closed"] = "stopped"
    x_income = _round(rng.lognormal(np.log(9_000_000), 0.55, extra.size), 1_000)
    x_salary = _declared_salary(rng, x_income)

    person = np.concatenate([jobs["person"].to_numpy()[covered], extra])
    records = pd.DataFrame(
        {
            "person": person,
            "employer": np.concatenate([employer, x_employer]),
            "status": np.concatenate([status, x_status]),
            "contribution_salary": np.concatenate([salary, x_salary]).astype(np.int64),
            "job": np.concatenate([covered, np.full(extra.size, -1)]),
        }
    )
    # SI codes: the citizen ID for some, else 10 digits.
    cccd = persons["cccd"].to_numpy()[person]
    use_cccd = (cccd != "") & (rng.random(person.size) < SI_CODE_IS_CCCD)
    # A 10-digit SI code starts with the code of the province that first registered it.
    province_of_business = businesses["province_code"].to_numpy().astype(np.int64)
    province = province_of_business[records["employer"].to_numpy()]
    si = ids.si_code(rng, province)
    records.insert(0, "si_code", np.where(use_cccd, cccd, si))
    return records.sample(frac=1.0, random_state=rng).reset_index(drop=True)
