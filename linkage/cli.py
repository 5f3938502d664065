"""Command line: parse options, call the pipeline, map user errors to exit codes.

Exit codes, for schedulers: 0 success; 1 data error (an input cannot be read or used);
2 usage, configuration or environment error (a refused ``--out``, a missing input, an output
that cannot be written: a full disk, no permission); 3 the output is locked by
another live run; 130 interrupted (SIGINT); 143 terminated (SIGTERM). Bad input never shows
a traceback; an interrupted run leaves the previous output as it was and no staging folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from linkage._version import __version__
from linkage.errors import UserError

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 data error, 2 usage or config error (a refused --out, a missing "
    "input, an output that cannot be written: no permission, a full disk), "
    "3 output locked by another run, 130 interrupted (SIGINT), 143 terminated (SIGTERM)."
)
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so cleanup runs as for Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


class _ExistingPath(click.Path):
    """``click.Path(exists=True)`` that tells a hidden path from a missing one.

    click says "does not exist" for any path it cannot stat, a file in a folder this user
    may not enter included; that case is said as it is.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The path, or a usage error (exit 2) saying why it cannot be used."""
        try:
            os.stat(value)
        except PermissionError:
            self.fail(
                f"{os.fsdecode(value)!r} cannot be read (permission denied on a folder of "
                "its path).",
                param,
                ctx,
            )
        except (OSError, TypeError, ValueError):
            pass  # click's own message
        return super().convert(value, param, ctx)


existing_file = _ExistingPath(exists=True, dir_okay=False, path_type=Path)
existing_dir = _ExistingPath(exists=True, file_okay=False, path_type=Path)


def _fail(message: str, code: int) -> NoReturn:
    """Say a user error in one line, or as an ``error`` event under JSON logs, and exit."""
    from linkage.logs import event, json_lines

    if json_lines():  # stderr stays one JSON object a line
        event("error", level=logging.ERROR, message=message, exit_code=code)
    else:
        click.secho(message, err=True, fg="red")
    sys.exit(code)


@contextmanager
def _user_errors(published: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Print a user error plainly and exit with its documented code.

    Args:
        published: Whether a new output was published before a signal stopped the
            command; the message then says so (the exit code stays the signal's).
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except UserError as e:
        _fail(f"error: {e}", e.exit_code)
    except (KeyboardInterrupt, Terminated) as e:
        what, code, stop = (
            ("interrupted", EXIT_INTERRUPTED, "interruption")
            if isinstance(e, KeyboardInterrupt)
            else ("terminated", EXIT_TERMINATED, "termination")
        )
        outcome = (
            f"the new output was published before {stop}"
            if published()
            else "nothing was published, the previous output is unchanged"
        )
        _fail(f"{what}: {outcome}", code)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _manifest_bytes(out: Path) -> bytes | None:
    try:
        return (out / "manifest.json").read_bytes()
    except OSError:
        return None


@dataclass(frozen=True)
class _Settings:
    """The group's options, for its commands."""

    verbose: bool = False
    quiet: bool = False
    progress_seconds: float = 30.0


def _settings() -> _Settings:
    context = click.get_current_context(silent=True)
    found = context.find_root().obj if context is not None else None
    return found if isinstance(found, _Settings) else _Settings()


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """Where a long command is, on stderr: each stage on a terminal, else a line a while.

    On a terminal each stage is announced as it starts. Off one (a scheduler's log), the
    current stage and the seconds so far come every ``--progress-seconds``, as a ``progress``
    event under ``--log-format json``; ``--quiet`` keeps only the events.
    """
    from linkage.logs import event, json_lines, peak_rss_mib

    settings = _settings()
    as_events = json_lines()
    on_terminal = sys.stderr.isatty() and not as_events
    start = time.perf_counter()
    current = ["starting"]

    def line(stage: str) -> None:
        click.echo(f"[{time.perf_counter() - start:7.1f}s] {stage}", err=True)

    def announce(stage: str) -> None:
        current[0] = stage
        if on_terminal and not settings.quiet:
            line(stage)

    if on_terminal or (settings.quiet and not as_events):
        yield announce
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.progress_seconds):
            if as_events:
                seconds = round(time.perf_counter() - start, 1)
                event("progress", stage=current[0], seconds=seconds, peak_rss_mib=peak_rss_mib())
            else:
                line(current[0])

    beating = threading.Thread(target=beat, name="linkage-progress", daemon=True)
    beating.start()
    try:
        yield announce
    finally:
        stop.set()
        beating.join()


