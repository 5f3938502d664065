"""A refresh's changes: each outreach entry of the previous run against this one.

Entries are matched on ``candidate_id`` (worker x employer, keyed, stable across refreshes),
never on record ids, which change with every tax export.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.schema import UNIT_KEYS, Change, Disposition

CHANGES = pa.schema(
    [
        ("candidate_id", pa.string()),
        ("change", pa.string()),  # schema.Change value
        ("previous_reason", pa.string()),
        ("reason", pa.string()),  # null when no longer listed
        ("record_id", pa.string()),  # this run's payroll row, when there is one
        ("unit_scheme", pa.string()),
        ("province_code", pa.string()),
        ("district_code", pa.string()),
    ]
)
_PREVIOUS = ["candidate_id", "reason", *UNIT_KEYS]


def changes_table(
    previous: pd.DataFrame, candidates: pd.DataFrame, everyone: pd.DataFrame
) -> pd.DataFrame:
    """One row per entry listed in either run, with what became of it, sorted by unit.

    Args:
        previous: the previous run's candidates (``candidate_id``, ``reason``, unit keys).
        candidates: this run's published candidates (``published_candidates``).
        everyone: ``candidate_id`` and ``disposition`` of every payroll row of this run,
            to tell an entry now insured from one gone from the payroll.
    """
    before = previous[_PREVIOUS].astype("object").drop_duplicates("candidate_id")
    now = candidates[[*_PREVIOUS, "record_id"]].astype("object")
    both = before.merge(now, on="candidate_id", how="outer", suffixes=("_before", ""))
    rows = everyone.astype("object").drop_duplicates("candidate_id")
    outcome: pd.Series = rows.set_index("candidate_id")["disposition"]
    later = both["candidate_id"].map(outcome).to_numpy(dtype=object)
    listed_before = both["reason_before"].notna().to_numpy()
    listed_now = both["reason"].notna().to_numpy()
    same = (both["reason_before"] == both["reason"]).to_numpy(dtype=bool)
    change = np.select(
        [
            listed_now & ~listed_before,
            listed_now & same,
            listed_now,
            later == Disposition.INSURED_OK.value,
            later == Disposition.EXCLUDED.value,
        ],
        [
            Change.NEW.value,
            Change.PERSISTING.value,
            Change.REASON_CHANGED.value,
            Change.NOW_INSURED.value,
            Change.NO_LONGER_ELIGIBLE.value,
        ],
        default=Change.GONE_FROM_PAYROLL.value,
    )
    result = pd.DataFrame(
        {
            "candidate_id": both["candidate_id"],
            "change": change,
            "previous_reason": both["reason_before"],
            "reason": both["reason"],
            "record_id": both["record_id"],
            **{k: both[k].fillna(both[f"{k}_before"]) for k in UNIT_KEYS},
        }
    )
    return result.sort_values([*UNIT_KEYS, "change", "candidate_id"], kind="stable")
