"""Operators: --quiet, totals by default, progress off a terminal, JSON errors and warnings,
and a manifest that says where the run came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from linkage.tools.synth import write_sample
from tests.helpers import invoke, run_args

ROWS = 300


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("operators") / "in", payroll_rows=ROWS, seed=31)


def events(result: Result) -> list[dict[str, Any]]:
    """The JSON lines of stderr; every line of it must be one."""
    return [json.loads(line) for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "args",
    [
        ("--quiet", "run"),  # on the group
        ("run", "--quiet"),  # on the command
        ("--log-format", "json", "-q", "run"),  # JSON logs: stdout stays empty too
    ],
)
def test_quiet_run_prints_nothing_on_success(
    inputs: dict[str, Path], tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = invoke(*args, *run_args(inputs), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_run_prints_totals_and_the_district_table_only_under_verbose(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    plain = invoke("run", *run_args(inputs), "--out", tmp_path / "a")
    assert plain.exit_code == 0, plain.output
    assert "payroll rows;" in plain.stdout
    assert "candidates by reason:" in plain.stdout
    assert len(plain.stdout.splitlines()) < 15  # a few lines, not one per district
    verbose = invoke("-v", "run", *run_args(inputs), "--out", tmp_path / "b")
    assert verbose.exit_code == 0, verbose.output
    table = [line for line in verbose.stdout.splitlines() if line.split()[:1] == ["total"]]
    assert table, verbose.stdout  # the per-district table's total row
    assert len(verbose.stdout.splitlines()) > len(plain.stdout.splitlines())


def test_progress_off_a_terminal_is_a_line_or_an_event_every_few_seconds(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    as_json = invoke(
        "--log-format",
        "json",
        "--progress-seconds",
        "0.05",
        "run",
        *run_args(inputs),
        "--out",
        tmp_path / "a",
    )
    assert as_json.exit_code == 0, as_json.output
    progress = [e for e in events(as_json) if e.get("event") == "progress"]
    assert progress
    assert all({"stage", "seconds"} <= e.keys() for e in progress)
    as_text = invoke(
        "--progress-seconds", "0.05", "run", *run_args(inputs), "--out", tmp_path / "b"
    )
    assert as_text.exit_code == 0, as_text.output
    assert any(line.startswith("[") and "s] " in line for line in as_text.stderr.splitlines())


@pytest.mark.parametrize(
    ("payroll", "code"),
    [
        ("bad.csv", 1),  # a data error from the pipeline
        ("missing.csv", 2),  # click's usage error
    ],
)
def test_errors_are_json_events_under_json_logs(
    inputs: dict[str, Path], tmp_path: Path, payroll: str, code: int
) -> None:
    path = tmp_path / payroll
    if payroll == "bad.csv":
        path.write_text("not,a,payroll\n1,2,3\n", encoding="utf-8")
    result = invoke(
        "--log-format", "json", "run", *run_args(inputs, payroll=path), "--out", tmp_path / "o"
    )
    assert result.exit_code == code, result.output
    errors = [e for e in events(result) if e.get("event") == "error"]
    assert len(errors) == 1, result.stderr
    assert errors[0]["level"] == "error"
    assert errors[0]["exit_code"] == code
    assert str(path) in errors[0]["message"]


def test_a_missing_charts_extra_is_a_warning_and_the_manifest_says_so(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkage.analysis.charts

    monkeypatch.setattr(linkage.analysis.charts, "available", lambda: False)
    out = tmp_path / "out"
    args = run_args(inputs, report=True)
    result = invoke("--log-format", "json", "run", *args, "--out", out)
    assert result.exit_code == 0, result.output
    skipped = [e for e in events(result) if e.get("event") == "report skipped"]
    assert skipped, result.stderr
    assert skipped[0]["level"] == "warning"
    assert "matplotlib" in skipped[0]["message"]
    assert json.loads((out / "manifest.json").read_text())["report"] is None
    assert not (out / "report.html").exists()


def test_the_manifest_records_the_previous_run_the_model_and_the_report(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert invoke("run", *run_args(inputs, report=True), "--out", first).exit_code == 0
    a = json.loads((first / "manifest.json").read_text())
    assert a["previous_run_id"] is None
    assert a["model"] == {"source": "fitted"}
    assert a["report"] == "report.html"
    result = invoke("run", *run_args(inputs), "--out", second, "--previous", first)
    assert result.exit_code == 0, result.output
    b = json.loads((second / "manifest.json").read_text())
    assert b["previous_run_id"] == a["run_id"]
    assert b["model"] == {"source": "previous run", "path": str(first.resolve() / "model.json")}
    model = first / "model.json"
    result = invoke("run", *run_args(inputs), "--out", third, "--model", model)
    assert result.exit_code == 0, result.output
    c = json.loads((third / "manifest.json").read_text())
    assert c["model"] == {"source": "given", "path": str(model)}
