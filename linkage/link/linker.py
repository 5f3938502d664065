"""The link stage: exact-ID pass and blocked probabilistic pass, scored by one model.

``link_records`` runs the phases in order, block -> compare -> train -> score -> assign,
each over payroll chunks on an ``Engine``; the phases' chunk work lives in ``comparing``,
``training``, ``scoring`` and ``assign``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkage.config import LinkConfig
from linkage.link.blocking import BlockingPlan
from linkage.link.blocking_rules import DEFAULT_BLOCKING, BlockingRule
from linkage.link.choosing import choose_links
from linkage.link.comparing import (
    EXACT_METHODS,
    Summary,
    check_budget,
    compare_chunk,
    known_matches,
    payroll_chunks,
    positions_of,
    summary_of,
    summed,
)
from linkage.link.comparison_base import Comparison
from linkage.link.comparisons import DEFAULT_COMPARISONS
from linkage.link.engine import Engine, LocalEngine
from linkage.link.model import FellegiSunterModel
from linkage.link.prepare import Prepared, prepare
from linkage.link.row_model import row_prior, row_probability
from linkage.link.scoring import (
    Scorer,
    chunk_contenders,
    chunk_masses,
    chunk_scores,
    person_codes,
    record_frequencies,
)
from linkage.link.training import train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkResult:
    """Links plus everything an analyst needs to judge them."""

    links: pd.DataFrame  # schema.LINKS, then gamma_* and weight_* per comparison
    model: FellegiSunterModel
    pairs_per_rule: dict[str, int]  # pairs each blocking rule produced on its own
    new_pairs_per_rule: dict[str, int]  # pairs not produced by an earlier rule
    rows_split: dict[str, int]  # payroll rows whose block a rule split: key too common
    rows_over_cap: dict[str, int]  # of those, still over the cap when split to the end
    rows_not_compared: int  # payroll rows that met no record by any rule nor by ID
    exact_pairs: int
    labelled_pairs: int  # clerk-confirmed matches found among the compared pairs
    row_match_share: float  # rho: the share of payroll rows with a match (``row_prior``)
    scored_pairs: int  # pairs compared and scored: blocked, and exact-ID
    # every scored pair's payroll and insured positions, chunk by chunk: the chunks' own
    # arrays, not a copy of them all (8 bytes a pair: 1.4 GB at 3M payroll rows); empty
    # unless ``link_records`` was asked to keep them
    scored: list[tuple[np.ndarray, np.ndarray]]
    record_ids: np.ndarray  # payroll record_id by position
    si_codes: np.ndarray  # insured si_code by position
    seconds: dict[str, float] = field(default_factory=dict)

    def candidates(self) -> pd.DataFrame:
        """Every scored pair as (record_id, si_code), for blocking recall."""
        payroll_pos = np.concatenate([p for p, _ in self.scored] or [np.empty(0, np.int32)])
        insured_pos = np.concatenate([i for _, i in self.scored] or [np.empty(0, np.int32)])
        return pd.DataFrame(
            {"record_id": self.record_ids[payroll_pos], "si_code": self.si_codes[insured_pos]}
        )

    def band_counts(self) -> dict[str, int]:
        """Links per band."""
        return {str(k): int(v) for k, v in self.links["band"].value_counts().items()}

    def diagnostics(self) -> dict[str, Any]:
        """What an analyst checks first: pairs per blocking rule, bands, methods, the fit."""
        methods = self.links["method"].astype(str) + "/" + self.links["band"].astype(str)
        return {
            "pairs_per_rule": self.pairs_per_rule,
            "new_pairs_per_rule": self.new_pairs_per_rule,
            "rows_split": self.rows_split,
            "rows_over_cap": self.rows_over_cap,
            "rows_not_compared": self.rows_not_compared,
            "pairs_per_payroll_row": round(self.scored_pairs / max(len(self.record_ids), 1), 2),
            "blocked_pairs": sum(self.new_pairs_per_rule.values()),
            "exact_id_pairs": self.exact_pairs,
            "labelled_pairs": self.labelled_pairs,
            "row_match_share": round(self.row_match_share, 6),
            "scored_pairs": self.scored_pairs,
            "bands": self.band_counts(),
            "links_by_method": {str(k): int(n) for k, n in methods.value_counts().items()},
            "model_fit": asdict(self.model.fit),
            "prior": self.model.prior,
            "seconds": self.seconds,
        }


def make_comparisons(settings: LinkConfig) -> list[Comparison]:
    """The comparisons every run computes, in a fixed order, built fresh for this run."""
    return [cls(workers=settings.workers) for cls in DEFAULT_COMPARISONS]


class _Stopwatch:
    """Seconds each phase of a run took, by phase name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the time since the previous lap as phase ``name``'s."""
        now = time.perf_counter()
        self.seconds[name] = round(now - self._clock, 3)
        self._clock = now


