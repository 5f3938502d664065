"""Estimating a Fellegi-Sunter model: m, u and the prior from blocked and random pairs.

* u-probabilities come from random payroll x insured pairs (almost all non-matches).
* m-probabilities are semi-supervised: the pairs the exact-ID pass linked are known
  matches. With at least ``MIN_LABELLED`` of them, m of every comparison they spread over
  stays at what they show (on a foreign set it equals m measured with the truth, level by
  level); EM over the other blocked pairs fits the rest (the ID comparison itself) and the
  share of matches, with u free inside the blocks because blocked non-matches agree far
  more often than random ones. Left fully free, EM drifted to describe namesakes whenever
  the blocked population changed (a rule more or one stricter: share 0.05 -> 0.18 or 0.35,
  precision 0.997 -> 0.98 or 0.96). Pairs of broad rules (``BlockingRule.train`` false)
  are scored but not fitted on. The labels were chosen by their citizen ID, so m of the
  ID comparison (``Comparison.labels_chosen_by``) is counted instead over the pairs the
  other comparisons alone call sure matches (``_measured_by_others``).
* The prior (probability that two random records match) is the EM's expected number of
  matches among blocked pairs spread over all payroll x insured pairs, refined to the
  one scoring expects (``consistent_prior``). A pair's probability is its row's
  (``row_model``).
* Term-frequency adjustment: on levels that mean "the same name" or "the same employer", u
  is the frequency of that value among insured records, split over the levels keyed on it
  as blocked pairs that the other evidence rules out split (``_split_by_nonmatches``; random
  pairs see a rare level once or never): "Nguyễn Văn Hùng" counts less than a rare name, a
  2,000-worker employer less than a 20-worker one (DOMAIN.md section 2). Measured on the
  foreign set: employer frequencies took links F1 0.9866 -> 0.9873, the split 0.9876.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage.link.comparison_base import MISSING, Comparison
from linkage.link.patterns import PatternCounts

MIN_LABELLED = 200  # exact-ID links needed before their m is trusted over EM's
MIN_GIVEN_PAIRS = 100  # random pairs meeting a condition before its u is counted apart


def _smoothed(counts: np.ndarray) -> np.ndarray:
    """M of each level from the matches seen there, half a match added to every level.

    The Krichevsky-Trofimov estimate: a level that none of n matches shows gets about
    1/(2n), never zero (EM on generated or very clean data sets the m of a sex or birth-year
    disagreement to ~0, a weight no evidence overcomes, while real registries carry such
    typos), and no larger than n matches allow (a fixed floor of 1/500 overstated a rare
    level forty-fold on 36k matches: two different citizen IDs cost 9 bits, not 15).
    """
    smoothed: np.ndarray = (counts + 0.5) / (counts.sum() + 0.5 * len(counts))
    return smoothed


def level_frequencies(gammas: pd.DataFrame, comparisons: Sequence[Comparison]) -> list[np.ndarray]:
    """Share of each level among non-missing values, smoothed so no level is zero."""
    shares = []
    for comparison in comparisons:
        gamma = gammas[comparison.name].to_numpy()
        counts = np.bincount(gamma[gamma != MISSING], minlength=len(comparison.levels))
        shares.append((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
    return shares


def _log_probabilities(patterns: np.ndarray, parameters: Sequence[np.ndarray]) -> np.ndarray:
    """Sum over comparisons of log P(level | class); missing levels contribute nothing."""
    total = np.zeros(len(patterns))
    for k, probabilities in enumerate(parameters):
        gamma = patterns[:, k]
        present = gamma != MISSING
        total[present] += np.log(probabilities[gamma[present]])
    return total


def _level_counts(
    patterns: np.ndarray, weights: np.ndarray, sizes: Sequence[int]
) -> list[np.ndarray]:
    """Weighted pairs at each level of each comparison; missing values count nowhere."""
    counts = []
    for k, size in enumerate(sizes):
        gamma = patterns[:, k]
        present = gamma != MISSING
        counts.append(np.bincount(gamma[present], weights=weights[present], minlength=size))
    return counts


def _reestimate(
    patterns: np.ndarray, weights: np.ndarray, sizes: Sequence[int]
) -> list[np.ndarray]:
    return [(c + 1e-6) / (c.sum() + 1e-6 * len(c)) for c in _level_counts(patterns, weights, sizes)]


def _informative(labelled_m: Sequence[np.ndarray]) -> list[int]:
    """Comparisons whose labelled pairs spread over levels: the labels' m can be trusted.

    A comparison the labels show at one level only (the ID the exact pass matched on) says
    nothing through them about matches found otherwise.
    """
    return [k for k, share in enumerate(labelled_m) if share.max() < 1.0 - 1e-3]


# Per comparison: (index of the conditioning comparison, its level, the conditional u).
Given = tuple[int, int, np.ndarray] | None


def _given(random_gammas: pd.DataFrame, comparisons: Sequence[Comparison]) -> list[Given]:
    """Each comparison's u among random pairs where its ``given`` comparison reaches a level.

    None where a comparison has no condition, or too few random pairs meet it to count.
    """
    names = [c.name for c in comparisons]
    conditions: list[Given] = []
    for comparison in comparisons:
        given = getattr(comparison, "given", None)
        if given is None or given[0] not in names:
            conditions.append(None)
            continue
        rows = random_gammas[given[0]].to_numpy() >= given[1]
        if rows.sum() < MIN_GIVEN_PAIRS:
            conditions.append(None)
            continue
        u = level_frequencies(random_gammas[rows], [comparison])[0]
        conditions.append((names.index(given[0]), given[1], u))
    return conditions


def _log_ratio_terms(
    patterns: np.ndarray,
    m: Sequence[np.ndarray],
    u: Sequence[np.ndarray],
    given: Sequence[Given],
) -> np.ndarray:
    """log(m/u) of each pattern (rows) per comparison (columns) as scoring reads it.

    Missing levels give 0; a comparison's conditional u applies where its condition holds.
    """
    terms = np.zeros(patterns.shape, dtype=np.float64)
    for k, condition in enumerate(given):
        gamma = patterns[:, k]
        present = gamma != MISSING
        ratio = np.log(m[k]) - np.log(u[k])
        terms[present, k] = ratio[gamma[present]]
        if condition is not None:
            index, level, conditional = condition
            rows = present & (patterns[:, index] >= level)
            terms[rows, k] = (np.log(m[k]) - np.log(conditional))[gamma[rows]]
    return terms


def _measured_by_others(
    patterns: np.ndarray,
    counts: np.ndarray,
    labelled_m: Sequence[np.ndarray | None],
    terms: np.ndarray,
    sizes: Sequence[int],
    *,
    prior: float,
) -> dict[int, np.ndarray]:
    """Level counts, for each comparison the labels cannot fix, over pairs the rest call sure.

    The labelled matches were chosen by their citizen ID, so they show the ID comparison
    at "exact" but for the few reached through a tax code: taken as m, a CMND against a
    CCCD (one true match in seven) cost 4 bits, a typo beyond one edit 16. Pairs whose
    other evidence alone (the comparisons the labels fixed) makes them matches at 0.999
    under a prior of one match per row were not chosen by their ID: their ID levels are
    what matches show. Needs ``MIN_LABELLED`` such pairs with the
    level present; without them EM fits the comparison as before.
    """
    fixed = [k for k, m in enumerate(labelled_m) if m is not None]
    if not fixed:
        return {}
    evidence = terms[:, fixed].sum(axis=1) + math.log(prior / (1.0 - prior))
    sure = evidence >= math.log(999.0)
    measured: dict[int, np.ndarray] = {}
    for k, m in enumerate(labelled_m):
        if m is not None:
            continue
        gamma = patterns[:, k]
        rows = sure & (gamma != MISSING)
        level_count = np.bincount(gamma[rows], weights=counts[rows], minlength=sizes[k])
        if level_count.sum() >= MIN_LABELLED:
            measured[k] = level_count
    return measured


def _split_by_nonmatches(
    patterns: np.ndarray,
    counts: np.ndarray,
    terms: np.ndarray,
    comparisons: Sequence[Comparison],
    u: Sequence[np.ndarray],
    *,
    prior: float,
) -> list[np.ndarray]:
    """The u of each comparison, its levels keyed on one value split as non-matches split.

    Scoring takes u of a level keyed on a value (a name, an employer) as the value's
    frequency, split over the levels keyed on it in proportion to their u. Random pairs
    rarely share a name (0.04%), so a rare level among them (Lý/Lí, a name reordered) is
    seen once or never and its share is noise: a name spelt Lý on one side and Lí on the
    other weighed 3 bits more than the same name spelt alike, and reordered names linked at
    a mean probability of 0.96 were right 91% of the time at 1M rows. Blocked pairs that
    the other comparisons call non-matches at 0.999 share names by the thousands: within
    each key, their levels give the split. The key's total u stays the random pairs'.
    """
    others = terms.sum(axis=1)[:, None] - terms + math.log(prior / (1.0 - prior))
    split = [share.copy() for share in u]
    for k, comparison in enumerate(comparisons):
        keys: dict[str, list[int]] = {}
        for level, column in comparison.tf_levels.items():
            keys.setdefault(column, []).append(level)
        gamma = patterns[:, k]
        sure = others[:, k] <= -math.log(999.0)
        for levels in (sorted(ls) for ls in keys.values() if len(ls) > 1):
            rows = sure & np.isin(gamma, levels)
            seen = np.bincount(gamma[rows], weights=counts[rows], minlength=len(u[k]))[levels]
            if seen.sum() >= MIN_LABELLED:
                split[k][levels] = u[k][levels].sum() * _smoothed(seen)
    return split


def consistent_prior(
    counts: np.ndarray,
    log_ratio: np.ndarray,
    *,
    all_pairs: float,
    start: float,
    iterations: int = 200,
) -> float:
    """The prior under which the scoring model expects as many matches as it scores.

    ``log_ratio`` is each blocked pattern's log(m/u) as scoring reads it (``counts`` pairs
    each).

    The prior is the share of matches among all payroll x insured pairs, and scoring
    reads it with the final m and the random-pair u. EM's own share (u free inside the
    blocks) is fitted for another model: inside large blocks its u learnt the matches as
    namesakes, and at a million generated rows it expected 383k matches where there were
    705k (at 50k it was right), moving every decision by a bit. Here the prior is the
    fixed point of one EM step with m and u held at the scored values: the expected
    matches among the blocked pairs (those outside every block are taken as non-matches),
    spread over all pairs. The likelihood is concave in the prior, so it is unique; it is
    above zero only when the comparisons explain why the blocked pairs were drawn (their
    summed likelihood ratio exceeds the pairs outside), as on real tables. When they do
    not, as with weak comparisons, the EM's share (``start``) stands.
    """
    ratio = np.exp(log_ratio)
    if (counts * ratio).sum() <= all_pairs:
        return start
    prior = start
    for _ in range(iterations):
        odds = prior / (1.0 - prior) * ratio
        updated = float(np.clip((counts * odds / (1.0 + odds)).sum() / all_pairs, 1e-12, 0.5))
        if abs(updated - prior) <= 1e-6 * prior:
            return updated
        prior = updated
    return prior


@dataclass(frozen=True)
class Estimate:
    """What fitting finds: m and u per comparison, their conditional u, the prior, the EM."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    given: list[Given]
    prior: float
    em_iterations: int
    em_converged: bool
    blocked_match_share: float  # EM's estimate of matches among blocked pairs


