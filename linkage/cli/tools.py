"""``linkage sample`` and ``linkage pseudonymize``: data preparation."""

from __future__ import annotations

from pathlib import Path

import click

from linkage.cli.base import (
    EXIT_CODES_HELP,
    _foreign,
    _load,
    _user_errors,
    _world_options,
    existing_file,
    main,
)


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