class _Group(click.Group):
    """The command group: under JSON logs, click's usage errors are ``error`` events too."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a usage error becomes an event when logs are JSON."""
        from linkage.logs import json_lines

        try:
            return super().invoke(ctx)
        except click.ClickException as e:
            if not json_lines():
                raise
            _fail(f"error: {e.format_message()}", e.exit_code)


@click.group(cls=_Group, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="linkage")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log progress details (never IDs or names); `run` also prints the per-district table.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="`run` prints nothing on success (errors still do)."
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object a line on stderr: stage timings, row counts, progress, "
    "warnings and errors.",
)
@click.option(
    "--progress-seconds",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Off a terminal: say the current stage this often (a `progress` event under json).",
)
@click.pass_context
def main(
    ctx: click.Context, verbose: bool, quiet: bool, log_format: str, progress_seconds: float
) -> None:
    """Match tax-agency payroll to the social-insurance registry and list outreach candidates."""
    from linkage.logs import configure

    configure(verbose=verbose, json_lines=log_format == "json")
    ctx.obj = _Settings(verbose=verbose, quiet=quiet, progress_seconds=progress_seconds)


def _config_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--config",
            "config_path",
            type=existing_file,
            help="Run configuration (TOML). Default: configs/default.toml.",
        ),
        click.option("--businesses", type=existing_file, help="Business registry file."),
        click.option("--payroll", type=existing_file, help="Payroll (withholding) file."),
        click.option("--insured", type=existing_file, help="Insured registry file."),
        click.option(
            "--out", type=click.Path(file_okay=False, path_type=Path), help="Output directory."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _load(
    config_path: Path | None,
    businesses: Path | None = None,
    payroll: Path | None = None,
    insured: Path | None = None,
    out: Path | None = None,
) -> Any:
    from linkage.config import load_config

    return load_config(
        config_path,
        inputs__businesses=businesses,
        inputs__payroll=payroll,
        inputs__insured=insured,
        output__dir=out,
    )


@main.command(epilog=EXIT_CODES_HELP)
@_config_options
@click.option("--excel/--no-excel", default=None, help="Also write one .xlsx per district.")
@click.option(
    "--mask-ids/--no-mask-ids",
    default=None,
    help="Mask citizen IDs in outreach lists and links (default: [output].mask_ids).",
)
@click.option("--model", type=existing_file, help="Score with this saved model; do not refit.")
@click.option(
    "--previous",
    type=existing_dir,
    help="Refresh: a previous run's output; reuse its model and write changes/ against it.",
)
@click.option("--refit", is_flag=True, help="With --previous: fit a new model anyway.")
@click.option(
    "--labels",
    type=existing_file,
    help="A clerk's labels (linkage review import): their matches train the model's m.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    help="Where pairs are compared and scored (default: [link].engine, local).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:8786) to use; implies --engine dask.",
)
@click.option(
    "--key-file",
    type=existing_file,
    help="Key of the candidate ids (else LINKAGE_HMAC_KEY, --previous's or the output's "
    "key, else your own in ~/.config/linkage/key).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the insured registry was extracted (YYYY-MM-DD): registration deadlines "
    "are judged then (default: [eligibility].as_of, else the run date).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Publish even when the fitted model expects far more matches than payroll rows.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing on success (as linkage --quiet run)."
)
def run(
    config_path: Path | None,
    businesses: Path | None,
    payroll: Path | None,
    insured: Path | None,
    out: Path | None,
    excel: bool | None,
    mask_ids: bool | None,
    model: Path | None,
    previous: Path | None,
    refit: bool,
    labels: Path | None,
    engine: str | None,
    scheduler: str | None,
    key_file: Path | None,
    as_of: dt.datetime | None,
    force: bool,
    quiet: bool,
) -> None:
    """Load, normalize, link, decide eligibility and publish outreach lists.

    On success it prints the overall counts (the per-district table under -v, nothing under
    --quiet); the counts per district are in summary.parquet either way.
    """
    from dataclasses import replace

    folders: list[tuple[Path, bytes | None]] = []  # the output and its manifest before

    def published() -> bool:
        return any(_manifest_bytes(folder) != before for folder, before in folders)

    settings = _settings()
    # from here a signal exits with its code, during imports too
    with _user_errors(published), _progress() as progress:
        from linkage.analysis.report import run_report
        from linkage.pipeline import run_pipeline

        config = _load(config_path, businesses, payroll, insured, out)
        folders.append((config.output.dir, _manifest_bytes(config.output.dir)))
        if excel is not None:
            config = replace(config, output=replace(config.output, excel=excel))
        if mask_ids is not None:
            config = replace(config, output=replace(config.output, mask_ids=mask_ids))
        if model is not None:
            config = replace(config, link=replace(config.link, model=model))
        if labels is not None:
            config = replace(config, link=replace(config.link, labels=labels))
        if engine is not None or scheduler is not None:
            chosen = "dask" if scheduler else engine or config.link.engine
            config = replace(config, link=replace(config.link, engine=chosen, scheduler=scheduler))
        report = run_pipeline(
            config,
            progress=progress,
            previous=previous,
            refit=refit,
            key_file=key_file,
            as_of=as_of.date() if as_of else None,
            force=force,
            report=run_report,
        )
    if quiet or settings.quiet:
        return
    if settings.verbose:
        click.echo(report.district_table)
    click.echo(report.summary_text)
    click.echo(f"outputs: {report.out_dir}")


