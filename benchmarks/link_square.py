"""Time the link stage on a square problem: N payroll rows x N insured records.

The generator writes about 0.65 insured records per payroll row, so it is asked for 1.55 N
payroll rows and both normalized tables are cut to their first N rows; truth is restricted
to pairs whose two sides survive the cut.

    .venv/bin/python benchmarks/link_square.py [--rows 100000] [--seed 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from linkage.config import Config, load_config
from linkage.link import blocking_recall, link_quality, link_records
from linkage.load.labels import read_table
from linkage.pipeline import SourceTable, load_inputs
from linkage.schema import Source
from linkage.tools.synth import write_sample


def normalized_world(
    folder: Path, rows: int, seed: int
) -> tuple[Config, dict[Source, SourceTable], dict[str, Path]]:
    """A generated world in ``folder``: its config, normalized tables and file paths."""
    paths = write_sample(folder, payroll_rows=rows, seed=seed)
    config = load_config(
        None,
        inputs__businesses=paths["businesses"],
        inputs__payroll=paths["payroll"],
        inputs__insured=paths["insured"],
        output__dir=folder / "out",
    )
    return config, load_inputs(config, progress=lambda stage: None), paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linkage-square-") as tmp:
        config, tables, paths = normalized_world(Path(tmp), int(args.rows * 1.55), args.seed)
        payroll = tables[Source.PAYROLL].rows.iloc[: args.rows]
        insured = tables[Source.INSURED].rows.iloc[: args.rows]
        truth = read_table(paths["truth_links"])
    truth = truth[
        truth["record_id"].isin(payroll["record_id"]) & truth["si_code"].isin(insured["si_code"])
    ]
    start = time.perf_counter()
    result = link_records(payroll, insured, config.link)
    seconds = time.perf_counter() - start
    quality = link_quality(result.links, truth)
    print(
        f"{len(payroll):,} x {len(insured):,}: link {seconds:.1f} s {result.seconds}; "
        f"{result.scored_pairs:,} pairs scored; blocking recall "
        f"{blocking_recall(result.candidates(), truth):.4f}; precision {quality.precision:.4f} "
        f"recall {quality.recall:.4f} F1 {quality.f1:.4f}"
    )


if __name__ == "__main__":
    main()
