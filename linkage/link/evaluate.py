"""Link quality against a truth file: precision, recall, F1, and blocking recall."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from linkage.schema import Band


@dataclass(frozen=True)
class LinkQuality:
    """Precision and recall of automatic links (match band) against true links."""

    true_links: int
    predicted: int
    correct: int
    review: int
    review_correct: int

    @property
    def precision(self) -> float:
        """Share of automatic links that are true."""
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of true links found automatically."""
        return self.correct / self.true_links if self.true_links else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["record_id"].astype(str) + "\x1f" + frame["si_code"].astype(str))


def link_quality(links: pd.DataFrame, truth: pd.DataFrame) -> LinkQuality:
    """Compare links (record_id, si_code, band) with truth (record_id, si_code).

    Truth rows whose record_id is not among the linked payroll rows still count as missed.
    """
    truth_pairs = _pairs(truth.dropna(subset=["record_id", "si_code"]))
    matched = links[links["band"] == Band.MATCH.value]
    review = links[links["band"] == Band.REVIEW.value]
    return LinkQuality(
        true_links=len(truth_pairs.unique()),
        predicted=len(matched),
        correct=int(_pairs(matched).isin(truth_pairs).sum()),
        review=len(review),
        review_correct=int(_pairs(review).isin(truth_pairs).sum()),
    )


def blocking_recall(candidates: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Share of true pairs among the scored candidate pairs: the ceiling on recall."""
    truth_pairs = _pairs(truth.dropna(subset=["record_id", "si_code"])).unique()
    if len(truth_pairs) == 0:
        return 1.0
    return float(truth_pairs.isin(_pairs(candidates)).mean())
