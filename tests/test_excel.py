"""The office workbook: Vietnamese only, formatted, printable text, refresh marks, index.csv."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from linkage.eligibility import candidate_table, decide, outreach_units
from linkage.write import publish
from linkage.write.actions import ACTIONS, FALLBACK, action_texts
from linkage.write.excel import CLOSE_COLUMNS, MONEY, file_name, period_text
from tests.helpers import Scenario, businesses, insured, links, payroll, rules, scenario

# Words and codes no cell of a clerk's workbook may show.
TECHNICAL = re.compile(
    r"^(M|F|active|stopped|suspended|pensioner|uninsured|lapsed|under_declared|review|"
    r"cited|placeholder|true|false|None|nan)$|vn-si-|pre-2025|2025-07_|[a-z]+_[a-z]+"
)


def _with_control_characters() -> Scenario:
    """The scenario with a registry name and a worker name carrying \\x0b and \\x1b."""
    inputs = scenario()
    frame = payroll({"national_id": "001090012345", "full_name": "Lê\x1b[31m Văn\x0bTám"})
    registry = businesses()
    registry["name"] = registry["name"].astype(object)
    registry.loc[0, "name"] = "Công ty\x0b TNHH\x1b Ánh Dương\x00"
    dispositions = decide(frame, links(), insured(), registry, rules())
    units = outreach_units(dispositions, None)
    inputs["candidates"] = candidate_table(frame, dispositions, units, registry)
    return inputs


def _cells(path: Path) -> dict[str, list[list[object]]]:
    workbook = load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook}


def test_control_characters_are_dropped_in_parquet_and_excel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **_with_control_characters(), excel=True)
    parquet = pd.read_parquet(out / "candidates")
    assert parquet["employer_name"].tolist() == ["Công ty TNHH Ánh Dương"]
    assert parquet["full_name"].tolist() == ["Lê[31m VănTám"]
    (path,) = (out / "excel").glob("pre-2025_01_001_*.xlsx")
    for rows in _cells(path).values():
        for row in rows:
            for value in row:
                assert not (isinstance(value, str) and re.search(r"[\x00-\x1f\x7f]", value))


def test_workbook_sheets_values_and_formats(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **scenario(), excel=True)
    (path,) = (out / "excel").glob("pre-2025_01_001_*.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Thông tin chung", "Chưa tham gia BHXH", "Đơn vị cần kiểm tra"]
    sheet = workbook["Chưa tham gia BHXH"]
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["Giới tính"].value in {"Nam", "Nữ"}
    assert row["Kỳ kê khai"].value == "Tháng 09/2025"
    assert row["Lý do"].value == "Chưa tham gia BHXH"
    assert row["Việc cần làm"].value  # a Vietnamese instruction, never blank
    assert row["Thu nhập/tháng"].number_format == MONEY
    assert isinstance(row["Ngày sinh"].value, dt.datetime | str)
    assert all(sheet.column_dimensions[c].width for c in "ABC")
    for rows in _cells(path).values():
        for values in rows:
            for value in values:
                assert not (isinstance(value, str) and TECHNICAL.search(value)), value


def test_index_names_each_unit_office_and_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **scenario(), excel=True)
    with (out / "index.csv").open(encoding="utf-8-sig") as handle:
        rows = {r["unit"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {"pre-2025_00_000", "pre-2025_01_001", "pre-2025_79_760"}
    hanoi = rows["pre-2025_01_001"]
    assert hanoi["candidates_file"] == "candidates/unit=pre-2025_01_001/part-0.parquet"
    assert (out / hanoi["excel_file"]).is_file()
    assert int(hanoi["total"]) == sum(
        int(hanoi[r]) for r in ("uninsured", "lapsed", "under_declared", "review")
    )


def test_refresh_marks_new_entries_and_lists_entries_to_close(tmp_path: Path) -> None:
    first = tmp_path / "first"
    inputs = scenario()
    publish(first, **inputs)
    previous = pd.read_parquet(first / "candidates")
    # the next run: the Hà Nội worker is gone from the payroll, another one is new
    later = _with_control_characters()
    later["previous"] = previous
    publish(tmp_path / "second", **later, excel=True)
    (path,) = (tmp_path / "second" / "excel").glob("pre-2025_01_001_*.xlsx")
    sheets = _cells(path)
    listed = sheets["Chưa tham gia BHXH"]
    assert listed[0][1] == "Mới"
    assert {r[1] for r in listed[1:]} <= {"Mới", None}
    assert sheets["Cần đóng hồ sơ"] == [[c.header for c in CLOSE_COLUMNS]]  # none closed here
    # the HCM worker is gone from the payroll: the office gets a workbook to close the entry
    (path,) = (tmp_path / "second" / "excel").glob("pre-2025_79_760_*.xlsx")
    closing = _cells(path)["Cần đóng hồ sơ"]
    assert closing[0][-2:] == ["Tình trạng hiện nay", "Việc cần làm"]
    assert [r[-2] for r in closing[1:]] == ["Không còn trong tờ khai thuế"]
    assert closing[1][2] == "*********321"


@pytest.mark.parametrize(
    ("detail", "reason", "expected"),
    [
        # a known code: its own instruction
        ("below_legal_floor", "under_declared", ACTIONS["below_legal_floor"]),
        # an unknown code: the reason's general instruction, never the code
        ("some_future_code", "review", "Kiểm tra hồ sơ"),
        # no detail at all (an engine before the detail column)
        (None, "uninsured", "đăng ký tham gia BHXH"),
        # neither known: the fallback
        ("x_y", "no_such_reason", FALLBACK),
    ],
)
def test_action_texts(detail: str | None, reason: str, expected: str) -> None:
    text = action_texts(pd.Series([detail], dtype=object), pd.Series([reason]))[0]
    assert expected in text
    assert "_" not in text


def test_every_detail_code_has_a_vietnamese_action() -> None:
    details = pytest.importorskip("linkage.eligibility.details")
    assert {d.value for d in details.Detail} <= set(ACTIONS)


@pytest.mark.parametrize(
    ("period", "precision", "text"),
    [
        (dt.date(2024, 1, 1), "year", "Năm 2024"),
        (dt.date(2024, 3, 1), "month", "Tháng 03/2024"),
        (dt.date(2024, 4, 1), "quarter", "Quý 2/2024"),
        (None, "month", None),
    ],
)
def test_period_text(period: dt.date | None, precision: str, text: str | None) -> None:
    assert period_text(period, precision) == text


def test_file_names_are_portable() -> None:
    assert file_name("BHXH cơ sở Đắk R'Lấp / Tân Phú Đông") == "BHXH-co-so-Dak-R-Lap-Tan-Phu-Dong"
