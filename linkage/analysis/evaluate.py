"""Score a run against ground truth: links, blocking, and outreach candidates per reason.

Candidates are scored per outreach entry, a (person, employer) pair, because the engine
lists each worker once per employer however many payroll rows they have. The links truth may
also be a labels file from ``linkage review import`` (a ``label`` column): links are then
judged on the labelled pairs only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.analysis.report import run_report
from linkage.config import Config
from linkage.link import blocking_recall, link_quality
from linkage.load.labels import Labels, pair_quality, read_labels, read_table
from linkage.pipeline import RunReport, run_pipeline
from linkage.schema import CandidateReason, Disposition

REASONS = tuple(r.value for r in CandidateReason)


def candidate_quality(dispositions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per candidate reason, per (person_id, employer) entry.

    Args:
        dispositions: record_id, disposition, reason (``decide`` output).
        truth: record_id, person_id, employer_tax_code, disposition, reason.
    """
    predicted = dispositions[["record_id", "disposition", "reason"]].astype(object)
    listed = predicted[predicted["disposition"] == Disposition.CANDIDATE.value]
    # Rejected copies share their original's entry key; they are scored by the reject counts.
    # An entry's other rows (a generator's truth names them duplicate entries) say no more.
    usable = truth[(truth["disposition"] != "rejected") & (truth["reason"] != "duplicate_entry")]
    rows = usable[["record_id", "person_id", "employer_tax_code", "disposition", "reason"]].merge(
        listed[["record_id", "reason"]].rename(columns={"reason": "predicted"}),
        on="record_id",
        how="left",
    )
    entry = ["person_id", "employer_tax_code"]
    true_reason = (
        rows.groupby(entry)["reason"]
        .first()
        .where(rows.groupby(entry)["disposition"].first() == Disposition.CANDIDATE.value)
    )
    predicted_reason = rows.groupby(entry)["predicted"].first()  # first non-null
    records = []
    for reason in REASONS:
        truly = true_reason == reason
        said = predicted_reason == reason
        hits = int((truly & said).sum())
        records.append(
            {
                "reason": reason,
                "true_entries": int(truly.sum()),
                "listed_entries": int(said.sum()),
                "correct": hits,
                "precision": hits / said.sum() if said.sum() else float("nan"),
                "recall": hits / truly.sum() if truly.sum() else float("nan"),
            }
        )
    return pd.DataFrame(records)


def _truth_report(report: RunReport, true_links: pd.DataFrame) -> list[str]:
    """Link quality and blocking recall against true links (every true pair listed)."""
    quality = link_quality(report.link.links, true_links)
    return [
        f"links: precision {quality.precision:.4f}  recall {quality.recall:.4f}  "
        f"F1 {quality.f1:.4f}  ({quality.correct}/{quality.predicted} correct, "
        f"{quality.true_links} true)",
        f"review band: {quality.review} pairs, {quality.review_correct} of them true",
        f"blocking recall: {blocking_recall(report.link.candidates(), true_links):.4f} "
        f"over {report.link.scored_pairs} scored pairs",
        f"bands: {report.link.band_counts()}",
    ]


def _labelled_report(report: RunReport, labels: Labels) -> list[str]:
    """Link quality against a clerk's labels (``linkage review import``): labelled pairs only."""
    quality = pair_quality(report.link.links, labels)
    judged = quality.true_positives + quality.false_positives
    return [
        f"links against {quality.labelled} labelled pairs ({labels.source.name}): precision "
        f"{quality.precision:.4f}  recall {quality.recall:.4f}  F1 {quality.f1:.4f}  "
        f"({quality.true_positives}/{judged} labelled links correct, "
        f"{quality.false_negatives} labelled matches not linked)",
        "the labels sample pairs near the thresholds: they measure the links there, not the "
        "whole run; blocking recall needs a truth file",
        f"bands: {report.link.band_counts()}",
    ]


def evaluate_run(config: Config, truth: Path, candidates_truth: Path | None) -> str:
    """Run the pipeline on the configured inputs and report its quality against truth."""
    report: RunReport = run_pipeline(config, keep_pairs=True, report=run_report)
    true_links = read_table(truth)
    if "label" in true_links.columns:
        lines = _labelled_report(report, read_labels(truth))
    else:
        lines = _truth_report(report, true_links)
    if candidates_truth is not None:
        table = candidate_quality(report.dispositions, read_table(candidates_truth))
        lines.append(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return "\n".join(lines)
