"""The link stage: exact-ID pass and blocked probabilistic pass, scored by one model."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import recordlinkage as rl

from linkage.config import LinkConfig
from linkage.link.assign import assign
from linkage.link.blocking import (
    DEFAULT_BLOCKING,
    BlockingResult,
    BlockingRule,
    candidate_pairs,
    distinct,
    encoded_birth,
    pair_index,
    with_blocking_keys,
)
from linkage.link.comparisons import (
    DEFAULT_COMPARISONS,
    Comparison,
    comparable,
    compare_comparable,
)
from linkage.link.exact import exact_id_pairs
from linkage.link.model import FellegiSunterModel, fit
from linkage.link.taxpayers import claimed_elsewhere, share_taxpayer_fields, sibling_links
from linkage.schema import LINKS, Band, LinkMethod, conform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkResult:
    """Links plus everything an analyst needs to judge them."""

    links: pd.DataFrame  # schema.LINKS, then gamma_* and weight_* per comparison
    model: FellegiSunterModel
    blocking: BlockingResult
    exact_pairs: int
    candidates: pd.DataFrame  # every scored pair: record_id, si_code (for blocking recall)
    seconds: dict[str, float] = field(default_factory=dict)

    def band_counts(self) -> dict[str, int]:
        """Links per band."""
        return {str(k): int(v) for k, v in self.links["band"].value_counts().items()}

    def diagnostics(self) -> dict[str, Any]:
        """What an analyst checks first: pairs per blocking rule, bands, methods, the fit."""
        methods = self.links["method"].astype(str) + "/" + self.links["band"].astype(str)
        return {
            "pairs_per_rule": self.blocking.pairs_per_rule,
            "new_pairs_per_rule": self.blocking.new_pairs_per_rule,
            "blocked_pairs": len(self.blocking),
            "exact_id_pairs": self.exact_pairs,
            "scored_pairs": len(self.candidates),
            "bands": self.band_counts(),
            "links_by_method": {str(k): int(n) for k, n in methods.value_counts().items()},
            "model_fit": asdict(self.model.fit),
            "prior": self.model.prior,
            "seconds": self.seconds,
        }


def make_comparisons(settings: LinkConfig) -> list[Comparison]:
    """The comparisons every run computes, in a fixed order, built fresh for this run."""
    return [cls(workers=settings.workers) for cls in DEFAULT_COMPARISONS]


def _members(codes: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Mask over sorted distinct ``codes`` of those in ``subset`` (all present in codes)."""
    mask = np.zeros(len(codes), dtype=bool)
    mask[np.searchsorted(codes, subset)] = True
    return mask


def _term_frequencies(
    insured: pd.DataFrame, insured_pos: np.ndarray, comparisons: list[Comparison]
) -> dict[str, np.ndarray]:
    """Per pair, the share of insured records carrying the insured side's value (or key)."""
    keys = {key for c in comparisons for key in c.tf_levels.values()}
    result = {}
    for key in keys:
        parts = [insured[column].astype(pd.ArrowDtype(pa.string())) for column in key.split("+")]
        values = parts[0]
        for part in parts[1:]:
            values = values + "\x1f" + part  # null if any part is null
        share = values.map(values.value_counts(normalize=True))
        result[key] = share.to_numpy(dtype="float64", na_value=np.nan)[insured_pos]
    return result


def _as_compared(frame: pd.DataFrame, wage_column: str) -> pd.DataFrame:
    """The table as the comparisons see it.

    Its side's wage becomes ``declared_wage`` (unknown when it has none); birth year and
    sex are the ``encoded_birth`` ones.
    """
    wage = frame[wage_column] if wage_column in frame.columns else np.nan
    return frame.assign(declared_wage=wage, **encoded_birth(frame))


def _link_siblings(
    chosen: pd.DataFrame,
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    left: pd.DataFrame,
    right: pd.DataFrame,
    comparisons: list[Comparison],
    model: FellegiSunterModel,
) -> pd.DataFrame:
    """Match rows through their taxpayer's matched rows, scored for the analyst to see."""
    extra = sibling_links(payroll, chosen)
    if extra.empty:
        return chosen
    insured_pos = pd.Index(insured["si_code"].astype(object)).get_indexer(extra["si_code"])
    gammas = compare_comparable(
        pair_index(extra["payroll_pos"].to_numpy(), insured_pos),
        left,
        right,
        comparisons=comparisons,
    )
    scores = model.score(gammas, _term_frequencies(insured, insured_pos, comparisons))
    rows = extra.assign(
        method=LinkMethod.TAXPAYER.value,
        match_weight=scores["match_weight"].to_numpy(),
        match_probability=scores["match_probability"].to_numpy(),
        band=Band.MATCH.value,
        runner_up_si_code=None,
        runner_up_margin=np.nan,
        **{f"gamma_{c.name}": gammas[c.name].to_numpy() for c in comparisons},
        **{f"weight_{c.name}": scores[f"weight_{c.name}"].to_numpy() for c in comparisons},
    )
    kept = chosen[~chosen["payroll_pos"].isin(extra["payroll_pos"])]
    combined = pd.concat([kept, rows[kept.columns]], ignore_index=True)
    return combined.sort_values("payroll_pos", kind="stable").reset_index(drop=True)