def _block(
    plan: BlockingPlan, exact: pd.DataFrame, settings: LinkConfig
) -> tuple[list[np.ndarray], np.ndarray]:
    """The payroll chunks to compare, and each row's pairs, once the budget is checked."""
    per_rule_and_row = plan.pairs_per_rule_and_row()
    check_budget(per_rule_and_row, plan.payroll_rows, settings.max_pairs)
    pairs_per_row = sum(per_rule_and_row.values(), np.zeros(plan.payroll_rows, np.int64))
    pairs_per_row += np.bincount(exact["payroll_pos"], minlength=plan.payroll_rows)
    return payroll_chunks(pairs_per_row, settings.chunk_pairs), pairs_per_row


def _compare(
    engine: Engine,
    chunks: list[np.ndarray],
    plan: BlockingPlan,
    prepared: Prepared,
    comparisons: list[Comparison],
    labelled: pd.DataFrame | None,
    rules: Sequence[BlockingRule],
) -> tuple[list[Any], Summary]:
    """Each chunk's compared pairs (handles: they stay where compared), and the run's summary."""
    compared = engine.map(
        compare_chunk,
        chunks,
        plan=plan,
        exact=prepared.exact,
        left=prepared.left,
        right=prepared.right,
        comparisons=comparisons,
        known=known_matches(prepared.payroll, labelled),
        si_codes=prepared.si_codes,
    )
    summaries = engine.gather(engine.map(summary_of, compared))
    return compared, summed(summaries, comparisons, rules)


def _score(
    engine: Engine,
    compared: list[Any],
    prepared: Prepared,
    scorer: Scorer,
    settings: LinkConfig,
) -> tuple[float, list[Any]]:
    """The run's share of rows with a match (rho), then each chunk's contenders (handles)."""
    insured_rows = len(prepared.insured)
    model = scorer.model
    scoring = {
        "persons": person_codes(prepared.insured),
        "comparisons": scorer.comparisons,
        "model": model,
        "frequencies": scorer.frequencies,
    }
    # The run's share of rows with a match (rho): each pair's probability is its row's.
    rho = row_prior(
        np.concatenate(engine.gather(engine.map(chunk_masses, compared, **scoring))),
        payroll_rows=len(prepared.payroll),
        insured_rows=insured_rows,
        start=model.prior * insured_rows,
    )
    contenders = engine.map(
        chunk_contenders,
        compared,
        **scoring,
        rho=rho,
        insured_rows=insured_rows,
        review_probability=settings.review_probability,
    )
    return rho, contenders


