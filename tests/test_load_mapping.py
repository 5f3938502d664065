"""Mapping file: default headers, folding, and validation that reports every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage.errors import ConfigError
from linkage.load import fold, load_mapping
from linkage.load.mapping import SourceMapping
from linkage.schema import RAW_OPTIONAL, RAW_REQUIRED, Source
from tests.helpers import DEFAULT_MAPPING


@pytest.fixture(scope="module")
def mapping() -> SourceMapping:
    return load_mapping(DEFAULT_MAPPING)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("MÃ SỐ THUẾ", "ma so thue"),  # capitals with accents
        ("Mã số thuế", "ma so thue"),
        ("ma  so   thue", "ma so thue"),  # whitespace collapsed
        ("Thời hạn HĐLĐ (tháng)", "thoi han hdld thang"),  # Đ -> d, punctuation dropped
        ("Số CCCD/CMND", "so cccd cmnd"),
        ("full_name", "full name"),  # underscores are punctuation too
        ("Ma\u0303 so\u0302\u0301 thue\u0302\u0301", "ma so thue"),  # NFD input
    ],
)
def test_fold(text: str, key: str) -> None:
    assert fold(text) == key


# Headers the sample generator writes; each must map to its canonical column.
GENERATOR_HEADERS = [
    (Source.PAYROLL, "Mã bản ghi", "record_id"),
    (Source.PAYROLL, "MST đơn vị trả thu nhập", "employer_tax_code"),
    (Source.PAYROLL, "MST cá nhân", "person_tax_code"),
    (Source.PAYROLL, "Số CCCD/CMND", "national_id"),
    (Source.PAYROLL, "Họ và tên", "full_name"),
    (Source.PAYROLL, "Ngày sinh", "birth_date"),
    (Source.PAYROLL, "Giới tính", "gender"),
    (Source.PAYROLL, "Quốc tịch", "nationality"),
    (Source.PAYROLL, "Kỳ tính thuế", "period"),
    (Source.PAYROLL, "Thời hạn HĐLĐ (tháng)", "contract_months"),
    (Source.PAYROLL, "Thu nhập chịu thuế", "monthly_income"),
    (Source.INSURED, "Mã số BHXH", "si_code"),
    (Source.INSURED, "Số CCCD", "national_id"),
    (Source.INSURED, "Họ tên", "full_name"),
    (Source.INSURED, "Ngày tháng năm sinh", "birth_date"),
    (Source.INSURED, "Giới tính", "gender"),
    (Source.INSURED, "Mã số thuế đơn vị", "employer_tax_code"),
    (Source.INSURED, "Trạng thái", "status"),
    (Source.INSURED, "Mức lương đóng BHXH", "contribution_salary"),
    (Source.BUSINESSES, "Mã số thuế", "tax_code"),
    (Source.BUSINESSES, "Tên doanh nghiệp", "name"),
    (Source.BUSINESSES, "Địa chỉ", "address"),
    (Source.BUSINESSES, "Mã tỉnh", "province_code"),
    (Source.BUSINESSES, "Mã huyện", "district_code"),
    (Source.BUSINESSES, "Mã xã", "ward_code"),
    (Source.BUSINESSES, "Tình trạng hoạt động", "status"),
    (Source.BUSINESSES, "Ngày cấp", "registered_on"),
]


@pytest.mark.parametrize(("source", "header", "column"), GENERATOR_HEADERS)
def test_generator_headers_are_mapped(
    mapping: SourceMapping, source: Source, header: str, column: str
) -> None:
    lookup = mapping.header_lookup(source)
    assert lookup[fold(header)] == column
    assert lookup[fold(header.upper())] == column


@pytest.mark.parametrize("source", list(Source))
def test_canonical_names_are_accepted(mapping: SourceMapping, source: Source) -> None:
    lookup = mapping.header_lookup(source)
    for column in RAW_REQUIRED[source] + RAW_OPTIONAL[source]:
        assert lookup[fold(column)] == column


@pytest.mark.parametrize(
    ("vocabulary", "spelling", "value"),
    [
        ("gender", "Nữ", "F"),
        ("gender", "NAM", "M"),
        ("insured_status", "Đang tham gia", "active"),
        ("insured_status", "Tạm dừng", "suspended"),
        ("insured_status", "Dừng tham gia", "stopped"),
        ("insured_status", "Đã nghỉ", "stopped"),
        ("insured_status", "stopped", "stopped"),
        ("business_status", "Đang hoạt động", "active"),
        ("business_status", "Tạm ngừng kinh doanh", "suspended"),
        ("business_status", "Ngừng hoạt động", "closed"),
        ("business_status", "Đã đóng MST", "closed"),
        ("nationality", "Viet Nam", "VN"),
        ("nationality", "VNM", "VN"),
    ],
)
def test_vocabularies(mapping: SourceMapping, vocabulary: str, spelling: str, value: str) -> None:
    assert mapping.value_lookup(vocabulary)[fold(spelling)] == value


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[payrol.columns]
record_id = ["ID"]

[payroll.columns]
full_name = ["Họ và tên"]
record_id = ["HỌ VÀ TÊN"]
salary = ["Lương"]

[vocabularies.gender]

[vocabularies.insured_status]
active = ["Đang tham gia"]
retired = ["Nghỉ hưu"]
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    text = str(info.value)
    assert len(info.value.problems) == 7, text
    assert "unknown section [payrol]" in text
    assert "'HỌ VÀ TÊN' is already claimed by column 'full_name'" in text
    assert "payroll].columns.salary: unknown canonical column 'salary'" in text
    assert "[vocabularies].gender: must be a non-empty table" in text
    assert "insured_status.retired: unknown value 'retired'" in text
    assert "missing vocabulary [vocabularies.business_status]" in text
    assert all(problem.startswith(str(path)) for problem in info.value.problems)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[payroll.columns]\nfull_name = []\n", "must be a non-empty list of strings"),
        ("[payroll.columns]\nfull_name = ['  ']\n", "not usable spellings"),
        ("[payroll.columns]\nfull_name = 'Họ tên'\n", "must be a non-empty list"),
        ("[payroll.columns]\nperiod = ['full_name']\n", "already claimed by column 'full_name'"),
        ("[payroll\n", "not valid TOML"),
        ("[payroll]\nincome = 'yearly'\n", "'yearly' is not one of ['monthly', 'period_total']"),
        ("[insured]\nincome = 'monthly'\n", "must hold only a [insured.columns] table"),
    ],
)
def test_single_problems(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    assert expected in str(info.value)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read mapping file"):
        load_mapping(tmp_path / "absent.toml")


def test_income_basis_defaults_to_monthly(mapping: SourceMapping, tmp_path: Path) -> None:
    assert mapping.income == "monthly"
    text = DEFAULT_MAPPING.read_text(encoding="utf-8")
    annual = text.replace('income = "monthly"', 'income = "period_total"')
    assert annual != text
    path = tmp_path / "m.toml"
    path.write_text(annual, encoding="utf-8")
    assert load_mapping(path).income == "period_total"


def test_period_totals_are_read_as_monthly_income(mapping: SourceMapping, tmp_path: Path) -> None:
    from dataclasses import replace

    from linkage.pipeline import load_source
    from linkage.schema import Source

    path = tmp_path / "payroll.csv"
    path.write_text(
        "record_id,employer_tax_code,full_name,period,contract_months,monthly_income\n"
        "R1,0100109106,Nguyễn Văn An,2024,12,120000000\n"  # the year's total
        "R2,0100109106,Trần Thị Bình,2024-07,12,9000000\n",  # a month
        encoding="utf-8",
    )

    def income(basis: str) -> list[int]:
        table = load_source(path, Source.PAYROLL, replace(mapping, income=basis), batch_rows=10)
        return list(table.rows["monthly_income"])

    assert income("monthly") == [120_000_000, 9_000_000]
    assert income("period_total") == [10_000_000, 9_000_000]
