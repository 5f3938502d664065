"""A pair's probability is its row's: against the row having no match, or another candidate.

The row has a match at the run's share of rows with one (``row_prior``), and its
candidates share that probability by their likelihood ratios (``row_masses``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def row_masses(
    payroll_pos: np.ndarray, person: np.ndarray, log2_ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each payroll row's summed likelihood ratio over its candidates: (rows, masses).

    A person's records (one national ID) count once, by the best: a worker with a record
    at each of two employers is one candidate, not two halves of one.
    """
    rows, inverse = np.unique(payroll_pos, return_inverse=True)
    ratio = np.exp2(np.minimum(log2_ratio, 1000.0))
    order = np.argsort(-ratio, kind="stable")
    seen = pd.DataFrame({"row": inverse[order], "person": person[order]}).duplicated()
    repeat = np.zeros(len(ratio), dtype=bool)
    repeat[order] = seen.to_numpy() & (person[order] >= 0)
    kept = ~repeat
    masses = np.bincount(inverse[kept], weights=ratio[kept], minlength=len(rows))
    return rows, masses


def row_prior(masses: np.ndarray, *, payroll_rows: int, insured_rows: int, start: float) -> float:
    """The share of payroll rows with a match among their candidates (EM on the rows).

    ``masses`` are ``row_masses`` of the rows with candidates; the others have none. Row
    i has a match with probability rho, then at any insured record alike (1/M each):
    P(match | row) = rho S_i / (1 - rho + rho S_i) with S_i its mass over M. The
    log-likelihood is concave in rho, so the fixed point is unique.
    """
    share = masses / max(insured_rows, 1)
    rho = float(np.clip(start, 1e-9, 1 - 1e-9))
    for _ in range(500):
        found = rho * share
        updated = float(np.clip((found / (1.0 - rho + found)).sum() / payroll_rows, 1e-9, 1 - 1e-9))
        if abs(updated - rho) <= 1e-7:
            return updated
        rho = updated
    return rho


def row_probability(
    log2_ratio: np.ndarray, masses: np.ndarray, *, rho: float, insured_rows: int
) -> np.ndarray:
    """P(this record is the row's match): its odds against the row having none or another.

    ``masses`` is the row's ``row_masses`` for each pair. Pairwise Fellegi-Sunter weighs a
    lone candidate against "not this record" at 1, as if the row were as likely as not to
    have no match, and ignores its rivals: on the generator its pairs at 0.5-0.65 were
    right 84% of the time. Here a lone candidate competes only with the row having no match
    (1 - rho), and two namesakes of one birth date share the row's probability.
    """
    scale = rho / max(insured_rows, 1)
    ratio = np.exp2(np.minimum(log2_ratio, 1000.0))
    probability: np.ndarray = np.minimum(scale * ratio / (1.0 - rho + scale * masses), 1.0)
    return probability
