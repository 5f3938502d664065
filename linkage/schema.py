"""The data contract: canonical columns, dtypes and reason codes at every stage boundary.

Stages exchange pandas DataFrames with Arrow-backed dtypes. Each boundary has one Arrow
schema here; ``conform`` casts a frame to it and fails loudly on a missing column, so a
stage can never hand the next one a table of the wrong shape.

Boundaries:
    raw (load -> normalize)      canonical source columns, every value a string, plus
                                 ``source_file`` / ``source_line`` for rejects.
    normalized (normalize -> link / eligibility)
                                 typed values and matching keys (PAYROLL, INSURED, BUSINESSES).
    links (link -> eligibility)  LINKS plus per-comparison ``gamma_*`` / ``weight_*`` columns.
    dispositions (eligibility -> write)
                                 DISPOSITIONS: one row per payroll row that passed loading.
    rejects (any stage -> write) REJECTS.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import pandas as pd
import pyarrow as pa

from linkage.errors import PipelineError


class Source(StrEnum):
    """The three input sources."""

    BUSINESSES = "businesses"
    PAYROLL = "payroll"
    INSURED = "insured"


class RejectReason(StrEnum):
    """Why an input row could not be used at all."""

    MISSING_REQUIRED = "missing_required"  # a mandatory field is empty
    NO_IDENTITY = "no_identity"  # a person row with no usable name and no usable ID
    INVALID_TAX_CODE = "invalid_tax_code"  # a business tax code that is no MST or CCCD
    INVALID_VALUE = "invalid_value"  # an SI code that is neither 10 digits nor a CCCD
    DUPLICATE_KEY = "duplicate_key"  # record_id / si_code / tax_code seen earlier


class Band(StrEnum):
    """Decision band of a scored pair."""

    MATCH = "match"
    REVIEW = "review"
    NON_MATCH = "non_match"


class LinkMethod(StrEnum):
    """Which pass produced a link."""

    NATIONAL_ID = "national_id"  # exact normalized national ID
    TAX_ID = "tax_id"  # 12-digit citizen ID used as personal tax code / SI code
    TAXPAYER = "taxpayer"  # the same personal tax code as rows matched to this record
    PROBABILISTIC = "probabilistic"


class Disposition(StrEnum):
    """Exactly one per payroll row that passed loading; rejects are counted apart."""

    INSURED_OK = "insured_ok"
    CANDIDATE = "candidate"
    EXCLUDED = "excluded"


class Change(StrEnum):
    """What became of an outreach entry between a previous run and this one."""

    NEW = "new"  # listed now, not before
    PERSISTING = "persisting"  # listed in both, for the same reason
    REASON_CHANGED = "reason_changed"  # listed in both, for another reason
    NOW_INSURED = "now_insured"  # listed before, insured now
    NO_LONGER_ELIGIBLE = "no_longer_eligible"  # listed before, excluded now
    GONE_FROM_PAYROLL = "gone_from_payroll"  # listed before, absent from this payroll


class CandidateReason(StrEnum):
    """Why a worker is on an outreach list."""

    UNINSURED = "uninsured"
    LAPSED = "lapsed"
    UNDER_DECLARED = "under_declared"
    REVIEW = "review"


class ExclusionReason(StrEnum):
    """Why a worker is not a candidate although not insured."""

    SHORT_CONTRACT = "short_contract"
    # no longer given (over the age is no exclusion; a pension is): earlier outputs carry it
    OVER_RETIREMENT_AGE = "over_retirement_age"
    EMPLOYER_CLOSED = "employer_closed"
    FOREIGN_NOT_COVERED = "foreign_not_covered"  # before Decree 143/2018 (2018-12-01)
    FOREIGN_SHORT_CONTRACT = "foreign_short_contract"
    PENSIONER = "pensioner"  # linked to an insured record drawing a pension
    # active at another employer: Law 58 Art. 85(4) / Law 41: a worker with several labour
    # contracts contributes under the first one signed, so this employer owes nothing here
    COVERED_ELSEWHERE = "covered_elsewhere"
    PART_TIME_LOW_WAGE = "part_time_low_wage"
    PROBATION = "probation"  # a probation contract, where the law leaves it out
    DUPLICATE_ENTRY = "duplicate_entry"  # same worker and employer already listed
    # first seen on this employer's monthly payroll within the registration deadline (30
    # days, Law 41 Art. 28(1)): not yet a violation
    REGISTRATION_WINDOW = "registration_window"
    NO_RULES_IN_FORCE = "no_rules_in_force"
    # the owner of the business household paying, before Law 41 (2025-07) insured owners
    HOUSEHOLD_OWNER_NOT_COVERED = "household_owner_not_covered"


class Gender(StrEnum):
    """Canonical gender codes of the ``gender`` vocabulary."""

    MALE = "M"
    FEMALE = "F"


class InsuredStatus(StrEnum):
    """Canonical statuses of an insured record (``insured_status`` vocabulary)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    PENSIONER = "pensioner"  # drawing a pension: outside compulsory insurance (Law 41)


