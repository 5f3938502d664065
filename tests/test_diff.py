"""``linkage diff``: entries that appear, disappear or change reason between two runs."""

from __future__ import annotations

import pandas as pd
import pytest
from test_cli import _complete_config, assert_user_error, invoke, source_args

from linkage.diff import OUTCOMES
from linkage.synth import write_sample


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff")
    inputs = write_sample(root / "in", payroll_rows=800, seed=41)
    first, second, other = root / "a", root / "b", root / "c"
    assert invoke("run", *source_args(inputs), "--out", first).exit_code == 0
    # the same data at a stricter match threshold, keyed as the first (--previous)
    strict = root / "strict.toml"
    text = _complete_config().replace("match_probability = 0.5 ", "match_probability = 0.999 ")
    strict.write_text(text, encoding="utf-8")
    result = invoke(
        "run", "--config", strict, *source_args(inputs), "--out", second, "--previous", first
    )
    assert result.exit_code == 0, result.output
    assert invoke("run", *source_args(inputs), "--out", other).exit_code == 0  # its own key
    return root, first, second, other


def test_diff_lists_what_a_stricter_threshold_changes(runs):
    root, first, second, _ = runs
    out = root / "changes.csv"
    result = invoke("diff", first, second, "--out", out)
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(out, dtype=str)
    assert set(changes["outcome"]) <= set(OUTCOMES)
    counts = changes["outcome"].value_counts()
    # fewer automatic links: the pairs below 0.999 go to a clerk, or the row is uninsured
    assert counts.get("appeared", 0) > 0
    appeared = changes[changes["outcome"] == "appeared"]
    assert appeared["reason_b"].isin(["review", "uninsured"]).all()
    a = pd.read_parquet(first / "candidates")
    b = pd.read_parquet(second / "candidates")
    shared = set(a["candidate_id"]) & set(b["candidate_id"])
    assert counts.get("persisting", 0) + counts.get("reason_changed", 0) == len(shared)
    assert len(changes) == len(set(a["candidate_id"]) | set(b["candidate_id"]))
    total = result.output.strip().splitlines()[-1].split()
    assert total[0] == "total"
    assert sum(map(int, total[1:])) == len(changes)


def test_diff_refuses_runs_keyed_differently(runs):
    _, first, _, other = runs
    result = invoke("diff", first, other)
    assert_user_error(result, 2)
    assert "--previous" in result.output
