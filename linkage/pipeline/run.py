"""``run_pipeline``: the stages chained, the rows counted between them, the output published."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from linkage._version import __version__
from linkage.config import Config
from linkage.eligibility import (
    Crosswalk,
    RuleSet,
    candidate_table,
    decide,
    load_crosswalk,
    load_rules,
    office_coverage,
    outreach_units,
    rank_employers,
    registration_report,
    route,
)
from linkage.errors import ConfigError, UserError
from linkage.link import (
    FellegiSunterModel,
    FitReport,
    LinkResult,
    link_records,
    make_comparisons,
)
from linkage.link.engine import open_engine
from linkage.load.labels import Label, read_labels
from linkage.logs import event, peak_rss_mib, warning
from linkage.pipeline.ingest import (
    Progress,
    SourceTable,
    check_input_paths,
    load_inputs,
    source_summary,
    warn_unusable_columns,
)
from linkage.pipeline.refresh import Refresh, previous_run
from linkage.privacy import RunKey, run_key
from linkage.schema import REJECTS, Source, empty
from linkage.write import (
    Manifest,
    RunInfo,
    format_summary,
    format_totals,
    output_lock,
    publish,
    summary_table,
)
from linkage.write.files import sha256_of

SUSPECT_MATCHES_PER_ROW = 2.0  # expected matches per payroll row past which the fit is doubted


@dataclass(frozen=True)
class RunReport:
    """What a run produced, for the CLI and for callers of ``linkage.run``."""

    out_dir: Path
    manifest: Manifest
    link: LinkResult
    dispositions: pd.DataFrame
    summary_text: str  # overall totals, rows per source, links: a few lines
    district_table: str = ""  # the per-district counts of summary.parquet, for -v


def _summary_text(summary: pd.DataFrame, linked: LinkResult, sources: str) -> str:
    """Overall counts, rows per source (``source_summary``), then a line on linking."""
    bands = linked.band_counts()
    fit = linked.model.fit
    return (
        f"{format_totals(summary)}\n{sources}\n"
        "rejected rows, with file, line and reason: rejects.parquet\n"
        f"links: {bands.get('match', 0)} match, {bands.get('review', 0)} review; "
        f"{linked.scored_pairs} pairs scored; model: {fit.em_iterations} EM "
        f"iterations, converged={fit.em_converged}"
    )


def _labelled_matches(path: Path | None, model: FellegiSunterModel | None) -> pd.DataFrame | None:
    """The pairs a clerk labelled match, for fitting; None without a labels file.

    Raises:
        ConfigError: labels given with a saved model, which is not refitted.
    """
    if path is None:
        return None
    if model is not None:
        msg = (
            f"--labels {path}: labels train a model fitted in this run, but a saved model is "
            "reused (--model or --previous); give --refit with --previous, or drop --model"
        )
        raise ConfigError(msg)
    labels = read_labels(path).pairs
    matched: pd.DataFrame = labels.loc[labels["label"] == Label.MATCH.value]
    return matched[["record_id", "si_code"]]


def _link_settings(config: Config) -> dict[str, Any]:
    """For the manifest: the decision thresholds the analyst tools redraw, and the labels."""
    link = config.link
    thresholds = {
        "match_probability": link.match_probability,
        "review_probability": link.review_probability,
    }
    labels = (
        {"path": str(link.labels), "sha256": sha256_of(link.labels)}
        if link.labels is not None
        else None
    )
    return {"thresholds": thresholds, "labels": labels}


def suspect_fit(fit: FitReport, payroll_rows: int) -> str | None:
    """A warning when the fit expects far more matches than payroll rows, else None.

    A person has a record or two: many more expected matches than rows means EM described
    something other than matches (namesakes), and the weights are suspect.
    """
    expected = fit.blocked_match_share * fit.blocked_pairs
    if expected <= SUSPECT_MATCHES_PER_ROW * max(payroll_rows, 1):
        return None
    return (
        f"the fitted model expects {expected:,.0f} matches for {payroll_rows:,} "
        "payroll rows; check the links, or reuse a trusted model (--model)"
    )



# without a report, with the warning the hook gave).
ReportHook = Callable[[Config], Callable[[Path], None] | None]


def run_pipeline(
    config: Config,
    *,
    progress: Progress = lambda stage: None,
    previous: Path | None = None,
    refit: bool = False,
    key_file: Path | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    keep_pairs: bool = False,
    report: ReportHook | None = None,
) -> RunReport:
    """Run every stage on the configured inputs and publish the outputs atomically.

    ``keep_pairs`` keeps every scored pair's positions in the report's link result, for
    blocking recall; a run lets them go before publishing. ``report`` gives what writes
    ``report.html`` into the staged output (``linkage.analysis.report.run_report``; the
    stages do not import the analysis tools), or None for a run without one, as is one
    whose ``[output].report`` is false.

    The output is checked and locked before any input is read (``write.output_lock``). With
    ``previous`` (a refresh), the previous run's model is reused unless ``refit`` or the
    config names one, and ``changes/`` records what became of each outreach entry.
    """
    check_input_paths(config)  # a usage error, before the output is locked
    with output_lock(config.output.dir) as notes:
        for note in notes:  # what recovery did after a killed run, said wherever logs go
            event("recovered", level=logging.WARNING, note=note)
        refresh = previous_run(previous, refit=refit) if previous else None
        origin: dict[str, str | None] = {"source": "fitted"}
        if config.link.model:
            origin = {"source": "given", "path": str(config.link.model)}
        elif refresh and refresh.model:
            config = replace(config, link=replace(config.link, model=refresh.model))
            origin = {"source": "previous run", "path": str(refresh.model)}
        key = run_key(refresh.folder if refresh else None, config.output.dir, key_file=key_file)
        writer = report(config) if report is not None and config.output.report else None
        choices = RunChoices(as_of, force, keep_pairs)
        return _run(config, progress, refresh, origin, key, choices, writer)


def _run_id(config: Config, tables: dict[Source, SourceTable], rule_set: str) -> str:
    """The same inputs, config, rules and version give the same id; the clock is not in it."""
    parts = [__version__, config.digest, rule_set, *(t.input_file.sha256 for t in tables.values())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class RunChoices(NamedTuple):
    """What the operator chose on the command line for one run."""

    as_of: dt.date | None  # --as-of
    force: bool  # --force: publish even when the fitted model is suspect
    keep_pairs: bool = False  # keep the scored pairs' positions (blocking recall) past linking


def as_of_date(config: Config, flag: dt.date | None, run_date: dt.date) -> tuple[dt.date, str]:
    """The registry's extraction date and where it came from: flag, config, else run date.

    The insured file's mapping has no extraction-date field, so without either the run date
    stands in, and the source says so.
    """
    if flag is not None:
        return flag, "--as-of"
    if config.eligibility.as_of is not None:
        return config.eligibility.as_of, "[eligibility].as_of"
    return run_date, "run date (no --as-of, no [eligibility].as_of, none in the insured file)"


class _Clock:
    """Logs each stage's seconds since the previous one ended, peak memory so far, counts."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def __call__(self, name: str, **counts: int) -> None:
        now = time.perf_counter()
        elapsed, self.last = now - self.last, now
        event("stage", stage=name, seconds=round(elapsed, 3), peak_rss_mib=peak_rss_mib(), **counts)


