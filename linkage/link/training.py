"""Training a model on the run's own pairs: u from random pairs, m by EM on the blocked ones."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import recordlinkage as rl

from linkage._vector import pair_keys
from linkage.config import LinkConfig
from linkage.link.blocking_rules import BlockingRule
from linkage.link.comparison_base import Comparison, compare_comparable
from linkage.link.model import FellegiSunterModel, fit
from linkage.link.patterns import PatternCounts
from linkage.link.prepare import Prepared


def random_pair_levels(
    prepared: Prepared, comparisons: Sequence[Comparison], *, sample_pairs: int, seed: int
) -> pd.DataFrame:
    """Levels of up to ``sample_pairs`` random payroll x insured pairs, exact-ID ones left out."""
    payroll, insured, exact = prepared.payroll, prepared.insured, prepared.exact
    sample = min(sample_pairs, len(payroll) * len(insured))
    random_pairs = rl.index.Random(sample, random_state=seed).index(payroll, insured)
    # u is P(level | non-match): random pairs that share a citizen ID are matches, and at
    # about one in N they would set u of "same ID" near the prior, cancelling the ID.
    width = max(len(insured), 1)
    random_codes = pair_keys(random_pairs.codes[0], random_pairs.codes[1], width)
    exact_codes = pair_keys(exact["payroll_pos"], exact["insured_pos"], width)
    random_pairs = random_pairs[~pd.Series(random_codes).isin(exact_codes).to_numpy()]
    return compare_comparable(
        random_pairs.codes[0],
        random_pairs.codes[1],
        prepared.left,
        prepared.right,
        comparisons=comparisons,
    )


def train(
    prepared: Prepared,
    comparisons: Sequence[Comparison],
    blocked: PatternCounts,
    rules: Sequence[BlockingRule],
    settings: LinkConfig,
) -> FellegiSunterModel:
    """Fit a model on this run: ``blocked`` are the counted patterns of the training pairs."""
    return fit(
        comparisons=comparisons,
        random_gammas=random_pair_levels(
            prepared, comparisons, sample_pairs=settings.u_sample_pairs, seed=settings.seed
        ),
        blocked=blocked,
        payroll_rows=len(prepared.payroll),
        insured_rows=len(prepared.insured),
        max_iterations=settings.em_max_iterations,
        tolerance=settings.em_tolerance,
        blocking_rules=rules,
    )
