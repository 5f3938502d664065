"""The link stage: exact-ID pass and blocked probabilistic pass, scored by one model."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import recordlinkage as rl

from linkage.config import LinkConfig
from linkage.errors import ConfigError, mask_id
from linkage.link.assign import assign
from linkage.link.blocking import (
    DEFAULT_BLOCKING,
    BlockingPlan,
    BlockingRule,
    combined_codes,
    distinct,
    encoded_birth,
    with_blocking_keys,
)
from linkage.link.comparisons import (
    DEFAULT_COMPARISONS,
    Columns,
    Comparison,
    comparable,
    compare_comparable,
)
from linkage.link.engine import Engine, LocalEngine
from linkage.link.exact import exact_id_pairs
from linkage.link.model import (
    FellegiSunterModel,
    PatternCounts,
    fit,
    row_masses,
    row_prior,
    row_probability,
)
from linkage.link.taxpayers import (
    claimed_elsewhere,
    record_owners,
    share_taxpayer_fields,
    sibling_links,
    taxpayer_codes,
)
from linkage.schema import LINKS, Band, InsuredStatus, LinkMethod, conform

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


def _record_frequencies(right: Columns, comparisons: Sequence[Comparison]) -> dict[str, np.ndarray]:
    """Per insured record, the share of records carrying its value (or key) of each tf key.

    Counted on the comparable codes (``Columns``); NaN where a part of the key is missing.
    """
    keys = {key for c in comparisons for key in c.tf_levels.values()}
    result = {}
    for key in keys:
        parts = [right[column].astype(np.int64) - 1 for column in key.split("+")]  # -1: missing
        values = combined_codes(parts)
        usable = values >= 0
        share = np.full(len(values), np.nan)
        share[usable] = np.bincount(values[usable])[values[usable]] / usable.sum()
        result[key] = share
    return result


_LEFT_STATUSES = (InsuredStatus.SUSPENDED.value, InsuredStatus.STOPPED.value)


def _as_compared(frame: pd.DataFrame, wage_column: str) -> pd.DataFrame:
    """The table as the comparisons see it.

    Its side's wage becomes ``declared_wage`` (unknown when it has none); ``record_left``
    is 1 for an insured record suspended or stopped, 0 for another status (unknown on the
    payroll side); birth year and sex are the ``encoded_birth`` ones.
    """
    wage = frame[wage_column] if wage_column in frame.columns else np.nan
    left: Any = np.nan
    if "status" in frame.columns:  # the insured side
        status = frame["status"].astype(object)
        left = np.where(status.isna(), np.nan, status.isin(_LEFT_STATUSES).astype(float))
    return frame.assign(declared_wage=wage, record_left=left, **encoded_birth(frame))


def _persons(insured: pd.DataFrame) -> np.ndarray:
    """One code per person (national ID) for each insured record, -1 without one."""
    codes: np.ndarray = pd.factorize(insured["national_id"])[0]
    return codes


def _link_siblings(
    chosen: pd.DataFrame,
    owner: np.ndarray,
    left: Columns,
    right: Columns,
    comparisons: list[Comparison],
    model: FellegiSunterModel,
    frequencies: dict[str, np.ndarray],
    rho: float,
    insured_rows: int,
) -> pd.DataFrame:
    """Match rows through their taxpayer's matched rows, scored for the analyst to see."""
    extra = sibling_links(owner, chosen)
    if extra.empty:
        return chosen
    insured_pos = extra["insured_pos"].to_numpy()
    gammas = compare_comparable(
        extra["payroll_pos"].to_numpy(), insured_pos, left, right, comparisons=comparisons
    )
    scores = model.score(gammas, {k: v[insured_pos] for k, v in frequencies.items()})
    log2_ratio = scores["match_weight"].to_numpy() - model.prior_weight
    rows = extra.assign(
        method=LinkMethod.TAXPAYER.value,
        match_weight=scores["match_weight"].to_numpy(),
        match_probability=row_probability(
            log2_ratio, np.exp2(log2_ratio), rho=rho, insured_rows=insured_rows
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


def _prepared(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    comparisons: list[Comparison],
    rules: Sequence[BlockingRule],
    settings: LinkConfig,
) -> tuple[pd.DataFrame, pd.DataFrame, Columns, Columns, BlockingPlan, pd.DataFrame]:
    """What linking reads: tables, comparable columns, blocking plan, exact-ID pairs.

    The tables are reindexed and the payroll's taxpayers share their agreed fields; the
    exact-ID pairs are sorted by payroll position, as ``_compare_chunk`` slices them.
    """
    payroll = share_taxpayer_fields(payroll.reset_index(drop=True))
    insured = insured.reset_index(drop=True)
    # Three independent preparations, side by side: each is mostly numpy and Arrow work,
    # which runs without the GIL.
    with ThreadPoolExecutor(2) as threads:
        plan = threads.submit(
            lambda: BlockingPlan(
                with_blocking_keys(payroll),
                with_blocking_keys(insured),
                rules,
                cap=settings.max_records_per_key,
            )
        )
        exact = threads.submit(
            lambda: (
                exact_id_pairs(payroll, insured)
                .sort_values("payroll_pos", kind="stable")
                .reset_index(drop=True)
            )
        )
        left, right = comparable(
            _as_compared(payroll, "monthly_income"),
            _as_compared(insured, "contribution_salary"),
            comparisons,
        )
    return payroll, insured, left, right, plan.result(), exact.result()


@dataclass
class _Chunk:
    """One payroll chunk's scored pairs, compact: positions, levels, exact-ID method."""

    payroll_pos: np.ndarray
    insured_pos: np.ndarray
    gammas: np.ndarray  # pairs x comparisons, int8
    method: np.ndarray  # int8: 1 + index in _EXACT_METHODS of an exact-ID pair, else 0


# The methods of exact-ID pairs, coded in a chunk as 1 + their index.
_EXACT_METHODS: np.ndarray = np.array(
    [None, LinkMethod.NATIONAL_ID.value, LinkMethod.TAX_ID.value], dtype=object
)


def _chunks(pairs_per_row: np.ndarray, chunk_pairs: int) -> list[np.ndarray]:
    """Consecutive payroll positions, cut where the running pair count passes each chunk."""
    running = np.cumsum(pairs_per_row)
    total = int(running[-1]) if len(running) else 0
    cuts = np.searchsorted(running, np.arange(chunk_pairs, total, chunk_pairs), side="left")
    bounds = distinct(np.r_[0, cuts + 1, len(pairs_per_row)].clip(0, len(pairs_per_row)))
    return [np.arange(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def _check_budget(per_rule: dict[str, np.ndarray], payroll_rows: int, max_pairs: int) -> None:
    """Refuse, before comparing anything, a rule set whose blocks explode."""
    counts = {name: int(n.sum()) for name, n in per_rule.items()}
    if sum(counts.values()) <= max_pairs:
        return
    worst = max(counts, key=counts.__getitem__)
    biggest = int(per_rule[worst].max(initial=0))
    msg = (
        f"blocking would compare {sum(counts.values()):,} pairs for {payroll_rows:,} payroll "
        f"rows, above [link].max_pairs = {max_pairs:,}; rule {worst!r} alone gives "
        f"{counts[worst]:,} (up to {biggest:,} for one row): make it stricter, or raise "
        "max_pairs where memory allows"
    )
    raise ConfigError(msg)


@dataclass(frozen=True)
class _Summary:
    """What the driver sums over a run's chunks before fitting."""

    counts: PatternCounts  # of the pairs that train the model
    pairs: int  # the chunk's pairs, blocked and exact-ID
    labelled: int  # clerk-confirmed matches among the chunk's pairs
    pairs_per_rule: dict[str, int]
    new_pairs_per_rule: dict[str, int]


@dataclass
class _Compared:
    """A chunk's compared pairs, kept where they were compared, and their summary."""

    chunk: _Chunk
    summary: _Summary


def _compare_chunk(
    rows: np.ndarray,
    *,
    plan: BlockingPlan,
    exact: pd.DataFrame,
    left: Columns,
    right: Columns,
    comparisons: list[Comparison],
    known: Mapping[int, frozenset[str]],
    si_codes: np.ndarray,
) -> _Compared:
    """Draw, compare and count one chunk's pairs (``exact`` sorted by payroll position).

    The exact-ID pairs of the chunk's rows join its blocked pairs. Pairs of rules that train
    the model, and exact-ID pairs, go into the pattern counts EM fits on; exact-ID pairs and
    clerk-confirmed ones (``known``: payroll position -> SI codes, as written or masked) as
    matches known.
    """
    sizes = [len(c.levels) for c in comparisons]
    width = max(plan.insured_rows, 1)
    base = int(rows[0])
    blocked = plan.pairs(rows)
    lo, hi = np.searchsorted(exact["payroll_pos"].to_numpy(), [rows[0], rows[-1] + 1])
    ours = exact.iloc[lo:hi]
    exact_codes = (ours["payroll_pos"].to_numpy() - base) * width + ours["insured_pos"].to_numpy()
    blocked_codes = (blocked.payroll_pos - base) * width + blocked.insured_pos
    codes = distinct(np.concatenate([blocked_codes, exact_codes]))
    method = np.zeros(len(codes), dtype=np.int8)
    method[np.searchsorted(codes, exact_codes)] = 1 + pd.Index(_EXACT_METHODS[1:]).get_indexer(
        ours["method"]
    )
    is_exact = method > 0
    trained = is_exact.copy()
    trained[np.searchsorted(codes, blocked_codes[blocked.trained])] = True
    payroll_pos, insured_pos = codes // width + base, codes % width
    gammas = compare_comparable(
        payroll_pos, insured_pos, left, right, comparisons=comparisons
    ).to_numpy()
    confirmed = np.zeros(len(codes), dtype=bool)
    for i in np.flatnonzero(np.isin(payroll_pos, list(known))) if known else ():
        code = str(si_codes[insured_pos[i]])
        confirmed[i] = bool({code, mask_id(code)} & known[int(payroll_pos[i])])
    matches = is_exact | confirmed
    trained |= confirmed
    return _Compared(
        chunk=_Chunk(payroll_pos.astype(np.int32), insured_pos.astype(np.int32), gammas, method),
        summary=_Summary(
            counts=PatternCounts.of(gammas[trained], matches[trained], sizes),
            pairs=len(codes),
            labelled=int(confirmed.sum()),
            pairs_per_rule=blocked.pairs_per_rule,
            new_pairs_per_rule=blocked.new_pairs_per_rule,
        ),
    )


def _summary(compared: _Compared) -> _Summary:
    """What the driver needs of a compared chunk before fitting."""
    return compared.summary


def _positions(compared: _Compared) -> tuple[np.ndarray, np.ndarray]:
    """Payroll and insured positions of a chunk's scored pairs."""
    return compared.chunk.payroll_pos, compared.chunk.insured_pos


def _chunk_scores(
    compared: _Compared,
    *,
    persons: np.ndarray,
    comparisons: list[Comparison],
    model: FellegiSunterModel,
    frequencies: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A chunk's scores, each pair's log2 likelihood ratio, its rows and their masses.

    A chunk holds every pair of its payroll rows, so a row's mass (``row_masses``) is whole.
    """
    chunk = compared.chunk
    gammas = pd.DataFrame(chunk.gammas, columns=[c.name for c in comparisons])
    scores = model.score(gammas, {k: v[chunk.insured_pos] for k, v in frequencies.items()})
    log2_ratio = scores["match_weight"].to_numpy() - model.prior_weight
    return scores, log2_ratio, row_masses(chunk.payroll_pos, persons[chunk.insured_pos], log2_ratio)


def _chunk_masses(compared: _Compared, **scoring: Any) -> np.ndarray:
    """The masses of a chunk's rows with candidates, for ``row_prior``."""
    return _chunk_scores(compared, **scoring)[2][1]


def _chunk_contenders(
    compared: _Compared,
    *,
    persons: np.ndarray,
    comparisons: list[Comparison],
    model: FellegiSunterModel,
    frequencies: dict[str, np.ndarray],
    rho: float,
    insured_rows: int,
    review_probability: float,
) -> pd.DataFrame:
    """A chunk's pairs that can be chosen or be a rival: exact-ID ones and those at review."""
    chunk = compared.chunk
    scores, log2_ratio, (rows, masses) = _chunk_scores(
        compared, persons=persons, comparisons=comparisons, model=model, frequencies=frequencies
    )
    probability = row_probability(
        log2_ratio,
        masses[np.searchsorted(rows, chunk.payroll_pos)],
        rho=rho,
        insured_rows=insured_rows,
    )
    keep = (chunk.method > 0) | (probability >= review_probability)
    chosen_pos = chunk.insured_pos[keep]
    columns = {
        "payroll_pos": chunk.payroll_pos[keep].astype(np.int64),
        "insured_pos": chosen_pos.astype(np.int64),
        "insured_person": persons[chosen_pos],
        "method": _EXACT_METHODS[chunk.method[keep]],
        "match_weight": scores["match_weight"].to_numpy()[keep],
        "match_probability": probability[keep],
    }
    for k, c in enumerate(comparisons):
        columns[f"gamma_{c.name}"] = chunk.gammas[keep, k]
        columns[f"weight_{c.name}"] = scores[f"weight_{c.name}"].to_numpy()[keep]
    return pd.DataFrame(columns)


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


def _known_matches(
    payroll: pd.DataFrame, labelled: pd.DataFrame | None
) -> dict[int, frozenset[str]]:
    """Payroll position -> the SI codes a clerk confirmed for that row."""
    if labelled is None or labelled.empty:
        return {}
    index = pd.Index(payroll["record_id"].astype(object))
    pos = index.get_indexer(labelled["record_id"].astype(object))
    codes = labelled["si_code"].astype(str).to_numpy()
    known: dict[int, set[str]] = {}
    for row, code in zip(pos.tolist(), codes.tolist(), strict=True):
        if row >= 0:
            known.setdefault(row, set()).add(code)
    return {row: frozenset(found) for row, found in known.items()}


def _sum_rules(parts: list[dict[str, int]], rules: Sequence[BlockingRule]) -> dict[str, int]:
    return {rule.name: sum(part[rule.name] for part in parts) for rule in rules}


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
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    comparisons = list(comparisons or make_comparisons(settings))
    rules = tuple(DEFAULT_BLOCKING if blocking_rules is None else blocking_rules)
    payroll, insured, left, right, plan, exact = _prepared(
        payroll, insured, comparisons, rules, settings
    )
    per_rule_and_row = plan.pairs_per_rule_and_row()
    _check_budget(per_rule_and_row, len(payroll), settings.max_pairs)
    pairs_per_row = sum(per_rule_and_row.values(), np.zeros(len(payroll), np.int64))
    pairs_per_row += np.bincount(exact["payroll_pos"], minlength=len(payroll))
    chunks = _chunks(pairs_per_row, settings.chunk_pairs)
    lap("blocking")

    si_codes = insured["si_code"].to_numpy(object)
    compared = engine.map(
        _compare_chunk,
        chunks,
        plan=plan,
        exact=exact,
        left=left,
        right=right,
        comparisons=comparisons,
        known=_known_matches(payroll, labelled),
        si_codes=si_codes,
    )
    summaries = engine.gather(engine.map(_summary, compared))
    counts = PatternCounts.of(
        np.empty((0, len(comparisons)), np.int8),
        np.empty(0, bool),
        [len(c.levels) for c in comparisons],
    )
    for summary in summaries:
        counts = counts + summary.counts
    per_rule = _sum_rules([s.pairs_per_rule for s in summaries], rules)
    new_per_rule = _sum_rules([s.new_pairs_per_rule for s in summaries], rules)
    rows_split, rows_over_cap = plan.rows_split(), plan.rows_over_cap()
    del plan, per_rule_and_row  # every pair is drawn: the joins' arrays can go
    lap("comparing")

    if model is None:
        sample = min(settings.u_sample_pairs, len(payroll) * len(insured))
        random_pairs = rl.index.Random(sample, random_state=settings.seed).index(payroll, insured)
        # u is P(level | non-match): random pairs that share a citizen ID are matches, and at
        # about one in N they would set u of "same ID" near the prior, cancelling the ID.
        width = max(len(insured), 1)
        random_codes = random_pairs.codes[0].astype(np.int64) * width + random_pairs.codes[1]
        exact_codes = exact["payroll_pos"].to_numpy() * width + exact["insured_pos"].to_numpy()
        random_pairs = random_pairs[~pd.Series(random_codes).isin(exact_codes).to_numpy()]
        random_gammas = compare_comparable(
            random_pairs.codes[0], random_pairs.codes[1], left, right, comparisons=comparisons
        )
        model = fit(
            comparisons=comparisons,
            random_gammas=random_gammas,
            blocked=counts,
            payroll_rows=len(payroll),
            insured_rows=len(insured),
            max_iterations=settings.em_max_iterations,
            tolerance=settings.em_tolerance,
            blocking_rules=rules,
        )
        log.info("model fitted: %s", model.fit)
    lap("fitting")

    frequencies = _record_frequencies(right, comparisons)
    scoring = {
        "persons": _persons(insured),
        "comparisons": comparisons,
        "model": model,
        "frequencies": frequencies,
    }
    # The run's share of rows with a match (rho): each pair's probability is its row's.
    rho = row_prior(
        np.concatenate(engine.gather(engine.map(_chunk_masses, compared, **scoring))),
        payroll_rows=len(payroll),
        insured_rows=len(insured),
        start=model.prior * len(insured),
    )
    contenders = engine.map(
        _chunk_contenders,
        compared,
        **scoring,
        rho=rho,
        insured_rows=len(insured),
        review_probability=settings.review_probability,
    )
    positions = engine.gather(engine.map(_positions, compared)) if keep_pairs else []
    del compared  # the contenders hold what assignment reads
    # A chunk holds every pair of its payroll rows, so rows are assigned where their chunk
    # is and only links come back. A record matched to one taxpayer is no candidate for
    # another: a second assignment without those pairs lets the rows that wanted it fall
    # back to their next candidate.
    owner = taxpayer_codes(payroll)
    first = _joined(engine.gather(engine.map(_first_choice, contenders, settings=settings)))
    chosen = _joined(
        engine.gather(
            engine.map(
                _assign_unclaimed,
                contenders,
                owner=owner,
                record_owner=record_owners(owner, first, len(insured)),
                settings=settings,
            )
        )
    )
    chosen = _link_siblings(
        chosen, owner, left, right, comparisons, model, frequencies, rho, len(insured)
    )
    # Records are insured positions up to here; only the links take their SI codes.
    runner_up = chosen.pop("runner_up_pos").to_numpy()
    chosen.insert(0, "record_id", payroll["record_id"].to_numpy(object)[chosen["payroll_pos"]])
    chosen.insert(1, "si_code", si_codes[chosen.pop("insured_pos").to_numpy()])
    chosen["runner_up_si_code"] = np.asarray(np.where(runner_up >= 0, si_codes[runner_up], None))
    links = conform(chosen.drop(columns=["payroll_pos"]), LINKS, stage="link")
    lap("scoring")
    return LinkResult(
        links=links,
        model=model,
        pairs_per_rule=per_rule,
        new_pairs_per_rule=new_per_rule,
        rows_split=rows_split,
        rows_over_cap=rows_over_cap,
        rows_not_compared=int((pairs_per_row == 0).sum()),
        exact_pairs=len(exact),
        labelled_pairs=sum(s.labelled for s in summaries),
        row_match_share=rho,
        scored_pairs=sum(s.pairs for s in summaries),
        scored=positions,
        record_ids=payroll["record_id"].to_numpy(object),
        si_codes=si_codes,
        seconds=seconds,
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
    payroll, insured, left, right, plan, exact = _prepared(
        payroll, insured, comparisons, model.blocking_rules, settings
    )
    compared = _compare_chunk(
        np.array([position]),
        plan=plan,
        exact=exact,
        left=left,
        right=right,
        comparisons=comparisons,
        known={},
        si_codes=insured["si_code"].to_numpy(object),
    )
    names = [c.name for c in comparisons]
    scores, log2_ratio, (_, masses) = _chunk_scores(
        compared,
        persons=_persons(insured),
        comparisons=comparisons,
        model=model,
        frequencies=_record_frequencies(right, comparisons),
    )
    table = pd.DataFrame(
        {
            "insured_pos": compared.chunk.insured_pos.astype(np.int64),
            "method": _EXACT_METHODS[compared.chunk.method],
            "match_weight": scores["match_weight"].to_numpy(),
            "match_probability": row_probability(
                log2_ratio,
                np.full(len(log2_ratio), masses.sum()),  # one row: one mass
                rho=row_match_share,
                insured_rows=len(insured),
            ),
            **{f"gamma_{n}": compared.chunk.gammas[:, k] for k, n in enumerate(names)},
            **{f"weight_{n}": scores[f"weight_{n}"].to_numpy() for n in names},
        }
    )
    return table.sort_values("match_weight", ascending=False, kind="stable").reset_index(drop=True)
