"""From scored pairs to links: one insured record at most per payroll row, banded.

A pair is *acceptable* when it shares the citizen ID and the rest of the evidence (name,
birth date, sex, employer: every comparison but the ID) does not say on balance "another
person", or when its match probability reaches the match threshold. An exact-ID pair whose
other evidence disagrees goes to review: a reused or mistyped ID is a different person more
often than a clerk expects.

Each payroll row takes, among its pairs, the first by: acceptable, then acceptable at the
same employer, then sharing the ID (a conflicted exact-ID pair still goes to review), then
match weight. The employer preference matters because a person with two jobs, or a stopped
record at a previous employer, has several insured records; the one at the payroll row's
employer is the one whose status and salary eligibility must judge.

The runner-up recorded with a link is the best other candidate that shares the ID or
reaches the review band (weaker pairs are no rivals and are not passed in). A runner-up
that is not the same person (records sharing a national ID are one person), is also
acceptable, is equally placed on employer and is within ``tie_margin`` log2 units sends
the link to review. An insured record may link to many payroll rows (several months,
several jobs).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.link.comparisons import Employer
from linkage.schema import Band, LinkMethod

_ID_WEIGHT = "weight_national_id"
_SAME_EMPLOYER_LEVEL = Employer.levels.index("same_enterprise")  # and above: same enterprise


class _Flags(NamedTuple):
    """Per scored pair: what ranks it (``assign``)."""

    exact: np.ndarray
    conflict: np.ndarray
    acceptable: np.ndarray
    preferred: np.ndarray


def _flags(scored: pd.DataFrame, settings: LinkConfig) -> _Flags:
    exact = scored["method"].notna().to_numpy()
    weights = [c for c in scored.columns if c.startswith("weight_") and c != _ID_WEIGHT]
    other_evidence = scored[weights].to_numpy(dtype=np.float64).sum(axis=1)
    conflict = exact & (other_evidence < 0)
    probable = scored["match_probability"].to_numpy() >= settings.match_probability
    employer = scored.get("gamma_employer")
    same_employer = (
        employer.to_numpy() >= _SAME_EMPLOYER_LEVEL
        if employer is not None
        else np.zeros(len(scored), bool)
    )
    acceptable = (exact & ~conflict) | probable
    return _Flags(exact, conflict, acceptable, acceptable & same_employer)


def assign(scored: pd.DataFrame, settings: LinkConfig) -> pd.DataFrame:
    """Choose one link per payroll row and band it.

    The ranking runs on arrays; only the chosen rows and their runner-ups are taken from
    ``scored``, which holds every contender of a run.

    Args:
        scored: one row per candidate pair with ``payroll_pos``, ``insured_pos`` (the
            record), ``insured_person`` (a code of its national ID, -1 without one),
            ``method`` (exact pass or null), ``match_weight``, ``match_probability`` and
            ``gamma_*`` / ``weight_*`` columns.
        settings: thresholds.

    Returns:
        Rows in the match or review band, one per linked payroll row in payroll order, with
        the runner-up's ``runner_up_pos`` (-1 without one) and margin (negative when the
        employer preference beat a heavier pair).
    """
    flags = _flags(scored, settings)
    payroll = scored["payroll_pos"].to_numpy(dtype=np.int64)
    weight = scored["match_weight"].to_numpy(dtype=np.float64)
    order = np.lexsort((-weight, ~flags.exact, ~flags.preferred, ~flags.acceptable, payroll))
    # A row's pairs with records of one person (a national ID) compete once, as the best.
    person = scored["insured_person"].to_numpy(dtype=np.int64)[order]
    row_person = pd.Series(payroll[order] * (person.max(initial=0) + 2) + person + 1)
    order = order[~(row_person.duplicated().to_numpy() & (person >= 0))]
    ranked = payroll[order]
    starts = np.ones(len(ranked), dtype=bool)
    np.not_equal(ranked[1:], ranked[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    has_second = np.r_[first[1:], len(order)] - first > 1
    best = order[first]
    second = np.where(has_second, order[np.minimum(first + 1, len(order) - 1)], 0)

    def runner_up(values: np.ndarray, missing: Any) -> np.ndarray:
        return np.asarray(np.where(has_second, values[second], missing))

    probability = scored["match_probability"].to_numpy()[best]
    band = np.where(
        flags.exact[best],
        np.where(flags.conflict[best], Band.REVIEW.value, Band.MATCH.value),
        np.select(
            [
                probability >= settings.match_probability,
                probability >= settings.review_probability,
            ],
            [Band.MATCH.value, Band.REVIEW.value],
            default=Band.NON_MATCH.value,
        ),
    )
    margin = weight[best] - runner_up(weight, np.nan)
    near_tie = (
        (band == Band.MATCH.value)
        & runner_up(flags.acceptable, False).astype(bool)
        & (flags.preferred[second] == flags.preferred[best])
        & (margin < settings.tie_margin)
    )
    band[near_tie] = Band.REVIEW.value

    chosen = scored.iloc[best].drop(columns=["insured_person"]).reset_index(drop=True)
    chosen = chosen.assign(
        method=chosen["method"].fillna(LinkMethod.PROBABILISTIC.value),
        band=band,
        runner_up_pos=runner_up(scored["insured_pos"].to_numpy(dtype=np.int64), -1),
        runner_up_margin=margin,
    )
    linked: pd.DataFrame = chosen[band != Band.NON_MATCH.value].reset_index(drop=True)
    return linked
