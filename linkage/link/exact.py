"""Deterministic passes: the same normalized citizen ID on both sides.

From July 2025 the 12-digit citizen ID is also the personal tax code (Circular 86/2024) and,
for VSS, the social-insurance code: a payroll row's national ID or 12-digit personal tax code
is looked up against the insured national ID and 12-digit SI code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.schema import LinkMethod


def _keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Long table (pos, key) of every usable ID key of each row."""
    parts = []
    for column in columns:
        values = frame[column]
        usable = (
            values.notna() & (values.str.len() == 12)
            if column != "national_id"
            else (values.notna())
        )
        parts.append(
            pd.DataFrame(
                {
                    "pos": np.flatnonzero(usable.to_numpy()),
                    "key": values[usable].astype(str).to_numpy(),
                    "via_national_id": column == "national_id",
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def exact_id_pairs(payroll: pd.DataFrame, insured: pd.DataFrame) -> pd.DataFrame:
    """Pairs (payroll_pos, insured_pos, method) sharing a citizen ID key.

    ``method`` is ``national_id`` when both sides carry it as national ID, else ``tax_id``
    (the ID reached through a personal tax code or SI code).
    """
    left = _keys(payroll, ("national_id", "person_tax_code"))
    right = _keys(insured, ("national_id", "si_code"))
    pairs = left.merge(right, on="key", suffixes=("_payroll", "_insured"))
    pairs["method"] = np.where(
        pairs["via_national_id_payroll"] & pairs["via_national_id_insured"],
        LinkMethod.NATIONAL_ID.value,
        LinkMethod.TAX_ID.value,
    )
    # One row per pair; a national-ID agreement outranks a tax-code one.
    pairs = pairs.sort_values("method").drop_duplicates(["pos_payroll", "pos_insured"])
    return pd.DataFrame(
        {
            "payroll_pos": pairs["pos_payroll"].to_numpy(np.int64),
            "insured_pos": pairs["pos_insured"].to_numpy(np.int64),
            "method": pairs["method"].to_numpy(object),
        }
    )
