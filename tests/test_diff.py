"""``linkage diff``: what became of each outreach entry between two runs, in changes/' words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkage.analysis.diff import OUTCOMES
from linkage.privacy import masked_name
from linkage.tools.synth import write_sample
from tests.helpers import assert_user_error, complete_config, invoke, run_args

type Runs = tuple[Path, Path, Path, Path, dict[str, Path]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("diff")
    inputs = write_sample(root / "in", payroll_rows=800, seed=41)
    first, second, third = root / "a", root / "b", root / "c"
    assert invoke("run", *run_args(inputs), "--out", first).exit_code == 0
    # the same data at a stricter match threshold, in another folder, without --previous:
    # one operator's runs share their key
    strict = root / "strict.toml"
    text = complete_config().replace("match_probability = 0.5 ", "match_probability = 0.999 ")
    strict.write_text(text, encoding="utf-8")
    result = invoke("run", "--config", strict, *run_args(inputs), "--out", second)
    assert result.exit_code == 0, result.output
    # a refresh of the first (--previous): its changes/ tells why an entry left the lists
    result = invoke(
        "run", "--config", strict, *run_args(inputs), "--out", third, "--previous", first
    )
    assert result.exit_code == 0, result.output
    return root, first, second, third, inputs


def test_diff_of_two_runs_made_without_previous(runs: Runs) -> None:
    root, first, second, _, _ = runs
    out = root / "changes.csv"
    result = invoke("diff", first, second, "--out", out)
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(out, dtype=str)
    assert set(changes["change"]) <= set(OUTCOMES)
    counts = changes["change"].value_counts()
    # fewer automatic links: the pairs below 0.999 go to a clerk, or the row is uninsured
    assert counts.get("new", 0) > 0
    new = changes[changes["change"] == "new"]
    assert new["reason_b"].isin(["review", "uninsured"]).all()
    a = pd.read_parquet(first / "candidates")
    b = pd.read_parquet(second / "candidates")
    shared = set(a["candidate_id"]) & set(b["candidate_id"])
    assert counts.get("persisting", 0) + counts.get("reason_changed", 0) == len(shared)
    assert len(changes) == len(set(a["candidate_id"]) | set(b["candidate_id"]))
    total = result.output.strip().splitlines()[-1].split()
    assert total[0] == "total"
    assert sum(map(int, total[1:])) == len(changes)
    assert out.stat().st_mode & 0o777 == 0o600  # worker names and employers: owner-only
    again = invoke("diff", first, second, "--out", out)
    assert again.exit_code == 2
    assert "never replaces" in again.output
    assert len(pd.read_csv(out, dtype=str)) == len(changes)


def test_diff_rows_carry_record_id_masked_name_and_employer(runs: Runs) -> None:
    root, first, second, _, _ = runs
    out = root / "changes.parquet"
    assert invoke("diff", first, second, "--out", out).exit_code == 0
    changes = pd.read_parquet(out)
    assert changes["record_id"].notna().all()
    for column in ("name", "employer_tax_code", "employer_name"):  # noise blanks a few
        assert changes[column].notna().mean() > 0.8, column
    b = pd.read_parquet(second / "candidates").set_index("candidate_id")
    listed = changes[changes["candidate_id"].isin(b.index)].set_index("candidate_id")
    assert listed["record_id"].tolist() == b.loc[listed.index, "record_id"].tolist()
    full = set(b["full_name"].dropna())
    assert not (set(listed["name"]) & {n for n in full if len(n.split()) > 1})  # masked


def test_diff_of_a_refresh_says_why_an_entry_left(runs: Runs) -> None:
    root, first, _, third, _ = runs
    out = root / "refresh.csv"
    assert invoke("diff", first, third, "--out", out).exit_code == 0
    changes = pd.read_csv(out, dtype=str)
    written = pd.read_parquet(third / "changes")
    assert set(changes["change"]) <= set(written["change"])
    assert "no_longer_listed" not in set(changes["change"])


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),  # family name and initials
        ("An", "An"),  # a single name
        ("", None),  # blank stays blank
    ],
)
def test_masked_name(name: str, masked: str | None) -> None:
    assert masked_name(name) == masked


def test_diff_refuses_runs_keyed_differently(
    runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first, _, _, inputs = runs
    monkeypatch.setenv("LINKAGE_HMAC_KEY", "another operator's key, 32+ bytes")
    other = tmp_path / "other"
    assert invoke("run", *run_args(inputs), "--out", other).exit_code == 0
    monkeypatch.delenv("LINKAGE_HMAC_KEY")
    result = invoke("diff", first, other)
    assert_user_error(result, 2)
    assert "--previous" in result.output
