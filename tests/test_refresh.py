"""Refresh runs (--previous): the model reused, stable candidate ids, a per-district diff."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result

from linkage.tools.synth import write_sample
from tests.helpers import assert_user_error, invoke, run_args

STATUS, RECORD = "Trạng thái", "Mã bản ghi"


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def refresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    root = tmp_path_factory.mktemp("refresh")
    inputs = write_sample(root / "in", payroll_rows=1500, seed=41)
    first = root / "first"
    assert invoke("run", *run_args(inputs), "--out", first).exit_code == 0
    # The next tax refresh: record ids renumbered by the new export, 100 rows gone, and
    # every suspended or stopped registry record active again.
    payroll = read_csv(inputs["payroll"]).iloc[100:]
    payroll[RECORD] = "NEW-" + payroll[RECORD]
    payroll.to_csv(root / "payroll2.csv", index=False)
    insured = read_csv(inputs["insured"])
    insured[STATUS] = "Đang tham gia"
    insured.to_csv(root / "insured2.csv", index=False)
    later = {**inputs, "payroll": root / "payroll2.csv", "insured": root / "insured2.csv"}
    second = root / "second"
    result = invoke("run", *run_args(later), "--out", second, "--previous", first)
    assert result.exit_code == 0, result.output
    return first, second, result


def test_changes_are_written_per_district_and_add_up(refresh: tuple[Path, Path, Result]) -> None:
    first, second, result = refresh
    changes = pd.read_parquet(second / "changes")
    before = pd.read_parquet(first / "candidates")
    now = pd.read_parquet(second / "candidates")
    kinds = changes["change"].value_counts()
    assert kinds.get("now_insured", 0) > 0  # the lapsed, active again
    assert kinds.get("gone_from_payroll", 0) > 0  # the 100 dropped rows
    assert kinds.get("persisting", 0) > 0
    previously = changes["change"].isin(
        ["persisting", "reason_changed", "now_insured", "no_longer_eligible", "gone_from_payroll"]
    )
    assert previously.sum() == before["candidate_id"].nunique()
    listed = changes["change"].isin(["new", "persisting", "reason_changed"])
    assert listed.sum() == now["candidate_id"].nunique()
    assert changes["province_code"].str.fullmatch(r"\d{2}").all()
    assert "changes since" in result.output
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    assert sum(manifest["changes"].values()) == len(changes)


def test_candidate_ids_survive_renumbered_records(refresh: tuple[Path, Path, Result]) -> None:
    first, second, _ = refresh
    before = pd.read_parquet(first / "candidates").set_index("candidate_id")
    now = pd.read_parquet(second / "candidates").set_index("candidate_id")
    kept = before.index.intersection(now.index)
    assert len(kept) > 0.5 * len(before)
    assert (now.loc[kept, "record_id"].str.startswith("NEW-")).all()  # other record, same id
    assert not now.index.str.fullmatch(r"\d{9,12}").any()  # a keyed hash, not an ID


def test_the_previous_model_is_reused_unless_refit(
    refresh: tuple[Path, Path, Result], tmp_path: Path
) -> None:
    first, second, _ = refresh
    assert (second / "model.json").read_bytes() == (first / "model.json").read_bytes()
    later = {
        "businesses": next(first.parent.glob("in/businesses.*")),
        "payroll": first.parent / "payroll2.csv",
        "insured": first.parent / "insured2.csv",
    }
    out = tmp_path / "refit"
    args = ("--out", out, "--previous", first, "--refit")
    assert invoke("run", *run_args(later), *args).exit_code == 0
    assert (out / "model.json").read_bytes() != (first / "model.json").read_bytes()


def test_previous_must_be_a_linkage_output(tmp_path: Path) -> None:
    inputs = write_sample(tmp_path / "in", payroll_rows=200, seed=3)
    result = invoke(
        "run", *run_args(inputs), "--out", tmp_path / "out", "--previous", tmp_path / "in"
    )
    assert_user_error(result, 2)
    assert "not a linkage output" in result.output
