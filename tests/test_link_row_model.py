"""The row model: a pair's probability is its row's, against no match or another candidate."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.link.model import row_masses, row_prior, row_probability

# A pattern's P among matches (m) and among random records (u); pattern 0 is never blocked.
M_OF = np.array([0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.28])
U_OF = np.r_[0.0, 0.01 * 0.3 ** np.arange(1.0, 10.0)]
U_OF[0] = 1.0 - U_OF.sum()
RECORDS = 2_000


def _world(
    seed: int, rho: float, rows: int = 20_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Rows, each with a match among its candidates with probability rho, plus namesakes."""
    rng = np.random.default_rng(seed)
    rows_of: list[np.ndarray] = []
    patterns: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    has_match = rng.random(rows) < rho
    for x in range(1, len(M_OF)):
        namesakes = rng.poisson(RECORDS * U_OF[x], rows)
        rows_of.append(np.repeat(np.arange(rows), namesakes))
        patterns.append(np.full(namesakes.sum(), x))
        rights.append(np.zeros(namesakes.sum(), bool))
    match_pattern = rng.choice(len(M_OF), p=M_OF, size=rows)
    rows_of.append(np.flatnonzero(has_match))
    patterns.append(match_pattern[has_match])
    rights.append(np.ones(has_match.sum(), bool))
    row, pattern, right = (np.concatenate(parts) for parts in (rows_of, patterns, rights))
    return row, np.log2(M_OF[pattern] / U_OF[pattern]), right, rows


@pytest.mark.parametrize("rho", [0.3, 0.7])
def test_the_share_of_rows_with_a_match_is_recovered_and_probabilities_are_calibrated(
    rho: float,
) -> None:
    row, log2_ratio, right, rows = _world(3, rho, rows=40_000)
    person = np.arange(len(row))  # every record its own person
    kept, masses = row_masses(row, person, log2_ratio)
    fitted = row_prior(masses, payroll_rows=rows, insured_rows=RECORDS, start=0.01)
    assert fitted == pytest.approx(rho, abs=0.02)
    probability = row_probability(
        log2_ratio, masses[np.searchsorted(kept, row)], rho=fitted, insured_rows=RECORDS
    )
    # A row's probabilities sum to at most 1, and in each band as many are right as said.
    assert (np.bincount(row, weights=probability) <= 1.0 + 1e-9).all()
    bands = np.digitize(probability, [0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
    measured = [band for band in range(1, 6) if (bands == band).sum() >= 500]
    assert len(measured) >= 3
    for band in measured:
        chosen = bands == band
        assert right[chosen].mean() == pytest.approx(probability[chosen].mean(), abs=0.03)


def test_a_persons_records_count_once_and_two_namesakes_share_the_row() -> None:
    # Row 0: one person with two records (IDs equal). Row 1: two people, equally strong.
    rows, masses = row_masses(
        np.array([0, 0, 1, 1]), np.array([7, 7, 8, -1]), np.array([10.0, 4.0, 10.0, 10.0])
    )
    assert rows.tolist() == [0, 1]
    assert masses.tolist() == [2.0**10, 2.0**11]
    alone, shared = row_probability(
        np.array([10.0, 10.0]), masses, rho=0.5, insured_rows=1_000
    )
    assert alone == pytest.approx(0.512 / (0.5 + 0.512), rel=1e-6)  # the second record adds nothing
    assert shared == pytest.approx(0.512 / (0.5 + 1.024), rel=1e-6)
