"""Why a row has its disposition: one short, stable code per row (the ``detail`` column).

The reason says which list a row is on; the detail says what the office does or checks. Every
code ``decide`` gives is a member of ``Detail`` with a one-line English meaning in
``DETAIL_MEANINGS``; writers map the codes to the clerk's language, so a code, once
published, keeps its meaning (add a new code rather than change one).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Detail(StrEnum):
    """Stable detail codes of the dispositions table."""

    # uninsured
    NO_INSURED_RECORD = "no_insured_record"
    NOT_INSURED_AT_THIS_EMPLOYER = "not_insured_at_this_employer"
    # lapsed
    RECORD_SUSPENDED = "record_suspended"
    RECORD_STOPPED = "record_stopped"
    # under_declared
    BELOW_LEGAL_FLOOR = "below_legal_floor"
    BELOW_INCOME_HEURISTIC = "below_income_heuristic"
    # review: the data cannot show a fact the law turns on
    FOREIGN_WORKER_EXEMPTION_UNKNOWN = "foreign_worker_exemption_unknown"
    PENSION_UNKNOWN_OVER_RETIREMENT_AGE = "pension_unknown_over_retirement_age"
    DOMESTIC_WORKER_UNKNOWN = "domestic_worker_unknown"
    HOUSEHOLD_TAX_METHOD_UNKNOWN = "household_business_tax_method_unknown"
    # review: a fact the decision needs is missing or uncertain
    LINK_UNCERTAIN = "link_uncertain"
    RECORD_STATUS_UNKNOWN = "record_status_unknown"
    MISSING_PERIOD = "missing_period"
    MISSING_BIRTH_YEAR = "missing_birth_year"
    MISSING_CONTRACT_LENGTH = "missing_contract_length"
    UNDER_MINIMUM_WORKING_AGE = "under_minimum_working_age"
    # excluded, not yet owed
    REGISTRATION_WINDOW = "registration_window"


DETAIL_MEANINGS: Final[dict[Detail, str]] = {
    Detail.NO_INSURED_RECORD: "no registry record found for the worker: register them",
    Detail.NOT_INSURED_AT_THIS_EMPLOYER: (
        "insured at another employer only, and the law insures each contract: register here"
    ),
    Detail.RECORD_SUSPENDED: "the worker's registry record is suspended: resume contributions",
    Detail.RECORD_STOPPED: "the worker's registry record is stopped: resume contributions",
    Detail.BELOW_LEGAL_FLOOR: (
        "declared base below the legal floor (regional minimum wage; the reference level for "
        "a part-timer from 2025-07): a violation, Law 41/2024 Art. 39(1)(c)"
    ),
    Detail.BELOW_INCOME_HEURISTIC: (
        "declared base at least the floor but well below taxable income: check whether the gap "
        "is bonuses or productivity allowances outside the base (Decree 158/2025 Art. 7(1))"
    ),
    Detail.FOREIGN_WORKER_EXEMPTION_UNKNOWN: (
        "foreign worker not insured: check for an exemption (intra-company transfer, "
        "retirement age, treaty; Law 41/2024 Art. 2(2)) before asking to register"
    ),
    Detail.PENSION_UNKNOWN_OVER_RETIREMENT_AGE: (
        "over retirement age: check whether the worker draws a pension or a monthly SI "
        "allowance (then excluded); if not, the contract is insured"
    ),
    Detail.DOMESTIC_WORKER_UNKNOWN: (
        "employer is a household: check whether the worker is a domestic worker (excluded)"
    ),
    Detail.HOUSEHOLD_TAX_METHOD_UNKNOWN: (
        "owner of a business household: insured from 2025-07 only if taxed by declaration; "
        "check its tax method"
    ),
    Detail.LINK_UNCERTAIN: "the match to a registry record is uncertain: confirm the person",
    Detail.RECORD_STATUS_UNKNOWN: "matched a registry record whose status is unknown: check it",
    Detail.MISSING_PERIOD: "the payroll period is missing, so the law in force is unknown",
    Detail.MISSING_BIRTH_YEAR: (
        "no birth year anywhere: the age is unknown, and a record at another employer cannot "
        "be singled out by name alone"
    ),
    Detail.MISSING_CONTRACT_LENGTH: "the contract length is missing: check the contract",
    Detail.UNDER_MINIMUM_WORKING_AGE: (
        "under the minimum working age (15): check the contract the law allows for this work"
    ),
    Detail.REGISTRATION_WINDOW: (
        "new hire whose 30-day registration deadline had not surely passed at the as-of date"
    ),
}
