"""``linkage report``, the report every run writes, and ``explain --chart``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result

from linkage.analysis.report import REPORT
from linkage.analysis.report.page import table_html
from linkage.analysis.report.series import district_sizes, weight_bins
from tests.helpers import (
    PNG_SIGNATURE,
    assert_png,
    assert_user_error,
    complete_config,
    invoke,
    run_args,
    sample_run,
    write_config,
)

IMAGE = re.compile(
    r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)"'
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Path]:
    root = tmp_path_factory.mktemp("report")
    inputs, out = sample_run(root, rows=500, seed=47, report=True)
    return inputs, out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def no_partials(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".partial-" in p.name]


def assert_self_contained(page: str) -> None:
    assert not re.search(r"https?://", page)
    assert not re.search(r"<(script|link)\b", page)
    images = IMAGE.findall(page)
    assert images
    for data, width, height in images:
        assert_png(base64.b64decode(data), (int(width), int(height)))


def test_every_run_writes_its_report_owner_only(run: tuple[dict[str, Path], Path]) -> None:
    _, out = run
    report = out / REPORT
    assert mode(report) == 0o600
    page = report.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert '<meta name="generator" content="linkage ' in page
    assert "No labels given" in page  # a run has no truth: no precision-recall chart
    assert len(IMAGE.findall(page)) >= 3  # weights, m/u, districts (rejects when any)
    assert no_partials(out)


def test_report_holds_the_data_series_as_text(
    run: tuple[dict[str, Path], Path], tmp_path: Path
) -> None:
    inputs, out = run
    target = tmp_path / "with-labels.html"
    result = invoke("report", "--run", out, "--labels", inputs["truth_links"], "--out", target)
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    page = target.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert mode(target) == 0o600
    assert len(IMAGE.findall(page)) >= 4
    # the histogram's bin counts and the largest lists, cell by cell, as the tables print them
    links = pd.read_parquet(out / "links.parquet")
    assert table_html(weight_bins(links)) in page
    sizes, _ = district_sizes(pd.read_parquet(out / "candidates"), top=20)
    assert table_html(sizes) in page
    top = sizes.iloc[0]
    assert f"<td>{top['total']}</td></tr>" in page
    assert f'<td class="text">{top["district_name"]}</td>' in page
    assert "match_weight_at_least" in page  # the precision-recall table
    assert no_partials(tmp_path)


def test_report_never_shows_names_or_ids(run: tuple[dict[str, Path], Path]) -> None:
    inputs, out = run
    page = (out / REPORT).read_text(encoding="utf-8")
    payroll = pd.read_csv(inputs["payroll"], dtype=str)
    name_column = next(c for c in payroll.columns if c in ("Họ và tên", "full_name"))
    text = IMAGE.sub("", page)
    assert not any(name in text for name in payroll[name_column].dropna().head(200))
    assert not re.search(r"\b\d{9}(\d{3})?\b", text)  # no CMND or CCCD


def test_report_refuses_a_file_linkage_did_not_write(
    run: tuple[dict[str, Path], Path], tmp_path: Path
) -> None:
    _, out = run
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>", encoding="utf-8")
    assert_user_error(invoke("report", "--run", out, "--out", mine), 2)
    assert mine.read_text(encoding="utf-8") == "<html>my notes</html>"
    # its own report is replaced, still owner-only
    own = tmp_path / "own.html"
    for _ in range(2):
        result = invoke("report", "--run", out, "--out", own)
        assert result.exit_code == 0, result.output
    assert mode(own) == 0o600


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (("--out", "report.pdf"), 2),  # not an HTML file
        (("--labels", "no-columns.csv"), 1),  # labels without record_id / si_code
        (("--districts", "0"), 2),  # click range
    ],
)
def test_report_usage_and_data_errors(
    run: tuple[dict[str, Path], Path], tmp_path: Path, arguments: tuple[str, str], code: int
) -> None:
    _, out = run
    (tmp_path / "no-columns.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    resolved = [str(tmp_path / a) if a.endswith((".pdf", ".csv")) else a for a in arguments]
    result = invoke("report", "--run", out, *resolved)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_report_on_a_folder_that_is_no_run(tmp_path: Path) -> None:
    result = invoke("report", "--run", tmp_path)
    assert_user_error(result, 2)
    assert "not a linkage output" in result.output


def test_report_without_matplotlib_is_a_clean_error(
    run: tuple[dict[str, Path], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = run
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = invoke("report", "--run", out, "--out", tmp_path / "r.html")
    assert_user_error(result, 2)
    assert "pip install 'linkage[charts]'" in result.output
    assert not (tmp_path / "r.html").exists()


def _rerun(run: tuple[dict[str, Path], Path], out: Path) -> Result:
    inputs, _ = run
    return invoke("run", *run_args(inputs, report=True), "--out", out)


def test_a_run_without_matplotlib_drops_the_stale_report(
    run: tuple[dict[str, Path], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = shutil.copytree(run[1], tmp_path / "out")
    before = (out / REPORT).read_bytes()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = invoke("-v", "run", *run_args(run[0], report=True), "--out", out)
    assert result.exit_code == 0, result.output
    assert "matplotlib is not installed" in result.output
    assert not (out / REPORT).exists()  # it described an earlier run
    monkeypatch.undo()
    assert _rerun(run, out).exit_code == 0
    assert (out / REPORT).read_bytes().startswith(before[:200])
    assert no_partials(out)


@pytest.mark.parametrize("how", ["flag", "config"])
def test_a_run_without_a_report_writes_none_and_drops_the_stale_one(
    run: tuple[dict[str, Path], Path], tmp_path: Path, how: str
) -> None:
    out = shutil.copytree(run[1], tmp_path / "out")
    assert (out / REPORT).exists()
    if how == "flag":
        result = invoke("run", *run_args(run[0]), "--out", out)  # --no-report
    else:
        text = complete_config().replace("\nreport = true", "\nreport = false")
        config = write_config(tmp_path, text)
        result = invoke("run", "--config", config, *run_args(run[0], report=True), "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / REPORT).exists()  # it described an earlier run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"] is None
    assert no_partials(out)


def test_a_run_keeps_a_users_report(run: tuple[dict[str, Path], Path], tmp_path: Path) -> None:
    out = shutil.copytree(run[1], tmp_path / "out")
    (out / REPORT).write_text("mine", encoding="utf-8")
    result = _rerun(run, out)
    assert result.exit_code == 0, result.output
    assert "linkage did not write" in result.output
    assert (out / REPORT).read_text(encoding="utf-8") == "mine"
    assert (out / "manifest.json").exists()


@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_explain_chart(run: tuple[dict[str, Path], Path], tmp_path: Path, suffix: str) -> None:
    _, out = run
    links = pd.read_parquet(out / "links.parquet")
    record = links[links["method"] == "probabilistic"].iloc[0]
    chart = tmp_path / f"waterfall{suffix}"
    result = invoke("explain", "--run", out, "--record-id", record["record_id"], "--chart", chart)
    assert result.exit_code == 0, result.output
    assert f"chart: {chart}" in result.output
    assert mode(chart) == 0o600
    data = chart.read_bytes()
    if suffix == ".png":
        assert_png(data, (910, 500))  # prior, five comparisons, total
        return
    page = data.decode("utf-8")
    assert_self_contained(page)
    assert "running_total" in page
    last_row = re.findall(r"<tr>(.*?)</tr>", page)[-1]
    total = float(re.findall(r"<td>([-\d.]+)</td>", last_row)[-1])
    assert total == pytest.approx(record["match_weight"], abs=0.006)  # the run's own score


def test_explain_chart_refuses_other_files(
    run: tuple[dict[str, Path], Path], tmp_path: Path
) -> None:
    _, out = run
    record = pd.read_parquet(out / "links.parquet")["record_id"].iloc[0]
    mine = tmp_path / "photo.png"
    mine.write_bytes(PNG_SIGNATURE + b"not linkage's")
    for target in (tmp_path / "chart.svg", mine):
        result = invoke("explain", "--run", out, "--record-id", record, "--chart", target)
        assert_user_error(result, 2)
    assert mine.read_bytes() == PNG_SIGNATURE + b"not linkage's"


def test_report_into_the_run_folder_takes_its_lock(run: tuple[dict[str, Path], Path]) -> None:
    _, out = run
    result = invoke("report", "--run", out)
    assert result.exit_code == 0, result.output
    assert f"report: {out / REPORT}" in result.output
    assert not list(out.parent.glob(f".{out.name}.lock"))  # released
    lock = out.parent / f".{out.name}.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "started": "now"}), encoding="utf-8")
    try:  # a live run holds the output: exit 3, nothing written
        before = (out / REPORT).read_bytes()
        assert_user_error(invoke("report", "--run", out), 3)
        assert (out / REPORT).read_bytes() == before
    finally:
        lock.unlink()
