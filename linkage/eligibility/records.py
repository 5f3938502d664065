"""Steps 9-14 of ``decide``: what the linked insured record says of a row's coverage.

A row is judged as if eligible here; the exclusions, tested first, override. An uncertain
link or a record of unknown status is a clerk's to decide (``review``), never the engine's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.eligibility.columns import equals, first_case, floats, positions, strings, take
from linkage.eligibility.details import Detail
from linkage.eligibility.parameters import RowParameters
from linkage.eligibility.rules import FloatArray
from linkage.errors import PipelineError
from linkage.schema import Band, CandidateReason, ExclusionReason

# Insured-record fields a linked payroll row reads, by the name they take on the row.
_RECORD_FIELDS = {
    "status": "si_status",
    "contribution_salary": "contribution_salary",
    "national_id": "si_national_id",
    "birth_year": "si_birth_year",
    "birth_month": "si_birth_month",
    "gender": "si_gender",
    "id_gender": "si_id_gender",
    "employer_root": "si_employer_root",
}


def linked_records(
    payroll: pd.DataFrame, links: pd.DataFrame, insured: pd.DataFrame
) -> pd.DataFrame:
    """Link and insured-record fields aligned with payroll rows (nulls where unlinked).

    A row takes the first insured record of its SI code, as a merge on the deduplicated
    registry would.
    """
    usable = links[links["band"].isin([Band.MATCH.value, Band.REVIEW.value])]
    record_ids = pa.array(strings(usable["record_id"]))
    if pc.count_distinct(record_ids, mode="all").as_py() < len(record_ids):
        msg = "eligibility: links hold more than one row for some payroll records"
        raise PipelineError(msg)
    link = positions(payroll["record_id"], usable["record_id"])
    view = pd.DataFrame({"record_id": payroll["record_id"].reset_index(drop=True)})
    for column in ("si_code", "match_weight", "band"):
        view[column] = take(usable[column], link)
    record = positions(view["si_code"], insured["si_code"])
    for column, name in _RECORD_FIELDS.items():
        view[name] = take(insured[column], record)
    return view


def legal_floor(p: RowParameters, income: FloatArray) -> FloatArray:
    """The lowest base the law allows: the regional minimum, or a part-timer's reference level.

    From 2025-07 a part-timer's base need only reach the reference level (Decree 158/2025
    Art. 7(2)); no full-time wage may be below the regional minimum, so an income below it
    (or unknown) is read as part-time there. Before, the regional minimum held for all.
    """
    part_time = np.isnan(income) | (income < p.floor)
    return np.where(p.part_time_floor_is_reference & part_time, p.reference_level, p.floor)


def coverage_reasons(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    insured: pd.DataFrame,
    floors: tuple[FloatArray, FloatArray],
    income: FloatArray,
    policy: tuple[float, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate reason and detail per row as if eligible; None where insured and declared.

    ``floors`` holds each row's legal floor and SI ceiling, ``policy`` the under-declaration
    margin and whether a law insures the first contract only.
    """
    legal_floor, ceiling = floors
    margin, first_contract_only = policy
    active_ids = insured.loc[insured["status"] == "active", "national_id"].dropna()
    # One lookup for the record's and the row's ID: the set of active IDs is built once.
    ids = pd.concat([strings(linked["si_national_id"]), strings(payroll["national_id"])])
    held = ids.isin(active_ids).to_numpy(dtype=bool)
    other_active = held[: len(payroll)] | held[len(payroll) :]
    salary = floats(linked["contribution_salary"])
    # An unknown income caps nothing: NaN, not fmin's ceiling, so only the legal floor judges.
    wage_cap = np.where(np.isnan(income), np.nan, np.fmin(income, ceiling))
    below_floor = salary < legal_floor
    under = below_floor | (salary < margin * wage_cap)
    match = equals(linked["band"], Band.MATCH.value)
    status = linked["si_status"]
    suspended = match & equals(status, "suspended")
    lapsed = suspended | (match & equals(status, "stopped"))
    active = match & equals(status, "active")
    # The salary is this employer's declaration only on this employer's record; a row
    # whose employer code is unknown is taken as at the record's employer.
    own = strings(payroll["employer_root"])
    same = (strings(linked["si_employer_root"]) == own) | own.isna()
    here = same.fillna(value=False).to_numpy(dtype=bool)
    review = equals(linked["band"], Band.REVIEW.value)
    cases: list[tuple[np.ndarray, str | None]] = [
        (review, CandidateReason.REVIEW),
        (lapsed & ~other_active, CandidateReason.LAPSED),
        (lapsed, None),
        (active & ~here & first_contract_only, ExclusionReason.COVERED_ELSEWHERE),
        (active & ~here, CandidateReason.UNINSURED),  # insured under each contract: not here
        (active & under, CandidateReason.UNDER_DECLARED),
        (active, None),
        (match, CandidateReason.REVIEW),  # linked to a record of unknown status: a clerk decides
    ]
    reason = first_case(cases, CandidateReason.UNINSURED.value)
    details: list[tuple[np.ndarray, str | None]] = [
        (review, Detail.LINK_UNCERTAIN),
        (suspended, Detail.RECORD_SUSPENDED),
        (lapsed, Detail.RECORD_STOPPED),
        (active & ~here, Detail.NOT_INSURED_AT_THIS_EMPLOYER),
        (active & below_floor, Detail.BELOW_LEGAL_FLOOR),
        (active & under, Detail.BELOW_INCOME_HEURISTIC),
        (active, None),
        (match, Detail.RECORD_STATUS_UNKNOWN),
    ]
    detail = first_case(details, Detail.NO_INSURED_RECORD.value)
    detail[pd.isna(reason) | (reason == ExclusionReason.COVERED_ELSEWHERE.value)] = None
    return reason, detail
