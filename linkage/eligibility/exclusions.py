"""The exclusions, in the order they are tested: reason, test and source as one table.

A row takes the first exclusion whose test holds. A new exclusion is an ``ExclusionReason``
member and one entry of ``EXCLUSIONS``; the reasons other steps of ``decide`` give are in
``DECIDED_ELSEWHERE``, and a test checks that every reason is in exactly one of the two.
An unknown fact is NaN or False, and comparisons with NaN are False: it never excludes.
``exclusion_reasons`` reads the facts off the payroll rows and their linked records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from linkage.eligibility.columns import equals, floats, strings
from linkage.eligibility.parameters import RowParameters
from linkage.eligibility.rules import FloatArray
from linkage.schema import Band, ContractType, ExclusionReason, InsuredStatus

R = ExclusionReason


@dataclass(frozen=True)
class Facts:
    """What the tests read about each row, aligned with the payroll rows."""

    p: RowParameters  # the rule values in force at the row's period
    closed: np.ndarray  # bool: the registry dates the employer's closure before the period
    pensioner: np.ndarray  # bool: linked (match band) to a record drawing a pension
    foreign: np.ndarray  # bool: a nationality other than VN is stated
    contract: FloatArray  # months
    probation: np.ndarray  # bool: the payroll says the contract is a probation one
    owner: np.ndarray  # bool: the worker is the owner of the business household paying
    income: FloatArray  # VND a month


@dataclass(frozen=True)
class Exclusion:
    """One exclusion: the reason it gives, when it applies, and what says so."""

    reason: ExclusionReason
    applies: Callable[[Facts], np.ndarray]
    source: str


EXCLUSIONS: Final = (
    Exclusion(R.NO_RULES_IN_FORCE, lambda f: ~f.p.covered, "no rule table covers the period"),
    Exclusion(R.EMPLOYER_CLOSED, lambda f: f.closed, "registry closure date before the period"),
    Exclusion(R.PENSIONER, lambda f: f.pensioner, "Law 41/2024: pensioners are not compulsory"),
    Exclusion(
        R.FOREIGN_NOT_COVERED,
        lambda f: f.foreign & ~f.p.foreign_covered,
        "Decree 143/2018: foreign workers compulsory from 2018-12-01",
    ),
    Exclusion(
        R.FOREIGN_SHORT_CONTRACT,
        lambda f: f.foreign & (f.contract < f.p.foreign_min_contract_months),
        "Decree 143/2018 Art. 2(1): a contract of one year or more",
    ),
    Exclusion(
        R.SHORT_CONTRACT,
        lambda f: f.contract < f.p.min_contract_months,
        "Law 58/2014 Art. 2(1)(b), Law 41/2024 Art. 2(1)(a): one month or more",
    ),
    Exclusion(
        R.PROBATION,
        lambda f: f.probation & f.p.probation_excluded,
        "a separate probation contract is no labour contract (Labour Code 2012 Art. 26, 2019"
        " Art. 24(1)), so neither Law 58 Art. 2(1) nor Law 41 Art. 2(1)(a) insures it",
    ),
    Exclusion(
        R.HOUSEHOLD_OWNER_NOT_COVERED,
        lambda f: f.owner & ~f.p.household_owners_covered,
        "Law 58/2014 Art. 2: business-household owners are not compulsorily insured before"
        " Law 41/2024 Art. 2(1)(m) (2025-07-01)",
    ),
    Exclusion(
        R.PART_TIME_LOW_WAGE,
        lambda f: f.p.part_time_exclusion & (f.income < f.p.reference_level),
        "Law 41/2024 Art. 2(1): part-time work below the lowest SI base",
    ),
)
# Reasons decided after the exclusions, by coverage, registration and entry steps.
DECIDED_ELSEWHERE: Final = frozenset(
    {R.COVERED_ELSEWHERE, R.REGISTRATION_WINDOW, R.DUPLICATE_ENTRY}
)
# Reasons no rule gives any more, kept so earlier runs' outputs still read: over retirement
# age is no exclusion by itself (the law excludes pensioners, Law 41 Art. 2(7)); such a row
# goes to review (``Detail.PENSION_UNKNOWN_OVER_RETIREMENT_AGE``).
NO_LONGER_GIVEN: Final = frozenset({R.OVER_RETIREMENT_AGE})


def first_exclusion(facts: Facts) -> np.ndarray:
    """Object array of each row's first applying exclusion reason; None where none applies."""
    size = len(facts.contract)
    result = np.full(size, None, dtype=object)
    decided = np.zeros(size, dtype=bool)
    for exclusion in EXCLUSIONS:
        hit = exclusion.applies(facts) & ~decided
        result[hit] = exclusion.reason.value
        decided |= hit
    return result


def households(payroll: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
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


def exclusion_reasons(
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
        foreign=is_foreign(payroll),
        contract=floats(payroll["contract_months"]),
        probation=equals(payroll["contract_type"], ContractType.PROBATION.value),
        owner=owner,
        income=floats(payroll["monthly_income"]),
    )
    return first_exclusion(facts)


def is_foreign(payroll: pd.DataFrame) -> np.ndarray:
    """A nationality other than VN is stated (unknown counts as Vietnamese)."""
    nationality = strings(payroll["nationality"]).str.upper()
    return ((nationality != "VN") & nationality.notna()).fillna(value=False).to_numpy(bool)
