"""``linkage explain``: why one payroll row matched, level by level, as a waterfall.

The run's inputs (checked against the hashes in its manifest) are loaded again and the row
is scored against every record it meets with the run's own model: the same blocking rules,
comparisons and term frequencies, so the totals are the run's. Each comparison shows its
level in words, m, u (the value's own frequency where a term-frequency level applies) and
the weight log2(m/u) it adds to the prior. Names, birth dates and IDs appear only with
``show_pii``; SI codes that are citizen IDs are masked otherwise.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.config import Config
from linkage.errors import ConfigError, InputError, mask_id
from linkage.link import FellegiSunterModel, make_comparisons
from linkage.link.linker import row_candidates
from linkage.pipeline import load_inputs
from linkage.schema import Source
from linkage.write.files import sha256_of

_BAR_BITS = 2.0  # log2 units per bar character


def _run_inputs(run: Path, config: Config) -> Config:
    """``config`` reading the inputs the run read, refused if any changed since."""
    try:
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        msg = f"--run {run}: not a linkage output (no readable manifest.json)"
        raise ConfigError(msg) from e
    paths = {}
    for entry in manifest["inputs"]:
        path = Path(entry["path"])
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            msg = f"{path}: not the file the run read (missing or changed since)"
            raise InputError(msg)
        paths[entry["source"]] = path
    inputs = replace(
        config.inputs,
        businesses=paths["businesses"],
        payroll=paths["payroll"],
        insured=paths["insured"],
        max_reject_share=1.0,
    )
    return replace(config, inputs=inputs)


def _bar(weight: float) -> str:
    """A terminal bar: # for evidence for the match, = against, a character per 2 bits."""
    length = min(round(abs(weight) / _BAR_BITS), 30)
    return ("#" if weight >= 0 else "=") * length


def _person(row: pd.Series, show_pii: bool) -> str:
    if not show_pii:
        return ""
    born = row.get("birth_date")
    born = born if pd.notna(born) else row.get("birth_year")
    national = row.get("national_id")
    return (
        f"  {row.get('full_name')}, born {born if pd.notna(born) else '?'}, "
        f"ID {national if pd.notna(national) else '-'}"
    )


def _code(value: Any, show_pii: bool) -> str:
    text = str(value)
    return text if show_pii or len(text) != 12 else mask_id(text)


def explain(
    run: Path, record_id: str, config: Config, *, top: int = 3, show_pii: bool = False
) -> str:
    """The waterfall of ``record_id``'s best ``top`` candidates in the run at ``run``.

    Raises:
        ConfigError: ``run`` is not a linkage output, or the record is not among its rows.
        InputError: an input the run read is missing or changed.
    """
    config = _run_inputs(run, config)
    model = FellegiSunterModel.load(run / "model.json", make_comparisons(config.link))
    tables = load_inputs(config, lambda stage: None)
    payroll = tables[Source.PAYROLL].rows.reset_index(drop=True)
    insured = tables[Source.INSURED].rows.reset_index(drop=True)
    found = np.flatnonzero(payroll["record_id"].astype(object).to_numpy() == record_id)
    if len(found) == 0:
        msg = f"record {record_id!r} is not among the run's usable payroll rows (rejects.parquet?)"
        raise ConfigError(msg)
    position = int(found[0])
    candidates = row_candidates(payroll, insured, position, config.link, model).head(top)
    links = pd.read_parquet(run / "links.parquet", columns=["record_id", "si_code", "band"])
    linked = links[links["record_id"].astype(str) == record_id]
    lines = [f"payroll row {record_id}{_person(payroll.iloc[position], show_pii)}"]
    if linked.empty:
        lines.append("  the run linked it to no record")
    else:
        link = linked.iloc[0]
        lines.append(f"  the run linked it to {_code(link['si_code'], show_pii)} ({link['band']})")
    if candidates.empty:
        lines.append("  no record meets it under the model's blocking rules")
    for rank, candidate in enumerate(candidates.to_dict("records"), start=1):
        record = insured.iloc[int(candidate["insured_pos"])]
        method = f", exact {candidate['method']}" if candidate["method"] else ""
        lines.append(
            f"{rank}. {_code(record['si_code'], show_pii)}{method}: probability "
            f"{candidate['match_probability']:.4f}{_person(record, show_pii)}"
        )
        lines.append(f"   {'prior':<13} {'':<30} {'':>22} {model.prior_weight:+8.2f}")
        for params in model.comparisons:
            gamma = int(candidate[f"gamma_{params.name}"])
            weight = float(candidate[f"weight_{params.name}"])
            if gamma < 0:
                level, m_u = "missing", ""
            else:
                m = params.m[gamma]
                u = m / 2.0**weight  # the term-frequency u where one applies
                tf = " tf" if gamma in params.tf_levels else ""
                level, m_u = params.levels[gamma], f"m {m:.4f} u {u:.2e}{tf}"
            lines.append(
                f"   {params.name:<13} {level:<30} {m_u:>22} {weight:+8.2f} {_bar(weight)}"
            )
        lines.append(f"   {'total':<13} {'':<30} {'':>22} {candidate['match_weight']:+8.2f}")
    return "\n".join(lines)
