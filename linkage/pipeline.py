"""The one place that chains the stages and counts rows between them.

load -> normalize -> link -> eligibility -> write. Every payroll row read ends in exactly one
disposition or one reject; ``write.publish`` refuses to publish when the counts disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pandas as pd

from linkage._version import __version__
from linkage.config import Config
from linkage.eligibility import (
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
from linkage.errors import ConfigError, InputError, UserError
from linkage.link import (
    FellegiSunterModel,
    FitReport,
    LinkResult,
    link_records,
    make_comparisons,
    with_employer_province,
)
from linkage.link.engine import open_engine
from linkage.load import SourceMapping, SourceReader, load_mapping, read_source
from linkage.load.labels import Label, read_labels
from linkage.logs import event, peak_rss_mib, warning
from linkage.normalize import Normalized, normalize_batch, reject_duplicates
from linkage.privacy import RunKey, run_key
from linkage.schema import REJECTS, Source, empty
from linkage.write import (
    InputFile,
    Manifest,
    RunInfo,
    empty_candidates,
    format_summary,
    format_totals,
    is_linkage_output,
    output_lock,
    publish,
    summary_table,
)
from linkage.write.files import sha256_of

Progress = Callable[[str], None]
Tag = TypeVar("Tag")
SUSPECT_MATCHES_PER_ROW = 2.0  # expected matches per payroll row past which the fit is doubted

_KEYS = {Source.BUSINESSES: "tax_code", Source.PAYROLL: "record_id", Source.INSURED: "si_code"}


@dataclass(frozen=True)
class SourceTable:
    """One source after loading and normalizing: usable rows, rejects, and what was read."""

    rows: pd.DataFrame
    rejects: pd.DataFrame
    input_file: InputFile


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


def load_source(
    path: Path,
    source: Source,
    mapping: SourceMapping,
    *,
    batch_rows: int,
    progress: Progress = lambda stage: None,
    normalizers: Normalizers | None = None,
) -> SourceTable:
    """Read one source in batches, normalize each batch, then reject duplicate keys."""
    tables = load_sources(
        {source: path}, mapping, batch_rows=batch_rows, progress=progress, normalizers=normalizers
    )
    return tables[source]


@dataclass
class _Loading:
    """One source file being read: its reader and its normalized batches so far."""

    source: Source
    path: Path
    reader: SourceReader
    parts: list[pd.DataFrame] = field(default_factory=list)
    rejects: list[pd.DataFrame] = field(default_factory=list)
    nulled: Counter[str] = field(default_factory=Counter)

    def add(self, normalized: Normalized) -> None:
        self.parts.append(normalized.table)
        self.rejects.append(normalized.rejects)
        self.nulled.update(normalized.nulled)

    def _nulled(self, read: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
        """Values kept as blank per column; per ``column:reason``, those never read.

        An xlsx formula without a saved value is one the reader could not read at all.
        """
        counts = Counter(self.nulled)
        for reason, columns in read.items():
            counts.update({f"{column}:{reason}": n for column, n in columns.items()})
        return {c: n for c, n in sorted(counts.items()) if n}

    def finish(self) -> SourceTable:
        """The source's table once every batch is in: duplicate keys rejected."""
        rows = pd.concat(self.parts, ignore_index=True)
        rows, duplicates = reject_duplicates(rows, _KEYS[self.source], self.source)
        stats = self.reader.stats
        return SourceTable(
            rows=rows,
            rejects=pd.concat([*self.rejects, duplicates], ignore_index=True),
            input_file=InputFile(
                source=self.source.value,
                path=str(self.path),
                sha256=sha256_of(self.path),
                rows_read=stats.rows_read,
                blank_rows=stats.blank_rows,
                nulled_invalid=self._nulled(stats.nulled_invalid),
            ),
        )


