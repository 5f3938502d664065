"""From scored pairs to links: one insured person at most per payroll row, banded.

An exact-ID pair wins for its payroll row unless the rest of the evidence (name, birth date,
sex, employer: every comparison but the ID) says on balance "another person"; then it goes
to review, because a reused or mistyped ID is a different person more often than a clerk
expects. Other rows take their best-scoring pair; a runner-up within ``tie_margin``
(log2 units) of a match sends it to review. Two insured records of the same person (same
national ID) are not rivals. An insured person may link to many payroll rows (several jobs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.schema import Band, LinkMethod

# An exact-ID pair whose non-ID weights sum below this (log2 units) goes to review.
_ID_CONFLICT_WEIGHT = 0.0
_ID_WEIGHT = "weight_national_id"


def _band(probability: pd.Series, settings: LinkConfig) -> np.ndarray:
    return np.select(
        [probability >= settings.match_probability, probability >= settings.review_probability],
        [Band.MATCH.value, Band.REVIEW.value],
        default=Band.NON_MATCH.value,
    )


def _best_and_runner_up(scored: pd.DataFrame) -> pd.DataFrame:
    """Best pair per payroll row with the runner-up (a different person) beside it."""
    ranked = scored.sort_values(["payroll_pos", "match_weight"], ascending=[True, False])
    person = ranked["insured_person"]
    same_person = person.notna() & ranked.duplicated(["payroll_pos", "insured_person"])
    ranked = ranked[~same_person.to_numpy()]
    rank = ranked.groupby("payroll_pos", sort=False).cumcount()
    best = ranked[rank.to_numpy() == 0].set_index("payroll_pos")
    second = ranked[rank.to_numpy() == 1].set_index("payroll_pos")
    best["runner_up_si_code"] = second["si_code"].reindex(best.index)
    best["runner_up_margin"] = best["match_weight"] - second["match_weight"].reindex(best.index)
    best["runner_up_probability"] = second["match_probability"].reindex(best.index)
    chosen: pd.DataFrame = best.reset_index()
    return chosen


def assign(scored: pd.DataFrame, settings: LinkConfig) -> pd.DataFrame:
    """Choose one link per payroll row and band it.

    Args:
        scored: one row per candidate pair with ``payroll_pos``, ``si_code``,
            ``insured_person`` (national ID or null), ``method`` (exact pass or null),
            ``match_weight``, ``match_probability`` and ``gamma_*`` / ``weight_*`` columns.
        settings: thresholds.

    Returns:
        Rows in the match or review band, one per linked payroll row.
    """
    exact = scored["method"].notna().to_numpy()
    exact_rows = scored.loc[exact, "payroll_pos"].unique()
    deterministic = _best_and_runner_up(scored[exact])
    rivals = _best_and_runner_up(scored[~scored["payroll_pos"].isin(exact_rows).to_numpy()])

    weights = deterministic.filter(like="weight_").drop(columns=[_ID_WEIGHT], errors="ignore")
    conflict = weights.sum(axis=1) < _ID_CONFLICT_WEIGHT
    deterministic["band"] = np.where(conflict, Band.REVIEW.value, Band.MATCH.value)

    rivals["band"] = _band(rivals["match_probability"], settings)
    rivals["method"] = LinkMethod.PROBABILISTIC.value
    near_tie = (
        (rivals["band"] == Band.MATCH.value)
        & (rivals["runner_up_margin"] < settings.tie_margin)
        & (rivals["runner_up_probability"] >= settings.review_probability)
    )
    rivals.loc[near_tie.to_numpy(), "band"] = Band.REVIEW.value

    links = pd.concat([deterministic, rivals], ignore_index=True)
    links = links[links["band"] != Band.NON_MATCH.value]
    return links.drop(columns=["runner_up_probability", "insured_person"]).sort_values(
        "payroll_pos", ignore_index=True
    )
