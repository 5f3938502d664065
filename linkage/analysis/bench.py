"""``linkage bench``: generate a world, run the pipeline, report time, memory and quality.

Each engine runs in a child process of its own, so its peak memory is its own (``wait4``
reports the child's ``ru_maxrss``) and a run that dies for memory is reported, not fatal.
Our run's per-stage seconds and peak memory come from its JSON log lines. With
``--peer splink`` the repository's Splink 5 reference (``benchmarks/peer_splink.py``, the
``bench`` extra) links the same normalized tables in the same session; ratios are
against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from linkage.analysis.evaluate import candidate_quality
from linkage.errors import ConfigError
from linkage.link import link_quality
from linkage.load.labels import read_table
from linkage.schema import CandidateReason, Disposition
from linkage.tools.synth import write_sample

PEER_SCRIPT: Final = Path(__file__).resolve().parents[2] / "benchmarks" / "peer_splink.py"


@dataclass
class EngineRun:
    """One engine's figures on the benchmark world."""

    engine: str
    wall_seconds: float
    peak_rss_mib: float
    exit_code: int
    link_precision: float | None = None
    link_recall: float | None = None
    link_f1: float | None = None
    candidates_macro_f1: float | None = None
    reason_f1: dict[str, float] = field(default_factory=dict)  # each letter's reason
    pairs_per_row: float | None = None  # pairs scored per payroll row
    rows_not_compared: int | None = None  # payroll rows that met no record at all
    stages: list[dict[str, Any]] = field(default_factory=list)


def _child(command: list[str], log: Path) -> tuple[int, float, float, str]:
    """Run ``command``; its exit code, wall seconds, peak RSS (MiB) and stderr."""
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as errors:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.perf_counter() - start
    return child.returncode, wall, usage.ru_maxrss / 1024, log.read_text()


def _scores(run: EngineRun, links: pd.DataFrame, truth_links: pd.DataFrame) -> None:
    quality = link_quality(links, truth_links)
    run.link_precision = round(quality.precision, 4)
    run.link_recall = round(quality.recall, 4)
    run.link_f1 = round(quality.f1, 4)


def _ours(world: dict[str, Path], out: Path) -> EngineRun:
    command = [sys.executable, "-m", "linkage", "--log-format", "json", "run"]
    for source in ("businesses", "payroll", "insured"):
        command += [f"--{source}", str(world[source])]
    command += ["--out", str(out / "linkage"), "--no-mask-ids"]
    code, wall, rss, log = _child(command, out / "linkage.log")
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    run = EngineRun(
        "linkage",
        round(wall, 1),
        round(rss, 1),
        code,
        stages=[
            {k: e[k] for k in ("stage", "seconds", "peak_rss_mib") if k in e}
            for e in events
            if e.get("event") == "stage"
        ],
    )
    if code == 0:
        _scores(
            run,
            pd.read_parquet(out / "linkage" / "links.parquet"),
            read_table(world["truth_links"]),
        )
        listed = pd.read_parquet(out / "linkage" / "candidates", columns=["record_id", "reason"])
        dispositions = listed.assign(disposition=Disposition.CANDIDATE.value).astype(object)
        table = candidate_quality(dispositions, read_table(world["truth_candidates"]))
        table = table[table["reason"] != CandidateReason.REVIEW.value]  # the letters' reasons
        f1 = 2 * table["precision"] * table["recall"] / (table["precision"] + table["recall"])
        run.candidates_macro_f1 = round(float(f1.fillna(0.0).mean()), 4)
        run.reason_f1 = {
            str(reason): round(float(value), 4)
            for reason, value in zip(table["reason"], f1.fillna(0.0), strict=True)
        }
        link = json.loads((out / "linkage" / "manifest.json").read_text(encoding="utf-8"))["link"]
        run.pairs_per_row = link.get("pairs_per_payroll_row")
        run.rows_not_compared = link.get("rows_not_compared")
    return run