def _foreign(folder: Path) -> bool:
    """A non-empty folder that is not an earlier ``linkage sample`` output."""
    return any(folder.iterdir()) and not (folder / "sample_meta.json").exists()


def _run_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--run`` and ``--config`` of the tools that read a finished run."""
    function = click.option(
        "--config",
        "config_path",
        type=existing_file,
        help="The run's configuration (TOML), for its thresholds and rules. Default: "
        "configs/default.toml.",
    )(function)
    return click.option(
        "--run",
        "run_dir",
        type=existing_dir,
        help="A run's output folder. Default: [output].dir of the configuration.",
    )(function)


def _world_options(rows: int, minimum: int, seed: int) -> Callable[..., Any]:
    """``--payroll-rows`` and ``--seed`` of a command that generates a world."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function = click.option(
            "--seed", type=int, default=seed, show_default=True, help="Random seed."
        )(function)
        return click.option(
            "--payroll-rows",
            type=click.IntRange(min=minimum),
            default=rows,
            show_default=True,
            help="Payroll rows to generate.",
        )(function)

    return decorate


@main.command(epilog=EXIT_CODES_HELP)
@_world_options(rows=3000, minimum=1, seed=7)
@click.option(
    "--noise",
    type=click.FloatRange(min=0.0),
    default=1.0,
    show_default=True,
    help="Noise scale: 0 clean, 1 default.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "xlsx"]),
    default="csv",
    show_default=True,
    help="File format of the three inputs.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write into.",
)
def sample(payroll_rows: int, seed: int, noise: float, fmt: str, out: Path) -> None:
    """Write synthetic businesses, payroll and insured files with ground truth."""
    from linkage.errors import ConfigError
    from linkage.tools.synth import write_sample

    with _user_errors():
        if out.exists() and (not out.is_dir() or _foreign(out)):
            msg = (
                f"--out {out}: not a new or empty directory, nor an earlier sample "
                "(sample_meta.json); linkage never replaces files it did not write"
            )
            raise ConfigError(msg)
        try:
            written = write_sample(out, payroll_rows=payroll_rows, seed=seed, fmt=fmt, noise=noise)
        except OSError as e:
            msg = f"--out {out}: cannot write the sample ({e.strerror})"
            raise ConfigError(msg) from e
    for name, path in written.items():
        click.echo(f"{name}: {path}")


@main.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--source",
    type=click.Choice(["payroll", "insured"]),
    required=True,
    help="Which table the file holds.",
)
@click.option("--input", "input_path", type=existing_file, required=True, help="File to copy.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New .csv or .parquet file (never an existing one).",
)
@click.option(
    "--config",
    "config_path",
    type=existing_file,
    help="Run configuration whose header mapping reads the file. Default: configs/default.toml.",
)
@click.option(
    "--key-file",
    type=existing_file,
    help="File holding the agencies' shared key (else the LINKAGE_HMAC_KEY variable).",
)
def pseudonymize(
    source: str, input_path: Path, output: Path, config_path: Path | None, key_file: Path | None
) -> None:
    """Copy a payroll or registry file with citizen IDs and tax codes pseudonymized.

    Both agencies pseudonymize under one shared key, never given on the command line; the
    copies link as the originals do. See linkage/tools/pseudonymize.py for what is replaced.
    """
    from linkage.load import load_mapping
    from linkage.privacy import shared_key
    from linkage.schema import Source
    from linkage.tools.pseudonymize import pseudonymize as copy_pseudonymized

    with _user_errors():
        key = shared_key(key_file)
        config = _load(config_path)
        mapping = load_mapping(config.inputs.mapping)
        report = copy_pseudonymized(
            input_path,
            Source(source),
            mapping,
            output,
            key,
            batch_rows=config.inputs.batch_rows,
        )
    counts = ", ".join(
        f"{column} {report.pseudonymized[column]:,} pseudonymized, "
        f"{report.blanked[column]:,} unusable left blank"
        for column in report.pseudonymized
    )
    click.echo(f"{output}: {report.rows:,} rows; {counts}")


