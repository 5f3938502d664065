"""Stage entry points: a raw table in, a normalized table and its rejects out.

Each ``normalize_*`` takes a frame conforming to ``schema.raw_schema(source)`` and returns
``(table, rejects)``: the table conforms to PAYROLL / INSURED / BUSINESSES, the rejects
to REJECTS, and every input row is in exactly one of them.

Missing is evidence, not a reject. A row is rejected only when its own key is unusable
(a blank or duplicate ``record_id``, a blank or invalid SI code, a business without a valid
tax code: MISSING_REQUIRED, DUPLICATE_KEY, INVALID_VALUE, INVALID_TAX_CODE) or,
for a person, when it identifies nobody: no usable name and no usable ID (NO_IDENTITY).
Every other blank or unusable value (gender, birth date, national ID, employer MST, period,
contract months, income, salary, status) becomes null, its own comparison level in linking,
and is counted per column in ``Normalized.nulled``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage._vector import factorize_arrow, is_blank, map_unique, stripped
from linkage.errors import ConfigError, PipelineError
from linkage.normalize._rejects import Mask, RowChecks, nulled_mask, record_keys
from linkage.normalize._text import collapse, nfc
from linkage.normalize.dates import birth_dates, dated_periods, day_dates
from linkage.normalize.ids import (
    employer_root,
    kept_pseudonyms,
    national_ids,
    person_tax_codes,
    pseudonym_kinds,
    si_codes,
    tax_codes,
)
from linkage.normalize.names import name_keys
from linkage.normalize.numbers import amounts, months, per_month
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

_TAX_CODE_DETAIL = (
    "not a valid MST (10 digits, or 13 for a branch, with a correct check digit) "
    "or a household business's 12-digit citizen ID"
)


class Normalized(NamedTuple):
    """One normalized table, its rejects, and the values nulled per column.

    Attributes:
        table: kept rows, conforming to PAYROLL / INSURED / BUSINESSES.
        rejects: rejected rows, conforming to REJECTS.
        nulled: per nullable column, how many kept rows had a present but unusable value
            (zeros included), for the manifest and the on-screen summary.
    """

    table: pd.DataFrame
    rejects: pd.DataFrame
    nulled: dict[str, int]


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
) -> Normalized:
    keep = ~checks.rejected
    columns["source_file"] = raw["source_file"]
    columns["source_line"] = raw["source_line"]
    frame = pd.DataFrame(columns, index=raw.index)
    table = conform(frame[keep], schema, stage=f"normalize {source.value}")
    counts = {column: int((mask & keep).sum()) for column, mask in nulled.items()}
    return Normalized(table, checks.rejects(), counts)


def _check_identity(checks: RowChecks, names: pd.Series, *ids: pd.Series) -> None:
    """Reject a person row only when it identifies nobody: no usable name and no usable ID."""
    unidentified = names.isna().to_numpy()
    for values in ids:
        unidentified &= values.isna().to_numpy()
    detail = "no usable name and no usable ID: the row identifies nobody"
    checks.flag(unidentified, RejectReason.NO_IDENTITY, "full_name", detail)


def _person_ids(raw: pd.DataFrame, today: dt.date | None) -> pd.DataFrame:
    """``national_ids``; a pseudonym keeps its kind and the CCCD year and sex shipped with it.

    ``linkage pseudonymize`` writes what a CCCD encodes into ``id_birth_year`` and
    ``id_gender``, since the pseudonym itself no longer says it.
    """
    ids = national_ids(raw["national_id"], today=today)
    kinds = pseudonym_kinds(raw["national_id"])
    if kinds.isna().all():
        return ids
    shipped = kinds.notna()
    cccd = (kinds == "cccd").fillna(value=False)
    year = pd.to_numeric(raw["id_birth_year"].str.strip(), errors="coerce")
    year = year.where(cccd & year.between(1900, 2100)).astype(ids["id_birth_year"].dtype)
    gender = raw["id_gender"].str.strip()
    gender = gender.where(cccd & gender.isin(["M", "F"])).astype(ids["id_gender"].dtype)
    return ids.assign(
        national_id=kept_pseudonyms(ids["national_id"], raw["national_id"]),
        national_id_kind=ids["national_id_kind"].where(~shipped, kinds),
        id_birth_year=ids["id_birth_year"].where(~shipped, year),
        id_gender=ids["id_gender"].where(~shipped, gender),
    )


def _birth_columns(births: pd.DataFrame) -> dict[str, object]:
    return {
        name: births[name]
        for name in ("birth_date", "birth_year", "birth_month", "birth_day", "birth_precision")
    }


def normalize_payroll(
    raw: pd.DataFrame, vocabularies: Vocabularies, *, today: dt.date | None = None
) -> Normalized:
    """Normalize a raw payroll (tax withholding) table.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.PAYROLL)``.
        vocabularies: spellings per vocabulary (see ``VOCABULARY_NAMES``); "gender" and
            "nationality" are used here. A blank nationality defaults to "VN".
        today: the run date: reference for ID and birth-date plausibility; a period
            that starts after it is nulled and counted as ``period_after_run_date``.

    Returns:
        ``Normalized`` with a PAYROLL table.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.PAYROLL
    _check_raw(raw, source)
    gender_vocabulary = _vocabulary(vocabularies, "gender")
    nationality_vocabulary = _vocabulary(vocabularies, "nationality")
    checks = RowChecks(raw, source, raw["record_id"])

    checks.require("record_id")
    names = name_keys(raw["full_name"])
    person_tax = kept_pseudonyms(
        person_tax_codes(raw["person_tax_code"], today=today), raw["person_tax_code"]
    )
    ids = _person_ids(raw, today)
    _check_identity(checks, names["full_name"], ids["national_id"], person_tax)
    employer = tax_codes(raw["employer_tax_code"], today=today)
    period, future_period = dated_periods(raw["period"], today=today)
    contract = months(raw["contract_months"])
    income = amounts(raw["monthly_income"])
    births = birth_dates(raw["birth_date"], today=today)
    gender = map_vocabulary(raw["gender"], gender_vocabulary).canonical
    nationality = map_vocabulary(raw["nationality"], nationality_vocabulary).canonical
    nationality = nationality.where(~is_blank(raw["nationality"]), DEFAULT_NATIONALITY)
    # optional: a mapping without the vocabulary reads no contract type
    contract_type = map_vocabulary(
        raw["contract_type"], vocabularies.get("contract_type", {})
    ).canonical
    nulled = {
        "employer_tax_code": nulled_mask(raw["employer_tax_code"], employer),
        "period": nulled_mask(raw["period"], period["period"]) & ~future_period,
        # its own count: a period after the run date is a wrong value, not a typo
        "period_after_run_date": future_period,
        "contract_months": nulled_mask(raw["contract_months"], contract),
        "monthly_income": nulled_mask(raw["monthly_income"], income),
        "person_tax_code": nulled_mask(raw["person_tax_code"], person_tax),
        "national_id": nulled_mask(raw["national_id"], ids["national_id"]),
        "birth_date": births["invalid"].to_numpy(dtype=bool),
        "gender": nulled_mask(raw["gender"], gender),
        "nationality": nulled_mask(raw["nationality"], nationality),
        "contract_type": nulled_mask(raw["contract_type"], contract_type),
    }
    columns: dict[str, object] = {
        "record_id": stripped(raw["record_id"]),
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
        "contract_type": contract_type,
        "monthly_income": income,
    }
    return _finish(columns, raw, checks, nulled, PAYROLL, source)


