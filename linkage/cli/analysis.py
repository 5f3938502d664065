"""The commands that read a finished run: explain, report, diff, evaluate, sweep, review, bench."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from linkage.cli.base import (
    EXIT_CODES_HELP,
    _config_options,
    _load,
    _progress,
    _run_options,
    _user_errors,
    _world_options,
    existing_dir,
    existing_file,
    main,
)


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