def link_records(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    settings: LinkConfig,
    *,
    model: FellegiSunterModel | None = None,
    comparisons: Sequence[Comparison] | None = None,
    blocking_rules: Sequence[BlockingRule] | None = None,
    engine: Engine | None = None,
    labelled: pd.DataFrame | None = None,
    keep_pairs: bool = True,
) -> LinkResult:
    """Link normalized payroll rows to normalized insured records.

    Pairs are drawn, compared and counted chunk by chunk of payroll rows (about
    ``settings.chunk_pairs`` pairs each), EM fits on the summed pattern counts, and only
    the pairs reaching the review band (and exact-ID ones) are kept for assignment: memory
    follows the chunk, not the number of pairs.

    Args:
        payroll: schema.PAYROLL table.
        insured: schema.INSURED table.
        settings: thresholds, EM and sampling settings.
        model: a saved model to score with; fitted on this data when None.
        comparisons: comparisons to compute (default: the Vietnamese person comparisons).
        blocking_rules: rules whose pairs are unioned (default: DEFAULT_BLOCKING); recorded
            in a model fitted here.
        engine: where the chunks are compared and scored (default: this process); any
            engine gives the same links.
        labelled: pairs a clerk confirmed as matches (``record_id``, ``si_code`` as written
            or masked, from ``linkage review import``): when the model is fitted here, they
            train m as known matches beside the exact-ID links.
        keep_pairs: keep every scored pair's positions (``LinkResult.scored``), which only
            blocking recall reads; without them a chunk's compared pairs are let go once
            scored, before assignment (2.5 GB at 3M payroll rows).

    Raises:
        ConfigError: the blocking rules would compare more than ``settings.max_pairs``.
    """
    engine = engine or LocalEngine()
    stopwatch = _Stopwatch()
    comparisons = list(comparisons or make_comparisons(settings))
    rules = tuple(DEFAULT_BLOCKING if blocking_rules is None else blocking_rules)
    prepared, plan = prepare(payroll, insured, comparisons, rules, settings)
    chunks, pairs_per_row = _block(plan, prepared.exact, settings)
    stopwatch.lap("blocking")

    compared, total = _compare(engine, chunks, plan, prepared, comparisons, labelled, rules)
    rows_split, rows_over_cap = plan.rows_split(), plan.rows_over_cap()
    del plan  # every pair is drawn: the joins' arrays can go
    stopwatch.lap("comparing")

    if model is None:
        model = train(prepared, comparisons, total.counts, rules, settings)
        log.info("model fitted: %s", model.fit)
    stopwatch.lap("fitting")

    scorer = Scorer(comparisons, model, record_frequencies(prepared.right, comparisons))
    rho, contenders = _score(engine, compared, prepared, scorer, settings)
    positions = engine.gather(engine.map(positions_of, compared)) if keep_pairs else []
    del compared  # the contenders hold what assignment reads
    links = choose_links(engine, contenders, prepared, scorer, rho=rho, settings=settings)
    stopwatch.lap("scoring")
    return LinkResult(
        links=links,
        model=model,
        pairs_per_rule=total.pairs_per_rule,
        new_pairs_per_rule=total.new_pairs_per_rule,
        rows_split=rows_split,
        rows_over_cap=rows_over_cap,
        rows_not_compared=int((pairs_per_row == 0).sum()),
        exact_pairs=len(prepared.exact),
        labelled_pairs=total.labelled,
        row_match_share=rho,
        scored_pairs=total.pairs,
        scored=positions,
        record_ids=prepared.payroll["record_id"].to_numpy(object),
        si_codes=prepared.si_codes,
        seconds=stopwatch.seconds,
    )


def row_candidates(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    position: int,
    settings: LinkConfig,
    model: FellegiSunterModel,
    *,
    row_match_share: float,
) -> pd.DataFrame:
    """Every insured record one payroll row meets, scored as the run scored it.

    ``row_match_share`` is the run's rho (its manifest's ``link.row_match_share``).

    The same preparation (taxpayer sharing, CCCD-encoded birth and sex), blocking rules
    (those the model records), exact-ID pass, comparisons and term frequencies as
    ``link_records``, for one row: what ``linkage explain`` shows.

    Returns:
        One row per candidate record, best first: ``insured_pos``, ``method`` (exact-ID
        method or None), ``match_weight``, ``match_probability``, and ``gamma_*`` /
        ``weight_*`` per comparison.
    """
    comparisons = make_comparisons(settings)
    prepared, plan = prepare(payroll, insured, comparisons, model.blocking_rules, settings)
    compared = compare_chunk(
        np.array([position]),
        plan=plan,
        exact=prepared.exact,
        left=prepared.left,
        right=prepared.right,
        comparisons=comparisons,
        known={},
        si_codes=prepared.si_codes,
    )
    names = [c.name for c in comparisons]
    scores, log2_ratio, (_, masses) = chunk_scores(
        compared,
        persons=person_codes(prepared.insured),
        comparisons=comparisons,
        model=model,
        frequencies=record_frequencies(prepared.right, comparisons),
    )
    table = pd.DataFrame(
        {
            "insured_pos": compared.chunk.insured_pos.astype(np.int64),
            "method": EXACT_METHODS[compared.chunk.method],
            "match_weight": scores["match_weight"].to_numpy(),
            "match_probability": row_probability(
                log2_ratio,
                np.full(len(log2_ratio), masses.sum()),  # one row: one mass
                rho=row_match_share,
                insured_rows=len(prepared.insured),
            ),
            **{f"gamma_{n}": compared.chunk.gammas[:, k] for k, n in enumerate(names)},
            **{f"weight_{n}": scores[f"weight_{n}"].to_numpy() for n in names},
        }
    )
    return table.sort_values("match_weight", ascending=False, kind="stable").reset_index(drop=True)
