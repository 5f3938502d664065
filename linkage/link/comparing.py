"""Comparing, chunk by chunk of payroll rows: draw the pairs, grade them, count the patterns.

A chunk keeps its compared pairs where it was compared (``Compared``); the driver gets back
only the chunk's ``Summary``, which it sums over the run before fitting.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage._vector import pair_keys
from linkage.errors import ConfigError
from linkage.link.blocking import BlockingPlan, distinct
from linkage.link.blocking_rules import BlockingRule
from linkage.link.comparison_base import Columns, Comparison, compare_comparable
from linkage.link.patterns import PatternCounts
from linkage.privacy import mask_id
from linkage.schema import LinkMethod


@dataclass
class Chunk:
    """One payroll chunk's scored pairs, compact: positions, levels, exact-ID method."""

    payroll_pos: np.ndarray
    insured_pos: np.ndarray
    gammas: np.ndarray  # pairs x comparisons, int8
    method: np.ndarray  # int8: 1 + index in EXACT_METHODS of an exact-ID pair, else 0


# The methods of exact-ID pairs, coded in a chunk as 1 + their index.
EXACT_METHODS: np.ndarray = np.array(
    [None, LinkMethod.NATIONAL_ID.value, LinkMethod.TAX_ID.value], dtype=object
)


def payroll_chunks(pairs_per_row: np.ndarray, chunk_pairs: int) -> list[np.ndarray]:
    """Consecutive payroll positions, cut where the running pair count passes each chunk."""
    running = np.cumsum(pairs_per_row)
    total = int(running[-1]) if len(running) else 0
    cuts = np.searchsorted(running, np.arange(chunk_pairs, total, chunk_pairs), side="left")
    bounds = distinct(np.r_[0, cuts + 1, len(pairs_per_row)].clip(0, len(pairs_per_row)))
    return [np.arange(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def check_budget(per_rule: dict[str, np.ndarray], payroll_rows: int, max_pairs: int) -> None:
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
class Summary:
    """What the driver sums over a run's chunks before fitting."""

    counts: PatternCounts  # of the pairs that train the model
    pairs: int  # the chunk's pairs, blocked and exact-ID
    labelled: int  # clerk-confirmed matches among the chunk's pairs
    pairs_per_rule: dict[str, int]
    new_pairs_per_rule: dict[str, int]


@dataclass
class Compared:
    """A chunk's compared pairs, kept where they were compared, and their summary."""

    chunk: Chunk
    summary: Summary


def compare_chunk(
    rows: np.ndarray,
    *,
    plan: BlockingPlan,
    exact: pd.DataFrame,
    left: Columns,
    right: Columns,
    comparisons: list[Comparison],
    known: Mapping[int, frozenset[str]],
    si_codes: np.ndarray,
) -> Compared:
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
    exact_codes = pair_keys(ours["payroll_pos"].to_numpy() - base, ours["insured_pos"], width)
    blocked_codes = pair_keys(blocked.payroll_pos - base, blocked.insured_pos, width)
    codes = distinct(np.concatenate([blocked_codes, exact_codes]))
    method = np.zeros(len(codes), dtype=np.int8)
    method[np.searchsorted(codes, exact_codes)] = 1 + pd.Index(EXACT_METHODS[1:]).get_indexer(
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
    return Compared(
        chunk=Chunk(payroll_pos.astype(np.int32), insured_pos.astype(np.int32), gammas, method),
        summary=Summary(
            counts=PatternCounts.of(gammas[trained], matches[trained], sizes),
            pairs=len(codes),
            labelled=int(confirmed.sum()),
            pairs_per_rule=blocked.pairs_per_rule,
            new_pairs_per_rule=blocked.new_pairs_per_rule,
        ),
    )


def summary_of(compared: Compared) -> Summary:
    """What the driver needs of a compared chunk before fitting."""
    return compared.summary


def positions_of(compared: Compared) -> tuple[np.ndarray, np.ndarray]:
    """Payroll and insured positions of a chunk's scored pairs."""
    return compared.chunk.payroll_pos, compared.chunk.insured_pos


def summed(
    summaries: Sequence[Summary], comparisons: Sequence[Comparison], rules: Sequence[BlockingRule]
) -> Summary:
    """The run's summary: the chunks' pattern counts, pairs and labels added up."""
    counts = PatternCounts.of(
        np.empty((0, len(comparisons)), np.int8),
        np.empty(0, bool),
        [len(c.levels) for c in comparisons],
    )
    for part in summaries:
        counts = counts + part.counts
    return Summary(
        counts=counts,
        pairs=sum(s.pairs for s in summaries),
        labelled=sum(s.labelled for s in summaries),
        pairs_per_rule=_sum_rules([s.pairs_per_rule for s in summaries], rules),
        new_pairs_per_rule=_sum_rules([s.new_pairs_per_rule for s in summaries], rules),
    )


def _sum_rules(parts: list[dict[str, int]], rules: Sequence[BlockingRule]) -> dict[str, int]:
    return {rule.name: sum(part[rule.name] for part in parts) for rule in rules}


def known_matches(
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
