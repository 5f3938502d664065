"""The outreach entries: each candidate with what an office needs to write the letter.

Assembled at the end of eligibility from the dispositions, the payroll row (name, ID, birth
year, income, contract, period), the outreach unit's names and office, and the employer's
registered name; sorted by unit, then priority. IDs are as read: the writer masks them and
keys the ``candidate_id`` (privacy is its business).
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from linkage.eligibility.columns import order
from linkage.schema import UNIT_KEYS, Disposition

PAYROLL_FIELDS: Final = (
    "record_id",
    "full_name",
    "national_id",
    "birth_year",
    "gender",
    "monthly_income",
    "contract_months",
    "period",
)


def candidate_table(
    payroll: pd.DataFrame,
    dispositions: pd.DataFrame,
    units: pd.DataFrame,
    businesses: pd.DataFrame,
) -> pd.DataFrame:
    """Candidates with the payroll fields an office needs, sorted by unit then priority.

    Args:
        payroll: Normalized payroll (schema.PAYROLL).
        dispositions: ``decide`` output.
        units: ``outreach_units`` output.
        businesses: Normalized business registry, for employer names.
    """
    chosen = dispositions[dispositions["disposition"] == Disposition.CANDIDATE.value]
    people = payroll[list(PAYROLL_FIELDS)]
    frame = chosen.merge(people, on="record_id", how="left", sort=False)
    frame = frame.merge(units, on=UNIT_KEYS, how="left", sort=False)
    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    names = pd.Series(
        registry["name"].to_numpy(dtype=object), index=registry["tax_code"].to_numpy(dtype=object)
    )
    frame["employer_tax_code"] = frame["employer_code"]
    frame["employer_name"] = frame["employer_code"].astype("object").map(names)
    ordered = frame.iloc[order({c: frame[c] for c in [*UNIT_KEYS, "priority", "record_id"]})]
    return ordered.reset_index(drop=True)