def normalize_insured(
    raw: pd.DataFrame, vocabularies: Vocabularies, *, today: dt.date | None = None
) -> Normalized:
    """Normalize a raw social-insurance registry table.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.INSURED)``.
        vocabularies: "gender" and "insured_status" are used (canonical statuses
            active / suspended / stopped).
        today: reference date for ID and birth-date plausibility.

    Returns:
        ``Normalized`` with an INSURED table. An invalid SI code is rejected as
        INVALID_VALUE.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.INSURED
    _check_raw(raw, source)
    gender_vocabulary = _vocabulary(vocabularies, "gender")
    status_vocabulary = _vocabulary(vocabularies, "insured_status")
    si_code = kept_pseudonyms(si_codes(raw["si_code"], today=today), raw["si_code"])
    checks = RowChecks(raw, source, si_code.fillna(raw["si_code"]))

    blank_si = checks.require("si_code")
    detail = "not a 10-digit SI code or a 12-digit citizen ID"
    checks.flag(
        ~blank_si & si_code.isna().to_numpy(), RejectReason.INVALID_VALUE, "si_code", detail
    )
    names = name_keys(raw["full_name"])
    ids = _person_ids(raw, today)
    _check_identity(checks, names["full_name"], ids["national_id"])
    births = birth_dates(raw["birth_date"], today=today)
    gender = map_vocabulary(raw["gender"], gender_vocabulary).canonical
    employer = tax_codes(raw["employer_tax_code"], today=today)
    status = map_vocabulary(raw["status"], status_vocabulary).canonical
    salary = amounts(raw["contribution_salary"])
    nulled = {
        "national_id": nulled_mask(raw["national_id"], ids["national_id"]),
        "birth_date": births["invalid"].to_numpy(dtype=bool),
        "gender": nulled_mask(raw["gender"], gender),
        "employer_tax_code": nulled_mask(raw["employer_tax_code"], employer),
        "status": nulled_mask(raw["status"], status),
        "contribution_salary": nulled_mask(raw["contribution_salary"], salary),
    }
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
) -> Normalized:
    """Normalize a raw business (tax registry) table.

    Only the tax code is required: a blank district is allowed (2025-scheme sources have
    none), and an unknown status word, province, district or ward (or one that does not
    belong to its parent) is nulled and counted, keeping the employer known to eligibility
    under an unknown status or unit.

    Args:
        raw: table conforming to ``schema.raw_schema(Source.BUSINESSES)``.
        vocabularies: "business_status" is used (active / suspended / closed).
        today: reference date; later registration dates are invalid.

    Returns:
        ``Normalized`` with a BUSINESSES table.

    Raises:
        ConfigError: a vocabulary is missing or two of its values share a spelling.
        PipelineError: ``raw`` lacks a contract column.
    """
    source = Source.BUSINESSES
    _check_raw(raw, source)
    status_vocabulary = _vocabulary(vocabularies, "business_status")
    tax_code = tax_codes(raw["tax_code"], today=today)
    checks = RowChecks(raw, source, raw["tax_code"])

    blank = checks.require("tax_code")
    invalid = ~blank & tax_code.isna().to_numpy()
    checks.flag(invalid, RejectReason.INVALID_TAX_CODE, "tax_code", _TAX_CODE_DETAIL)
    name = map_unique(raw["name"], _display_text, pa.string())
    units = unit_codes(raw["province_code"], raw["district_code"], raw["ward_code"])
    status = map_vocabulary(raw["status"], status_vocabulary).canonical
    registered_on = day_dates(raw["registered_on"], today=today)
    closed_on = day_dates(raw["closed_on"], today=today)
    nulled = {
        "name": nulled_mask(raw["name"], name),
        "province_code": nulled_mask(raw["province_code"], units["province_code"]),
        "status": nulled_mask(raw["status"], status),
        "district_code": nulled_mask(raw["district_code"], units["district_code"]),
        "ward_code": nulled_mask(raw["ward_code"], units["ward_code"]),
        "registered_on": nulled_mask(raw["registered_on"], registered_on),
        "closed_on": nulled_mask(raw["closed_on"], closed_on),
    }
    columns: dict[str, object] = {
        "tax_code": tax_code,
        "employer_root": employer_root(tax_code),
        "name": name,
        "address": map_unique(raw["address"], _display_text, pa.string()),
        **{column: units[column] for column in units.columns if column != "invalid"},
        "status": status,
        "registered_on": registered_on,
        "closed_on": closed_on,
    }
    return _finish(columns, raw, checks, nulled, BUSINESSES, source)


def reject_duplicates(
    frame: pd.DataFrame, key: str, source: Source
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first row of each ``key`` value; reject later ones as DUPLICATE_KEY.

    "First" is input order: files in the order they first appear in ``frame``, then
    ``source_line``. Rows with a null key are never duplicates. The kept rows keep their
    order.

    Args:
        frame: a normalized table (after concatenating batches).
        key: the identifying column ("record_id", "si_code" or "tax_code").
        source: which source the table came from, for the reject rows.

    Returns:
        ``(kept, rejects)``; rejects conform to REJECTS.
    """
    # The key column alone is encoded (in Arrow) and compared as integers: a table of
    # millions of rows is taken once at most, and not at all when no key repeats.
    codes, _ = factorize_arrow(frame[key])
    file_rank = pd.factorize(frame["source_file"])[0]
    order = np.lexsort((frame["source_line"].to_numpy(dtype=np.int64), file_rank))
    ordered = codes[order]
    present = ordered >= 0
    repeated = pd.Series(ordered).duplicated(keep="first").to_numpy(dtype=bool) & present
    first_at = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first_at[ordered[present & ~repeated]] = order[present & ~repeated]
    duplicates = frame.iloc[order[repeated]]
    first_seen = frame.iloc[first_at[ordered[repeated]]]
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
    rejects = conform(rejects, REJECTS, stage=f"normalize {source.value}")
    if not repeated.any():
        return frame, rejects
    keep = np.ones(len(frame), dtype=bool)
    keep[order[repeated]] = False
    return frame[keep], rejects


def normalize_batch(
    source: Source,
    raw: pd.DataFrame,
    vocabularies: Vocabularies,
    income: str = "monthly",
    *,
    today: dt.date | None = None,
) -> Normalized:
    """Normalize one raw batch of ``source`` (a function of plain arguments: picklable).

    A payroll ``income`` of "period_total" (the total over the row's period, as in an
    annual finalization) is read per month. ``today`` is the run date (default: the
    clock's date), passed to the source's normalizer.
    """
    normalizer = {
        Source.BUSINESSES: normalize_businesses,
        Source.PAYROLL: normalize_payroll,
        Source.INSURED: normalize_insured,
    }[source]
    rows, rejects, nulled = normalizer(raw, vocabularies, today=today)
    if source is Source.PAYROLL and income == "period_total":
        rows["monthly_income"] = per_month(
            rows["monthly_income"], rows["period"], rows["period_end"]
        )
    return Normalized(rows, rejects, nulled)
