"""Estimated unpaid contributions and the contact order of candidates within a unit.

Priority 1 is contacted first. Candidates rank by reason severity (uninsured, lapsed,
under-declared, review), suspected evasion first within a reason, then by estimated unpaid
monthly contributions, then by income, then by record ID for a stable order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.eligibility.columns import codes, order, runs, strings, take
from linkage.eligibility.parameters import RowParameters
from linkage.eligibility.rules import FloatArray
from linkage.errors import PipelineError
from linkage.schema import UNIT_KEYS, CandidateReason

# Contact order of candidate reasons: lower first.
SEVERITY: dict[str, int] = {
    CandidateReason.UNINSURED: 0,
    CandidateReason.LAPSED: 1,
    CandidateReason.UNDER_DECLARED: 2,
    CandidateReason.REVIEW: 3,
}
INSURED_SEVERITY = len(SEVERITY)  # an insured row of the same month outranks no candidate


def severities(reason: np.ndarray) -> FloatArray:
    """The ``SEVERITY`` of each reason; NaN for a reason without one."""
    return np.select(
        [reason == key for key in SEVERITY], list(SEVERITY.values()), default=np.nan
    ).astype(np.float64)


def unpaid_contributions(
    reason: np.ndarray, income: FloatArray, salary: FloatArray, p: RowParameters
) -> FloatArray:
    """Estimated unpaid monthly contributions, VND; NaN for rows that are not candidates.

    The base a compliant employer would declare is min(max(income, floor), ceiling), with
    the SI ceiling (20 x the reference level) for SI and health insurance and the UI one
    (20 x the regional minimum wage) for unemployment insurance. Uninsured and lapsed
    workers owe the rates on all of it; under-declared ones on the shortfall; review rows
    are not counted until a clerk confirms them.
    """
    wage = np.where(np.isnan(income), p.floor, income)
    declared = np.nan_to_num(salary)
    owed = np.zeros(len(wage))
    short = np.zeros(len(wage))
    for rate, ceiling in ((p.rate, p.ceiling), (p.ui_rate, p.ui_ceiling)):
        base = np.minimum(np.maximum(wage, p.floor), ceiling)
        owed += rate * base
        short += rate * np.maximum(base - declared, 0.0)
    return np.select(
        [
            np.isin(reason, [CandidateReason.UNINSURED.value, CandidateReason.LAPSED.value]),
            reason == CandidateReason.UNDER_DECLARED.value,
            reason == CandidateReason.REVIEW.value,
        ],
        [np.round(owed), np.round(short), 0.0],
        default=np.nan,
    )


def priorities(
    units: pd.DataFrame,
    reason: np.ndarray,
    evasion: np.ndarray,
    unpaid: FloatArray,
    income: FloatArray,
    record_id: pd.Series,
    candidate: np.ndarray,
) -> np.ndarray:
    """Contact order within each outreach unit: severity, evasion, unpaid amount, income.

    Raises:
        PipelineError: a candidate reason has no severity (a new reason left out of SEVERITY).
    """
    severity = severities(reason)
    if np.isnan(severity[candidate]).any():
        unranked = sorted(set(reason[candidate & np.isnan(severity)]))
        msg = f"eligibility: candidate reasons without a severity: {unranked}"
        raise PipelineError(msg)
    rows = np.flatnonzero(candidate)
    ranked = rows[
        order(
            {
                **{key: take(units[key], rows) for key in UNIT_KEYS},
                "severity": severity[rows],
                "evasion": np.asarray(evasion, dtype=bool)[rows],
                "unpaid": np.nan_to_num(unpaid)[rows],
                "income": np.nan_to_num(income)[rows],
                "record_id": take(strings(record_id).fillna(""), rows),
            },
            descending={"evasion", "unpaid", "income"},
        )
    ]
    # Counted along each unit's run; a row missing a unit code is in no unit: no priority.
    unit = codes(*(take(units[key], ranked) for key in UNIT_KEYS))
    complete = units[UNIT_KEYS].notna().all(axis=1).to_numpy(dtype=bool)[ranked]
    priority = np.full(len(reason), np.nan)
    priority[ranked] = np.where(complete, runs(unit), np.nan)
    return priority
