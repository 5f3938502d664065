"""The data series behind each chart of the report: small tables computed from a run's files.

Pure pandas: each function takes what a run wrote (links, the model's JSON, candidates,
rejects) and returns the table that is both drawn and printed. No names, IDs or salaries
leave these functions: only counts, weights and probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkage.load.labels import Label, Labels
from linkage.privacy import mask_citizen_code
from linkage.schema import CandidateReason

BIN_WIDTH = 2.0  # log2 units per histogram bin: one bin doubles or halves the odds twice
UNKNOWN_DISTRICT = "employer not in the business registry"


def weight_bins(links: pd.DataFrame, *, bin_width: float = BIN_WIDTH) -> pd.DataFrame:
    """Links per match-weight bin, one count column per link method, then ``total``.

    Bins are ``[bin_start, bin_end)`` on multiples of ``bin_width``.
    """
    weights = links["match_weight"].astype("float64").to_numpy()
    methods, names = pd.factorize(links["method"], use_na_sentinel=False)
    if len(weights) == 0:
        return pd.DataFrame({"bin_start": [], "bin_end": [], "total": []})
    low = math.floor(weights.min() / bin_width) * bin_width
    high = (math.floor(weights.max() / bin_width) + 1) * bin_width
    edges = np.arange(low, high + bin_width / 2, bin_width)
    table = pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:]})
    for code, method in sorted(enumerate(map(str, names)), key=lambda item: item[1]):
        counts, _ = np.histogram(weights[methods == code], bins=edges)
        table[method] = counts.astype("int64")
    table["total"] = table.drop(columns=["bin_start", "bin_end"]).sum(axis=1)
    return table


def model_levels(model: dict[str, Any]) -> pd.DataFrame:
    """Per comparison level of a saved model: m, u, the weight log2(m/u), tf adjustment."""
    records = []
    for comparison in model["comparisons"]:
        tf = {int(level) for level in comparison.get("tf_levels", {})}
        for index, (level, m, u) in enumerate(
            zip(comparison["levels"], comparison["m"], comparison["u"], strict=True)
        ):
            records.append(
                {
                    "comparison": comparison["name"],
                    "level": level,
                    "m": float(m),
                    "u": float(u),
                    "weight": math.log2(float(m) / float(u)),
                    "term_frequency": index in tf,
                }
            )
    return pd.DataFrame.from_records(records)


def truth_pairs(labels: Labels, *, masked: bool) -> set[tuple[str, str]]:
    """The (record_id, si_code) pairs labelled match, SI codes masked like the run's."""
    pairs = labels.pairs[labels.pairs["label"] == Label.MATCH.value]
    record = pairs["record_id"].astype(str)
    code = pairs["si_code"].astype(str)
    if masked:
        code = code.map(mask_citizen_code)
    return set(zip(record, code, strict=True))


@dataclass(frozen=True)
class PrecisionRecall:
    """The curve over every link weight, a table at round thresholds, the run's own point."""

    curve: pd.DataFrame  # match_weight, links, true_links, precision, recall
    table: pd.DataFrame  # the same at the table's thresholds, with f1
    run_point: tuple[float, float, float]  # precision, recall, f1 of the match band
    truth_links: int


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _in_truth(links: pd.DataFrame, truth: set[tuple[str, str]]) -> np.ndarray:
    """Per link: whether its (record_id, si_code) is a truth pair (vectorized)."""
    pairs = pd.MultiIndex.from_arrays(
        [links["record_id"].astype(str), links["si_code"].astype(str)]
    )
    return np.asarray(pairs.isin(list(truth)), dtype=bool) if truth else np.zeros(len(links), bool)


def precision_recall(
    links: pd.DataFrame,
    truth: set[tuple[str, str]],
    *,
    thresholds: list[float],
) -> PrecisionRecall:
    """Precision and recall of "link every stored link at or above weight t", for each t.

    Recall counts every truth pair, as the validation scorer does; the run stores only
    links in the review band or better, so the curve ends at the run's lowest link.
    """
    ordered = links.sort_values("match_weight", ascending=False, kind="stable")
    hit = _in_truth(ordered, truth)
    weights = ordered["match_weight"].astype("float64").to_numpy()
    true_links = np.cumsum(hit)
    count = np.arange(1, len(hit) + 1)
    total = max(len(truth), 1)
    last = np.r_[weights[1:] != weights[:-1], True]  # cut only between distinct weights
    curve = pd.DataFrame(
        {
            "match_weight": weights[last],
            "links": count[last],
            "true_links": true_links[last],
            "precision": true_links[last] / count[last],
            "recall": true_links[last] / total,
        }
    )
    curve["f1"] = 2 * curve["true_links"] / (curve["links"] + total)
    rows = []
    for threshold in thresholds:
        kept = int(np.searchsorted(-weights, -threshold, side="right"))
        found = int(true_links[kept - 1]) if kept else 0
        precision = found / kept if kept else 0.0
        recall = found / total
        rows.append(
            {
                "match_weight_at_least": threshold,
                "match_probability_at_least": 1.0 / (1.0 + 2.0**-threshold),
                "links": kept,
                "true_links": found,
                "precision": precision,
                "recall": recall,
                "f1": _f1(precision, recall),
            }
        )
    band = links["band"].astype(str) == "match"
    matched = links[band.to_numpy()]
    found = int(_in_truth(matched, truth).sum())
    precision = found / len(matched) if len(matched) else 0.0
    recall = found / total
    return PrecisionRecall(
        curve=curve,
        table=pd.DataFrame.from_records(rows),
        run_point=(precision, recall, _f1(precision, recall)),
        truth_links=len(truth),
    )


def district_sizes(candidates: pd.DataFrame, *, top: int) -> tuple[pd.DataFrame, int]:
    """The ``top`` largest outreach lists: candidates per reason and district, and a total.

    Returns:
        The table (province_code, district_code, district_name, one column per reason,
        total), largest first, and how many districts have a list at all.
    """
    keys = ["province_code", "district_code", "district_name"]
    frame = candidates[[*keys, "reason"]].astype(object)
    frame["district_name"] = frame["district_name"].where(
        frame["district_name"].notna(), UNKNOWN_DISTRICT
    )
    wide = frame.pivot_table(index=keys, columns="reason", aggfunc="size", fill_value=0)
    order = [r.value for r in CandidateReason]
    wide.columns = [str(column) for column in wide.columns]
    wide = wide[sorted(wide.columns, key=lambda c: (order.index(c) if c in order else 99, c))]
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False, kind="stable").astype("int64")
    return wide.head(top).reset_index(), len(wide)


def reject_counts(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected input rows per reason (rows) and source (columns), with a total, largest first."""
    frame = rejects[["reason", "source"]].astype(str)
    wide = frame.pivot_table(index="reason", columns="source", aggfunc="size", fill_value=0)
    wide.columns = [str(column) for column in wide.columns]
    wide["total"] = wide.sum(axis=1)
    return wide.sort_values("total", ascending=False, kind="stable").astype("int64").reset_index()
