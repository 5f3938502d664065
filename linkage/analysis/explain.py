"""``linkage explain``: why one payroll row matched, level by level, as a waterfall.

The run's inputs (checked against the hashes in its manifest) are loaded again and the row
is scored against every record it meets with the run's own model: the same blocking rules,
comparisons and term frequencies, so the totals are the run's. Each comparison shows its
level in words, m, u (the value's own frequency where a term-frequency level applies) and
the weight log2(m/u) it adds to the prior. Names, birth dates and IDs appear only with
``show_pii``; SI codes that are citizen IDs are masked otherwise. With ``chart``, the best
candidate's waterfall is also drawn (``linkage.analysis.charts``) to a PNG or a one-chart HTML page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.analysis import charts
from linkage.analysis.report import write_chart
from linkage.analysis.report.page import check_target
from linkage.analysis.runs import open_run
from linkage.config import Config
from linkage.errors import ConfigError
from linkage.link.linker import row_candidates
from linkage.privacy import mask_citizen_code

_BAR_BITS = 2.0  # log2 units per bar character


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
    return text if show_pii else mask_citizen_code(text)


def _chart(
    title: str, prior: float, steps: list[dict[str, Any]], config: Config
) -> tuple[charts.Waterfall, pd.DataFrame]:
    """The best candidate's waterfall and its numbers (comparison, level, weight, running)."""
    table = pd.DataFrame(steps)
    table["running_total"] = prior + table["weight"].cumsum()
    chart = charts.Waterfall(
        title=title,
        prior=prior,
        steps=tuple((f"{s['comparison']}\n{s['level']}", float(s["weight"])) for s in steps),
        review_weight=charts.weight_of(config.link.review_probability),
        match_weight=charts.weight_of(config.link.match_probability),
    )
    prior_row = {"comparison": "prior", "level": "", "weight": prior, "running_total": prior}
    return chart, pd.concat([pd.DataFrame([prior_row]), table], ignore_index=True)


def explain(
    run: Path,
    record_id: str,
    config: Config,
    *,
    top: int = 3,
    show_pii: bool = False,
    chart: Path | None = None,
) -> str:
    """The waterfall of ``record_id``'s best ``top`` candidates in the run at ``run``.

    With ``chart`` (.png or .html), the best candidate's waterfall is also saved there.

    Raises:
        ConfigError: ``run`` is not a linkage output, the record is not among its rows, or
            ``chart`` is refused (another suffix, a file linkage did not write, no matplotlib).
        InputError: an input the run read is missing or changed.
    """
    if chart is not None:
        check_target(chart, "--chart", (".png", ".html"))
        charts.require()
    opened = open_run(run, config)
    config, model, payroll, insured = opened.config, opened.model, opened.payroll, opened.insured
    found = np.flatnonzero(payroll["record_id"].astype(object).to_numpy() == record_id)
    if len(found) == 0:
        msg = f"record {record_id!r} is not among the run's usable payroll rows (rejects.parquet?)"
        raise ConfigError(msg)
    position = int(found[0])
    link = opened.manifest.get("link", {})
    share = float(link.get("row_match_share", model.prior * len(insured)))
    candidates = row_candidates(
        payroll, insured, position, config.link, model, row_match_share=share
    ).head(top)
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
        steps = []
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
            steps.append({"comparison": params.name, "level": level, "weight": weight})
        lines.append(f"   {'total':<13} {'':<30} {'':>22} {candidate['match_weight']:+8.2f}")
        if chart is not None and rank == 1:
            title = (
                f"Payroll row {record_id} against {_code(record['si_code'], show_pii)}: "
                f"probability {candidate['match_probability']:.4f}"
            )
            if show_pii:
                title += f"\n{payroll.iloc[position].get('full_name')} / {record.get('full_name')}"
            write_chart(chart, *_chart(title, model.prior_weight, steps, config))
    if chart is not None:
        drawn = not candidates.empty
        lines.append(f"chart: {chart}" if drawn else "chart: not written, no candidate to draw")
    return "\n".join(lines)
