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

from linkage.config import load_config
from linkage.evaluate import read_truth
from linkage.link import blocking_recall, link_quality, link_records
from linkage.pipeline import load_inputs
from linkage.schema import Source
from linkage.synth import write_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linkage-square-") as tmp:
        paths = write_sample(Path(tmp), payroll_rows=int(args.rows * 1.55), seed=args.seed)
        config = load_config(
            None,
            inputs__businesses=paths["businesses"],
            inputs__payroll=paths["payroll"],
            inputs__insured=paths["insured"],
            output__dir=Path(tmp) / "out",
        )
        tables = load_inputs(config, progress=lambda stage: None)
        payroll = tables[Source.PAYROLL].rows.iloc[: args.rows]
        insured = tables[Source.INSURED].rows.iloc[: args.rows]
        truth = read_truth(paths["truth_links"])
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
