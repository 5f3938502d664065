"""Scoring a chunk's compared pairs: their weights, their rows' masses, the pairs kept.

A chunk holds every pair of its payroll rows, so a row's mass (``row_masses``) is whole
within its chunk and each pair's probability (``row_probability``) is computed there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkage.link.blocking import combined_codes
from linkage.link.comparing import EXACT_METHODS, Compared
from linkage.link.comparison_base import Columns, Comparison
from linkage.link.model import FellegiSunterModel
from linkage.link.row_model import row_masses, row_probability


@dataclass(frozen=True)
class Scorer:
    """How the run scores a pair: its comparisons, its model, the records' term frequencies."""

    comparisons: list[Comparison]
    model: FellegiSunterModel
    frequencies: dict[str, np.ndarray]  # ``record_frequencies``


def record_frequencies(right: Columns, comparisons: Sequence[Comparison]) -> dict[str, np.ndarray]:
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


def person_codes(insured: pd.DataFrame) -> np.ndarray:
    """One code per person (national ID) for each insured record, -1 without one."""
    codes: np.ndarray = pd.factorize(insured["national_id"])[0]
    return codes


def chunk_scores(
    compared: Compared,
    *,
    persons: np.ndarray,
    comparisons: list[Comparison],
    model: FellegiSunterModel,
    frequencies: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A chunk's scores, each pair's log2 likelihood ratio, its rows and their masses."""
    chunk = compared.chunk
    gammas = pd.DataFrame(chunk.gammas, columns=[c.name for c in comparisons])
    scores = model.score(gammas, {k: v[chunk.insured_pos] for k, v in frequencies.items()})
    log2_ratio = scores["match_weight"].to_numpy() - model.prior_weight
    return scores, log2_ratio, row_masses(chunk.payroll_pos, persons[chunk.insured_pos], log2_ratio)


def chunk_masses(compared: Compared, **scoring: Any) -> np.ndarray:
    """The masses of a chunk's rows with candidates, for ``row_prior``."""
    return chunk_scores(compared, **scoring)[2][1]


def chunk_contenders(
    compared: Compared,
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
    scores, log2_ratio, (rows, masses) = chunk_scores(
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
        "method": EXACT_METHODS[chunk.method[keep]],
        "match_weight": scores["match_weight"].to_numpy()[keep],
        "match_probability": probability[keep],
    }
    for k, c in enumerate(comparisons):
        columns[f"gamma_{c.name}"] = chunk.gammas[keep, k]
        columns[f"weight_{c.name}"] = scores[f"weight_{c.name}"].to_numpy()[keep]
    return pd.DataFrame(columns)
