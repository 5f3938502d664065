"""Deterministic passes: the same normalized citizen ID on both sides.

From July 2025 the 12-digit citizen ID is also the personal tax code (Circular 86/2024) and,
for VSS, the social-insurance code: a payroll row's national ID or 12-digit personal tax code
is looked up against the insured national ID and 12-digit SI code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.schema import LinkMethod


def _keys(frame: pd.DataFrame, citizen_id_column: str) -> pd.DataFrame:
    """Every usable ID key of each row: (pos, key, via_national_id).

    The national ID, and ``citizen_id_column`` where it holds a 12-digit citizen ID (or
    the pseudonym of one).
    """
    national = frame["national_id"]
    other = frame[citizen_id_column]
    citizen = (other.str.len() == 12) | other.str.startswith("cccd:")
    parts = [
        (national, national.notna(), True),
        (other, citizen.fillna(value=False), False),
    ]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "pos": np.flatnonzero(usable.to_numpy()),
                    "key": values[usable].astype(str).to_numpy(),
                    "via_national_id": via_national_id,
                }
            )
            for values, usable, via_national_id in parts
        ],
        ignore_index=True,
    )


def exact_id_pairs(payroll: pd.DataFrame, insured: pd.DataFrame) -> pd.DataFrame:
    """Pairs (payroll_pos, insured_pos, method) sharing a citizen ID key.

    ``method`` is ``national_id`` when both sides carry it as national ID, else ``tax_id``
    (the ID reached through a personal tax code or SI code).
    """
    pairs = _keys(payroll, "person_tax_code").merge(
        _keys(insured, "si_code"), on="key", suffixes=("_payroll", "_insured")
    )
    both_national = pairs["via_national_id_payroll"] & pairs["via_national_id_insured"]
    # One row per pair; a national-ID agreement outranks a tax-code one.
    pairs = (
        pairs.assign(both_national=both_national)
        .sort_values("both_national", ascending=False, kind="stable")
        .drop_duplicates(["pos_payroll", "pos_insured"])
    )
    return pd.DataFrame(
        {
            "payroll_pos": pairs["pos_payroll"].to_numpy(np.int64),
            "insured_pos": pairs["pos_insured"].to_numpy(np.int64),
            "method": np.where(
                pairs["both_national"], LinkMethod.NATIONAL_ID.value, LinkMethod.TAX_ID.value
            ).astype(object),
        }
    )
