"""``linkage diff RUN_A RUN_B``: outreach entries that appear, disappear or change reason.

Per district, between two runs (two thresholds, two refreshes). Entries are matched on
``candidate_id``, the keyed (worker, employer) id, so the two runs must share their key:
the second made with ``--previous`` the first, or both under one ``LINKAGE_HMAC_KEY``.
Runs keyed differently are refused rather than shown as all new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from linkage.errors import ConfigError
from linkage.privacy import KEY_FILE
from linkage.schema import UNIT_KEYS

OUTCOMES: Final = ("appeared", "disappeared", "reason_changed", "persisting")


def _candidates(run: Path) -> pd.DataFrame:
    if not (run / "manifest.json").is_file():
        msg = f"{run}: not a linkage output (no manifest.json)"
        raise ConfigError(msg)
    columns = ["candidate_id", "reason", *UNIT_KEYS]
    frame = pd.read_parquet(run / "candidates", columns=columns).astype(object)
    return frame.drop_duplicates("candidate_id")


def _same_key(first: Path, second: Path) -> bool:
    keys = [run / KEY_FILE for run in (first, second)]
    if not all(k.exists() for k in keys):
        return True  # keyed from the environment: the caller vouches for one key
    return keys[0].read_bytes().strip() == keys[1].read_bytes().strip()


def diff_runs(first: Path, second: Path) -> pd.DataFrame:
    """One row per entry listed in either run: ``outcome`` (see ``OUTCOMES``), both reasons.

    Raises:
        ConfigError: a folder is not a linkage output, or the runs are keyed differently.
    """
    if not _same_key(first, second):
        msg = (
            f"{first} and {second} key their candidate ids differently: make the second run "
            f"with --previous {first}, or both under one LINKAGE_HMAC_KEY"
        )
        raise ConfigError(msg)
    before, after = _candidates(first), _candidates(second)
    both = before.merge(after, on="candidate_id", how="outer", suffixes=("_a", "_b"))
    listed_a, listed_b = both["reason_a"].notna(), both["reason_b"].notna()
    outcome = np.select(
        [~listed_a, ~listed_b, both["reason_a"] != both["reason_b"]],
        ["appeared", "disappeared", "reason_changed"],
        default="persisting",
    )
    units = {key: both[f"{key}_b"].where(listed_b, both[f"{key}_a"]) for key in UNIT_KEYS}
    result = pd.DataFrame(
        {
            "candidate_id": both["candidate_id"],
            "outcome": outcome,
            "reason_a": both["reason_a"],
            "reason_b": both["reason_b"],
            **units,
        }
    )
    return result.sort_values([*UNIT_KEYS, "outcome", "candidate_id"]).reset_index(drop=True)


def per_district(changes: pd.DataFrame) -> pd.DataFrame:
    """Entries per outcome for each outreach unit, and in total."""
    table = pd.crosstab([changes[key].fillna("") for key in UNIT_KEYS], changes["outcome"]).reindex(
        columns=list(OUTCOMES), fill_value=0
    )
    table.loc[("total", "", ""), :] = table.sum()
    return table.astype(int)
