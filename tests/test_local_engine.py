"""The local engine's threads give the single thread's links, pair for pair."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.link import link_records
from linkage.link.engine import LocalEngine, open_engine
from linkage.tools.synth import write_sample
from tests.helpers import linking_inputs


def test_threads_link_as_one_thread(tmp_path: Path) -> None:
    world = write_sample(tmp_path / "in", payroll_rows=1500, seed=29)
    # many small chunks, in flight together
    payroll, insured, settings = linking_inputs(world, tmp_path, chunk_pairs=200)
    alone = link_records(payroll, insured, settings, engine=LocalEngine(threads=1))
    with open_engine("local", scheduler=None, workers=3) as engine:
        assert isinstance(engine, LocalEngine)
        assert engine.threads == 3
        threaded = link_records(payroll, insured, settings, engine=engine)
    assert alone.scored_pairs > 20 * 200
    pd.testing.assert_frame_equal(threaded.links, alone.links)
    assert threaded.model.to_json() == alone.model.to_json()
    pd.testing.assert_frame_equal(threaded.candidates(), alone.candidates())


def test_a_run_that_keeps_no_pairs_links_the_same(tmp_path: Path) -> None:
    """Without ``keep_pairs`` the compared chunks are let go before assignment: the same
    links and pair count, no positions."""
    world = write_sample(tmp_path / "in", payroll_rows=600, seed=29)
    payroll, insured, settings = linking_inputs(world, tmp_path, chunk_pairs=500)
    kept = link_records(payroll, insured, settings)
    light = link_records(payroll, insured, settings, keep_pairs=False)
    pd.testing.assert_frame_equal(light.links, kept.links)
    assert light.scored_pairs == len(kept.candidates()) > 0
    assert light.scored == []
