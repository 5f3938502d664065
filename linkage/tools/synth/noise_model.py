"""The default noise of each source: every base rate at noise = 1, in one place.

Each default is at least the rate an independent validation set shows (its payroll,
registry and truth measured with pandas; figures in the comments), so the generated data
is no easier to link than that set. ``noise`` (``generate``) scales every rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from linkage.tools.synth.field_noise import (
    DATE_RATES,
    ID_RATES,
    INSURED_DATE_RATES,
    INSURED_ID_RATES,
    INSURED_TAX_CODE_RATES,
    TAX_CODE_RATES,
)
from linkage.tools.synth.name_noise import INSURED_NAME_RATES, NAME_RATES

__all__ = [
    "CCCD_AS_TAX_CODE",
    "INSURED_NOISE",
    "PAYROLL_NOISE",
    "PAYROLL_RATES",
    "SourceNoise",
]

PAYROLL_RATES: Final = {
    "duplicate": 0.01,  # same person, employer and period declared again, new record_id
    "exact_duplicate": 0.003,  # a row repeated verbatim, record_id included (validation: 0.3 %)
    "rejected": 0.001,  # defect rows: no name nor ID (rejected), invalid employer MST, bad income
    "tax_id_missing": 0.02,  # of the rows of a person who has a personal tax code
    "period_iso": 0.20,  # monthly periods: YYYY-MM instead of MM/YYYY
}
# Of persons without a legacy 10-digit MST: the citizen ID serves as their tax code (from
# Jul 2025); the rest have none, so payroll leaves it blank (validation: 23 % of rows).
CCCD_AS_TAX_CODE: Final = 0.15


@dataclass(frozen=True)
class SourceNoise:
    """Base rates (at noise = 1) of the person fields one source writes.

    Attributes:
        names: name corruptions (``name_noise.NAME_RATES`` keys).
        dates: birth-date corruptions (``field_noise.DATE_RATES`` keys).
        ids: national-ID corruptions (``field_noise.ID_RATES`` keys).
        tax_codes: employer tax-code corruptions (``field_noise.TAX_CODE_RATES`` keys).
        id_withheld: of persons: the source never records their national ID.
        id_missing: of rows: the national ID left blank.
        cmnd_written: of the rows of CMND holders: the old CMND written instead of the CCCD.
        birth_date_missing: of rows: a blank birth date.
        gender_missing: of rows: a blank gender.
        gender_code: of written genders: M/F instead of Nam/Nữ.
    """

    names: Mapping[str, float]
    dates: Mapping[str, float]
    ids: Mapping[str, float]
    tax_codes: Mapping[str, float]
    id_withheld: float
    id_missing: float
    cmnd_written: float
    birth_date_missing: float
    gender_missing: float
    gender_code: float


# Validation payroll: national ID blank on 30 % of rows (27.5 % of persons on every row),
# 9-digit CMND on 8 %; birth date blank 6.3 %; gender blank 20 %, M/F on 30 %.
PAYROLL_NOISE: Final = SourceNoise(
    names=NAME_RATES,
    dates=DATE_RATES,
    ids=ID_RATES,
    tax_codes=TAX_CODE_RATES,
    id_withheld=0.27,
    id_missing=0.05,
    cmnd_written=0.35,
    birth_date_missing=0.065,
    gender_missing=0.21,
    gender_code=0.38,
)
# Validation registry: national ID blank 10 %, CMND 3.5 %; birth date blank 2 %; gender
# blank 5 %, M/F on 10 %.
INSURED_NOISE: Final = SourceNoise(
    names=INSURED_NAME_RATES,
    dates=INSURED_DATE_RATES,
    ids=INSURED_ID_RATES,
    tax_codes=INSURED_TAX_CODE_RATES,
    id_withheld=0.0,
    id_missing=0.105,
    cmnd_written=0.12,
    birth_date_missing=0.021,
    gender_missing=0.055,
    gender_code=0.11,
)
