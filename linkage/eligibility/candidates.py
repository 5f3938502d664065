"""The outreach entries: each candidate with what an office needs to write the letter.

Assembled at the end of eligibility from the dispositions, the payroll row (name, ID, birth
date and year, income, contract, period), the months the worker was seen at the employer, the
outreach unit's names and office (and, from the reform, how the office was found), and the
employer's registered name and address; sorted by unit, then priority. IDs are as read: the
writer masks them and keys the ``candidate_id`` (privacy is its business).
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
    "id_birth_year",
    "id_gender",
    "birth_date",
    "birth_year",
    "gender",
    "monthly_income",
    "contract_months",
    "period",
    "period_precision",
)
# Months a withholding period covers, by its precision.
PERIOD_MONTHS: Final = {"month": 1, "quarter": 3, "year": 12}


def months_seen(payroll: pd.DataFrame, dispositions: pd.DataFrame) -> pd.Series:
    """Months of payroll periods per entry (worker x employer), indexed by ``entry_key``.

    Every payroll row of the entry counts, listed or not; a period seen twice counts once.
    """
    rows = pd.DataFrame(
        {
            "entry_key": dispositions["entry_key"].astype("object").to_numpy(),
            "period": payroll["period"].astype("object").to_numpy(),
            "months": payroll["period_precision"].astype("object").map(PERIOD_MONTHS).to_numpy(),
        }
    ).dropna(subset=["entry_key", "period"])
    rows = rows.drop_duplicates(["entry_key", "period"])
    counted: pd.Series = rows.groupby("entry_key", sort=False)["months"].sum(min_count=1)
    return counted


def candidate_table(
    payroll: pd.DataFrame,
    dispositions: pd.DataFrame,
    units: pd.DataFrame,
    businesses: pd.DataFrame,
    routes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Candidates with the payroll fields an office needs, sorted by unit then priority.

    Args:
        payroll: Normalized payroll (schema.PAYROLL), the rows of ``dispositions``.
        dispositions: ``decide`` output (routed by ``units.route`` or not); its ``detail``
            column (what a clerk should check) is carried when present.
        units: ``outreach_units`` output.
        businesses: Normalized business registry, for employer names and addresses.
        routes: ``units.route``'s routes (commune and ``office_route`` per record), if any.
    """
    chosen = dispositions[dispositions["disposition"] == Disposition.CANDIDATE.value]
    people = payroll[list(PAYROLL_FIELDS)]
    frame = chosen.merge(people, on="record_id", how="left", sort=False)
    # the year the CCCD encodes, where the row states none
    frame["birth_year"] = frame["birth_year"].fillna(frame["id_birth_year"])
    frame["gender"] = frame["gender"].fillna(frame["id_gender"])
    frame = frame.merge(units, on=UNIT_KEYS, how="left", sort=False)
    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    index = registry["tax_code"].to_numpy(dtype=object)
    names = pd.Series(registry["name"].to_numpy(dtype=object), index=index)
    addresses = pd.Series(registry["address"].to_numpy(dtype=object), index=index)
    employer = frame["employer_code"].astype("object")
    frame["employer_tax_code"] = frame["employer_code"]
    frame["employer_name"] = employer.map(names)
    frame["employer_address"] = employer.map(addresses)
    frame["months_seen"] = (
        frame["entry_key"].astype("object").map(months_seen(payroll, dispositions))
    )
    if "detail" not in frame.columns:
        frame["detail"] = None
    frame["commune_code"] = None
    frame["office_route"] = None
    if routes is not None:
        found = frame[["record_id"]].merge(routes, on="record_id", how="left", sort=False)
        frame["commune_code"] = found["commune_code"].to_numpy(dtype=object)
        frame["office_route"] = found["office_route"].to_numpy(dtype=object)
        routed = frame["office_route"].notna()
        placeholder = frame["office_route"] == "placeholder"
        frame["office_placeholder"] = (
            frame["office_placeholder"].astype("object").where(~routed, placeholder)
        )
    ordered = frame.iloc[order({c: frame[c] for c in [*UNIT_KEYS, "priority", "record_id"]})]
    return ordered.reset_index(drop=True)
