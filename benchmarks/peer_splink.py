"""Splink 5 on a world's files, for ``linkage bench --peer splink`` (a child process).

Loads and normalizes the three files with linkage's own loaders (so both engines link the
same tables), links them with ``splink_reference.vietnam_splink`` at linkage's default
match threshold, and writes ``record_id, si_code`` of the links to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from splink_reference import vietnam_splink

from linkage.config import load_config
from linkage.pipeline import load_inputs
from linkage.schema import Source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for source in ("businesses", "payroll", "insured"):
        parser.add_argument(f"--{source}", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = load_config(
        None,
        inputs__businesses=args.businesses,
        inputs__payroll=args.payroll,
        inputs__insured=args.insured,
        output__dir=args.out.parent / "unused",
    )
    config = replace(config, inputs=replace(config.inputs, max_reject_share=1.0))
    tables = load_inputs(config, lambda stage: None)
    links, _ = vietnam_splink(
        tables[Source.PAYROLL].rows,
        tables[Source.INSURED].rows,
        match_probability=config.link.match_probability,
    )
    links[["record_id", "si_code"]].to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