def _splink(world: dict[str, Path], out: Path) -> EngineRun:
    if not PEER_SCRIPT.exists():
        msg = f"--peer splink runs {PEER_SCRIPT}, which this installation does not have"
        raise ConfigError(msg)
    links_path = out / "splink_links.csv"
    command = [sys.executable, str(PEER_SCRIPT), "--out", str(links_path)]
    for source in ("businesses", "payroll", "insured"):
        command += [f"--{source}", str(world[source])]
    code, wall, rss, _ = _child(command, out / "splink.log")
    run = EngineRun("splink", round(wall, 1), round(rss, 1), code)
    if code == 0:
        links = read_table(links_path).assign(band="match")
        _scores(run, links, read_table(world["truth_links"]))
    return run


def bench(payroll_rows: int, seed: int, out: Path, *, peer: str | None) -> list[EngineRun]:
    """Generate ``payroll_rows`` rows under ``out``, run the engines, write bench.json."""
    world = write_sample(out / "data", payroll_rows=payroll_rows, seed=seed)
    runs = [_ours(world, out)]
    if peer == "splink":
        runs.append(_splink(world, out))
    document = {"payroll_rows": payroll_rows, "seed": seed, "runs": [asdict(r) for r in runs]}
    (out / "bench.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return runs


def ladder(
    sizes: list[int], seed: int, out: Path, *, peer_at: int | None
) -> dict[int, list[EngineRun]]:
    """``bench`` at each size (each world under ``out/<size>``), the peer at ``peer_at``."""
    return {
        rows: bench(rows, seed, out / str(rows), peer="splink" if rows == peer_at else None)
        for rows in sizes
    }


def ladder_report(runs: dict[int, list[EngineRun]]) -> str:
    """One line per size and engine: links, each reason's F1, pairs, time and memory."""
    reasons = [r.value for r in CandidateReason if r is not CandidateReason.REVIEW]
    header = (
        f"{'rows':>9} {'engine':<8} {'link P':>7} {'link R':>7} {'link F1':>7} "
        + " ".join(f"{r[:12]:>12}" for r in reasons)
        + f" {'pairs/row':>9} {'uncompared':>10} {'wall s':>7} {'peak MiB':>8}"
    )
    lines = [header]
    for rows, engines in runs.items():
        for r in engines:
            lines.append(
                f"{rows:>9,} {r.engine:<8} {_cell(r.link_precision, '.4f'):>7} "
                f"{_cell(r.link_recall, '.4f'):>7} {_cell(r.link_f1, '.4f'):>7} "
                + " ".join(f"{_cell(r.reason_f1.get(x), '.4f'):>12}" for x in reasons)
                + f" {_cell(r.pairs_per_row, '.1f'):>9} {_cell(r.rows_not_compared, 'd'):>10}"
                f" {r.wall_seconds:>7.1f} {r.peak_rss_mib:>8.0f}"
            )
    return "\n".join(lines)


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(runs: list[EngineRun], payroll_rows: int) -> str:
    """The side-by-side table, our stages, and the peer's ratios to us."""
    lines = [
        f"{payroll_rows:,} payroll rows",
        f"{'engine':<8} {'exit':>4} {'wall s':>8} {'peak MiB':>9} {'link P':>7} {'link R':>7} "
        f"{'link F1':>7} {'cand F1':>7}",
    ]
    for r in runs:
        lines.append(
            f"{r.engine:<8} {r.exit_code:>4} {r.wall_seconds:>8.1f} {r.peak_rss_mib:>9.0f} "
            f"{_cell(r.link_precision, '.4f'):>7} {_cell(r.link_recall, '.4f'):>7} "
            f"{_cell(r.link_f1, '.4f'):>7} {_cell(r.candidates_macro_f1, '.4f'):>7}"
        )
    for s in runs[0].stages:
        lines.append(
            f"  {s['stage']:<12} {s['seconds']:>8.1f} s  peak {s['peak_rss_mib']:>7.0f} MiB"
        )
    if len(runs) > 1 and runs[0].wall_seconds > 0 and runs[0].peak_rss_mib > 0:
        peer = runs[1]
        lines.append(
            f"{peer.engine} / linkage: wall x{peer.wall_seconds / runs[0].wall_seconds:.2f}, "
            f"peak memory x{peer.peak_rss_mib / runs[0].peak_rss_mib:.2f}"
        )
    return "\n".join(lines)
