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

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.schema import Band, LinkMethod

_ID_WEIGHT = "weight_national_id"
_SAME_EMPLOYER_LEVEL = 1  # Employer comparison: 1 and above = same enterprise


def _annotate(scored: pd.DataFrame, settings: LinkConfig) -> pd.DataFrame:
    exact = scored["method"].notna().to_numpy()
    other_evidence = (
        scored.filter(regex=r"^weight_").drop(columns=[_ID_WEIGHT], errors="ignore").sum(axis=1)
    )
    conflict = exact & (other_evidence.to_numpy() < 0)
    probable = scored["match_probability"].to_numpy() >= settings.match_probability
    employer = scored.get("gamma_employer")
    same_employer = (
        employer.to_numpy() >= _SAME_EMPLOYER_LEVEL
        if employer is not None
        else np.zeros(len(scored), bool)
    )
    acceptable = (exact & ~conflict) | probable
    return scored.assign(
        exact=exact,
        conflict=conflict,
        acceptable=acceptable,
        preferred=acceptable & same_employer,
    )


def assign(scored: pd.DataFrame, settings: LinkConfig) -> pd.DataFrame:
    """Choose one link per payroll row and band it.

    Args:
        scored: one row per candidate pair with ``payroll_pos``, ``si_code``,
            ``insured_person`` (national ID or null), ``method`` (exact pass or null),
            ``match_weight``, ``match_probability`` and ``gamma_*`` / ``weight_*`` columns.
        settings: thresholds.

    Returns:
        Rows in the match or review band, one per linked payroll row, with the runner-up's
        si_code and margin (negative when the employer preference beat a heavier pair).
    """
    ranked = _annotate(scored, settings).sort_values(
        ["payroll_pos", "acceptable", "preferred", "exact", "match_weight"],
        ascending=[True, False, False, False, False],
    )
    person = ranked["insured_person"]
    same_person = person.notna() & ranked.duplicated(["payroll_pos", "insured_person"])
    ranked = ranked[~same_person.to_numpy()]
    rank = ranked.groupby("payroll_pos", sort=False).cumcount().to_numpy()
    best = ranked[rank == 0].set_index("payroll_pos")
    second = ranked[rank == 1].set_index("payroll_pos").reindex(best.index)
    second_acceptable = second["acceptable"].to_numpy(dtype=object) == True  # noqa: E712

    band = np.where(
        best["exact"],
        np.where(best["conflict"], Band.REVIEW.value, Band.MATCH.value),
        np.select(
            [
                best["match_probability"] >= settings.match_probability,
                best["match_probability"] >= settings.review_probability,
            ],
            [Band.MATCH.value, Band.REVIEW.value],
            default=Band.NON_MATCH.value,
        ),
    )
    margin = best["match_weight"] - second["match_weight"]
    near_tie = (
        (band == Band.MATCH.value)
        & second_acceptable
        & (second["preferred"] == best["preferred"]).to_numpy()
        & (margin < settings.tie_margin).to_numpy()
    )
    band[near_tie] = Band.REVIEW.value

    links = best.assign(
        band=band,
        method=best["method"].fillna(LinkMethod.PROBABILISTIC.value),
        runner_up_si_code=second["si_code"],
        runner_up_margin=margin,
    ).reset_index()
    links = links[links["band"] != Band.NON_MATCH.value]
    helper_columns = ["exact", "conflict", "acceptable", "preferred", "insured_person"]
    chosen: pd.DataFrame = links.drop(columns=helper_columns).reset_index(drop=True)
    return chosen