def load_sources(
    paths: Mapping[Source, Path],
    mapping: SourceMapping,
    *,
    batch_rows: int,
    progress: Progress = lambda stage: None,
    normalizers: Normalizers | None = None,
) -> dict[Source, SourceTable]:
    """Read the sources in turn, normalize each batch, and finish each source.

    The files' batches form one stream, so the workers normalize a file's first batches
    while this process finishes the file before it (its duplicate keys, its checksum).

    Raises:
        InputError: a file without data rows, as soon as it is read.
    """
    normalize = functools.partial(
        normalize_batch, vocabularies=mapping.vocabularies, income=mapping.income
    )

    def batches() -> Iterator[tuple[_Loading, tuple[Source, pd.DataFrame]]]:
        for source, path in paths.items():
            progress(f"loading {source.value}")
            loading = _Loading(
                source, path, read_source(path, source, mapping, batch_rows=batch_rows)
            )
            read = False
            for batch in loading.reader:
                read = True
                yield loading, (source, batch)
            if not read:
                msg = f"{path}: no data rows; check that the file holds the {source.value} table"
                raise InputError(msg)

    tables: dict[Source, SourceTable] = {}
    current: _Loading | None = None
    with Normalizers() if normalizers is None else nullcontext(normalizers) as workers:
        for loading, normalized in workers.map(normalize, batches()):
            if current is not None and loading is not current:
                tables[current.source] = current.finish()
            current = loading
            loading.add(normalized)
            progress(f"{loading.source.value}: {loading.reader.stats.rows_read:,} rows read")
    if current is not None:
        tables[current.source] = current.finish()
    return tables


class Normalizers:
    """Worker processes normalizing batches in order, shared by the files of one load.

    Normalizing is per-value Python that one core runs alone, so the batches of large files
    go to one worker per core while the next is read; at most one batch per worker waits,
    so memory holds a few batches, not the files. The workers start when a file has two
    batches or more, and keep what they cached (names, employers: a registry and its
    payroll name the same people). Small files, or a machine of one core, are normalized
    here. (A script calling this from its top level needs multiprocessing's
    ``if __name__ == "__main__":`` guard.)
    """

    def __init__(self) -> None:
        self.workers = os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Normalizers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def map(
        self, function: Callable[..., Normalized], batches: Iterable[tuple[Tag, tuple[Any, ...]]]
    ) -> Iterator[tuple[Tag, Normalized]]:
        """``function(*arguments)`` of each (tag, arguments) in order, with its tag.

        A tag that comes twice in a row is a file of several batches: then the workers run.
        """
        batches = iter(batches)
        head: list[tuple[Tag, tuple[Any, ...]]] = []
        for item in batches:
            head.append(item)
            if len(head) > 1 and head[-1][0] is head[-2][0]:
                break
        stream = itertools.chain(head, batches)
        if len(head) < 2 or head[-1][0] is not head[-2][0] or self.workers < 2:
            yield from ((tag, function(*arguments)) for tag, arguments in stream)
            return
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # no fork of a process with threads
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        pending: deque[tuple[Tag, Future[Normalized]]] = deque()
        try:
            for tag, arguments in stream:
                pending.append((tag, self._pool.submit(function, *arguments)))
                if len(pending) > self.workers:
                    tag, future = pending.popleft()
                    yield tag, future.result()
            while pending:
                tag, future = pending.popleft()
                yield tag, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def check_usable(table: SourceTable, max_reject_share: float) -> None:
    """Stop before linking when a source has no usable row or rejects too many.

    Raises:
        InputError: naming the file, the top reject reasons with their counts and the
            first offending line (never a value).
    """
    read, rejected = len(table.rows) + len(table.rejects), len(table.rejects)
    if len(table.rows) > 0 and rejected <= max_reject_share * read:
        return
    where = table.rejects["reason"].astype(str) + " in " + table.rejects["column"].astype(str)
    top = ", ".join(f"{k}: {n:,}" for k, n in where.value_counts().head(3).items())
    first = table.rejects.sort_values("source_line").iloc[0]
    source = table.input_file.source
    msg = (
        f"{table.input_file.path}: {rejected:,} of {read:,} {source} rows rejected "
        f"({rejected / read:.0%}; at most {max_reject_share:.0%} allowed by "
        f"[inputs].max_reject_share); top reasons: {top}; first at line "
        f"{int(first['source_line'])}, column {first['column']}. Check the file's layout and "
        "the header mapping; nothing was linked or written"
    )
    raise InputError(msg)