class BusinessStatus(StrEnum):
    """Canonical statuses of a registered business (``business_status`` vocabulary)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class ContractType(StrEnum):
    """Canonical kinds of a payroll row's contract (optional ``contract_type`` vocabulary)."""

    LABOUR = "labour"
    PROBATION = "probation"  # a probation contract: no compulsory SI under Decree 158/2025


class UnitScheme(StrEnum):
    """Administrative-unit coding scheme of a province/district/ward code."""

    PRE_2025 = "pre-2025"
    REFORM_2025 = "2025-07"


STRING: Final = pa.string()
DATE: Final = pa.date32()

# Raw boundary: canonical source columns, all strings. Required columns must be present in
# the source (after header mapping); optional ones are added as all-null when absent.
RAW_REQUIRED: Final[dict[Source, tuple[str, ...]]] = {
    Source.BUSINESSES: ("tax_code", "name", "province_code", "district_code", "status"),
    Source.PAYROLL: (
        "record_id",
        "employer_tax_code",
        "full_name",
        "period",
        "contract_months",
        "monthly_income",
    ),
    Source.INSURED: (
        "si_code",
        "full_name",
        "birth_date",
        "gender",
        "employer_tax_code",
        "status",
        "contribution_salary",
    ),
}
RAW_OPTIONAL: Final[dict[Source, tuple[str, ...]]] = {
    Source.BUSINESSES: ("address", "ward_code", "registered_on", "closed_on"),
    # id_birth_year and id_gender: what a CCCD encodes, beside its pseudonym (privacy.py).
    Source.PAYROLL: (
        "person_tax_code",
        "national_id",
        "birth_date",
        "gender",
        "nationality",
        "id_birth_year",
        "id_gender",
        "contract_type",
    ),
    Source.INSURED: ("national_id", "id_birth_year", "id_gender"),
}
PROVENANCE: Final = (("source_file", STRING), ("source_line", pa.int64()))


def raw_schema(source: Source) -> pa.Schema:
    """Arrow schema of a raw table: every canonical column as string, then provenance."""
    names = RAW_REQUIRED[source] + RAW_OPTIONAL[source]
    return pa.schema([(n, STRING) for n in names] + list(PROVENANCE))


