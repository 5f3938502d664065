"""``linkage diff RUN_A RUN_B``: what became of each outreach entry from run A to run B.

Per district, between two runs (two thresholds, two refreshes), in the words of
``changes/`` (``schema.Change``): ``new``, ``persisting``, ``reason_changed``, and for an
entry A listed and B does not, ``now_insured``, ``no_longer_eligible`` or
``gone_from_payroll`` when B is a refresh of A (its ``changes/`` says), else
``no_longer_listed``. Entries are matched on ``candidate_id``, the keyed (worker, employer)
id, so the two runs must share their key: any two runs of one operator do (the operator's
key), as do runs under one ``LINKAGE_HMAC_KEY`` or ``--key-file``. Runs keyed differently
are refused rather than shown as all new. Each row carries B's record id (else A's), the
worker's masked name and the employer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from linkage.errors import ConfigError
from linkage.privacy import KEY_FILE, masked_name
from linkage.schema import UNIT_KEYS, Change
from linkage.write.files import create_new_file
from linkage.write.outdir import MANIFEST, is_linkage_output

NO_LONGER_LISTED: Final = "no_longer_listed"  # listed in A, not in B; why is not known
OUTCOMES: Final = (*(c.value for c in Change), NO_LONGER_LISTED)
_SHOWN: Final = ["record_id", "full_name", "employer_tax_code", "employer_name"]


def _manifest(run: Path) -> dict[str, Any]:
    if not is_linkage_output(run):
        msg = f"{run}: not a linkage output (no linkage {MANIFEST})"
        raise ConfigError(msg)
    document: dict[str, Any] = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    return document


def _candidates(run: Path) -> pd.DataFrame:
    columns = ["candidate_id", "reason", *_SHOWN, *UNIT_KEYS]
    lists = run / "candidates"
    if not lists.exists():  # a run that listed nobody
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = pd.read_parquet(lists, columns=columns).astype(object)
    return frame.drop_duplicates("candidate_id")


def _same_key(first: Path, second: Path, manifests: list[dict[str, Any]]) -> bool:
    ids = [(m.get("key") or {}).get("id") for m in manifests]
    if all(ids):
        return ids[0] == ids[1]
    keys = [run / KEY_FILE for run in (first, second)]  # runs of earlier versions
    if not all(k.exists() for k in keys):
        return True  # keyed from the environment: the caller vouches for one key
    return keys[0].read_bytes().strip() == keys[1].read_bytes().strip()


def _refreshed(second: Path, manifests: list[dict[str, Any]]) -> pd.Series:
    """What B's ``changes/`` says of each entry, when B is a refresh of A; else empty."""
    if manifests[1].get("previous_run_id") != manifests[0].get("run_id") or not (
        second / "changes"
    ).exists():
        return pd.Series(dtype=object)
    changes = pd.read_parquet(second / "changes", columns=["candidate_id", "change"])
    found: pd.Series = changes.astype(object).drop_duplicates("candidate_id").set_index(
        "candidate_id"
    )["change"]
    return found


def diff_runs(first: Path, second: Path) -> pd.DataFrame:
    """One row per entry listed in either run: ``change`` (see ``OUTCOMES``), both reasons.

    Raises:
        ConfigError: a folder is not a linkage output, or the runs are keyed differently.
    """
    manifests = [_manifest(first), _manifest(second)]
    if not _same_key(first, second, manifests):
        msg = (
            f"{first} and {second} key their candidate ids differently (another "
            f"LINKAGE_HMAC_KEY, --key-file or user, or an output's own key): make the second "
            f"run with --previous {first}, or both under one key"
        )
        raise ConfigError(msg)
    before, after = _candidates(first), _candidates(second)
    both = before.merge(after, on="candidate_id", how="outer", suffixes=("_a", "_b"))
    listed_a = both["reason_a"].notna().to_numpy()
    listed_b = both["reason_b"].notna().to_numpy()
    known = both["candidate_id"].map(_refreshed(second, manifests))
    gone = known.where(
        known.isin([Change.NOW_INSURED, Change.NO_LONGER_ELIGIBLE, Change.GONE_FROM_PAYROLL]),
        NO_LONGER_LISTED,
    )
    change = np.select(
        [~listed_a, ~listed_b, (both["reason_a"] != both["reason_b"]).to_numpy(dtype=bool)],
        [Change.NEW.value, gone.to_numpy(dtype=object), Change.REASON_CHANGED.value],
        default=Change.PERSISTING.value,
    )

    def shown(column: str) -> pd.Series:
        return both[f"{column}_b"].where(listed_b, both[f"{column}_a"])

    result = pd.DataFrame(
        {
            "candidate_id": both["candidate_id"],
            "change": change,
            "reason_a": both["reason_a"],
            "reason_b": both["reason_b"],
            "record_id": shown("record_id"),
            "name": shown("full_name").map(masked_name),
            "employer_tax_code": shown("employer_tax_code"),
            "employer_name": shown("employer_name"),
            **{key: shown(key) for key in UNIT_KEYS},
        }
    )
    return result.sort_values([*UNIT_KEYS, "change", "candidate_id"]).reset_index(drop=True)


def per_district(changes: pd.DataFrame) -> pd.DataFrame:
    """Entries per change for each outreach unit, and in total."""
    table = pd.crosstab([changes[key].fillna("") for key in UNIT_KEYS], changes["change"]).reindex(
        columns=list(OUTCOMES), fill_value=0
    )
    table.loc[("total", "", ""), :] = table.sum()
    return table.astype(int)


def write_diff(changes: pd.DataFrame, out: Path) -> None:
    """Write every entry's outcome to ``out``, a new owner-only .csv or .parquet file."""
    if out.suffix.lower() == ".csv":
        create_new_file(out, lambda temp: changes.to_csv(temp, index=False))
    else:
        create_new_file(out, lambda temp: changes.to_parquet(temp, index=False))
