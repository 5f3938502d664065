"""Synthetic payroll, insured registry and enterprise registry with known ground truth.

``generate`` draws a realistic Vietnamese population (DOMAIN.md), assigns every
(person, employer) job a clear-cut scenario (insured, insured at another employer,
uninsured, lapsed, under-declared, excluded), writes the three sources with per-source
noise, and keeps the truth clean. ``write_sample`` writes it to a folder; ``linkage sample``
calls it. The default noise is at least as hard as an independent validation set's (see
``sources``): annual (tax-year) periods, one row per person and employer, people on 1-3
rows, a third of payroll rows without national ID.

Ground truth:
    truth_candidates  one row per distinct payroll record_id: record_id, person_id,
                      employer_tax_code (compact), disposition (insured_ok | candidate |
                      excluded | rejected), reason, scenario (the job's ``Scenario``, lower
                      case), defect (the row's whole-row defect, else ""). One outreach
                      entry per worker and employer, as the engine lists them: a
                      declaration filed twice, or a job's earlier months, is excluded
                      ``duplicate_entry``. Rows repeated verbatim (record_id included)
                      appear once.
    truth_links       record_id, si_code for every loadable payroll row whose person has an
                      insured record (any status). The registry holds one record per person:
                      the rows of a person's other jobs link to it too, and a lapsed job may
                      be covered by a record at a previous employer.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same seed
gives identical frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from linkage.tools.synth.scenarios import SCENARIO_MIX, Population, Scenario, build_population
from linkage.tools.synth.sources import (
    PERIODS,
    payroll_sizes,
    render_businesses,
    render_insured,
    render_payroll,
)

__all__ = [
    "GENERATOR_VERSION",
    "PERIODS",
    "SCENARIO_MIX",
    "Scenario",
    "SyntheticData",
    "generate",
    "write_sample",
]

GENERATOR_VERSION: Final = "2.2.0"
FORMATS: Final = ("csv", "parquet", "xlsx")


@dataclass(frozen=True)
class SyntheticData:
    """One synthetic world: three noised sources and the clean truth.

    Attributes:
        businesses: enterprise registry, Vietnamese headers, all values text.
        payroll: tax withholding rows, Vietnamese headers, all values text.
        insured: social-insurance registry, Vietnamese headers, all values text.
        truth_links: record_id, si_code.
        truth_candidates: record_id, person_id, employer_tax_code, disposition, reason.
        persons: the clean person table every row derives from (for tests and audits).
        noise_counts: rows carrying each corruption, keyed ``<source>.<kind>``.
    """

    businesses: pd.DataFrame
    payroll: pd.DataFrame
    insured: pd.DataFrame
    truth_links: pd.DataFrame
    truth_candidates: pd.DataFrame
    persons: pd.DataFrame
    noise_counts: dict[str, int] = field(default_factory=dict)


def generate(
    payroll_rows: int, seed: int, noise: float = 1.0, *, periods: str = "annual"
) -> SyntheticData:
    """Generate a synthetic world with exactly ``payroll_rows`` payroll rows.

    Args:
        payroll_rows: number of payroll rows (duplicates and rejects included).
        seed: seed of the random generator; the same seed gives identical data.
        noise: scale of every noise rate; 0 writes clean sources, 1 the default rates.
        periods: ``annual`` (one row per job, period = the tax year, as the annual
            finalization files) or ``monthly`` (1-3 monthly rows per job, MM/YYYY).

    Raises:
        ValueError: if ``payroll_rows`` < 1, ``noise`` < 0 or ``periods`` is unknown.
    """
    if payroll_rows < 1:
        msg = f"payroll_rows must be at least 1, got {payroll_rows!r}"
        raise ValueError(msg)
    if noise < 0:
        msg = f"noise must be >= 0, got {noise!r}"
        raise ValueError(msg)
    if periods not in PERIODS:
        msg = f"periods must be one of {PERIODS}, got {periods!r}"
        raise ValueError(msg)
    annual = periods == "annual"
    rng = np.random.default_rng(seed)
    job_rows, n_dup, n_exact, n_reject = payroll_sizes(payroll_rows, noise)
    population: Population = build_population(rng, job_rows, annual=annual)
    payroll, truth, links, payroll_counts = render_payroll(
        rng, population, (n_dup, n_exact, n_reject), noise, annual=annual
    )
    insured, insured_counts = render_insured(rng, population, noise)
    businesses, business_counts = render_businesses(rng, population, noise)
    counts = {f"payroll.{k}": v for k, v in payroll_counts.items()}
    counts |= {f"insured.{k}": v for k, v in insured_counts.items()}
    counts |= {f"businesses.{k}": v for k, v in business_counts.items()}
    return SyntheticData(
        businesses=businesses,
        payroll=payroll,
        insured=insured,
        truth_links=links,
        truth_candidates=truth,
        persons=population.persons,
        noise_counts=counts,
    )


def _write_source(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8")
        return
    # Blank cells are nulls in typed formats; every value stays text (IDs keep zeros).
    as_text = frame.replace("", None)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.string()) for c in frame.columns])
        pq.write_table(pa.Table.from_pandas(as_text, schema=schema, preserve_index=False), path)
        return
    as_text.to_excel(path, index=False, engine="openpyxl")


def write_sample(
    out: Path,
    *,
    payroll_rows: int,
    seed: int,
    fmt: str = "csv",
    noise: float = 1.0,
    periods: str = "annual",
) -> dict[str, Path]:
    """Generate a synthetic world and write it to ``out``.

    Writes ``businesses``, ``payroll`` and ``insured`` in ``fmt`` (csv, parquet or xlsx;
    xlsx only suits small samples), ``truth_links.csv``, ``truth_candidates.csv`` and
    ``sample_meta.json``.

    Args:
        out: folder to write to; created when missing.
        payroll_rows: number of payroll rows.
        seed: random seed.
        fmt: file format of the three sources.
        noise: scale of every noise rate (0 = clean).
        periods: ``annual`` or ``monthly`` payroll periods (see ``generate``).

    Returns:
        The written paths by name: businesses, payroll, insured, truth_links,
        truth_candidates, meta.

    Raises:
        ValueError: for an unknown ``fmt`` or invalid sizes.
    """
    if fmt not in FORMATS:
        msg = f"fmt must be one of {FORMATS}, got {fmt!r}"
        raise ValueError(msg)
    data = generate(payroll_rows, seed, noise, periods=periods)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in ("businesses", "payroll", "insured"):
        paths[name] = out / f"{name}.{fmt}"
        _write_source(getattr(data, name), paths[name], fmt)
    for name in ("truth_links", "truth_candidates"):
        paths[name] = out / f"{name}.csv"
        getattr(data, name).to_csv(paths[name], index=False, encoding="utf-8")
    truth = data.truth_candidates
    meta = {
        "generator": "linkage.tools.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "noise": noise,
        "periods": periods,
        "format": fmt,
        "rows": {
            "payroll": len(data.payroll),
            "insured": len(data.insured),
            "businesses": len(data.businesses),
            "truth_links": len(data.truth_links),
            "persons": len(data.persons),
        },
        "dispositions": truth["disposition"].value_counts().sort_index().to_dict(),
        "reasons": truth.loc[truth["reason"] != "", "reason"].value_counts().sort_index().to_dict(),
        "noise_counts": data.noise_counts,
        "files": {k: p.name for k, p in paths.items()},
    }
    paths["meta"] = out / "sample_meta.json"
    paths["meta"].write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return paths