# Person fields shared by payroll and insured after normalization: what linking compares.
PERSON_FIELDS: Final = [
    ("national_id", STRING),  # 12-digit CCCD or 9-digit CMND, digits only; null if invalid
    ("national_id_kind", STRING),  # "cccd" | "cmnd" | null
    ("id_birth_year", pa.int16()),  # birth year encoded in a CCCD (digits 4-6)
    ("id_gender", STRING),  # "M" | "F" encoded in a CCCD (digit 4)
    ("full_name", STRING),  # NFC, whitespace collapsed, as written (for display)
    ("name_exact", STRING),  # NFC lower case, tokens in family-first order
    ("name_toneless", STRING),  # tone marks dropped, â ă ê ô ơ ư đ kept
    ("name_ascii", STRING),  # full ASCII fold, đ -> d
    ("name_sorted", STRING),  # ASCII tokens sorted: order-free key
    ("surname_ascii", STRING),
    ("middle_ascii", STRING),  # middle names joined by a space; "" when none
    ("given_ascii", STRING),
    ("given_toneless", STRING),
    ("birth_date", DATE),  # null when only the year is known
    ("birth_year", pa.int16()),
    ("birth_month", pa.int8()),
    ("birth_day", pa.int8()),
    ("birth_precision", STRING),  # "day" | "year" | null
    ("gender", STRING),  # "M" | "F" | null
    ("employer_tax_code", STRING),  # compact MST, 10 or 13 digits
    ("employer_root", STRING),  # first 10 digits: the enterprise, branches folded
]

PAYROLL: Final = pa.schema(
    [
        ("record_id", STRING),
        ("person_tax_code", STRING),  # 10-digit MST or 12-digit citizen ID; null if invalid
        *PERSON_FIELDS,
        ("nationality", STRING),  # ISO-like code, "VN" default; null if unknown
        ("period", DATE),  # first day of the withholding period
        ("period_end", DATE),  # its last day: age and the law in force are judged here
        ("period_precision", STRING),  # "month" | "quarter" | "year"
        ("contract_months", pa.int16()),  # 0 = no labour contract
        ("contract_type", STRING),  # ContractType value; null when the source does not say
        ("monthly_income", pa.int64()),  # VND
        *PROVENANCE,
    ]
)

INSURED: Final = pa.schema(
    [
        ("si_code", STRING),
        *PERSON_FIELDS,
        ("status", STRING),  # "active" | "suspended" | "stopped" | "pensioner"
        ("contribution_salary", pa.int64()),  # VND
        *PROVENANCE,
    ]
)

BUSINESSES: Final = pa.schema(
    [
        ("tax_code", STRING),  # compact MST, 10 or 13 digits
        ("employer_root", STRING),
        ("name", STRING),
        ("address", STRING),
        ("province_code", STRING),  # 2 digits
        ("district_code", STRING),  # 3 digits (pre-2025 scheme) or null
        ("ward_code", STRING),  # 5 digits or null
        ("unit_scheme", STRING),  # UnitScheme value
        ("status", STRING),  # "active" | "suspended" | "closed"
        ("registered_on", DATE),
        ("closed_on", DATE),  # dissolution / tax-code closure date, when the registry has it
        *PROVENANCE,
    ]
)

REJECTS: Final = pa.schema(
    [
        ("source", STRING),  # Source value
        ("source_file", STRING),
        ("source_line", pa.int64()),  # 1-based line (CSV header = line 1) or sheet row
        ("record_key", STRING),  # record_id / si_code / tax_code when readable, never an ID
        ("reason", STRING),  # RejectReason value
        ("column", STRING),  # canonical column at fault
        ("detail", STRING),  # what was wrong, without personal data
    ]
)

# Links: one row per payroll record that links (match or review band). Per-comparison
# columns ``gamma_<name>`` (int8 level, -1 = missing) and ``weight_<name>`` (float64, log2
# Bayes factor) follow these fixed columns.
LINKS: Final = pa.schema(
    [
        ("record_id", STRING),
        ("si_code", STRING),
        ("match_weight", pa.float64()),  # log2 odds including the prior
        ("match_probability", pa.float64()),
        ("band", STRING),  # Band value
        ("method", STRING),  # LinkMethod value
        ("runner_up_si_code", STRING),
        ("runner_up_margin", pa.float64()),  # match_weight minus the runner-up's; null if none
    ]
)

