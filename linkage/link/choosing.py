"""Choosing the run's links from each chunk's contenders: rows' choices, taxpayers' claims.

A chunk holds every pair of its payroll rows, so rows are assigned (``assign``) where
their chunk is and only links come back. A record matched to one taxpayer is no candidate
for another: a second assignment without those pairs lets the rows that wanted it fall
back to their next candidate. A taxpayer's rows left unmatched then follow its matched
ones (``taxpayers.sibling_links``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.link.assign import assign
from linkage.link.comparison_base import compare_comparable
from linkage.link.engine import Engine
from linkage.link.prepare import Prepared
from linkage.link.row_model import row_probability
from linkage.link.scoring import Scorer
from linkage.link.taxpayers import (
    claimed_elsewhere,
    record_owners,
    sibling_links,
    taxpayer_codes,
)
from linkage.schema import LINKS, Band, LinkMethod, conform


def _link_siblings(
    chosen: pd.DataFrame,
    owner: np.ndarray,
    prepared: Prepared,
    scorer: Scorer,
    rho: float,
) -> pd.DataFrame:
    """Match rows through their taxpayer's matched rows, scored for the analyst to see."""
    extra = sibling_links(owner, chosen)
    if extra.empty:
        return chosen
    insured_pos = extra["insured_pos"].to_numpy()
    comparisons, model = scorer.comparisons, scorer.model
    gammas = compare_comparable(
        extra["payroll_pos"].to_numpy(),
        insured_pos,
        prepared.left,
        prepared.right,
        comparisons=comparisons,
    )
    scores = model.score(gammas, {k: v[insured_pos] for k, v in scorer.frequencies.items()})
    log2_ratio = scores["match_weight"].to_numpy() - model.prior_weight
    rows = extra.assign(
        method=LinkMethod.TAXPAYER.value,
        match_weight=scores["match_weight"].to_numpy(),
        match_probability=row_probability(
            log2_ratio, np.exp2(log2_ratio), rho=rho, insured_rows=len(prepared.insured)
        ),
        band=Band.MATCH.value,
        runner_up_pos=-1,
        runner_up_margin=np.nan,
        **{f"gamma_{c.name}": gammas[c.name].to_numpy() for c in comparisons},
        **{f"weight_{c.name}": scores[f"weight_{c.name}"].to_numpy() for c in comparisons},
    )
    kept = chosen[~chosen["payroll_pos"].isin(extra["payroll_pos"])]
    combined = pd.concat([kept, rows[kept.columns]], ignore_index=True)
    return combined.sort_values("payroll_pos", kind="stable").reset_index(drop=True)


def _first_choice(contenders: pd.DataFrame, *, settings: LinkConfig) -> pd.DataFrame:
    """What ``record_owners`` reads of a chunk's links before taxpayers' claims."""
    return assign(contenders, settings)[["payroll_pos", "insured_pos", "band", "match_weight"]]


def _assign_unclaimed(
    contenders: pd.DataFrame,
    *,
    owner: np.ndarray,
    record_owner: np.ndarray,
    settings: LinkConfig,
) -> pd.DataFrame:
    """A chunk's links, without the pairs whose record another taxpayer owns."""
    return assign(contenders[~claimed_elsewhere(owner, record_owner, contenders)], settings)


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' links as one frame, in chunk order (payroll order)."""
    kept = [part for part in parts if len(part)] or parts[:1]
    return pd.concat(kept, ignore_index=True)


def choose_links(
    engine: Engine,
    contenders: list[Any],
    prepared: Prepared,
    scorer: Scorer,
    *,
    rho: float,
    settings: LinkConfig,
) -> pd.DataFrame:
    """The run's links, as schema.LINKS, from each chunk's contenders (handles)."""
    owner = taxpayer_codes(prepared.payroll)
    first = _joined(engine.gather(engine.map(_first_choice, contenders, settings=settings)))
    chosen = _joined(
        engine.gather(
            engine.map(
                _assign_unclaimed,
                contenders,
                owner=owner,
                record_owner=record_owners(owner, first, len(prepared.insured)),
                settings=settings,
            )
        )
    )
    chosen = _link_siblings(chosen, owner, prepared, scorer, rho)
    # Records are insured positions up to here; only the links take their SI codes.
    si_codes = prepared.si_codes
    runner_up = chosen.pop("runner_up_pos").to_numpy()
    record_ids = prepared.payroll["record_id"].to_numpy(object)
    chosen.insert(0, "record_id", record_ids[chosen["payroll_pos"]])
    chosen.insert(1, "si_code", si_codes[chosen.pop("insured_pos").to_numpy()])
    chosen["runner_up_si_code"] = np.asarray(np.where(runner_up >= 0, si_codes[runner_up], None))
    return conform(chosen.drop(columns=["payroll_pos"]), LINKS, stage="link")
