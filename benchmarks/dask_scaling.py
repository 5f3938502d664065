"""Link-stage scaling on a Dask LocalCluster: the same world on 1 and 2 worker processes.

Loads and normalizes one generated world once, then links it with the local engine and
with LocalClusters of 1 and 2 worker processes (one thread each), and prints the link
stage's wall time, per-part seconds (blocking, comparing, fitting, scoring), pairs scored
and the speed-up of 2 workers over 1: the measured basis of the national projection in
the README.

    .venv/bin/python benchmarks/dask_scaling.py [--rows 250000] [--seed 11]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from link_square import normalized_world

from linkage.link import link_records
from linkage.link.engine import open_engine
from linkage.schema import Source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linkage-dask-") as tmp:
        config, tables, _ = normalized_world(Path(tmp), args.rows, args.seed)
        payroll, insured = tables[Source.PAYROLL].rows, tables[Source.INSURED].rows
        print(f"{len(payroll):,} payroll rows x {len(insured):,} insured records")
        print(f"{'engine':<14} {'wall s':>8} {'pairs':>12}  parts (s)")
        walls = {}
        for name, workers in (("local", 1), ("dask", 1), ("dask", 2)):
            with open_engine(name, scheduler=None, workers=workers) as engine:
                start = time.perf_counter()
                linked = link_records(payroll, insured, config.link, engine=engine)
                wall = time.perf_counter() - start
            label = name if name == "local" else f"dask x{workers}"
            walls[label] = wall
            parts = ", ".join(f"{k} {v:.1f}" for k, v in linked.seconds.items())
            print(f"{label:<14} {wall:8.1f} {linked.scored_pairs:12,}  {parts}")
        print(f"speed-up of 2 workers over 1: x{walls['dask x1'] / walls['dask x2']:.2f}")


if __name__ == "__main__":
    main()
