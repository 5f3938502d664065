"""The size ladder: the same generator at 100k, 1M and 3M payroll rows, Splink 5 at 1M.

Per size: links precision / recall / F1, each letter reason's F1, pairs scored per payroll
row, rows no rule compared, whole-process wall time and peak memory. A decision must not
depend on how big the tables are: the figures should not move between sizes.

    python benchmarks/ladder.py --out ladder [--sizes 100000,1000000,3000000] [--peer-at 1000000]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from linkage.analysis.bench import ladder, ladder_report


def main() -> None:
    """Run the ladder and print its table; ladder.json holds every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sizes", default="100000,1000000,3000000")
    parser.add_argument("--peer-at", type=int, default=1_000_000, help="0: no Splink run")
    parser.add_argument("--seed", type=int, default=11)
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    runs = ladder(sizes, arguments.seed, arguments.out, peer_at=arguments.peer_at or None)
    document = {str(rows): [asdict(r) for r in engines] for rows, engines in runs.items()}
    (arguments.out / "ladder.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(ladder_report(runs))


if __name__ == "__main__":
    main()
