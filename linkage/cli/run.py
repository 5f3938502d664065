"""``linkage run``: the pipeline on the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from linkage.cli.base import (
    EXIT_CODES_HELP,
    _config_options,
    _load,
    _manifest_bytes,
    _progress,
    _settings,
    _user_errors,
    existing_dir,
    existing_file,
    main,
)


@main.command(epilog=EXIT_CODES_HELP)
@_config_options
@click.option("--excel/--no-excel", default=None, help="Also write one .xlsx per district.")
@click.option(
    "--report/--no-report",
    "write_report",
    default=None,
    help="Write report.html, the run's charts and counts (default: [output].report).",
)
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
    write_report: bool | None,
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
        if write_report is not None:
            config = replace(config, output=replace(config.output, report=write_report))
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
