"""Employer ranking per outreach unit: whom a district office should inspect first.

Within each unit, in this order (the offices' practice):

1. employers with payroll workers but no insured record at all under their root tax code:
   not registered with VSS, the whole workforce outside insurance;
2. estimated unpaid monthly contributions (the sum of ``unpaid_monthly`` over their
   candidates: rate x min(max(income, floor), ceiling) for uninsured and lapsed workers,
   rate x shortfall for under-declared ones, nothing for review rows);
3. new businesses (registered within ``[policy].new_business_months`` of their latest
   period): the first registration is where evasion starts;
4. number of candidates, then tax code for a stable order.

Arrears over three months would come next, but the registry extract carries no arrears; the
ranking says nothing about them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.eligibility.columns import codes, equals, firsts, order, positions, runs, strings, take
from linkage.eligibility.rules import IntArray, period_days
from linkage.schema import EMPLOYERS, CandidateReason, Disposition

_UNIT = ["province_code", "district_code", "unit_scheme"]


def _per_employer(
    employer: IntArray, dispositions: pd.DataFrame, payroll: pd.DataFrame
) -> tuple[IntArray, pd.Series]:
    """Workers on payroll and latest period end per employer code (every non-rejected row).

    Both are indexed by the codes of ``employer``, one per disposition row.
    """
    count = int(employer.max(initial=-1)) + 1
    none = np.iinfo(np.int64).min  # no known period end: also ``period_days``' missing day
    pairs = firsts(codes(employer, dispositions["entry_key"]))
    pairs = pairs[dispositions["entry_key"].notna().to_numpy(dtype=bool)[pairs]]
    workers = np.bincount(employer[pairs], minlength=count)
    days = period_days(payroll["period_end"])
    latest = np.full(count, none)
    np.maximum.at(latest, employer, days)
    known = latest > none
    when = pd.Series(np.where(known, latest, 0).astype("datetime64[D]")).where(known)
    return workers, when.astype("datetime64[ns]")


def rank_employers(
    dispositions: pd.DataFrame,
    payroll: pd.DataFrame,
    businesses: pd.DataFrame,
    insured: pd.DataFrame,
    *,
    new_business_months: int,
) -> pd.DataFrame:
    """Count candidates per employer and unit and rank employers within each unit.

    Args:
        dispositions: Output of ``decide`` (DISPOSITIONS plus its extra columns).
        payroll: The payroll rows ``dispositions`` decided, in the same order.
        businesses: Normalized business registry, for names and registration dates.
        insured: Normalized insured registry: whether an employer root has any record.
        new_business_months: Registered this recently before its latest period = new.

    Returns:
        One row per (unit, employer) with at least one candidate, columns ``EMPLOYERS``,
        sorted by unit then rank.
    """
    employer = codes(dispositions["employer_code"])
    rows = np.flatnonzero(equals(dispositions["disposition"], Disposition.CANDIDATE.value))
    group = codes(*(take(dispositions[c], rows) for c in _UNIT), employer[rows])
    first = rows[firsts(group)]
    table = pd.DataFrame(
        {
            **{c: take(dispositions[c], first) for c in _UNIT},
            "employer_tax_code": take(dispositions["employer_code"], first),
        }
    )
    reason = take(dispositions["reason"], rows)
    for value in [r.value for r in CandidateReason]:
        table[value] = np.bincount(group[equals(reason, value)], minlength=len(first))
    table["candidates"] = table[[r.value for r in CandidateReason]].sum(axis=1)
    unpaid = np.zeros(len(first), dtype=np.int64)
    np.add.at(unpaid, group, take(dispositions["unpaid_monthly"], rows).fillna(0).astype("int64"))
    table["unpaid_monthly"] = unpaid
    rule_set = take(dispositions["rule_set"], rows)  # per group, the greatest version
    top = order({"group": group, "rule_set": rule_set}, descending={"rule_set"})
    table["rule_set"] = take(rule_set, top[runs(group[top]) == 1])

    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    code = table["employer_tax_code"]
    at = positions(code, registry["tax_code"])
    table["employer_name"] = take(registry["name"], at)
    roots = strings(take(registry["employer_root"], at)).fillna(strings(code).str[:10])
    table["registered_with_vss"] = roots.isin(insured["employer_root"].dropna()).to_numpy(bool)
    workers, latest_end = _per_employer(employer, dispositions, payroll)
    table["payroll_workers"] = workers[employer[first]]
    registered_on = pd.to_datetime(
        take(registry["registered_on"], at).astype("object"), errors="coerce"
    )
    since = latest_end.iloc[employer[first]].reset_index(drop=True) - pd.DateOffset(
        months=new_business_months
    )
    table["registered_on"] = registered_on.dt.date
    table["new_business"] = (registered_on > since).fillna(value=False).to_numpy(dtype=bool)

    order_keys = ["registered_with_vss", "unpaid_monthly", "new_business", "candidates"]
    table = table.sort_values(
        [*_UNIT, *order_keys, "employer_tax_code"],
        ascending=[True, True, True, True, False, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    table["rank"] = table.groupby(_UNIT, sort=False).cumcount() + 1
    table["registered_on"] = table["registered_on"].where(table["registered_on"].notna(), None)
    arrow = pa.Table.from_pandas(table[EMPLOYERS.names], schema=EMPLOYERS, preserve_index=False)
    result: pd.DataFrame = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    return result