@main.command(epilog=EXIT_CODES_HELP)
@_world_options(rows=100_000, minimum=100, seed=11)
@click.option(
    "--peer",
    type=click.Choice(["splink"]),
    help="Also run Splink 5 on the same data (the bench extra and the repository's benchmarks/).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="New or empty directory for the data, both runs and bench.json.",
)
def bench(payroll_rows: int, seed: int, peer: str | None, out: Path) -> None:
    """Generate data, run the pipeline (and a peer), print wall, memory and F1 side by side."""
    from linkage.analysis.bench import bench as run_bench
    from linkage.analysis.bench import report
    from linkage.errors import ConfigError

    with _user_errors():
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            msg = f"--out {out}: not a new or empty directory; linkage never replaces files"
            raise ConfigError(msg)
        runs = run_bench(payroll_rows, seed, out, peer=peer)
    click.echo(report(runs, payroll_rows))
    click.echo(f"details: {out / 'bench.json'}")


@main.command(epilog=EXIT_CODES_HELP)
@click.option("--record-id", required=True, help="The payroll row to explain.")
@_run_options
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--show-pii", is_flag=True, help="Show names, birth dates and IDs of both sides.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the best candidate's waterfall to this .png or .html (charts extra).",
)
def explain(
    record_id: str,
    run_dir: Path | None,
    config_path: Path | None,
    top: int,
    show_pii: bool,
    chart: Path | None,
) -> None:
    """Why a payroll row matched: its best candidates, comparison by comparison."""
    from linkage.analysis.explain import explain as waterfall

    with _user_errors():
        config = _load(config_path)
        text = waterfall(
            run_dir or config.output.dir,
            record_id,
            config,
            top=top,
            show_pii=show_pii,
            chart=chart,
        )
    click.echo(text)


@main.command(epilog=EXIT_CODES_HELP)
@_run_options
@click.option(
    "--labels",
    type=existing_file,
    help="Truth links (CSV or Parquet with record_id, si_code): adds precision and recall.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .html to write. Default: report.html in the run's folder.",
)
@click.option(
    "--districts",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Districts shown in the list-size chart, largest first.",
)
def report(
    run_dir: Path | None,
    labels: Path | None,
    out_file: Path | None,
    config_path: Path | None,
    districts: int,
) -> None:
    """One offline HTML page of a run's charts and their numbers (charts extra)."""
    from linkage.analysis.report import write_report

    with _user_errors():
        config = _load(config_path)
        written = write_report(
            run_dir or config.output.dir,
            config,
            out=out_file,
            labels=labels,
            districts=districts,
        )
    click.echo(f"report: {written}")


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("run_a", type=existing_dir)
@click.argument("run_b", type=existing_dir)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every entry's outcome to this new .csv or .parquet file.",
)
def diff(run_a: Path, run_b: Path, out_file: Path | None) -> None:
    """Per district: what became of each outreach entry from run A to run B.

    In the words of changes/ (new, persisting, reason_changed; now_insured,
    no_longer_eligible or gone_from_payroll when B refreshed A, else no_longer_listed).
    --out lists every entry with its record id, masked name and employer.
    """
    from linkage.analysis.diff import diff_runs, per_district, write_diff
    from linkage.write.files import check_new_file

    with _user_errors():
        if out_file is not None:
            check_new_file(out_file, (".csv", ".parquet"))
        changes = diff_runs(run_a, run_b)
        if out_file is not None:
            write_diff(changes, out_file)
    click.echo(per_district(changes).to_string())