DISPOSITIONS: Final = pa.schema(
    [
        ("record_id", STRING),
        ("disposition", STRING),  # Disposition value
        ("reason", STRING),  # CandidateReason / ExclusionReason value; null for insured_ok
        ("priority", pa.int32()),  # 1 = contact first; null unless candidate
        ("rule_set", STRING),  # version of the rules in force for the row's period
        ("si_code", STRING),  # linked insured record, when there is one
        ("match_weight", pa.float64()),
        ("si_status", STRING),
        ("contribution_salary", pa.int64()),
        ("employer_code", STRING),  # registry tax code matched, else the payroll's
        ("province_code", STRING),  # outreach unit
        ("district_code", STRING),
        ("unit_scheme", STRING),
        ("zone", STRING),  # minimum-wage zone
        ("unpaid_monthly", pa.int64()),  # estimated unpaid contributions, VND; candidates only
        # Days from the first period the worker is seen on this employer's payroll to the
        # end of this one; a lower bound when seen from the file's first period, null when
        # the pair's periods are not all monthly (annual returns tell no tenure).
        ("tenure_days", pa.int32()),
        # uninsured past the registration deadline plus the evasion window (Law 41 Art. 39)
        ("suspected_evasion", pa.bool_()),
        # The worker and employer behind the row, stable across refreshes: the citizen ID,
        # else the personal tax code, SI code, or name and birth year; then the employer
        # root. Personal data: written only as a keyed hash (``candidate_id``).
        ("entry_key", STRING),
        # why the row has its disposition and reason: a ``linkage.eligibility.details.Detail``
        # code (what to do or check); null where the reason says it all
        ("detail", STRING),
    ]
)

# The outreach unit: codes are reused across the 2025 reform (24 is old Bắc Giang and the
# new Bắc Ninh), so the scheme is part of the key everywhere.
UNIT_KEYS: Final = ["unit_scheme", "province_code", "district_code"]

# Outreach units (eligibility -> write): each unit described through the crosswalk.
UNITS: Final = pa.schema(
    [
        ("province_code", STRING),  # outreach unit, scheme in unit_scheme
        ("district_code", STRING),
        ("unit_scheme", STRING),
        ("district_name", STRING),
        ("new_province_code", STRING),  # 2025-07 scheme
        ("office", STRING),
        ("office_placeholder", pa.bool_()),  # the generated default name, not yet checked
        ("crosswalk", STRING),  # crosswalk version used, null without one
        ("office_source", STRING),  # the notice or letter naming a cited office
    ]
)

# Employers ranked for inspection within each unit (eligibility -> write).
EMPLOYERS: Final = pa.schema(
    [
        ("province_code", STRING),
        ("district_code", STRING),
        ("unit_scheme", STRING),
        ("employer_tax_code", STRING),
        ("employer_name", STRING),  # from the business registry; null if unregistered
        # any insured record under the employer's root tax code (else not registered with VSS)
        ("registered_with_vss", pa.bool_()),
        ("payroll_workers", pa.int64()),  # distinct workers on its payroll rows
        ("registered_on", DATE),  # business registration date, when the registry has it
        ("new_business", pa.bool_()),  # registered within [policy].new_business_months
        *[(reason.value, pa.int64()) for reason in CandidateReason],  # workers per reason
        ("candidates", pa.int64()),
        ("unpaid_monthly", pa.int64()),  # VND, estimated
        ("rank", pa.int32()),  # 1 = visit first, within the unit
        ("rule_set", STRING),
    ]
)


def conform(frame: pd.DataFrame, schema: pa.Schema, *, stage: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the schema's leading columns, cast to its types.

    Extra columns (such as ``gamma_*`` on links) are kept after the schema's columns.
    A missing column is a bug in the producing stage, hence PipelineError.
    """
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        msg = f"{stage}: table lacks contract columns {missing}"
        raise PipelineError(msg)
    extra = [c for c in frame.columns if c not in schema.names]
    table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    result: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in extra:
        result[column] = frame[column].to_numpy()
    return result


def empty(schema: pa.Schema) -> pd.DataFrame:
    """An empty frame of the given schema, with Arrow-backed dtypes."""
    frame: pd.DataFrame = schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    return frame
