"""``linkage sweep``: links and outreach list sizes a run would give at other match thresholds.

For each threshold the payroll is linked again with the run's model, as ``linkage run
--model`` with ``[link].match_probability`` set to it would link (review threshold
``min(run's, threshold)``), and eligibility is decided again on those links. A row whose
best pair falls below the review band is unlinked, so it is listed ``uninsured`` unless a
rule excludes it; one in the review band is listed ``review``. The list sizes are therefore
the ones such a run would publish, per outreach unit and overall.

Link quality per threshold: with labels (``linkage.load.labels``), precision, recall and F1 of the
automatic links; always, the fastLink-style *model-based estimates*: expected false matches
(the sum of 1 - p over automatic links) and expected missed matches (the sum of p over the
best pairs left unlinked or in review). The estimates are only as good as the model's
calibration; labels measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from linkage.analysis.runs import OpenedRun, best_pairs, decide_as_run
from linkage.load.labels import Labels, pair_quality
from linkage.pipeline import Progress
from linkage.schema import UNIT_KEYS, Band, CandidateReason, Disposition
from linkage.write.files import check_new_file, create_new_file

DEFAULT_THRESHOLDS: Final = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
REASONS: Final = tuple(r.value for r in CandidateReason)
ESTIMATE_NOTE: Final = (
    "expected_false_matches and expected_missed_matches are model-based estimates from the "
    "match probabilities (fastLink-style), not measurements"
)
COUNTS: Final = (
    "links",
    "review_links",
    "listed",
    *(f"listed_{reason}" for reason in REASONS),
)
ESTIMATES: Final = ("expected_false_matches", "expected_missed_matches", "expected_matches")
QUALITY: Final = ("labelled_pairs", "precision", "recall", "f1")


def _per_row(pairs: pd.DataFrame, dispositions: pd.DataFrame) -> pd.DataFrame:
    """Per payroll row: its unit, whether it is listed and why, and its best pair's band and p."""
    best = pairs[["record_id", "band", "match_probability"]].astype(
        {"record_id": object, "band": object, "match_probability": "float64"}
    )
    rows = dispositions[[*UNIT_KEYS, "record_id", "disposition", "reason"]].astype(object)
    rows = rows.merge(best, on="record_id", how="left", sort=False)
    p = rows["match_probability"].to_numpy(dtype="float64", na_value=np.nan)
    linked = (rows["band"] == Band.MATCH.value).to_numpy(dtype=bool)
    met = ~np.isnan(p)
    listed = (rows["disposition"] == Disposition.CANDIDATE.value).to_numpy(dtype=bool)
    columns = {
        "links": linked,
        "review_links": (rows["band"] == Band.REVIEW.value).to_numpy(dtype=bool),
        "listed": listed,
        **{
            f"listed_{reason}": listed & (rows["reason"] == reason).to_numpy(dtype=bool)
            for reason in REASONS
        },
        "expected_false_matches": np.where(linked, 1.0 - p, 0.0),
        "expected_missed_matches": np.where(met & ~linked, p, 0.0),
        "expected_matches": np.where(met, p, 0.0),
    }
    return pd.DataFrame({**{k: rows[k] for k in UNIT_KEYS}, **columns})


def _at(run: OpenedRun, threshold: float, labels: Labels | None) -> pd.DataFrame:
    """The sweep rows of one threshold: overall first, then one per outreach unit."""
    pairs = best_pairs(run, threshold)
    dispositions = decide_as_run(run, pairs)
    rows = _per_row(pairs, dispositions)
    measures = [*COUNTS, *ESTIMATES]
    units = rows.groupby(UNIT_KEYS, sort=True, dropna=False)[measures].sum().reset_index()
    overall = pd.DataFrame([rows[measures].sum()]).assign(
        **dict.fromkeys(UNIT_KEYS, None), scope="overall"
    )
    table = pd.concat([overall, units.assign(scope="district")], ignore_index=True)
    quality = pair_quality(pairs, labels) if labels is not None else None
    for name in QUALITY:
        attribute = "labelled" if name == "labelled_pairs" else name
        value = math.nan if quality is None else float(getattr(quality, attribute))
        table[name] = np.where(table["scope"] == "overall", value, np.nan)
    table["labels"] = labels.kind if labels is not None else "none"
    return table.assign(threshold=threshold)


