"""Large files are normalized batch by batch in worker processes, as one batch would be."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import pytest

from linkage.load import load_mapping
from linkage.pipeline import Normalizers, load_source
from linkage.schema import Source
from linkage.tools.synth import write_sample
from tests.helpers import DEFAULT_MAPPING

DEFAULT_CONFIG = DEFAULT_MAPPING.parent.parent / "default.toml"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("batches") / "in", payroll_rows=900, seed=31)


@pytest.mark.parametrize("source", [Source.PAYROLL, Source.INSURED])
def test_batches_in_worker_processes_give_the_one_batch_table(
    world: dict[str, Path], source: Source
) -> None:
    mapping = load_mapping(DEFAULT_MAPPING)
    path = world[source.value]
    whole = load_source(path, source, mapping, batch_rows=1_000_000)
    batched = load_source(path, source, mapping, batch_rows=97)  # ten batches or so
    assert len(whole.rows) > 500
    pd.testing.assert_frame_equal(batched.rows, whole.rows)
    pd.testing.assert_frame_equal(batched.rejects, whole.rejects)
    assert batched.input_file == whole.input_file


def test_the_files_of_a_load_share_one_set_of_workers(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Started once, the workers keep what they cached for the next file.
    started = []
    real = ProcessPoolExecutor

    def counted(*args: Any, **kwargs: Any) -> ProcessPoolExecutor:
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("linkage.pipeline.ingest.ProcessPoolExecutor", counted)
    monkeypatch.setattr("linkage.pipeline.ingest.os.cpu_count", lambda: 2)
    mapping = load_mapping(DEFAULT_MAPPING)
    with Normalizers() as normalizers:
        tables = [
            load_source(world[s.value], s, mapping, batch_rows=97, normalizers=normalizers)
            for s in (Source.PAYROLL, Source.INSURED)
        ]
    assert len(started) == 1
    for source, table in zip((Source.PAYROLL, Source.INSURED), tables, strict=True):
        whole = load_source(world[source.value], source, mapping, batch_rows=1_000_000)
        pd.testing.assert_frame_equal(table.rows, whole.rows)


def test_python_dash_m_linkage_runs_with_worker_processes(
    world: dict[str, Path], tmp_path: Path
) -> None:
    # The command line end to end, its large-file path: batches in worker processes.
    config = tmp_path / "small-batches.toml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        "batch_rows = 250000", "batch_rows = 97"
    )
    for folder in ("mappings", "rules", "crosswalks"):  # resolved against the config's folder
        text = text.replace(f'"{folder}/', f'"{DEFAULT_CONFIG.parent}/{folder}/')
    config.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "linkage", "run", "--config", str(config)]
    for source in ("businesses", "payroll", "insured"):
        command += [f"--{source}", str(world[source])]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "links.parquet").is_file()


def test_one_core_normalizes_every_batch_in_process(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = load_mapping(DEFAULT_MAPPING)
    whole = load_source(world["payroll"], Source.PAYROLL, mapping, batch_rows=1_000_000)

    def no_pool(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("a worker process was started on a one-core machine")

    monkeypatch.setattr("linkage.pipeline.ingest.os.cpu_count", lambda: 1)
    monkeypatch.setattr("linkage.pipeline.ingest.ProcessPoolExecutor", no_pool)
    batched = load_source(world["payroll"], Source.PAYROLL, mapping, batch_rows=97)
    pd.testing.assert_frame_equal(batched.rows, whole.rows)