def estimate(
    *,
    comparisons: Sequence[Comparison],
    random_gammas: pd.DataFrame,
    blocked: PatternCounts,
    payroll_rows: int,
    insured_rows: int,
    max_iterations: int,
    tolerance: float,
) -> Estimate:
    """Estimate m by EM on blocked pairs, u on random pairs, then the prior scoring uses.

    The arguments are ``model.fit``'s.
    """
    sizes = [len(c.levels) for c in comparisons]
    u_random = level_frequencies(random_gammas, comparisons)
    given = _given(random_gammas, comparisons)
    patterns = blocked.patterns()
    pair_prior = 1.0 / max(payroll_rows, insured_rows, 1)
    m, fixed, by_others = _starting_m(
        patterns, blocked, comparisons, u_random, given, prior=pair_prior
    )
    found = _em(
        patterns,
        blocked,
        m,
        u_random,
        fixed,
        payroll_rows=payroll_rows,
        max_iterations=max_iterations,
        tolerance=tolerance,
    )
    # The final m: each comparison's level counts over the pairs that fixed it.
    by_labels = _level_counts(patterns, blocked.labelled.astype(np.float64), sizes)
    level_counts = [
        by_others.get(k, by_labels[k] if k in fixed else c)
        for k, c in enumerate(_level_counts(patterns, found.matched, sizes))
    ]
    final_m = [_smoothed(c) for c in level_counts]
    u_final = _split_by_nonmatches(
        patterns,
        blocked.pairs - blocked.labelled,
        _log_ratio_terms(patterns, final_m, u_random, given),
        comparisons,
        u_random,
        prior=pair_prior,
    )
    all_pairs = float(payroll_rows) * insured_rows
    prior = consistent_prior(
        blocked.pairs,
        _log_ratio_terms(patterns, final_m, u_final, given).sum(axis=1),
        all_pairs=all_pairs,
        start=float(np.clip(found.matches / max(all_pairs, 1.0), 1e-12, 0.5)),
    )
    return Estimate(
        m=final_m,
        u=u_final,
        given=given,
        prior=prior,
        em_iterations=found.iterations,
        em_converged=found.converged,
        blocked_match_share=float(found.matches / max(blocked.pairs.sum(), 1.0)),
    )