def source_summary(tables: dict[Source, SourceTable]) -> str:
    """Per source: rows read, used and rejected, and values nulled per column."""
    lines = []
    for source, table in tables.items():
        nulled = table.input_file.nulled_invalid
        listed = ", ".join(f"{c} {n:,}" for c, n in nulled.items())
        lines.append(
            f"{source.value}: {table.input_file.rows_read:,} rows read, {len(table.rows):,} "
            f"used, {len(table.rejects):,} rejected"
            + (f"; unusable values kept as blank: {listed}" if listed else "")
        )
    return "\n".join(lines)


def warn_unusable_columns(tables: dict[Source, SourceTable], max_share: float) -> None:
    """Warn of each column unusable in more than ``max_share`` of a source's rows.

    Usually a value vocabulary or a column the mapping does not know (every status word
    unknown, say), which the rows survive but eligibility cannot use.
    """
    for source, table in tables.items():
        used = max(len(table.rows), 1)
        for column, n in table.input_file.nulled_invalid.items():
            if n > max_share * used:
                warning(
                    "column unusable",
                    f"{source.value} {column} unusable in {n / used:.0%} of rows; check the "
                    "file's values against the mapping's vocabularies",
                    source=source.value,
                    column=column,
                    rows=n,
                )


def path_problem(path: Path) -> str | None:
    """Why an input file cannot be opened, in words, or None when it can be.

    A folder on the path that this user may not enter hides the file: that is said, not
    "does not exist".
    """
    try:
        path.stat()
    except PermissionError:
        return "cannot be read (permission denied on a folder of its path)"
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return f"cannot be read ({e.strerror or type(e).__name__})"
    if path.is_dir():
        return "is a directory, not a file"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def check_input_paths(config: Config) -> None:
    """Refuse inputs that cannot be opened before anything is read (exit 2).

    A path named in the configuration gets the exit code of the same path given on the
    command line (where click refuses it): a usage or configuration error.

    Raises:
        ConfigError: naming the configuration file, the key and the path, every problem at
            once.
    """
    problems = []
    for name in ("businesses", "payroll", "insured"):
        path = getattr(config.inputs, name)
        problem = path_problem(path)
        if problem is not None:
            problems.append(f"{config.source}: [inputs].{name} {str(path)!r} {problem}")
    if problems:
        raise ConfigError(problems)


def load_inputs(config: Config, progress: Progress) -> dict[Source, SourceTable]:
    """Load and normalize the three sources named by the configuration.

    Raises:
        ConfigError: an input file is missing or cannot be read (``check_input_paths``).
    """
    check_input_paths(config)
    mapping = load_mapping(config.inputs.mapping)
    paths = {
        Source.BUSINESSES: config.inputs.businesses,
        Source.PAYROLL: config.inputs.payroll,
        Source.INSURED: config.inputs.insured,
    }
    tables = load_sources(paths, mapping, batch_rows=config.inputs.batch_rows, progress=progress)
    for table in tables.values():
        check_usable(table, config.inputs.max_reject_share)
    businesses = tables[Source.BUSINESSES].rows
    for source in (Source.PAYROLL, Source.INSURED):  # where each works, for blocking
        table = tables[source]
        tables[source] = replace(table, rows=with_employer_province(table.rows, businesses))
    return tables


@dataclass(frozen=True)
class Refresh:
    """What a refresh run (``--previous``) takes from the run it follows."""

    candidates: pd.DataFrame  # the previous outreach entries, by candidate_id
    model: Path | None  # the previous fitted model, unless refitting
    folder: Path
    run_id: str | None = None  # the previous run's, recorded in this run's manifest


