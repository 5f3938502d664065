"""Header rows: a data row read as the header row is recognized and never printed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.errors import InputError
from linkage.load import load_mapping, read_source
from linkage.load.columns import looks_like_data, shown_headers
from linkage.load.mapping import SourceMapping
from linkage.schema import Source

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "configs" / "mappings" / "default.toml"
SAMPLE_ROW = [  # a payroll row as the generator writes it
    *("PR00000002", "0301642547", "8150063765", "", "Nguyễn Thanh Nga", "18/10/1991", ""),
    *("Việt Nam", "2026", "24", "4414000"),
]


@pytest.fixture(scope="module")
def mapping() -> SourceMapping:
    return load_mapping(DEFAULT_MAPPING)


@pytest.mark.parametrize(
    ("cells", "data"),
    [
        # Header rows: listed in messages.
        (
            [
                *("Mã bản ghi", "MST đơn vị trả thu nhập", "MST cá nhân", "Số CCCD/CMND"),
                *("Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch", "Kỳ tính thuế"),
                *("Thời hạn HĐLĐ (tháng)", "Thu nhập chịu thuế"),
            ],
            False,
        ),  # the generator's payroll header
        (["Mã số thuế", "Họ và tên", "Ngày sinh"], False),  # a real Vietnamese export
        (["MÃ SỐ THUẾ", "HỌ VÀ TÊN", "NGÀY SINH"], False),  # capitals: still known headers
        (["record_id", "employer_tax_code", "full_name"], False),  # canonical names
        (["Mã nhân viên", "Tên công ty", "Ghi chú"], False),  # unknown, but header words
        (["Họ và tên", "Thu nhập năm 2024", "Lương tháng 12/2024"], False),  # a year, a month
        (["Cột A", "Cột B"], False),  # Excel's generic column names
        (["Họ và tên", "", ""], False),  # empty header cells
        ([], False),  # an unparsable line
        # Data rows: never listed.
        (SAMPLE_ROW, True),  # the first row of a file without its header row
        (["R1", "0100233488", "001090012345", "Nguyễn Văn An"], True),  # a 12-digit CCCD
        (["R2", "Trần Thị Bình", "1991-10-18"], True),  # an ISO date
        (["R2", "Trần Thị Bình", "18/10/1991"], True),  # a day-first date
        (["Trần Thị Bình", "1991-10-18 00:00:00"], True),  # an Excel date and time
        (["Lê Văn Cường", "9.000.000"], True),  # an amount with thousands dots
        (["Lê Văn Cường", "6,319,000"], True),  # an amount with thousands commas
        (["Lê Văn Cường", "12"], True),  # contract months
        (["R3", "", "Nguyễn Văn An", "Nam"], True),  # sparse: a record id and a name
        (["LÊ THỊ ANH", "R7"], True),  # a registry name in capitals and a code
        # Mixed: one value among headers is enough to hide the line.
        (["Mã bản ghi", "Họ và tên", "001090012345"], True),  # a pasted citizen ID
        (["Họ và tên", "Ngày sinh 01/01/1990"], True),  # a date inside a header
        (["Họ và tên", "Nguyễn Văn An", "Trần Thị Bình"], False),  # a known header: listed
    ],
)
def test_looks_like_data(mapping: SourceMapping, cells: list[str], data: bool) -> None:
    assert looks_like_data(cells, mapping.header_lookup(Source.PAYROLL)) is data


@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        (["Họ và tên", "Ghi chú"], ["Họ và tên", "Ghi chú"]),  # headers as they are
        (["Ghi chú", "CCCD 001090012345"], ["Ghi chú", "<hidden>"]),  # a 12-digit run
        (["Ghi chú", "123456"], ["Ghi chú", "<hidden>"]),  # six digits are enough
        (["Thu nhập năm 2024"], ["Thu nhập năm 2024"]),  # a year is not a value
    ],
)
def test_shown_headers_hide_values(headers: list[str], shown: list[str]) -> None:
    assert shown_headers(headers) == shown


def csv_without_header(path: Path) -> Path:
    path.write_text("R1,0100233488,001090012345,Nguyễn Văn An,2024,12,9000000\n", "utf-8")
    return path


def xlsx_without_header(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(
        ["R1", 100233488, "001090012345", "Nguyễn Văn An", dt.date(1990, 1, 2), 9000000]
    )
    workbook.save(path)
    return path


def parquet_without_header(path: Path) -> Path:
    # pandas' read_csv of a header-less file: the first row becomes the column names
    names = ["R1", "0100233488", "001090012345", "Nguyễn Văn An", "2024", "12", "9000000"]
    pq.write_table(pa.table({name: pa.array(["x"]) for name in names}), path)
    return path


@pytest.mark.parametrize(
    ("make", "name", "where"),
    [
        (csv_without_header, "payroll.csv", "(line 1;"),  # a CSV export without headers
        (xlsx_without_header, "payroll.xlsx", "(row 1;"),  # a sheet starting with data
        (parquet_without_header, "payroll.parquet", "(the column names;"),  # values as names
    ],
)
def test_a_file_without_header_row_is_named_and_not_printed(
    tmp_path: Path, mapping: SourceMapping, make: Callable[..., Any], name: str, where: str
) -> None:
    path = make(tmp_path / name)
    with pytest.raises(InputError) as raised:
        read_source(path, Source.PAYROLL, mapping)
    message = str(raised.value)
    assert str(path) in message
    assert f"the first line looks like data, not headers {where}" in message
    assert "Add the header row above the data" in message
    assert "required column 'full_name' not found" in message  # accepted spellings still
    assert "Headers found" not in message
    assert not re.search(r"\d{6,}", message)  # no ID, tax code or salary
    assert "Nguyễn Văn An" not in message
