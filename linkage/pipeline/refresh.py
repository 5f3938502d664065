"""What a refresh run (``--previous``) takes from the output it follows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from linkage.errors import ConfigError
from linkage.write import (
    empty_candidates,
    is_linkage_output,
)


@dataclass(frozen=True)
class Refresh:
    """What a refresh run (``--previous``) takes from the run it follows."""

    candidates: pd.DataFrame  # the previous outreach entries, by candidate_id
    model: Path | None  # the previous fitted model, unless refitting
    folder: Path
    run_id: str | None = None  # the previous run's, recorded in this run's manifest


def previous_run(folder: Path, *, refit: bool) -> Refresh:
    """Read what a refresh needs from a previous output, before anything is replaced.

    Raises:
        ConfigError: the folder is not a linkage output, or one without candidate ids
            (written by an older version).
    """
    folder = folder.resolve()
    if not is_linkage_output(folder):
        msg = f"--previous {folder}: not a linkage output (no linkage manifest.json)"
        raise ConfigError(msg)
    lists = folder / "candidates"
    columns = ["candidate_id", "reason", "unit_scheme", "province_code", "district_code"]
    # what the office workbook shows of an entry to close, where the lists carry it
    shown = ["full_name", "national_id", "birth_date", "birth_year"]
    shown += ["employer_tax_code", "employer_name"]
    try:
        listed = pd.read_parquet(lists) if lists.exists() else empty_candidates()
        candidates = listed[columns + [c for c in shown if c in listed]]
    except (KeyError, ValueError, OSError) as e:
        msg = (
            f"--previous {folder}: its lists carry no candidate ids (an older version wrote "
            "them); run once without --previous to start refreshing"
        )
        raise ConfigError(msg) from e
    model = folder / "model.json"
    run_id = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    return Refresh(
        candidates, None if refit or not model.exists() else model, folder, str(run_id)
    )


# What writes report.html for a config: given the staged output's folder, or None (a run
