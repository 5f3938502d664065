"""Jobs: the rows of one worker at one employer root, seen together.

A job's rows tell what one row cannot: how long the worker has been on this payroll, their
typical income (a bonus month smoothed out), and which row is the job's one outreach entry
(the latest period; the others are ``duplicate_entry``). Keys come from what stays the same
across months and refreshes, so a worker is recognized when newly insured.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.eligibility.columns import codes, floats, order, positions, runs, strings, take
from linkage.eligibility.priority import INSURED_SEVERITY, severities
from linkage.eligibility.rules import FloatArray, period_days
from linkage.schema import Disposition

_SMOOTHING_MONTHS = 3  # months of a worker at an employer before their median income is used
_EPOCH = dt.date(1970, 1, 1)


def _person_keys(payroll: pd.DataFrame, si_code: pd.Series, *, si_first: bool) -> pd.Series:
    """Each row's first known person key, prefixed by its kind.

    SI code, national ID and personal tax code (the SI code first or last), then name and
    birth year, then the record ID.
    """
    ids = {
        "i": strings(payroll["national_id"]),
        "t": strings(payroll["person_tax_code"]),
    }
    ids = {"s": si_code, **ids} if si_first else {**ids, "s": si_code}
    keys = {
        **ids,
        "n": strings(payroll["name_ascii"]) + "|" + strings(payroll["birth_year"]),
        "r": strings(payroll["record_id"]),
    }
    # Prefix only the key each row takes: one concatenation, not one per kind.
    known = [values.notna().to_numpy(dtype=bool) for values in keys.values()]
    kind = np.select(known, list(range(len(keys))), default=len(keys))
    prefixes = pa.array([f"{name}:" for name in keys] + [None], type=pa.string())
    value = pc.coalesce(*(pa.array(values) for values in keys.values()))
    key = pc.binary_join_element_wise(prefixes.take(kind), value, "")
    return pd.Series(pd.arrays.ArrowExtensionArray(key))


def _employer_roots(payroll: pd.DataFrame) -> pd.Series:
    """The employer root of each row, else its tax code as written."""
    return strings(payroll["employer_root"]).fillna(strings(payroll["employer_tax_code"]))


def _worker_key(payroll: pd.DataFrame, linked: pd.DataFrame) -> pd.Series:
    """Linked SI code, else national ID, else personal tax code, else name and birth year.

    An unlinked row takes the SI code another row with the same national ID linked to, so a
    worker uninsured in one month and insured in a later one is recognized as the same.
    """
    national_id = strings(payroll["national_id"])
    si_code = strings(linked["si_code"])
    both = pd.DataFrame({"id": national_id, "si": si_code}).dropna()
    si_code = si_code.fillna(take(both["si"], positions(national_id, both["id"])))
    return _person_keys(payroll, si_code, si_first=True)


def entry_keys(payroll: pd.DataFrame, linked: pd.DataFrame) -> pd.Series:
    """Worker and employer root of each row, from what stays the same across refreshes.

    The citizen ID first (a worker keeps it when newly insured), then the personal tax
    code, the linked SI code, name and birth year, and as a last resort the record ID.
    """
    person = _person_keys(payroll, strings(linked["si_code"]), si_first=False)
    return person + "@" + _employer_roots(payroll).fillna("")


class Employment(NamedTuple):
    """What the (worker, employer root) pair's rows together tell, aligned with the rows."""

    tenure: FloatArray  # days on this payroll by the judging day; NaN unknown
    # days from the last day of the pair's first month to the judging day: the contract
    # started on or before it, so the deadline has surely passed once this exceeds it
    since_first_month: FloatArray
    exact: np.ndarray  # bool: the pair starts after the file's first month (a new hire)
    income: FloatArray  # typical monthly income: bonus months smoothed out


def job_codes(payroll: pd.DataFrame, linked: pd.DataFrame) -> np.ndarray:
    """An integer per (worker, employer root) pair: the rows of one job share it."""
    return codes(_worker_key(payroll, linked).fillna(""), _employer_roots(payroll).fillna(""))


def employment(payroll: pd.DataFrame, jobs: np.ndarray, as_of: dt.date | None = None) -> Employment:
    """Tenure and typical income of each row's worker at its employer.

    Tenure counts from the first period the pair appears in to the judging day (``as_of``,
    the registry's extraction date; without one, the row's period end), when all its periods are
    monthly (NaN otherwise: an annual return says nothing of a start date). It is exact only
    when that first period is later than the file's first month: a worker seen from the
    start may have been employed long before, so the count is a lower bound.

    Typical income is the median over the pair's months when it has at least
    ``_SMOOTHING_MONTHS``: a Tết or 13th-month bonus lifts one month's taxable income, not
    the SI base, and would otherwise read as under-declaration. Else the row's own income.
    """
    start = period_days(payroll["period"]).astype(np.float64)
    end = period_days(payroll["period_end"]).astype(np.float64)
    known = pd.notna(payroll["period"]).to_numpy(dtype=bool)
    known &= pd.notna(payroll["period_end"]).to_numpy(dtype=bool)
    monthly = known & (end - start < 31)
    pairs = pd.DataFrame(
        {
            "job": jobs,
            "start": np.where(known, start, np.nan),
            "monthly": monthly,
            "income": np.where(monthly, floats(payroll["monthly_income"]), np.nan),
        }
    )
    grouped = pairs.groupby("job", sort=False)
    first = grouped["start"].transform("min").to_numpy(dtype=np.float64)
    first_end = pairs.assign(end=np.where(known, end, np.nan)).groupby("job", sort=False)
    first_end_day = first_end["end"].transform("min").to_numpy(dtype=np.float64)
    all_monthly = grouped["monthly"].transform("all").to_numpy(dtype=bool)
    day = end if as_of is None else np.full(len(end), (as_of - _EPOCH).days, dtype=np.float64)
    tenure = np.where(all_monthly, np.maximum(day - first + 1, 0), np.nan)
    since = np.where(all_monthly, day - first_end_day, np.nan)
    file_start = np.nanmin(np.where(monthly, start, np.nan)) if monthly.any() else np.nan
    months = grouped["income"].transform("count").to_numpy()
    median = grouped["income"].transform("median").to_numpy(dtype=np.float64)
    own = floats(payroll["monthly_income"])
    typical = np.where(monthly & (months >= _SMOOTHING_MONTHS), median, own)
    return Employment(tenure, since, all_monthly & (first > file_start), typical)


def duplicates(
    payroll: pd.DataFrame, jobs: np.ndarray, disposition: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    """Candidate rows that are not the latest entry of their (worker, employer root) pair."""
    severity = severities(reason)
    entries = np.flatnonzero(disposition != Disposition.EXCLUDED.value)
    ordered = entries[
        order(
            {
                "job": jobs[entries],
                "day": period_days(payroll["period_end"])[entries],
                "severity": np.where(np.isnan(severity), INSURED_SEVERITY, severity)[entries],
                "record_id": take(strings(payroll["record_id"]).fillna(""), entries),
            },
            descending={"day"},
        )
    ]
    stale = np.zeros(len(payroll), dtype=bool)
    stale[ordered[runs(jobs[ordered]) > 1]] = True
    stale &= disposition == Disposition.CANDIDATE.value
    return stale
