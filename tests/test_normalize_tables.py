"""Stage entry points: contract tables, rejects with reasons, nulled optional values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import pytest

from linkage.errors import ConfigError, PipelineError
from linkage.normalize import (
    normalize_businesses,
    normalize_insured,
    normalize_payroll,
    reject_duplicates,
)
from linkage.normalize.tables import Normalized
from linkage.schema import BUSINESSES, INSURED, PAYROLL, REJECTS, Source
from tests.helpers import BUSINESS_OK, INSURED_OK, MST, PAYROLL_OK, VOCABULARIES, raw_table

TODAY = dt.date(2026, 6, 1)
BAD_MST = "0100233489"
CCCD = "001090012345"


def run(
    normalizer: Callable[..., Normalized],
    source: Source,
    rows: Sequence[Mapping[str, object]],
    *,
    arrow: bool = True,
) -> Normalized:
    result = normalizer(raw_table(source, rows, arrow=arrow), VOCABULARIES, today=TODAY)
    assert len(result.table) + len(result.rejects) == len(rows)  # every row accounted once
    assert list(result.rejects.columns) == REJECTS.names
    return result


@pytest.mark.parametrize("arrow", [True, False])
def test_payroll_good_row(arrow: bool) -> None:
    row = {
        **PAYROLL_OK,
        "national_id": "109001234",  # 9 digits, one repeated: a valid CMND
        "person_tax_code": CCCD,
        "birth_date": "01/01/1990",
        "gender": "Nữ",
        "nationality": "",
        "employer_tax_code": "0100233488-001",
        "full_name": "AN NGUYEN VAN",
    }
    table, rejects, nulled = run(normalize_payroll, Source.PAYROLL, [row], arrow=arrow)
    assert rejects.empty
    assert list(table.columns) == PAYROLL.names
    got = table.iloc[0]
    assert got["name_exact"] == "nguyen van an"
    assert got["employer_tax_code"] == "0100233488001"
    assert got["employer_root"] == MST
    assert got["person_tax_code"] == CCCD
    assert got["national_id"] == "109001234"
    assert got["birth_date"] == dt.date(1990, 1, 1)
    assert got["gender"] == "F"
    assert got["nationality"] == "VN"  # blank defaults to Việt Nam
    assert got["period"] == dt.date(2026, 3, 1)
    assert got["period_end"] == dt.date(2026, 3, 31)
    assert got["period_precision"] == "month"
    assert got["monthly_income"] == 12_000_000
    assert set(nulled) == {
        "employer_tax_code",
        "period",
        "period_after_run_date",
        "contract_months",
        "monthly_income",
        "person_tax_code",
        "national_id",
        "birth_date",
        "gender",
        "nationality",
        "contract_type",
    }
    assert set(nulled.values()) == {0}


def test_payroll_invalid_optionals_are_nulled_and_counted() -> None:
    row = {
        **PAYROLL_OK,
        "national_id": "12345",
        "person_tax_code": BAD_MST,
        "birth_date": "31/02/1990",
        "gender": "khác",
        "nationality": "Atlantis",
    }
    table, rejects, nulled = run(normalize_payroll, Source.PAYROLL, [row])
    assert rejects.empty
    assert {c for c, n in nulled.items() if n} == {
        "national_id",
        "person_tax_code",
        "birth_date",
        "gender",
        "nationality",
    }
    got = table.iloc[0]
    for column in ("national_id", "person_tax_code", "birth_date", "birth_year", "gender"):
        assert pd.isna(got[column])
    assert pd.isna(got["nationality"])


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"employer_tax_code": BAD_MST}, "employer_tax_code"),  # check digit
        ({"period": "13/2026"}, "period"),  # month 13
        ({"contract_months": "1.5"}, "contract_months"),  # fractional
        ({"monthly_income": "-5"}, "monthly_income"),  # negative income
        ({"monthly_income": "a lot"}, "monthly_income"),  # text income
        ({"national_id": "1.00981E+11"}, "national_id"),  # scientific notation: never guessed
    ],
)
def test_payroll_unusable_values_are_kept_as_null(change: dict[str, str], column: str) -> None:
    """Missing is evidence: the row stays, the value is null, and it is counted."""
    table, rejects, nulled = run(normalize_payroll, Source.PAYROLL, [{**PAYROLL_OK, **change}])
    assert rejects.empty
    assert pd.isna(table.iloc[0][column])
    assert nulled[column] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"employer_tax_code": ""},  # blank MST
        {"period": None},  # no period
        {"contract_months": ""},  # blank months
        {"monthly_income": ""},  # blank income
        {"full_name": "", "national_id": CCCD},  # an ID without a name identifies someone
        {"full_name": "", "person_tax_code": MST},  # so does a personal tax code
    ],
)
def test_payroll_blank_values_are_kept(change: dict[str, str | None]) -> None:
    table, rejects, nulled = run(normalize_payroll, Source.PAYROLL, [{**PAYROLL_OK, **change}])
    assert rejects.empty
    assert len(table) == 1
    assert set(nulled.values()) == {0}  # blank is not "invalid": nothing nulled


@pytest.mark.parametrize(
    ("change", "reason", "column"),
    [
        ({"record_id": " "}, "missing_required", "record_id"),  # blank key
        ({"full_name": "  "}, "no_identity", "full_name"),  # blank name, no ID
        ({"full_name": "123 ???"}, "no_identity", "full_name"),  # no letters, no ID
        ({"full_name": "", "national_id": "12345"}, "no_identity", "full_name"),  # unusable ID
    ],
)
def test_payroll_rejects(change: dict[str, str], reason: str, column: str) -> None:
    table, rejects, _ = run(
        normalize_payroll, Source.PAYROLL, [PAYROLL_OK, {**PAYROLL_OK, **change}]
    )
    assert len(table) == 1
    got = rejects.iloc[0]
    assert (got["source"], got["reason"], got["column"]) == ("payroll", reason, column)
    assert got["source_line"] == 3
    assert got["source_file"] == "in.csv"


def test_first_problem_wins() -> None:
    row = {**PAYROLL_OK, "record_id": "", "full_name": "", "period": "x"}
    rejects = run(normalize_payroll, Source.PAYROLL, [row]).rejects
    assert rejects["reason"].tolist() == ["missing_required"]


@pytest.mark.parametrize(
    ("change", "reason", "column"),
    [
        ({"si_code": ""}, "missing_required", "si_code"),  # blank SI code
        ({"si_code": "12345"}, "invalid_value", "si_code"),  # malformed SI code
        ({"full_name": None}, "no_identity", "full_name"),  # no name and no ID
    ],
)
def test_insured_rejects(change: dict[str, str | None], reason: str, column: str) -> None:
    table, rejects, _ = run(
        normalize_insured, Source.INSURED, [INSURED_OK, {**INSURED_OK, **change}]
    )
    assert len(table) == 1
    assert (rejects.iloc[0]["reason"], rejects.iloc[0]["column"]) == (reason, column)


@pytest.mark.parametrize(
    ("change", "column", "invalid"),
    [
        ({"birth_date": ""}, "birth_date", False),  # blank birth date
        ({"birth_date": "31/02/1990"}, "birth_date", True),  # impossible date
        ({"gender": ""}, "gender", False),  # blank gender
        ({"gender": "X"}, "gender", True),  # outside the vocabulary
        ({"employer_tax_code": BAD_MST}, "employer_tax_code", True),  # check digit
        ({"status": "unknown"}, "status", True),  # outside the vocabulary
        ({"contribution_salary": "x"}, "contribution_salary", True),  # not an amount
        ({"full_name": "", "national_id": CCCD}, "full_name", False),  # the ID identifies
    ],
)
def test_insured_missing_values_are_kept(
    change: dict[str, str], column: str, invalid: bool
) -> None:
    """A registry row with a blank or unusable field is kept, null there, and counted."""
    table, rejects, nulled = run(normalize_insured, Source.INSURED, [{**INSURED_OK, **change}])
    assert rejects.empty
    assert pd.isna(table.iloc[0][column])
    assert nulled.get(column, 0) == int(invalid)


def test_insured_good_rows_and_year_only_birth() -> None:
    rows = [
        {**INSURED_OK, "birth_date": "1990", "national_id": CCCD},
        {**INSURED_OK, "si_code": "79305001234", "national_id": "bad"},  # CCCD as SI code
    ]
    table, rejects, nulled = run(normalize_insured, Source.INSURED, rows)
    assert rejects.empty
    assert list(table.columns) == INSURED.names
    assert table["birth_precision"].tolist() == ["year", "day"]
    assert table["status"].tolist() == ["active", "active"]
    assert table["si_code"].tolist() == ["0112345678", "079305001234"]
    assert table["id_birth_year"].iloc[0] == 1990
    assert {c for c, n in nulled.items() if n} == {"national_id"}


def test_reject_files_never_carry_citizen_ids_or_values() -> None:
    rows = [
        {**INSURED_OK, "si_code": "079305001234", "full_name": ""},
        {**INSURED_OK, "si_code": "79305001234", "full_name": "", "birth_date": "31/02/1990"},
        {**INSURED_OK, "si_code": "07930500123X", "gender": "?"},
    ]
    rejects = run(normalize_insured, Source.INSURED, rows).rejects
    assert rejects["record_key"].iloc[0] == "*********234"
    assert rejects["record_key"].iloc[1] == "*********234"
    assert rejects["record_key"].iloc[2] == "*********23X"
    text = rejects.astype(str).to_string()
    for secret in ("079305001234", "79305001234", "0500123", "31/02/1990", "Nguyễn"):
        assert secret not in text


def test_businesses() -> None:
    rows = [
        {**BUSINESS_OK, "ward_code": "00001", "registered_on": "15/03/2010"},
        {**BUSINESS_OK, "tax_code": "0100233488-001", "district_code": "760"},  # bad district
        {**BUSINESS_OK, "tax_code": BAD_MST},  # rejected: its own key is unusable
        {**BUSINESS_OK, "tax_code": ""},  # rejected: no key
        {**BUSINESS_OK, "tax_code": "0314409058", "province_code": "99"},  # unknown unit
        {**BUSINESS_OK, "tax_code": "0314409058-002", "name": " "},  # blank name
        {**BUSINESS_OK, "tax_code": "0314409058-003", "status": "bankrupt"},  # unknown word
        {**BUSINESS_OK, "tax_code": "0314409058-004", "registered_on": "2010"},  # nulled date
        {**BUSINESS_OK, "tax_code": CCCD},  # household business under its owner's CCCD
        {
            **BUSINESS_OK,
            "tax_code": "0314409058-005",
            "province_code": "14",
            "district_code": "",
            "ward_code": "03980",
        },  # 2025 scheme
    ]
    table, rejects, nulled = run(normalize_businesses, Source.BUSINESSES, rows)
    assert list(table.columns) == BUSINESSES.names
    assert rejects["reason"].tolist() == ["invalid_tax_code", "missing_required"]
    assert rejects["column"].tolist() == ["tax_code", "tax_code"]
    kept = table.set_index("tax_code")
    assert pd.isna(kept["province_code"].loc["0314409058"])
    assert pd.isna(kept["name"].loc["0314409058002"])
    assert pd.isna(kept["status"].loc["0314409058003"])
    assert kept.loc[CCCD, "employer_root"] == CCCD
    first = table.iloc[0]
    assert first["name"] == "Công ty TNHH An Phát"
    assert (first["province_code"], first["district_code"], first["ward_code"]) == (
        "01",
        "001",
        "00001",
    )
    assert first["registered_on"] == dt.date(2010, 3, 15)
    assert first["status"] == "active"
    assert table["employer_root"].tolist()[:2] == [MST, MST]
    assert pd.isna(table.iloc[1]["district_code"])
    assert kept.loc["0314409058005", "unit_scheme"] == "2025-07"
    assert {c: n for c, n in nulled.items() if n} == {
        "district_code": 2,  # district 760 of province 01, and a district of province 99
        "province_code": 1,
        "status": 1,
        "registered_on": 1,
    }


def test_reject_duplicates_keeps_first_in_input_order() -> None:
    rows = [PAYROLL_OK, {**PAYROLL_OK, "record_id": "R2"}, PAYROLL_OK]
    table = run(normalize_payroll, Source.PAYROLL, rows).table
    other = table.iloc[[0]].assign(source_file="b.csv", source_line=1)
    combined = pd.concat([table, other], ignore_index=True)
    kept, rejects = reject_duplicates(combined, "record_id", Source.PAYROLL)
    assert kept["source_line"].tolist() == [2, 3]
    assert list(rejects.columns) == REJECTS.names
    assert rejects["reason"].tolist() == ["duplicate_key", "duplicate_key"]
    assert rejects["source_line"].tolist() == [4, 1]
    assert rejects["detail"].tolist() == ["record_id first seen at in.csv:2"] * 2


def test_reject_duplicates_ignores_null_keys() -> None:
    frame = pd.DataFrame(
        {"si_code": [None, None, "1"], "source_file": "a", "source_line": [1, 2, 3]}
    )
    kept, rejects = reject_duplicates(frame, "si_code", Source.INSURED)
    assert len(kept) == 3
    assert rejects.empty


def test_missing_vocabulary_is_a_config_error() -> None:
    raw = raw_table(Source.PAYROLL, [PAYROLL_OK])
    with pytest.raises(ConfigError, match="nationality"):
        normalize_payroll(raw, {"gender": {}}, today=TODAY)


def test_missing_raw_column_is_a_pipeline_error() -> None:
    raw = raw_table(Source.PAYROLL, [PAYROLL_OK]).drop(columns="gender")
    with pytest.raises(PipelineError, match="gender"):
        normalize_payroll(raw, VOCABULARIES, today=TODAY)


def test_empty_input() -> None:
    table, rejects, _ = normalize_payroll(raw_table(Source.PAYROLL, []), VOCABULARIES)
    assert table.empty
    assert rejects.empty
    assert list(table.columns) == PAYROLL.names


def test_contract_type_read_only_where_the_mapping_has_its_vocabulary() -> None:
    rows = [
        {**PAYROLL_OK, "record_id": f"R{i}", "contract_type": v}
        for i, v in enumerate(["Thử việc", "HĐLĐ", "hợp đồng khoán", ""])
    ]
    vocabularies = {
        **VOCABULARIES,
        "contract_type": {"probation": ["Thử việc"], "labour": ["HĐLĐ"]},
    }
    raw = raw_table(Source.PAYROLL, rows)
    table, _, nulled = normalize_payroll(raw, vocabularies, today=TODAY)
    assert [None if pd.isna(v) else v for v in table["contract_type"]] == [
        "probation",
        "labour",
        None,  # an unknown word is blanked and counted, the row kept
        None,
    ]
    assert nulled["contract_type"] == 1
    table, _, _ = normalize_payroll(raw, VOCABULARIES, today=TODAY)  # no vocabulary
    assert table["contract_type"].isna().all()


@pytest.mark.parametrize(
    ("period", "kept", "after_run_date", "invalid"),
    [
        ("2100", None, 1, 0),  # a year after the run date: nulled and counted, row kept
        ("07/2026", None, 1, 0),  # next month (the run date is 1 Jun 2026)
        ("06/2026", dt.date(2026, 6, 1), 0, 0),  # the run's own month is a period
        ("2026", dt.date(2026, 1, 1), 0, 0),  # the year in progress (annual finalization)
        ("13/2026", None, 0, 1),  # not a period at all: the plain invalid count
    ],
)
def test_period_after_the_run_date_is_nulled_with_its_own_count(
    period: str, kept: dt.date | None, after_run_date: int, invalid: int
) -> None:
    table, rejects, nulled = run(
        normalize_payroll, Source.PAYROLL, [{**PAYROLL_OK, "period": period}]
    )
    assert rejects.empty  # missing is evidence: the row stays
    got = table["period"].iloc[0]
    assert (None if pd.isna(got) else got) == kept
    assert nulled["period_after_run_date"] == after_run_date
    assert nulled["period"] == invalid