def _load_and_link(
    config: Config,
    progress: Progress,
    stage: _Clock,
    model: FellegiSunterModel | None,
    labelled: pd.DataFrame | None,
    choices: RunChoices,
) -> tuple[dict[Source, SourceTable], LinkResult]:
    """Load the inputs and link them, on an engine opened before any input is read."""
    # The engine first: an unreachable scheduler is refused before minutes of loading.
    with open_engine(
        config.link.engine,
        scheduler=config.link.scheduler,
        workers=os.cpu_count() or 1,
        timeout=config.link.scheduler_timeout,
    ) as engine:
        tables = load_inputs(config, progress)
        for source, table in tables.items():
            event(
                "loaded",
                source=source.value,
                rows_read=table.input_file.rows_read,
                rows_used=len(table.rows),
                rows_rejected=len(table.rejects),
                values_nulled=sum(table.input_file.nulled_invalid.values()),
            )
        stage("load")
        warn_unusable_columns(tables, config.inputs.max_reject_share)
        payroll, insured = tables[Source.PAYROLL].rows, tables[Source.INSURED].rows
        progress(f"linking {len(payroll):,} payroll rows to {len(insured):,} insured records")
        linked = link_records(
            payroll,
            insured,
            config.link,
            model=model,
            engine=engine,
            labelled=labelled,
            keep_pairs=choices.keep_pairs,
        )
    return tables, linked


def _link_done(
    linked: LinkResult,
    origin: dict[str, str | None],
    payroll_rows: int,
    *,
    force: bool,
    progress: Progress,
    stage: _Clock,
) -> None:
    """Log the model and the link stage; refuse a suspect fit unless forced (then warn).

    Raises:
        UserError: the fit is suspect and the run is not forced.
    """
    fit = linked.model.fit
    event(
        "model",
        source=str(origin["source"]),
        em_iterations=fit.em_iterations,
        em_converged=str(fit.em_converged).lower(),
    )
    suspect = suspect_fit(fit, payroll_rows)
    if suspect and not force:
        # Links from such a model would make wrong letters: stop before publishing.
        msg = f"{suspect}; or publish anyway with --force"
        raise UserError(msg)
    if suspect:
        warning("model suspect", suspect, payroll_rows=payroll_rows)
    bands = linked.band_counts()
    progress(f"linked: {bands} over {linked.scored_pairs:,} scored pairs")
    stage(
        "link",
        pairs_scored=linked.scored_pairs,
        matches=bands.get("match", 0),
        reviews=bands.get("review", 0),
    )


class _Decided(NamedTuple):
    """The eligibility stage's tables, as ``publish`` takes them."""

    dispositions: pd.DataFrame
    candidates: pd.DataFrame
    employers: pd.DataFrame
    summary: pd.DataFrame


