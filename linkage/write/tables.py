"""Output tables: outreach candidates, per-unit summary. Formats; decides nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.privacy import keyed_ids
from linkage.privacy import mask_citizen_codes as mask_citizen_codes  # re-exported by write
from linkage.privacy import mask_ids as mask_ids
from linkage.schema import UNIT_KEYS

CANDIDATES = pa.schema(
    [
        ("candidate_id", pa.string()),  # worker x employer, stable across refreshes (keyed)
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("priority", pa.int32()),
        ("employer_tax_code", pa.string()),
        ("employer_name", pa.string()),
        ("full_name", pa.string()),  # as written in the tax data
        ("national_id", pa.string()),  # masked *********345 unless mask_ids is off
        ("birth_year", pa.int16()),
        ("gender", pa.string()),
        ("monthly_income", pa.int64()),
        ("contract_months", pa.int16()),
        ("period", pa.date32()),
        ("si_code", pa.string()),  # masked like national_id when it is a 12-digit citizen ID
        ("si_status", pa.string()),
        ("contribution_salary", pa.int64()),
        ("match_weight", pa.float64()),
        ("unpaid_monthly", pa.int64()),
        ("tenure_days", pa.int32()),  # days on this payroll; null for annual returns
        ("suspected_evasion", pa.bool_()),  # unregistered past the deadline + 60 days
        ("zone", pa.string()),
        ("unit_scheme", pa.string()),
        ("province_code", pa.string()),  # leading zeros kept: text in every file
        ("district_code", pa.string()),
        ("district_name", pa.string()),
        ("new_province_code", pa.string()),
        ("office", pa.string()),
        # office name is the crosswalk's default, or (from the reform) the route to the
        # office is: the commune is on no cited office's list
        ("office_placeholder", pa.bool_()),
        ("rule_set", pa.string()),
        ("birth_date", pa.date32()),  # null when only the year is known
        ("employer_address", pa.string()),  # from the business registry
        ("months_seen", pa.int16()),  # months of payroll periods of this worker x employer
        ("period_precision", pa.string()),  # "month" | "quarter" | "year"
        ("detail", pa.string()),  # what to check or do: eligibility's snake_case code
        ("commune_code", pa.string()),  # 2025-07 commune of the workplace, from the reform
        ("office_route", pa.string()),  # "cited" | "placeholder"; null: pre-2025 district
        ("office_source", pa.string()),  # the notice naming a cited office
    ]
)

SUMMARY = pa.schema(
    [
        ("province_code", pa.string()),
        ("district_code", pa.string()),
        ("unit_scheme", pa.string()),
        ("district_name", pa.string()),
        ("office", pa.string()),
        ("disposition", pa.string()),
        ("reason", pa.string()),  # null for insured_ok
        ("rows", pa.int64()),
    ]
)


# C0 controls but tab, LF, CR, and DEL and the C1 controls: no spreadsheet cell (XML 1.0) or
# letter holds them; tab, LF and CR become a space.
_CONTROLS: Final = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_BREAKS: Final = "[\t\n\r]+"


def printable(values: pd.Series) -> pd.Series:
    """Text with control characters dropped and line breaks as spaces; non-text unchanged."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    text = values.astype(pd.ArrowDtype(pa.string()))
    cleaned = text.str.replace(_CONTROLS, "", regex=True).str.replace(_BREAKS, " ", regex=True)
    return cleaned if values.dtype == cleaned.dtype else cleaned.astype(object).where(
        cleaned.notna(), None
    )


def printable_frame(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with ``printable`` applied to the given text columns present in it."""
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: printable(frame[c]) for c in present})


def _arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def published_candidates(candidates: pd.DataFrame, *, mask: bool, key: bytes) -> pd.DataFrame:
    """The candidate table as written: a keyed ``candidate_id`` per entry, IDs masked."""
    text = [f.name for f in CANDIDATES if pa.types.is_string(f.type)]
    frame = printable_frame(candidates, text)
    frame["candidate_id"] = keyed_ids(frame["entry_key"], key)
    if mask:
        frame["national_id"] = mask_ids(frame["national_id"])
        frame["si_code"] = mask_citizen_codes(frame["si_code"])
    return frame


def summary_table(dispositions: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Rows per unit, disposition and reason (long format)."""
    keys = [*UNIT_KEYS, "disposition", "reason"]
    grouped = pa.Table.from_pandas(dispositions[keys], preserve_index=False).group_by(keys)
    counts = grouped.aggregate([([], "count_all")]).to_pandas().astype("object")
    counts = counts.rename(columns={"count_all": "rows"})  # Arrow groups nulls as one value
    described = units[[*UNIT_KEYS, "district_name", "office"]].astype("object")
    counts = counts.merge(described, on=UNIT_KEYS, how="left")
    counts = counts.sort_values(keys, na_position="first", kind="stable")
    table = _arrow(counts, SUMMARY)
    result: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return result


def unit_name(scheme: str, province: str, district: str) -> str:
    """The folder and file name of an outreach unit: ``pre-2025_01_001``.

    One text value, not numeric Hive keys: readers infer ``province_code=01`` as the
    integer 1, so the codes live as text columns inside every file instead.
    """
    return f"{scheme}_{province}_{district}"


def partitions(frame: pd.DataFrame) -> list[tuple[str, slice]]:
    """Unit name and row range of each outreach unit in ``frame``, sorted by ``UNIT_KEYS``.

    Slices, not groups: one Arrow conversion of the whole table is then cut zero-copy,
    instead of one conversion per district.
    """
    keys = frame[UNIT_KEYS].astype("object").to_numpy()
    if len(keys) == 0:
        return []
    change = np.flatnonzero((keys[1:] != keys[:-1]).any(axis=1)) + 1
    starts = np.r_[0, change]
    stops = np.r_[change, len(keys)]
    return [
        (unit_name(*(str(k) for k in keys[start])), slice(int(start), int(stop)))
        for start, stop in zip(starts, stops, strict=True)
    ]


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The frame's schema columns as an Arrow table of exactly ``schema``."""
    return _arrow(frame, schema)
