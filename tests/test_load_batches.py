"""Large files are normalized batch by batch in worker processes, as one batch would be."""

from __future__ import annotations

import pandas as pd
import pytest
from test_load_mapping import DEFAULT_MAPPING

from linkage.load import load_mapping
from linkage.pipeline import load_source
from linkage.schema import Source
from linkage.synth import write_sample


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("batches") / "in", payroll_rows=900, seed=31)


@pytest.mark.parametrize("source", [Source.PAYROLL, Source.INSURED])
def test_batches_in_worker_processes_give_the_one_batch_table(world, source):
    mapping = load_mapping(DEFAULT_MAPPING)
    path = world[source.value]
    whole = load_source(path, source, mapping, batch_rows=1_000_000)
    batched = load_source(path, source, mapping, batch_rows=97)  # ten batches or so
    assert len(whole.rows) > 500
    pd.testing.assert_frame_equal(batched.rows, whole.rows)
    pd.testing.assert_frame_equal(batched.rejects, whole.rejects)
    assert batched.input_file == whole.input_file
