"""Stage entry points: a raw table in, a normalized table and its rejects out.

Each ``normalize_*`` takes a frame conforming to ``schema.raw_schema(source)`` and returns
``(table, rejects)``: the table conforms to PAYROLL / INSURED / BUSINESSES, the rejects
to REJECTS, and every input row is in exactly one of them.

A row is rejected for its first problem, checked in the order of the source's required
columns: a blank mandatory value (MISSING_REQUIRED, or MISSING_NAME for the name), an
invalid employer or business MST (INVALID_TAX_CODE), an impossible mandatory date
(INVALID_DATE), an unparseable amount or month count (INVALID_NUMBER), a status, gender,
province or SI code outside what is allowed (INVALID_VALUE).

Invalid *optional* values (payroll national_id, birth_date, person_tax_code, gender,
nationality; insured national_id; business district_code, ward_code, registered_on) are
set to null and the row kept. Their counts over the kept rows are attached to the
returned table as ``table.attrs["nulled_invalid"] = {column: count}`` (every nullable
column listed, zeros included). pandas does not carry ``attrs`` through concat or most
transforms: read them straight after the call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.errors import ConfigError, PipelineError
from linkage.normalize._rejects import Mask, RowChecks, nulled_mask, record_keys
from linkage.normalize._text import collapse, nfc
from linkage.normalize._vector import is_blank, map_unique
from linkage.normalize.dates import birth_dates, day_dates, periods
from linkage.normalize.ids import (
    employer_root,
    national_ids,
    person_tax_codes,
    si_codes,
    tax_codes,
)
from linkage.normalize.names import name_keys
from linkage.normalize.numbers import amounts, months
from linkage.normalize.units import unit_codes
from linkage.normalize.vocab import map_vocabulary
from linkage.schema import (
    BUSINESSES,
    INSURED,
    PAYROLL,
    REJECTS,
    RejectReason,
    Source,
    conform,
    raw_schema,
)

Vocabulary = Mapping[str, Sequence[str]]
Vocabularies = Mapping[str, Vocabulary]
VOCABULARY_NAMES = ("gender", "insured_status", "business_status", "nationality")
DEFAULT_NATIONALITY = "VN"
NULLED_ATTR = "nulled_invalid"

_MST_DETAIL = "not a valid MST: 10 digits, or 13 for a branch, with a correct check digit"
_NUMBER_DETAIL = "not a non-negative amount in VND"


def _vocabulary(vocabularies: Vocabularies, name: str) -> Vocabulary:
    missing = [n for n in VOCABULARY_NAMES if n not in vocabularies]
    if missing:
        msg = f"vocabularies {missing} are missing; normalize needs {list(VOCABULARY_NAMES)}"
        raise ConfigError(msg)
    return vocabularies[name]


def _check_raw(raw: pd.DataFrame, source: Source) -> None:
    missing = [name for name in raw_schema(source).names if name not in raw.columns]
    if missing:
        msg = f"normalize {source.value}: raw table lacks columns {missing}"
        raise PipelineError(msg)


def _finish(
    columns: dict[str, object],
    raw: pd.DataFrame,
    checks: RowChecks,
    nulled: dict[str, Mask],
    schema: pa.Schema,
    source: Source,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = ~checks.rejected
    columns["source_file"] = raw["source_file"]
    columns["source_line"] = raw["source_line"]
    frame = pd.DataFrame(columns, index=raw.index)
    table = conform(frame[keep], schema, stage=f"normalize {source.value}")
    table.attrs[NULLED_ATTR] = {column: int((mask & keep).sum()) for column, mask in nulled.items()}
    return table, checks.rejects()


def _check_tax_code(checks: RowChecks, raw: pd.DataFrame, column: str) -> pd.Series:
    """Normalized MST of a mandatory column, flagging blank and invalid values."""
    blank = checks.require(column)
    codes = tax_codes(raw[column])
    checks.flag(
        ~blank & codes.isna().to_numpy(), RejectReason.INVALID_TAX_CODE, column, _MST_DETAIL
    )
    return codes


def _check_amount(checks: RowChecks, raw: pd.DataFrame, column: str) -> pd.Series:
    blank = checks.require(column)
    values = amounts(raw[column])
    checks.flag(
        ~blank & values.isna().to_numpy(), RejectReason.INVALID_NUMBER, column, _NUMBER_DETAIL
    )
    return values


def _check_vocabulary(
    checks: RowChecks, raw: pd.DataFrame, column: str, vocabulary: Vocabulary, name: str
) -> pd.Series:
    checks.require(column)
    match = map_vocabulary(raw[column], vocabulary)
    detail = f"{column}: value outside the {name!r} vocabulary"
    checks.flag(match.unknown, RejectReason.INVALID_VALUE, column, detail)
    return match.canonical


def _check_name(checks: RowChecks, names: pd.Series, column: str) -> None:
    detail = f"{column} is blank or has no letters"
    checks.flag(names.isna().to_numpy(), RejectReason.MISSING_NAME, column, detail)


def _birth_columns(births: pd.DataFrame) -> dict[str, object]:
    return {
        name: births[name]
        for name in ("birth_date", "birth_year", "birth_month", "birth_day", "birth_precision")
    }


def normalize_payroll(
    raw: pd.DataFrame, vocabularies: Vocabularies, *, today: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalize a raw payroll (tax withholding) table.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.PAYROLL)``.
        vocabularies: spellings per vocabulary (see ``VOCABULARY_NAMES``); "gender" and
            "nationality" are used here. A blank nationality defaults to "VN".
        today: reference date for ID and birth-date plausibility.

    Returns:
        ``(payroll, rejects)`` conforming to PAYROLL and REJECTS; payroll carries
        ``attrs["nulled_invalid"]``.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.PAYROLL
    _check_raw(raw, source)
    gender_vocabulary = _vocabulary(vocabularies, "gender")
    nationality_vocabulary = _vocabulary(vocabularies, "nationality")
    checks = RowChecks(raw, source, record_keys(raw["record_id"]))

    checks.require("record_id")
    employer = _check_tax_code(checks, raw, "employer_tax_code")
    names = name_keys(raw["full_name"])
    _check_name(checks, names["full_name"], "full_name")
    blank_period = checks.require("period")
    period = periods(raw["period"])
    invalid_period = ~blank_period & period["period"].isna().to_numpy()
    detail = "not a recognizable month, quarter or year"
    checks.flag(invalid_period, RejectReason.INVALID_DATE, "period", detail)
    blank_months = checks.require("contract_months")
    contract = months(raw["contract_months"])
    detail = "not a whole number of months from 0 to 1200"
    invalid_months = ~blank_months & contract.isna().to_numpy()
    checks.flag(invalid_months, RejectReason.INVALID_NUMBER, "contract_months", detail)
    income = _check_amount(checks, raw, "monthly_income")

    person_tax = person_tax_codes(raw["person_tax_code"], today=today)
    ids = national_ids(raw["national_id"], today=today)
    births = birth_dates(raw["birth_date"], today=today)
    gender = map_vocabulary(raw["gender"], gender_vocabulary).canonical
    nationality = map_vocabulary(raw["nationality"], nationality_vocabulary).canonical
    nationality = nationality.where(~is_blank(raw["nationality"]), DEFAULT_NATIONALITY)
    nulled = {
        "person_tax_code": nulled_mask(raw["person_tax_code"], person_tax),
        "national_id": nulled_mask(raw["national_id"], ids["national_id"]),
        "birth_date": births["invalid"].to_numpy(dtype=bool),
        "gender": nulled_mask(raw["gender"], gender),
        "nationality": nulled_mask(raw["nationality"], nationality),
    }
    columns: dict[str, object] = {
        "record_id": map_unique(raw["record_id"], lambda v: v.strip() or None, pa.string()),
        "person_tax_code": person_tax,
        **{name: ids[name] for name in ids.columns},
        **{name: names[name] for name in names.columns},
        **_birth_columns(births),
        "gender": gender,
        "employer_tax_code": employer,
        "employer_root": employer_root(employer),
        "nationality": nationality,
        **{name: period[name] for name in period.columns},
        "contract_months": contract,
        "monthly_income": income,
    }
    return _finish(columns, raw, checks, nulled, PAYROLL, source)


def normalize_insured(
    raw: pd.DataFrame, vocabularies: Vocabularies, *, today: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalize a raw social-insurance registry table.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.INSURED)``.
        vocabularies: "gender" and "insured_status" are used (canonical statuses
            active / suspended / stopped).
        today: reference date for ID and birth-date plausibility.

    Returns:
        ``(insured, rejects)`` conforming to INSURED and REJECTS; insured carries
        ``attrs["nulled_invalid"]``. An invalid SI code is rejected as INVALID_VALUE.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.INSURED
    _check_raw(raw, source)
    gender_vocabulary = _vocabulary(vocabularies, "gender")
    status_vocabulary = _vocabulary(vocabularies, "insured_status")
    si_code = si_codes(raw["si_code"], today=today)
    checks = RowChecks(raw, source, record_keys(si_code.fillna(raw["si_code"])))

    blank_si = checks.require("si_code")
    detail = "not a 10-digit SI code or a 12-digit citizen ID"
    checks.flag(
        ~blank_si & si_code.isna().to_numpy(), RejectReason.INVALID_VALUE, "si_code", detail
    )
    names = name_keys(raw["full_name"])
    _check_name(checks, names["full_name"], "full_name")
    blank_birth = checks.require("birth_date")
    births = birth_dates(raw["birth_date"], today=today)
    invalid_birth = ~blank_birth & births["invalid"].to_numpy(dtype=bool)
    checks.flag(invalid_birth, RejectReason.INVALID_DATE, "birth_date", "not a possible birth date")
    gender = _check_vocabulary(checks, raw, "gender", gender_vocabulary, "gender")
    employer = _check_tax_code(checks, raw, "employer_tax_code")
    status = _check_vocabulary(checks, raw, "status", status_vocabulary, "insured_status")
    salary = _check_amount(checks, raw, "contribution_salary")

    ids = national_ids(raw["national_id"], today=today)
    nulled = {"national_id": nulled_mask(raw["national_id"], ids["national_id"])}
    columns: dict[str, object] = {
        "si_code": si_code,
        **{name: ids[name] for name in ids.columns},
        **{name: names[name] for name in names.columns},
        **_birth_columns(births),
        "gender": gender,
        "employer_tax_code": employer,
        "employer_root": employer_root(employer),
        "status": status,
        "contribution_salary": salary,
    }
    return _finish(columns, raw, checks, nulled, INSURED, source)


def _display_text(raw: str) -> str | None:
    return collapse(nfc(raw)) or None


def normalize_businesses(
    raw: pd.DataFrame, vocabularies: Vocabularies, *, today: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalize a raw business (tax registry) table.

    A blank district is allowed (2025-scheme sources have none); an unknown province is
    rejected as INVALID_VALUE; a district or ward that does not exist or does not belong
    to its parent is nulled and counted, keeping the employer known to eligibility.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.BUSINESSES)``.
        vocabularies: "business_status" is used (active / suspended / closed).
        today: reference date; later registration dates are invalid.

    Returns:
        ``(businesses, rejects)`` conforming to BUSINESSES and REJECTS; businesses carries
        ``attrs["nulled_invalid"]``.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.BUSINESSES
    _check_raw(raw, source)
    status_vocabulary = _vocabulary(vocabularies, "business_status")
    tax_code = tax_codes(raw["tax_code"])
    checks = RowChecks(raw, source, record_keys(tax_code.fillna(raw["tax_code"])))

    tax_code = _check_tax_code(checks, raw, "tax_code")
    name = map_unique(raw["name"], _display_text, pa.string())
    _check_name(checks, name, "name")
    blank_province = checks.require("province_code")
    units = unit_codes(raw["province_code"], raw["district_code"], raw["ward_code"])
    bad_province = ~blank_province & units["province_code"].isna().to_numpy()
    detail = "not a pre-2025 or 2025-07 province code"
    checks.flag(bad_province, RejectReason.INVALID_VALUE, "province_code", detail)
    status = _check_vocabulary(checks, raw, "status", status_vocabulary, "business_status")

    registered_on = day_dates(raw["registered_on"], today=today)
    nulled = {
        "district_code": nulled_mask(raw["district_code"], units["district_code"]),
        "ward_code": nulled_mask(raw["ward_code"], units["ward_code"]),
        "registered_on": nulled_mask(raw["registered_on"], registered_on),
    }
    columns: dict[str, object] = {
        "tax_code": tax_code,
        "employer_root": employer_root(tax_code),
        "name": name,
        "address": map_unique(raw["address"], _display_text, pa.string()),
        **{column: units[column] for column in units.columns if column != "invalid"},
        "status": status,
        "registered_on": registered_on,
    }
    return _finish(columns, raw, checks, nulled, BUSINESSES, source)


def reject_duplicates(
    frame: pd.DataFrame, key: str, source: Source
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first row of each ``key`` value; reject later ones as DUPLICATE_KEY.

    "First" is input order: files in the order they first appear in ``frame``, then
    ``source_line``. Rows with a null key are never duplicates. The kept rows keep their
    order (and ``attrs``).

    Args:
        frame: a normalized table (after concatenating batches).
        key: the identifying column ("record_id", "si_code" or "tax_code").
        source: which source the table came from, for the reject rows.

    Returns:
        ``(kept, rejects)``; rejects conform to REJECTS.
    """
    file_rank = pd.Series(pd.factorize(frame["source_file"])[0], index=frame.index)
    line = frame["source_line"].astype("int64")
    order = np.lexsort((line.to_numpy(), file_rank.to_numpy()))
    ordered = frame.iloc[order]
    present = ordered[key].notna().to_numpy(dtype=bool)
    repeated = ordered[key].duplicated(keep="first").to_numpy(dtype=bool) & present
    first = ordered[present & ~repeated].drop_duplicates(key).set_index(key)
    duplicates = ordered[repeated]
    first_seen = first.loc[duplicates[key].to_numpy()]
    where = first_seen["source_file"].astype(str) + ":" + first_seen["source_line"].astype(str)
    rejects = pd.DataFrame(
        {
            "source": source.value,
            "source_file": duplicates["source_file"].to_numpy(),
            "source_line": duplicates["source_line"].to_numpy(),
            "record_key": record_keys(duplicates[key].astype(str)).to_numpy(),
            "reason": RejectReason.DUPLICATE_KEY.value,
            "column": key,
            "detail": (f"{key} first seen at " + where).to_numpy(),
        }
    )
    rejected_positions = np.sort(order[repeated])
    keep = np.ones(len(frame), dtype=bool)
    keep[rejected_positions] = False
    return frame[keep], conform(rejects, REJECTS, stage=f"normalize {source.value}")
