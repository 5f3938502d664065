"""``linkage sweep``: links, list sizes and link quality per match threshold, recomputed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.analysis.runs import best_pairs, open_run
from linkage.config import load_config
from linkage.link import link_quality
from linkage.write.tables import mask_citizen_codes
from tests.helpers import assert_user_error, complete_config, invoke, sample_run

THRESHOLDS = (0.0, 0.2, 0.5, 0.9, 0.99)


type Swept = tuple[pd.DataFrame, pd.DataFrame, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], Path]:
    root = tmp_path_factory.mktemp("sweep")
    inputs, out = sample_run(root, rows=800, seed=53)
    return root, inputs, out


@pytest.fixture(scope="module")
def swept(world: tuple[Path, dict[str, Path], Path]) -> Swept:
    root, inputs, out = world
    target = root / "sweep.parquet"
    result = invoke(
        "sweep",
        "--run",
        out,
        "--labels",
        inputs["truth_links"],
        "--thresholds",
        ",".join(map(str, THRESHOLDS)),
        "--out",
        target,
    )
    assert result.exit_code == 0, result.output
    return pd.read_parquet(target), pd.read_csv(root / "sweep.csv", dtype=str), result.output


def _overall(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["scope"] == "overall"].sort_values("threshold").reset_index(drop=True)


def test_table_has_one_overall_row_per_threshold_and_districts_that_add_up(swept: Swept) -> None:
    table, csv, output = swept
    overall = _overall(table)
    assert overall["threshold"].tolist() == list(THRESHOLDS)
    counts = ["links", "review_links", "listed", "listed_uninsured", "listed_review"]
    districts = table[table["scope"] == "district"].groupby("threshold")[counts].sum()
    assert (districts.to_numpy() == overall.set_index("threshold")[counts].to_numpy()).all()
    assert table.loc[table["scope"] == "district", "district_code"].str.fullmatch(r"\d{3}").all()
    assert len(csv) == len(table)
    assert list(csv.columns) == list(table.columns)
    # the terminal table: one line per threshold, the run's marked, the estimates explained
    assert "0.50*" in output
    assert "model-based estimates" in output


def test_links_fall_and_lists_grow_as_the_threshold_rises(swept: Swept) -> None:
    overall = _overall(swept[0])
    assert overall["links"].is_monotonic_decreasing
    assert overall["expected_false_matches"].is_monotonic_decreasing
    assert overall["expected_missed_matches"].is_monotonic_increasing
    strict, loose = overall.iloc[-1], overall.iloc[1]
    assert strict["listed"] > loose["listed"]  # fewer links: more rows listed


def test_the_run_threshold_reproduces_the_run(
    world: tuple[Path, dict[str, Path], Path], swept: Swept
) -> None:
    _, _, out = world
    at_run = swept[0][swept[0]["threshold"] == 0.5]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    overall = at_run[at_run["scope"] == "overall"].iloc[0]
    for reason, rows in manifest["accounting"]["candidate"].items():
        assert overall[f"listed_{reason}"] == rows, reason
    assert overall["links"] == manifest["link"]["bands"]["match"]
    # per district: the run's outreach lists
    keys = ["unit_scheme", "province_code", "district_code"]
    lists = pd.read_parquet(out / "candidates", columns=keys).astype(str).value_counts()
    districts = at_run[at_run["scope"] == "district"].set_index(keys)["listed"]
    assert districts[districts > 0].sort_index().to_dict() == lists.sort_index().to_dict()


def test_precision_and_recall_against_the_generator_truth(
    world: tuple[Path, dict[str, Path], Path], swept: Swept
) -> None:
    _, inputs, out = world
    overall = _overall(swept[0]).set_index("threshold")
    truth = pd.read_csv(inputs["truth_links"], dtype=str)
    # links.parquet masks citizen-ID SI codes: judge it against the truth masked alike
    truth["si_code"] = mask_citizen_codes(truth["si_code"].astype("string"))
    run = link_quality(pd.read_parquet(out / "links.parquet").astype(object), truth)
    precision, recall = overall["precision"], overall["recall"]
    assert precision.loc[0.5] == pytest.approx(run.precision)
    assert recall.loc[0.5] == pytest.approx(run.recall)
    assert overall["f1"].loc[0.5] == pytest.approx(run.f1)
    assert overall["labelled_pairs"].loc[0.5] == run.true_links
    assert (overall["labels"] == "truth").all()
    assert recall.loc[0.99] < recall.loc[0.5]
    assert precision.loc[0.99] >= precision.loc[0.2]


def test_without_labels_the_model_estimates_add_up(
    world: tuple[Path, dict[str, Path], Path], tmp_path: Path
) -> None:
    _, _, out = world
    target = tmp_path / "estimates.parquet"
    result = invoke("sweep", "--run", out, "--thresholds", "0,0.5", "--out", target)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(target)
    overall = _overall(table)
    assert (overall["labels"] == "none").all()
    assert overall["precision"].isna().all()
    assert "precision" not in result.output
    # at t = 0 every best pair is linked but near ties: E[false] is the sum of 1 - p over links
    pairs = best_pairs(open_run(out, load_config()), 0.0)
    p = pairs["match_probability"].to_numpy(dtype=float)
    linked = (pairs["band"] == "match").to_numpy(dtype=bool)
    zero = overall.iloc[0]
    assert zero["links"] == linked.sum()
    assert zero["expected_false_matches"] == pytest.approx(np.sum(1 - p[linked]))
    assert zero["expected_missed_matches"] == pytest.approx(np.sum(p[~linked]))
    # at every threshold: links - E[false] + E[missed] = the expected true pairs, E[matches]
    for _, row in overall.iterrows():
        kept = row["links"] - row["expected_false_matches"] + row["expected_missed_matches"]
        assert kept == pytest.approx(row["expected_matches"])


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--thresholds", "0.5,abc"), 2, "comma-separated"),  # not numbers
        (("--thresholds", "0.5,1.5"), 2, "from 0 to 1"),  # not probabilities
        (("--out", "{root}/sweep.csv"), 2, ".parquet"),  # the Parquet path is the one named
        (("--out", "{root}/sweep.parquet"), 2, "new .parquet"),  # written by the fixture
        (("--config", "{root}/other.toml"), 2, "not the configuration the run"),
    ],
)
def test_usage_errors(
    world: tuple[Path, dict[str, Path], Path],
    swept: Swept,
    args: tuple[str, ...],
    code: int,
    fragment: str,
) -> None:
    root, _, out = world
    (root / "other.toml").write_text(complete_config(), encoding="utf-8")
    args = tuple(a.format(root=root) for a in args)
    defaults = {"--out": str(root / "new.parquet"), "--thresholds": "0.5"}
    options = dict(zip(args[::2], args[1::2], strict=True))
    extra = [x for key, value in {**defaults, **options}.items() for x in (key, value)]
    result = invoke("sweep", "--run", out, *extra)
    assert_user_error(result, code)
    assert fragment in result.output
    assert not (root / "new.parquet").exists()


def test_a_changed_input_is_refused(
    world: tuple[Path, dict[str, Path], Path], tmp_path: Path
) -> None:
    _, _, out = world
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["inputs"][1]["sha256"] = "0" * 64  # as if the payroll changed since the run
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke("sweep", "--run", copy, "--out", tmp_path / "s.parquet")
    assert_user_error(result, 1)
    assert "not the file the run read" in result.output