def _starting_m(
    patterns: np.ndarray,
    blocked: PatternCounts,
    comparisons: Sequence[Comparison],
    u_random: Sequence[np.ndarray],
    given: Sequence[Given],
    *,
    prior: float,
) -> tuple[list[np.ndarray], list[int], dict[int, np.ndarray]]:
    """The m EM starts from, the comparisons whose m it leaves alone, those others measured.

    Semi-supervised: with enough exact-ID links, m of every comparison they say something
    about stays at what they show (on a foreign set it equals m measured with the truth,
    level by level). EM then fits only the rest (the ID comparison itself, which the labels
    show all "exact") and the share. Free, EM drifted to describe namesakes once a blocking
    rule changed (match share 0.05 -> 0.18, precision 0.997 -> 0.983).
    """
    sizes = [len(c.levels) for c in comparisons]
    labelled = blocked.labelled
    if labelled.any():
        m = _reestimate(patterns, labelled, sizes)
    else:
        m = [np.linspace(1.0, float(size), size) / (size * (size + 1) / 2) for size in sizes]
    fixed = [
        k
        for k in (_informative(m) if labelled.sum() >= MIN_LABELLED else [])
        if not getattr(comparisons[k], "labels_chosen_by", False)
    ]
    by_others = _measured_by_others(
        patterns,
        blocked.pairs,
        [m[k] if k in fixed else None for k in range(len(sizes))],
        _log_ratio_terms(patterns, m, u_random, given),
        sizes,
        prior=prior,
    )
    for k, level_count in by_others.items():
        m[k] = _smoothed(level_count)
    return m, fixed + list(by_others), by_others


