"""``linkage report``: one offline HTML page of a run's charts, their numbers and what to read.

Sections, each a chart, a caption saying what to look at and the data series as a table:
match weights of the links with the review and match thresholds; m and u per comparison
level from ``model.json``; precision and recall over thresholds when truth labels are
given; outreach list sizes of the largest districts; rejected rows per reason. Only counts,
weights and probabilities appear: no name, ID or salary. A run writes ``report.html`` into
its output when matplotlib is installed (``stage_run_report``); ``write_report`` writes
one for any run, and ``write_chart`` saves ``linkage explain``'s waterfall.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pandas as pd

from linkage.analysis import charts
from linkage.analysis.report.page import (
    Section,
    check_target,
    page,
    write_owned,
    written_by_linkage,
)
from linkage.analysis.report.series import (
    BIN_WIDTH,
    district_sizes,
    model_levels,
    precision_recall,
    reject_counts,
    truth_pairs,
    weight_bins,
)
from linkage.config import Config
from linkage.errors import ConfigError
from linkage.load.labels import Labels, read_labels
from linkage.logs import event, log, warning
from linkage.write import REPORT, output_lock

__all__ = ["REPORT", "TOP_DISTRICTS", "stage_run_report", "write_chart", "write_report"]

TOP_DISTRICTS: Final = 20
_DISTRICT_COLUMNS: Final = ["reason", "province_code", "district_code", "district_name"]


def _json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        msg = f"--run {path.parent}: not a linkage output (no readable {path.name})"
        raise ConfigError(msg) from e
    if not isinstance(document, dict):
        msg = f"--run {path.parent}: {path.name} is not linkage's"
        raise ConfigError(msg)
    return document


def _candidates(run: Path) -> pd.DataFrame:
    folder = run / "candidates"
    if not folder.exists():
        return pd.DataFrame({column: [] for column in _DISTRICT_COLUMNS})
    return pd.read_parquet(folder, columns=_DISTRICT_COLUMNS, dtype_backend="pyarrow")


def _weights_section(links: pd.DataFrame, review: float, match: float) -> Section:
    caption = (
        "Each payroll row's best link (review band or better; rows without one are not in "
        "links.parquet), by match weight: log2 of the odds that the pair is one person. "
        f"Left dashed line: review threshold ({review:+.2f}); right: match threshold "
        f"({match:+.2f}). Look for a clear valley between the thresholds and the bulk of "
        "the links: a hump near the lines means many uncertain pairs for the clerks. "
        "Exact-ID links (national_id, taxpayer) are linked on the ID and may sit anywhere; "
        "those left of the lines had the rest of their evidence disagree."
    )
    if links.empty:
        return Section("weights", "Match weights", caption, note="The run stored no link.")
    bins = weight_bins(links)
    png = charts.weight_histogram(
        bins.drop(columns=["total"]), review_weight=review, match_weight=match
    )
    return Section("weights", "Match weights", caption, png=png, table=bins)


def _model_section(model: dict[str, Any]) -> Section:
    levels = model_levels(model)
    caption = (
        "m: share of true matches at the level; u: share of non-matches. The further apart "
        "the bars, the stronger the evidence (weight log2(m/u), at right). Look for "
        "agreement levels with m near half a match (none of the fitted matches was seen there) "
        "and for agreeing levels with m below u, a sign the fit described something other than "
        "matches. On term-frequency levels u is an average: a common name weighs less."
    )
    png = charts.m_u_levels(levels)
    return Section("model", "m and u per comparison level", caption, png=png, table=levels)


def _precision_section(
    links: pd.DataFrame, labels: Labels | None, *, masked: bool, review: float, match: float
) -> Section:
    caption = (
        "Precision and recall against the truth labels if every stored link at or above a "
        "match-weight threshold were accepted, the threshold falling from left to right. "
        "Marked: the two thresholds and the run's own links (match band, which also takes "
        "exact-ID links whatever their weight). Look for the knee: past it recall gains "
        "little and precision falls; the run's point should sit near it."
    )
    heading = "Precision and recall over thresholds"
    if labels is None:
        note = "No labels given: run linkage report --labels FILE (record_id,si_code)."
        return Section("precision", heading, caption, note=note)
    truth = truth_pairs(labels, masked=masked)
    if links.empty or not truth:
        return Section("precision", heading, caption, note="No links or no labels to compare.")
    weights = links["match_weight"]
    low, high = float(weights.min()), float(weights.max())
    steps = [BIN_WIDTH * k for k in range(int(low // BIN_WIDTH), int(high // BIN_WIDTH) + 1)]
    result = precision_recall(links, truth, thresholds=sorted({*steps, review, match}))
    table = result.table
    marks = {}
    for name, threshold in (("review threshold", review), ("match threshold", match)):
        row = table[table["match_weight_at_least"] == threshold].iloc[0]
        marks[name] = (float(row["recall"]), float(row["precision"]))
    precision, recall, f1 = result.run_point
    marks["the run's links"] = (recall, precision)
    note = (
        f"{result.truth_links:,} true links. The run's links: precision {precision:.4f}, "
        f"recall {recall:.4f}, F1 {f1:.4f}."
    )
    png = charts.precision_recall(
        result.curve, marks=marks, review_weight=review, match_weight=match
    )
    return Section("precision", heading, caption, png=png, table=table, note=note)


def _districts_section(candidates: pd.DataFrame, top: int) -> Section:
    heading = f"Outreach list sizes, largest {top} districts"
    caption = (
        "Candidates per district list (pre-2025 district of the employer), by reason. Look "
        "for districts whose list is far larger than their payroll share would suggest, and "
        "for many workers under the unknown district: employers missing from the business "
        "registry, whose lists reach no office."
    )
    if candidates.empty:
        return Section("districts", heading, caption, note="No outreach candidates.")
    sizes, districts = district_sizes(candidates, top=top)
    labels = (
        sizes["province_code"].astype(str)
        + "-"
        + sizes["district_code"].astype(str)
        + " "
        + sizes["district_name"].astype(str)
    )
    png = charts.bars(
        sizes.drop(columns=["province_code", "district_code", "district_name", "total"]).set_axis(
            labels
        ),
        title=heading,
        xlabel="candidates",
    )
    note = f"{districts:,} districts have a list; {len(candidates):,} candidates in all."
    return Section("districts", heading, caption, png=png, table=sizes, note=note)


def _rejects_section(rejects: pd.DataFrame) -> Section:
    heading = "Rejected rows per reason"
    caption = (
        "Input rows that could not be used at all, per reason and source (file, line and "
        "column of each in rejects.parquet). Look for a reason that is new or grew since the "
        "last run: a changed export layout or vocabulary, not bad data, is the usual cause."
    )
    if rejects.empty:
        return Section("rejects", heading, caption, note="No row was rejected.")
    counts = reject_counts(rejects)
    png = charts.bars(
        counts.set_index("reason").drop(columns=["total"]), title=heading, xlabel="rows"
    )
    return Section("rejects", heading, caption, png=png, table=counts)


def build_report(
    run: Path, config: Config, *, labels: Path | None = None, districts: int = TOP_DISTRICTS
) -> bytes:
    """The report page of the run at ``run``, thresholds from ``config``.

    Raises:
        ConfigError: ``run`` is not a linkage output, or matplotlib is missing.
        InputError: the labels cannot be read.
    """
    manifest = _json(run / "manifest.json")
    if not {"run_id", "linkage_version"} <= manifest.keys():
        msg = f"--run {run}: not a linkage output (manifest.json is not linkage's)"
        raise ConfigError(msg)
    charts.require()
    truth = read_labels(labels) if labels is not None else None  # refused before any drawing
    model = _json(run / "model.json")
    pairs = ["record_id", "si_code"] if truth is not None else []  # only to score the links
    links = pd.read_parquet(
        run / "links.parquet",
        columns=[*pairs, "match_weight", "band", "method"],
        dtype_backend="pyarrow",
    )
    rejects = pd.read_parquet(run / "rejects.parquet", columns=["source", "reason"])
    recorded = manifest.get("link", {}).get("thresholds")
    if recorded:  # the run's own, from its manifest
        review_p, match_p = recorded["review_probability"], recorded["match_probability"]
        origin = "the run's manifest"
    else:
        review_p, match_p = config.link.review_probability, config.link.match_probability
        origin = config.source.name
    review, match = charts.weight_of(review_p), charts.weight_of(match_p)
    accounting = manifest.get("accounting", {})
    bands = links["band"].astype(str).value_counts()
    facts = {
        "run": str(manifest["run_id"]),
        "started": str(manifest.get("started_at", "")),
        "linkage": str(manifest["linkage_version"]),
        "rule set": str(manifest.get("rule_set", "")),
        "payroll rows read": f"{accounting.get('payroll_rows_read', 0):,}",
        "links": f"{bands.get('match', 0):,} match, {bands.get('review', 0):,} review",
        "candidates": f"{sum(accounting.get('candidate', {}).values()):,}",
        "rejected rows": f"{len(rejects):,} (payroll {accounting.get('rejected', 0):,})",
        "thresholds": (
            f"review at probability {review_p:g} (weight {review:+.2f}), match at "
            f"{match_p:g} (weight {match:+.2f}), from {origin}"
        ),
    }
    if not recorded and manifest.get("config_sha256") != config.digest:
        facts["warning"] = (
            f"the thresholds come from {config.source}, not the configuration file the run "
            "used; give the run's own with --config"
        )
    sections = [
        _weights_section(links, review, match),
        _model_section(model),
        _precision_section(
            links, truth, masked=bool(manifest.get("mask_ids")), review=review, match=match
        ),
        _districts_section(_candidates(run), districts),
        _rejects_section(rejects),
    ]
    title = f"linkage run {manifest['run_id']}"
    return page(title, facts, sections, run_id=str(manifest["run_id"]))


def _write(run: Path, config: Config, out: Path, *, labels: Path | None, districts: int) -> Path:
    check_target(out, "--out", (".html",))
    write_owned(out, build_report(run, config, labels=labels, districts=districts))
    return out


def write_report(
    run: Path,
    config: Config,
    *,
    out: Path | None = None,
    labels: Path | None = None,
    districts: int = TOP_DISTRICTS,
) -> Path:
    """Write the report of the run at ``run`` to ``out`` (default ``run/report.html``).

    Writing into the run's folder takes its lock, so no run replaces the output meanwhile.

    Raises:
        ConfigError: not a linkage output, an ``out`` linkage did not write, or no matplotlib.
        OutputLocked: a live run is writing the output.
        InputError: the labels cannot be read.
    """
    target = out if out is not None else run / REPORT
    check_target(target, "--out", (".html",))
    _json(run / "manifest.json")  # a plain message for a folder that is no output
    inside = target.resolve().parent == run.resolve()
    if not inside:
        return _write(run, config, target, labels=labels, districts=districts)
    with output_lock(run):
        _clear_partials(target)
        return _write(run, config, target, labels=labels, districts=districts)


def _clear_partials(target: Path) -> None:
    """Remove temporary files a killed writer left beside ``target`` (call holding the lock)."""
    for partial in target.parent.glob(f".{target.name}.partial-*"):
        partial.unlink(missing_ok=True)


def run_report(config: Config) -> Callable[[Path], None] | None:
    """The pipeline's report hook: what writes ``report.html`` into a staged output.

    Without matplotlib, None and a warning: the run publishes without a report (and drops a
    stale one, which would describe another run).
    """
    if not charts.available():
        warning(
            "report skipped",
            f"report.html not written: matplotlib is not installed ({charts.INSTALL_HINT})",
        )
        return None
    return lambda folder: stage_run_report(folder, config)


def stage_run_report(folder: Path, config: Config) -> None:
    """Write ``report.html`` into a run's staging ``folder``, published with the rest.

    Skipped with a logged note without matplotlib, or when the output holds a user's own
    ``report.html``, which stays as it is.
    """
    if not charts.available():
        event("report", skipped="matplotlib is not installed", hint=charts.INSTALL_HINT)
        return
    mine = config.output.dir / REPORT
    if mine.exists() and not written_by_linkage(mine):
        log.warning("report not written: %s is a file linkage did not write", mine)
        return
    _write(folder, config, folder / REPORT, labels=None, districts=TOP_DISTRICTS)
    event("report", file=REPORT)


def write_chart(path: Path, chart: charts.Waterfall, steps: pd.DataFrame) -> None:
    """Save an explain waterfall as a PNG, or as a one-chart HTML page with its numbers.

    Raises:
        ConfigError: ``path`` is not .png or .html, or a file linkage did not write.
    """
    check_target(path, "--chart", (".png", ".html"))
    png = charts.waterfall(chart)
    if path.suffix.lower() == ".png":
        write_owned(path, png)
        return
    caption = (
        "Bars climb from the prior (the odds that two random records are one person) by each "
        "comparison's weight to the total: green for the match, red against. The pair links "
        "when the total reaches the match line; between the lines it goes to review."
    )
    section = Section("waterfall", "Weight by comparison", caption, png=png, table=steps)
    write_owned(path, page(chart.title, {}, [section]))