def _decide(
    tables: dict[Source, SourceTable],
    links: pd.DataFrame,
    rules: RuleSet,
    crosswalk: Crosswalk | None,
    as_of: dt.date,
) -> _Decided:
    """Decide every payroll row, route it to its office, rank employers, list candidates."""
    payroll, insured = tables[Source.PAYROLL].rows, tables[Source.INSURED].rows
    businesses = tables[Source.BUSINESSES].rows
    dispositions = decide(payroll, links, insured, businesses, rules, as_of=as_of)
    dispositions, routes = route(dispositions, payroll, businesses, crosswalk)
    employers = rank_employers(
        dispositions,
        payroll,
        businesses,
        insured,
        new_business_months=rules.policy.new_business_months,
    )
    units = outreach_units(dispositions, crosswalk)
    candidates = candidate_table(payroll, dispositions, units, businesses, routes)
    return _Decided(dispositions, candidates, employers, summary_table(dispositions, units))


def _summary_lines(
    decided: _Decided,
    linked: LinkResult,
    sources: str,
    as_of: str,
    manifest: Manifest,
    refresh: Refresh | None,
) -> str:
    """What the run prints: totals, sources, links, the as-of date, deadlines, changes."""
    text = _summary_text(decided.summary, linked, sources)
    text += f"\n{as_of}"
    text += f"\nregistration deadlines: {manifest.registration['note']}"
    if refresh and manifest.changes is not None:
        counts = ", ".join(f"{k} {n:,}" for k, n in manifest.changes.items())
        text += f"\nchanges since {refresh.folder}: {counts}"
    return text


def _given(
    config: Config,
) -> tuple[RuleSet, Crosswalk | None, FellegiSunterModel | None, pd.DataFrame | None]:
    """The rules, crosswalk, saved model and labels the config names, read and checked."""
    rules = load_rules(config.eligibility.rules)
    crosswalk = (
        load_crosswalk(config.eligibility.crosswalk) if config.eligibility.crosswalk else None
    )
    model = (
        FellegiSunterModel.load(config.link.model, make_comparisons(config.link))
        if config.link.model
        else None
    )
    return rules, crosswalk, model, _labelled_matches(config.link.labels, model)


def _run(
    config: Config,
    progress: Progress,
    refresh: Refresh | None,
    origin: dict[str, str | None],
    key: RunKey,
    choices: RunChoices,
    report: Callable[[Path], None] | None,
) -> RunReport:
    started = dt.datetime.now(dt.UTC)
    as_of, as_of_source = as_of_date(config, choices.as_of, started.date())
    as_of_line = f"registry as of {as_of.isoformat()} ({as_of_source})"
    progress(as_of_line)
    rules, crosswalk, model, labelled = _given(config)  # refused before reading inputs
    stage = _Clock()
    tables, linked = _load_and_link(config, progress, stage, model, labelled, choices)
    payroll_rows = len(tables[Source.PAYROLL].rows)
    _link_done(linked, origin, payroll_rows, force=choices.force, progress=progress, stage=stage)

    progress("deciding eligibility")
    decided = _decide(tables, linked.links, rules, crosswalk, as_of)
    stage("eligibility", candidates=len(decided.candidates))

    progress("publishing")
    rejects = pd.concat([empty(REJECTS), *(t.rejects for t in tables.values())], ignore_index=True)
    run = RunInfo(
        run_id=_run_id(config, tables, rules.version),
        started_at=started,
        linkage_version=__version__,
        rule_set=rules.version,
        config_sha256=config.digest,
        inputs=tuple(t.input_file for t in tables.values()),
        crosswalk=crosswalk.version if crosswalk else None,
        link={**linked.diagnostics(), **_link_settings(config)},
        registration={
            "as_of": as_of.isoformat(),
            "as_of_source": as_of_source,
            **registration_report(decided.dispositions),
        },
        previous_run_id=refresh.run_id if refresh else None,
        model=origin,
        key={"id": key.key_id, "source": key.source},
    )
    sources = source_summary(tables)
    # The normalized inputs are not published: let them go before publishing, whose peak
    # was the run's at a million rows.
    del tables
    manifest = publish(
        config.output.dir,
        run=run,
        dispositions=decided.dispositions,
        candidates=decided.candidates,
        employers=decided.employers,
        summary=decided.summary,
        links=linked.links,
        rejects=rejects,
        mask_ids=config.output.mask_ids,
        excel=config.output.excel,
        model=linked.model.to_json(),
        key=key.key,
        persist_key=key.kept_in_output,
        previous=refresh.candidates if refresh else None,
        report=report,
        offices=office_coverage(crosswalk, started.date()),
    )
    stage("publish", files=len(manifest.files))
    event("finished", run_id=run.run_id)
    return RunReport(
        out_dir=config.output.dir,
        manifest=manifest,
        link=linked,
        dispositions=decided.dispositions,
        summary_text=_summary_lines(decided, linked, sources, as_of_line, manifest, refresh),
        district_table=format_summary(decided.summary),
    )
