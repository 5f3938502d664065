"""Rows the engine would list but cannot judge: a clerk reviews them instead.

A fact the decision turns on is missing (period, birth year, contract length), or the law
turns on one the data cannot show (a pension, a foreign worker's exemption, a household's
tax method, a domestic worker): such a row is a ``review`` candidate with the ``Detail``
that says why, never a guess.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from linkage.eligibility.columns import first_case, floats
from linkage.eligibility.details import Detail
from linkage.eligibility.exclusions import is_foreign
from linkage.eligibility.parameters import RowParameters
from linkage.eligibility.rules import FloatArray
from linkage.schema import CandidateReason, Disposition

# Reasons that rest on the row's age, period and contract length being known.
DECIDED_WITH_FACTS = (
    CandidateReason.UNINSURED,
    CandidateReason.LAPSED,
    CandidateReason.UNDER_DECLARED,
)


class ReviewFacts(NamedTuple):
    """Per row: the detail that sends a listed row to review instead, else None."""

    missing: np.ndarray  # object: a fact the decision needs is missing (any listed row)
    unseen: np.ndarray  # object: a fact the law turns on that the data cannot show


def review_facts(
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
    missing = first_case(
        [
            (pd.isna(payroll["period"]).to_numpy(dtype=bool), Detail.MISSING_PERIOD),
            (np.isnan(age), Detail.MISSING_BIRTH_YEAR),
            (np.isnan(floats(payroll["contract_months"])), Detail.MISSING_CONTRACT_LENGTH),
            (age < p.min_working_age_months, Detail.UNDER_MINIMUM_WORKING_AGE),
        ],
        None,
    )
    unseen = first_case(
        [
            # Law 41 Art. 2(7), Decree 158/2025 Art. 3(4)-(5): a pension or a monthly SI
            # allowance excludes, the age alone does not (retired at the end of the month
            # the age is reached, Decree 135/2020 Art. 3(1))
            (age >= retirement, Detail.PENSION_UNKNOWN_OVER_RETIREMENT_AGE),
            # Law 41 Art. 2(2)(a)-(c); Decree 143/2018 Art. 2(2): exempt foreign workers
            (is_foreign(payroll), Detail.FOREIGN_WORKER_EXEMPTION_UNKNOWN),
            # Law 41 Art. 2(1)(m), Decree 158/2025 Art. 3(2): owners taxed by declaration
            (owner & p.household_owners_covered, Detail.HOUSEHOLD_TAX_METHOD_UNKNOWN),
            # Decree 115/2015 Art. 2(4); Law 41 Art. 2(7): domestic workers are excluded
            (household, Detail.DOMESTIC_WORKER_UNKNOWN),
        ],
        None,
    )
    return ReviewFacts(missing, unseen)


def to_review(
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
