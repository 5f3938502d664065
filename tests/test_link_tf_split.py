"""A value's frequency is split over the levels keyed on it as non-matches split it."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.link.comparisons import FullName, Sex
from linkage.link.model import _split_by_nonmatches

REORDERED, EXACT = FullName.levels.index("same_tokens_reordered"), FullName.levels.index("exact")


def _split(scale: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    # Names reordered or exact (both keyed on the sorted name), with the other evidence
    # (sex, standing for every other comparison) far against a match or far for it.
    patterns = np.array([[REORDERED, 0], [EXACT, 0], [REORDERED, 1], [EXACT, 1]])
    counts = np.array([300.0, 2_700.0, 90.0, 10.0]) * scale
    terms = np.array([[0.0, -20.0], [0.0, -20.0], [0.0, 20.0], [0.0, 20.0]])
    name_u = np.full(len(FullName.levels), 1e-6)
    name_u[REORDERED] = 1e-8  # seen once in a million random pairs: noise
    name_u[0] = 1.0 - (name_u.sum() - name_u[0])
    u = [name_u, np.array([0.5, 0.5])]
    return u, _split_by_nonmatches(patterns, counts, terms, [FullName(), Sex()], u, prior=1e-6)


def test_the_sure_nonmatches_split_a_keyed_value_and_its_total_stays() -> None:
    u, split = _split(1.0)
    keyed = sorted(level for level, key in FullName.tf_levels.items() if key == "name_sorted")
    assert split[0][keyed].sum() == pytest.approx(u[0][keyed].sum())
    # 300 of 3,000 sure non-matches (the rows the other evidence rules out) show the name
    # reordered; the pairs for a match (90 reordered of 100) do not count
    total = split[0][keyed].sum()
    assert split[0][REORDERED] / total == pytest.approx(300.5 / (3_000 + 0.5 * len(keyed)))
    assert split[0][EXACT] / total == pytest.approx(2_700.5 / (3_000 + 0.5 * len(keyed)))
    unkeyed = [level for level in range(len(FullName.levels)) if level not in keyed]
    assert (split[0][unkeyed] == u[0][unkeyed]).all()
    assert (split[1] == u[1]).all()  # a comparison keyed on nothing keeps its u


def test_too_few_sure_nonmatches_keep_the_random_pairs_split() -> None:
    u, split = _split(0.01)  # 30 sure non-matches
    assert all((a == b).all() for a, b in zip(split, u, strict=True))