def _names(run: OpenedRun) -> pd.DataFrame:
    """District names per outreach unit, from the run's summary (empty if it has none)."""
    path = run.folder / "summary.parquet"
    if not path.is_file():
        return pd.DataFrame(columns=[*UNIT_KEYS, "district_name"])
    names = pd.read_parquet(path, columns=[*UNIT_KEYS, "district_name"]).astype(object)
    return names.drop_duplicates(UNIT_KEYS)


def sweep(
    run: OpenedRun,
    thresholds: Sequence[float],
    labels: Labels | None = None,
    progress: Progress = lambda stage: None,
) -> pd.DataFrame:
    """One row per threshold overall (``scope`` = overall) and per outreach unit.

    Counts are payroll rows: ``links`` automatic links, ``review_links`` links in the review
    band, ``listed`` rows on an outreach list (and per reason). See the module docstring for
    the estimates and ``labels.pair_quality`` for precision and recall (overall rows only).
    """
    parts = []
    for threshold in sorted(set(thresholds)):
        progress(f"threshold {threshold:g}: linking with the run's model, deciding eligibility")
        parts.append(_at(run, threshold, labels))
    table = pd.concat(parts, ignore_index=True)
    table = table.merge(_names(run), on=UNIT_KEYS, how="left", sort=False)
    integers = {name: "int64" for name in COUNTS}
    table = table.astype(integers)
    columns = [
        "threshold",
        "scope",
        *UNIT_KEYS,
        "district_name",
        *COUNTS,
        *ESTIMATES,
        "labels",
        *QUALITY,
    ]
    table = table[columns].astype({"labelled_pairs": "Int64"})
    table["labelled_pairs"] = table["labelled_pairs"].where(table["scope"] == "overall")
    return table.reset_index(drop=True)


def check_out(out: Path) -> None:
    """Refuse a sweep's ``--out`` unless it and the CSV written beside it are new.

    Raises:
        ConfigError: ``out`` is not a new .parquet path, or its CSV exists.
    """
    check_new_file(out, (".parquet",), beside=(out.with_suffix(".csv"),))


def write_sweep(table: pd.DataFrame, out: Path) -> tuple[Path, Path]:
    """Write ``table`` to ``out`` (Parquet, with the estimate note as metadata) and as CSV."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_out(out)
    parquet, csv = out, out.with_suffix(".csv")
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    metadata = {**(arrow.schema.metadata or {}), b"note": ESTIMATE_NOTE.encode()}
    noted = arrow.replace_schema_metadata(metadata)
    create_new_file(parquet, lambda temp: pq.write_table(noted, temp))
    create_new_file(csv, lambda temp: table.to_csv(temp, index=False))
    return parquet, csv


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_sweep(table: pd.DataFrame, run_threshold: float) -> str:
    """The overall rows as a compact terminal table, the run's threshold marked."""
    overall = table[table["scope"] == "overall"]
    labelled = bool((overall["labels"] != "none").any())
    columns = {
        "threshold": ("t", 2),
        "links": ("links", 0),
        "review_links": ("rev_band", 0),
        "listed": ("listed", 0),
        "listed_uninsured": ("uninsured", 0),
        "listed_review": ("to_review", 0),
        "listed_lapsed": ("lapsed", 0),
        "listed_under_declared": ("under_decl", 0),
        "expected_false_matches": ("exp_false", 1),
        "expected_missed_matches": ("exp_missed", 1),
    }
    if labelled:
        columns |= {"precision": ("precision", 4), "recall": ("recall", 4), "f1": ("f1", 4)}
    rows = [[header for header, _ in columns.values()]]
    for record in overall.to_dict("records"):
        cells = []
        for name, (_, digits) in columns.items():
            value = record[name]
            value = int(value) if name in COUNTS else float(value)
            cells.append(_cell(value, digits))
        if math.isclose(record["threshold"], run_threshold):
            cells[0] += "*"
        rows.append(cells)
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    kind = overall["labels"].iloc[0] if len(overall) else "none"
    lines.append(f"* the run's match threshold ({run_threshold:g}); counts are payroll rows")
    lines.append(f"note: {ESTIMATE_NOTE}")
    if labelled:
        lines.append(f"precision, recall and F1: automatic links against the {kind} file")
    return "\n".join(lines)
