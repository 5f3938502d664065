"""``linkage bench``: a real child run, measured and scored, on a small generated world."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import assert_user_error, invoke


def test_bench_runs_the_pipeline_and_reports_time_memory_and_quality(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = invoke("bench", "--payroll-rows", "600", "--seed", "5", "--out", out)
    assert result.exit_code == 0, result.output
    document = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    (ours,) = document["runs"]
    assert ours["engine"] == "linkage"
    assert ours["exit_code"] == 0
    assert ours["wall_seconds"] > 0
    assert 50 < ours["peak_rss_mib"] < 4096  # the child's own peak, not this process's
    assert ours["link_f1"] > 0.9
    assert 0 < ours["candidates_macro_f1"] <= 1
    stages = [s["stage"] for s in ours["stages"]]
    assert stages == ["load", "link", "eligibility", "publish"]
    assert all(s["peak_rss_mib"] > 0 for s in ours["stages"])
    assert "linkage " in result.output
    assert f"{ours['link_f1']:.4f}" in result.output


def test_bench_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    assert_user_error(invoke("bench", "--payroll-rows", "600", "--out", tmp_path), 2)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
