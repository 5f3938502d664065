"""Command line: parse options, call the pipeline, map user errors to exit codes.

Exit codes, for schedulers: 0 success; 1 data error (an input cannot be read or used);
2 usage, configuration or environment error (a refused ``--out``, a missing input, an output
that cannot be written: a full disk, no permission); 3 the output is locked by
another live run; 130 interrupted (SIGINT); 143 terminated (SIGTERM). Bad input never shows
a traceback; an interrupted run leaves the previous output as it was and no staging folder.
"""

from __future__ import annotations

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
