"""Deterministic passes: the same normalized citizen ID on both sides.

From July 2025 the 12-digit citizen ID is also the personal tax code (Circular 86/2024) and,
for VSS, the social-insurance code: a payroll row's national ID or 12-digit personal tax code
is looked up against the insured national ID and 12-digit SI code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.normalize import arrow_text
from linkage.schema import LinkMethod


def _keys(frame: pd.DataFrame, citizen_id_column: str) -> tuple[pd.DataFrame, pa.Array]:
    """Every usable ID key of each row: (pos, via_national_id) rows, and the keys' texts.

    The national ID, and ``citizen_id_column`` where it holds a 12-digit citizen ID (or
    the pseudonym of one).
    """
    national = frame["national_id"]
    other = frame[citizen_id_column]
    citizen = (other.str.len() == 12) | other.str.startswith("cccd:")
    parts = [(national, national.notna()), (other, citizen.fillna(value=False))]
    usable = [np.asarray(mask.to_numpy(), dtype=bool) for _, mask in parts]
    rows = pd.DataFrame(
        {
            "pos": np.concatenate([np.flatnonzero(mask) for mask in usable]),
            "via_national_id": np.repeat([True, False], [int(mask.sum()) for mask in usable]),
        }
    )
    texts = pa.concat_arrays(
        [
            arrow_text(values).filter(pa.array(mask))
            for (values, _), mask in zip(parts, usable, strict=True)
        ]
    )
    return rows, texts


def exact_id_pairs(payroll: pd.DataFrame, insured: pd.DataFrame) -> pd.DataFrame:
    """Pairs (payroll_pos, insured_pos, method) sharing a citizen ID key.

    ``method`` is ``national_id`` when both sides carry it as national ID, else ``tax_id``
    (the ID reached through a personal tax code or SI code). The keys are joined as codes
    of one Arrow dictionary of both sides: hashing the ID strings once, in C.
    """
    left, left_texts = _keys(payroll, "person_tax_code")
    right, right_texts = _keys(insured, "si_code")
    codes = pc.dictionary_encode(pa.concat_arrays([left_texts, right_texts])).indices
    codes = codes.to_numpy(zero_copy_only=False)
    pairs = left.assign(key=codes[: len(left)]).merge(
        right.assign(key=codes[len(left) :]), on="key", suffixes=("_payroll", "_insured")
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
