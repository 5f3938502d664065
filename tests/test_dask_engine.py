"""The Dask engine gives the local engine's links, pair for pair, on a real LocalCluster."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from linkage.link import link_records
from linkage.link.engine import DaskEngine, open_engine
from linkage.tools.synth import write_sample
from tests.helpers import complete_config, invoke, linking_inputs, run_args, write_config

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("dask") / "in", payroll_rows=1500, seed=23)


def test_dask_engine_links_as_the_local_engine(world: dict[str, Path], tmp_path: Path) -> None:
    # Many small chunks, so the two worker processes both compare and score some.
    payroll, insured, settings = linking_inputs(world, tmp_path, chunk_pairs=500)
    # a clerk's matches train m on both engines alike
    labelled = pd.read_csv(world["truth_links"], dtype=str).head(50)
    local = link_records(payroll, insured, settings, labelled=labelled)
    with open_engine("dask", scheduler=None, workers=2) as engine:
        assert isinstance(engine, DaskEngine)
        assert len(engine.client.scheduler_info()["workers"]) == 2
        distributed = link_records(payroll, insured, settings, engine=engine, labelled=labelled)
    assert distributed.labelled_pairs == local.labelled_pairs > 0
    assert local.scored_pairs > 20 * 500
    pd.testing.assert_frame_equal(distributed.links, local.links)
    assert distributed.model.to_json() == local.model.to_json()
    assert distributed.pairs_per_rule == local.pairs_per_rule
    assert distributed.scored_pairs == local.scored_pairs


def test_run_with_engine_dask_writes_the_local_links(
    world: dict[str, Path], tmp_path: Path
) -> None:
    outs = {}
    for engine in ("local", "dask"):
        outs[engine] = tmp_path / engine
        result = invoke("run", *run_args(world), "--out", outs[engine], "--engine", engine)
        assert result.exit_code == 0, result.output
    local, dask = (pd.read_parquet(outs[e] / "links.parquet") for e in ("local", "dask"))
    pd.testing.assert_frame_equal(dask, local)


def test_an_unreachable_scheduler_is_a_usage_error_given_before_any_input_is_read(
    world: dict[str, Path], tmp_path: Path
) -> None:
    """An unreachable scheduler is said at once, not after minutes of loading: with a
    payroll file that loading would refuse, the scheduler's error is the one given, and
    nothing is written."""
    unreadable = tmp_path / "payroll.csv"
    unreadable.write_text("1,2,3\n4,5,6\n", encoding="utf-8")  # no header: an input error
    # [link].scheduler_timeout: how long the run waits for the scheduler
    text = complete_config().replace("scheduler_timeout = 10.0", "scheduler_timeout = 1.0")
    started = time.monotonic()
    result = invoke(
        "run",
        "--config",
        write_config(tmp_path, text),
        *run_args(world, payroll=unreadable),
        "--out",
        tmp_path / "out",
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert result.exit_code == 2, result.output
    assert "no Dask scheduler answers" in result.output
    assert not (tmp_path / "out").exists()
    assert time.monotonic() - started < 8  # not the default 10 s