@dataclass(frozen=True)
class _EMResult:
    """Where EM stopped: the pairs it counts as matches, and how it got there."""

    matched: np.ndarray  # pairs per pattern counted as matches, labelled or found
    matches: float  # expected matches among the blocked pairs
    iterations: int
    converged: bool


def _em(
    patterns: np.ndarray,
    blocked: PatternCounts,
    m: list[np.ndarray],
    u_random: Sequence[np.ndarray],
    fixed: Sequence[int],
    *,
    payroll_rows: int,
    max_iterations: int,
    tolerance: float,
) -> _EMResult:
    """EM over the unlabelled blocked pairs, m of ``fixed`` comparisons held, u free."""
    sizes = [len(share) for share in m]
    labelled = blocked.labelled
    unlabelled = blocked.pairs - labelled
    u = [share.copy() for share in u_random]
    # EM runs over the unlabelled pairs: the labelled ones are matches, known.
    rest = max(payroll_rows - labelled.sum(), 1.0) / max(unlabelled.sum(), 1.0)
    share_rest = max(min(rest, 0.5), 1e-4)

    iterations, converged = 0, False
    # Without a blocked pair (a registry of one record, say) there is nothing to learn
    # from: m keeps its starting values and no pair will be scored with it anyway.
    rounds = max_iterations if unlabelled.sum() > 0 else 0
    matched = labelled.astype(np.float64)  # pairs counted as matches, labelled or found
    for iterations in range(1, rounds + 1):  # noqa: B007 - reported after the loop
        log_match = np.log(share_rest) + _log_probabilities(patterns, m)
        log_other = np.log1p(-share_rest) + _log_probabilities(patterns, u)
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_other - log_match, -700, 700)))
        found = posterior * unlabelled
        matched = found + labelled
        new_m = _reestimate(patterns, matched, sizes)
        for k in fixed:
            new_m[k] = m[k]
        u = _reestimate(patterns, unlabelled - found, sizes)
        previous, share_rest = (
            share_rest,
            float(np.clip(found.sum() / unlabelled.sum(), 1e-6, 1 - 1e-6)),
        )
        change = max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True))
        change = max(change, abs(share_rest - previous))  # fixed m alone would stop at once
        m = new_m
        if change < tolerance:
            converged = True
            break
    matches = labelled.sum() + (share_rest * unlabelled.sum() if rounds else 0.0)
    return _EMResult(matched, matches, iterations, converged)