def previous_run(folder: Path, *, refit: bool) -> Refresh:
    """Read what a refresh needs from a previous output, before anything is replaced.

    Raises:
        ConfigError: the folder is not a linkage output, or one without candidate ids
            (written by an older version).
    """
    folder = folder.resolve()
    if not is_linkage_output(folder):
        msg = f"--previous {folder}: not a linkage output (no linkage manifest.json)"
        raise ConfigError(msg)
    lists = folder / "candidates"
    columns = ["candidate_id", "reason", "unit_scheme", "province_code", "district_code"]
    # what the office workbook shows of an entry to close, where the lists carry it
    shown = ["full_name", "national_id", "birth_date", "birth_year"]
    shown += ["employer_tax_code", "employer_name"]
    try:
        listed = pd.read_parquet(lists) if lists.exists() else empty_candidates()
        candidates = listed[columns + [c for c in shown if c in listed]]
    except (KeyError, ValueError, OSError) as e:
        msg = (
            f"--previous {folder}: its lists carry no candidate ids (an older version wrote "
            "them); run once without --previous to start refreshing"
        )
        raise ConfigError(msg) from e
    model = folder / "model.json"
    run_id = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    return Refresh(
        candidates, None if refit or not model.exists() else model, folder, str(run_id)
    )


# What writes report.html for a config: given the staged output's folder, or None (a run
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
    stages do not import the analysis tools), or None for a run without one.

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
        writer = report(config) if report is not None else None
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
    progress(f"registry as of {as_of.isoformat()} ({as_of_source})")
    rules = load_rules(config.eligibility.rules)
    crosswalk = (
        load_crosswalk(config.eligibility.crosswalk) if config.eligibility.crosswalk else None
    )
    model = (
        FellegiSunterModel.load(config.link.model, make_comparisons(config.link))
        if config.link.model
        else None
    )
    labelled = _labelled_matches(config.link.labels, model)  # refused before reading inputs
    last = [time.perf_counter()]

    def stage(name: str, **counts: int) -> None:
        """Log a stage's seconds since the previous one ended, peak memory so far, counts."""
        now = time.perf_counter()
        elapsed, last[0] = now - last[0], now
        event("stage", stage=name, seconds=round(elapsed, 3), peak_rss_mib=peak_rss_mib(), **counts)

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
        payroll = tables[Source.PAYROLL].rows
        insured = tables[Source.INSURED].rows
        businesses = tables[Source.BUSINESSES].rows

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
    bands = linked.band_counts()
    fit = linked.model.fit
    event(
        "model",
        source=str(origin["source"]),
        em_iterations=fit.em_iterations,
        em_converged=str(fit.em_converged).lower(),
    )
    suspect = suspect_fit(fit, len(payroll))
    if suspect and not choices.force:
        # Links from such a model would make wrong letters: stop before publishing.
        msg = f"{suspect}; or publish anyway with --force"
        raise UserError(msg)
    if suspect:
        warning("model suspect", suspect, payroll_rows=len(payroll))
    progress(f"linked: {bands} over {linked.scored_pairs:,} scored pairs")
    stage(
        "link",
        pairs_scored=linked.scored_pairs,
        matches=bands.get("match", 0),
        reviews=bands.get("review", 0),
    )

    progress("deciding eligibility")
    dispositions = decide(payroll, linked.links, insured, businesses, rules, as_of=as_of)
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
    summary = summary_table(dispositions, units)
    stage("eligibility", candidates=len(candidates))

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
            **registration_report(dispositions),
        },
        previous_run_id=refresh.run_id if refresh else None,
        model=origin,
        key={"id": key.key_id, "source": key.source},
    )
    sources = source_summary(tables)
    # The normalized inputs are not published: let them go before publishing, whose peak
    # was the run's at a million rows.
    del tables, payroll, insured, businesses
    manifest = publish(
        config.output.dir,
        run=run,
        dispositions=dispositions,
        candidates=candidates,
        employers=employers,
        summary=summary,
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
    text = _summary_text(summary, linked, sources)
    text += f"\nregistry as of {as_of.isoformat()} ({as_of_source})"
    text += f"\nregistration deadlines: {manifest.registration['note']}"
    if refresh and manifest.changes is not None:
        counts = ", ".join(f"{k} {n:,}" for k, n in manifest.changes.items())
        text += f"\nchanges since {refresh.folder}: {counts}"
    return RunReport(
        out_dir=config.output.dir,
        manifest=manifest,
        link=linked,
        dispositions=dispositions,
        summary_text=text,
        district_table=format_summary(summary),
    )