def link_records(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    settings: LinkConfig,
    *,
    model: FellegiSunterModel | None = None,
    comparisons: Sequence[Comparison] | None = None,
    blocking_rules: Sequence[BlockingRule] | None = None,
) -> LinkResult:
    """Link normalized payroll rows to normalized insured records.

    Args:
        payroll: schema.PAYROLL table.
        insured: schema.INSURED table.
        settings: thresholds, EM and sampling settings.
        model: a saved model to score with; fitted on this data when None.
        comparisons: comparisons to compute (default: the Vietnamese person comparisons).
        blocking_rules: rules whose pairs are unioned (default: DEFAULT_BLOCKING); recorded
            in a model fitted here.
    """
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    payroll = share_taxpayer_fields(payroll.reset_index(drop=True))
    insured = insured.reset_index(drop=True)
    comparisons = list(comparisons or make_comparisons(settings))
    rules = tuple(DEFAULT_BLOCKING if blocking_rules is None else blocking_rules)
    left = comparable(_as_compared(payroll, "monthly_income"), comparisons)
    right = comparable(_as_compared(insured, "contribution_salary"), comparisons)

    blocking = candidate_pairs(with_blocking_keys(payroll), with_blocking_keys(insured), rules)
    exact = exact_id_pairs(payroll, insured)
    width = max(len(insured), 1)
    blocked_codes = blocking.payroll_pos * width + blocking.insured_pos
    exact_codes = exact["payroll_pos"].to_numpy() * width + exact["insured_pos"].to_numpy()
    codes = distinct(np.concatenate([blocked_codes, exact_codes]))
    payroll_pos, insured_pos = codes // width, codes % width
    lap("blocking")

    gammas = compare_comparable(
        pair_index(payroll_pos, insured_pos), left, right, comparisons=comparisons
    )
    lap("comparing")

    if model is None:
        sample = min(settings.u_sample_pairs, len(payroll) * len(insured))
        random_pairs = rl.index.Random(sample, random_state=settings.seed).index(left, right)
        # u is P(level | non-match): random pairs that share a citizen ID are matches, and at
        # about one in N they would set u of "same ID" near the prior, cancelling the ID.
        random_codes = random_pairs.codes[0].astype(np.int64) * width + random_pairs.codes[1]
        random_pairs = random_pairs[~np.isin(random_codes, exact_codes)]
        random_gammas = compare_comparable(random_pairs, left, right, comparisons=comparisons)
        training = _members(codes, distinct(np.r_[blocked_codes[blocking.trained], exact_codes]))
        model = fit(
            comparisons=comparisons,
            random_gammas=random_gammas,
            blocked_gammas=gammas[training],
            labelled_matches=_members(codes, exact_codes)[training],
            payroll_rows=len(payroll),
            insured_rows=len(insured),
            max_iterations=settings.em_max_iterations,
            tolerance=settings.em_tolerance,
            blocking_rules=rules,
        )
        log.info("model fitted: %s", model.fit)
    lap("fitting")

    scores = model.score(gammas, _term_frequencies(insured, insured_pos, comparisons))
    method = pd.Series(exact["method"].to_numpy(), index=exact_codes).reindex(codes)
    # Only exact-ID pairs and pairs reaching the review band can be chosen or be a rival.
    probability = scores["match_probability"].to_numpy()
    keep = method.notna().to_numpy() | (probability >= settings.review_probability)
    chosen_pos = insured_pos[keep]
    contenders = {
        "payroll_pos": payroll_pos[keep],
        "si_code": insured["si_code"].to_numpy(object)[chosen_pos],
        "insured_person": insured["national_id"].to_numpy(object)[chosen_pos],
        "method": method.to_numpy(object)[keep],
        "match_weight": scores["match_weight"].to_numpy()[keep],
        "match_probability": probability[keep],
    }
    for c in comparisons:
        contenders[f"gamma_{c.name}"] = gammas[c.name].to_numpy()[keep]
        contenders[f"weight_{c.name}"] = scores[f"weight_{c.name}"].to_numpy()[keep]
    pairs = pd.DataFrame(contenders)
    chosen = assign(pairs, settings)
    # A record matched to one taxpayer is no candidate for another: assign again without
    # those pairs, so the rows that wanted it fall back to their next candidate.
    claimed = claimed_elsewhere(payroll, chosen, pairs)
    if claimed.any():
        chosen = assign(pairs[~claimed], settings)
    chosen = _link_siblings(chosen, payroll, insured, left, right, comparisons, model)
    chosen.insert(0, "record_id", payroll["record_id"].to_numpy(object)[chosen["payroll_pos"]])
    links = conform(chosen.drop(columns=["payroll_pos"]), LINKS, stage="link")
    lap("scoring")
    return LinkResult(
        links=links,
        model=model,
        blocking=blocking,
        exact_pairs=len(exact),
        candidates=pd.DataFrame(
            {
                "record_id": payroll["record_id"].to_numpy(object)[payroll_pos],
                "si_code": insured["si_code"].to_numpy(object)[insured_pos],
            }
        ),
        seconds=seconds,
    )