@main.command(epilog=EXIT_CODES_HELP)
@_config_options
@click.option(
    "--truth",
    type=existing_file,
    required=True,
    help="True links: CSV or Parquet with record_id and si_code; or labels from `review import`.",
)
@click.option(
    "--candidates-truth",
    type=existing_file,
    help="True dispositions (record_id, person_id, disposition, reason).",
)
def evaluate(
    config_path: Path | None,
    businesses: Path | None,
    payroll: Path | None,
    insured: Path | None,
    out: Path | None,
    truth: Path,
    candidates_truth: Path | None,
) -> None:
    """Run the job and score it against ground truth: links, blocking recall, candidates."""
    from linkage.analysis.evaluate import evaluate_run

    with _user_errors():
        config = _load(config_path, businesses, payroll, insured, out)
        report = evaluate_run(config, truth, candidates_truth)
    click.echo(report)


class _Thresholds(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A comma-separated list of probabilities, each from 0 to 1."""

    name = "P,P,..."

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        try:
            numbers = tuple(float(part) for part in str(value).split(",") if part.strip())
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of numbers", param, ctx)
        if not numbers or not all(0.0 <= n <= 1.0 for n in numbers):
            self.fail(f"{value!r}: give probabilities from 0 to 1, such as 0.5,0.9", param, ctx)
        return tuple(sorted(set(numbers)))


@main.command(epilog=EXIT_CODES_HELP)
@_run_options
@click.option(
    "--labels",
    type=existing_file,
    help="Truth links (record_id, si_code) or a labels file from `linkage review import`: "
    "adds precision, recall and F1 per threshold.",
)
@click.option(
    "--thresholds",
    type=_Thresholds(),
    default="0.05,0.1,0.2,0.3,0.5,0.7,0.8,0.9,0.95,0.99",
    show_default=True,
    help="Match-probability thresholds to try.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New .parquet file; the same table is also written as .csv beside it.",
)
def sweep(
    run_dir: Path | None,
    config_path: Path | None,
    labels: Path | None,
    thresholds: tuple[float, ...],
    out_file: Path,
) -> None:
    """Links and outreach list sizes (overall and per district) at other match thresholds.

    Each threshold re-links the run's inputs with its model and decides eligibility again,
    as a run with that [link].match_probability would; one link pass per threshold.
    """
    from linkage.analysis.runs import open_run
    from linkage.analysis.sweep import check_out, format_sweep, write_sweep
    from linkage.analysis.sweep import sweep as sweep_run
    from linkage.load.labels import read_labels

    with _user_errors(), _progress() as progress:
        check_out(out_file)
        config = _load(config_path)
        truth = read_labels(labels) if labels is not None else None
        opened = open_run(run_dir or config.output.dir, config, progress)
        table = sweep_run(opened, thresholds, truth, progress)
        parquet, csv = write_sweep(table, out_file)
    click.echo(format_sweep(table, opened.match_probability))
    click.echo(f"per district: {parquet} and {csv}")


@main.group(epilog=EXIT_CODES_HELP)
def review() -> None:
    """Clerical review: a sheet of pairs near the thresholds, and its decisions as labels."""


@review.command("export", epilog=EXIT_CODES_HELP)
@_run_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New .xlsx file (never an existing one).",
)
@click.option(
    "--per-band",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Pairs per stratum: below review, review band, above match.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
def review_export(
    run_dir: Path | None, config_path: Path | None, out_file: Path, per_band: int, seed: int
) -> None:
    """Sample pairs around the run's thresholds, by district, into one sheet to decide."""
    from linkage.analysis.review import export_review
    from linkage.analysis.runs import open_run
    from linkage.write.files import check_new_file

    with _user_errors(), _progress() as progress:
        check_new_file(out_file, (".xlsx",))
        config = _load(config_path)
        opened = open_run(run_dir or config.output.dir, config, progress)
        written = export_review(opened, out_file, per_band=per_band, seed=seed)
    for stratum, pairs in written.pairs.items():
        low, high = written.windows[stratum]
        click.echo(f"{stratum}: {pairs} pairs (match probability {low:.3f} to {high:.3f})")
    click.echo(f"sheet: {written.path} (recorded in {opened.folder / 'manifest.json'})")


@review.command("import", epilog=EXIT_CODES_HELP)
@click.argument("sheet", type=existing_file)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New labels .csv (record_id, si_code, label) for sweep --labels and evaluate --truth.",
)
def review_import(sheet: Path, out_file: Path) -> None:
    """Read a filled review sheet's decisions back as labels: match / non_match / unsure."""
    from linkage.analysis.review import import_review

    with _user_errors():
        counts = import_review(sheet, out_file)
    listed = ", ".join(f"{label} {n}" for label, n in counts.items())
    click.echo(f"labels: {out_file} ({listed})")
