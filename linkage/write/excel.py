"""Excel for people: sheet helpers (one home) and the office workbook a clerk acts on.

The helpers (``defuse``, ``style_table``, ``fit_widths``, ``print_landscape``) are shared with
``linkage review``'s sheet. ``write_office_workbook`` writes one office's workbook: a cover
sheet, one sheet per reason in contact order, the employers ranked for inspection and, on a
refresh, the entries to close. Cells hold Vietnamese words only: reasons, statuses, sex and
what to do come from the tables below (``linkage.write.actions`` for "Việc cần làm"), never a
code; money is ``#,##0 "đ"``, dates dd/mm/yyyy, periods text ("Tháng 03/2024").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import pandas as pd
import pyarrow as pa

from linkage.folding import ascii_fold
from linkage.schema import CandidateReason, Change
from linkage.write.actions import action_texts, close_action

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY: Final = '#,##0 "đ"'
DATE: Final = "dd/mm/yyyy"
# Beside an office name, or a row's route, that no notice or letter confirms.
PLACEHOLDER = " (tên mặc định, chưa xác minh)"
REASON_LABELS: dict[str, str] = {
    CandidateReason.UNINSURED.value: "Chưa tham gia BHXH",
    CandidateReason.LAPSED.value: "Tạm dừng/ngừng đóng",
    CandidateReason.UNDER_DECLARED.value: "Đóng thấp hơn quy định",
    CandidateReason.REVIEW.value: "Cần xác minh",
}
# Sheet names (at most 31 characters), in contact order.
REASON_SHEETS: dict[str, str] = {
    CandidateReason.UNINSURED.value: "Chưa tham gia BHXH",
    CandidateReason.LAPSED.value: "Ngừng đóng",
    CandidateReason.UNDER_DECLARED.value: "Đóng thấp",
    CandidateReason.REVIEW.value: "Cần xác minh",
}
GENDERS: Final = {"M": "Nam", "F": "Nữ"}
STATUSES: Final = {
    "active": "Đang đóng",
    "suspended": "Tạm dừng đóng",
    "stopped": "Đã ngừng đóng",
    "pensioner": "Đang hưởng lương hưu",
}
CLOSED: Final = {
    Change.NOW_INSURED.value: "Đã tham gia BHXH",
    Change.GONE_FROM_PAYROLL.value: "Không còn trong tờ khai thuế",
    Change.NO_LONGER_ELIGIBLE.value: "Không còn thuộc diện tham gia",
}
ROUTES: Final = {"cited": "Theo thông báo", "placeholder": "Mặc định, chưa xác minh"}
YES_NO: Final = {True: "Có", False: "Không"}


def defuse(values: pd.Series) -> pd.Series:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (OWASP CSV rule)."""
    text = values.astype(pd.ArrowDtype(pa.string()))
    pattern = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
    risky = text.str.contains(pattern, regex=True).fillna(value=False).astype(bool)
    return text.where(~risky, "'" + text)


def style_table(sheet: Any, *, freeze: str = "A2", filters: bool = True) -> None:
    """Bold wrapped header, frozen above ``freeze``, an autofilter over the table."""
    from openpyxl.styles import Alignment, Font

    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = freeze
    if filters and sheet.max_row >= 1 and sheet.max_column >= 1:
        sheet.auto_filter.ref = sheet.dimensions


def fit_widths(sheet: Any, *, least: int = 8, most: int = 45) -> None:
    """Each column as wide as its longest value (dates and money by their shown length)."""
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(sheet.iter_cols(), start=1):
        longest = least
        for number, cell in enumerate(column):
            value = cell.value
            if value is None:
                continue
            if isinstance(value, dt.date):
                size = 10
            elif isinstance(value, int | float) and not isinstance(value, bool):
                size = len(f"{value:,.0f}") + 2
            else:
                size = len(str(value))
            if number == 0:  # a header wraps over two lines at most
                size = min(size, max(12, size // 2 + 1))
            longest = max(longest, size + 2)
        sheet.column_dimensions[get_column_letter(index)].width = min(longest, most)


def fit_heights(sheet: Any, *, line: float = 15.0) -> None:
    """Every cell wrapped at the top, each row as tall as its longest wrapped text."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    wrap = Alignment(wrap_text=True, vertical="top")
    widths = {
        index: sheet.column_dimensions[get_column_letter(index)].width or 10
        for index in range(1, sheet.max_column + 1)
    }
    for row in sheet.iter_rows():
        lines = 1
        for cell in row:
            cell.alignment = wrap
            if isinstance(cell.value, str):
                # about one character per width unit, less a margin; words wrap whole
                bold = 0.8 if cell.font is not None and cell.font.b else 0.95
                per_line = max(int(widths[cell.column] * bold) - 1, 1)
                lines = max(lines, -(-len(cell.value) // per_line))
        sheet.row_dimensions[row[0].row].height = line * lines


def print_landscape(sheet: Any) -> None:
    """Landscape, all columns on one page width, header row repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def file_name(text: str) -> str:
    """``text`` as a portable file-name part: ASCII letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_fold(text)).strip("-")[:60] or "don-vi"


def period_text(period: Any, precision: Any) -> str | None:
    """A period as a clerk writes it: "Năm 2024", "Quý 1/2024", "Tháng 03/2024"."""
    if period is None or pd.isna(period):
        return None
    day = pd.Timestamp(period)
    if precision == "year":
        return f"Năm {day.year}"
    if precision == "quarter":
        return f"Quý {(day.month - 1) // 3 + 1}/{day.year}"
    return f"Tháng {day.month:02d}/{day.year}"


def _date(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _birth(row: Mapping[str, Any]) -> Any:
    """The full birth date, else the year (the CCCD's, when that is all there is)."""
    if (day := _date(row.get("birth_date"))) is not None:
        return day
    year = row.get("birth_year")
    return None if year is None or pd.isna(year) else f"Năm {int(year)}"


def _word(table: dict[str, str], value: Any) -> str | None:
    """``value``'s Vietnamese word from ``table``; None when missing or unknown."""
    return None if value is None or pd.isna(value) else table.get(str(value))


def _money(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _flag(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else YES_NO[bool(value)]


@dataclass(frozen=True)
class Column:
    """One list column: header, how a row gives its value, and the number format."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    number_format: str | None = None


def _text(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def get(row: Mapping[str, Any]) -> Any:
        value = row.get(key)
        return None if value is None or pd.isna(value) else str(value)

    return get


def list_columns(*, masked: bool, refresh: bool) -> list[Column]:
    """The columns of a reason sheet, in the order a clerk reads them."""
    columns = [
        Column("Thứ tự ưu tiên", lambda r: _money(r.get("priority"))),
        Column("Họ và tên", _text("full_name")),
        Column("Ngày sinh", _birth, DATE),
        Column("Giới tính", lambda r: _word(GENDERS, r.get("gender"))),
        Column("Số CCCD (che)" if masked else "Số CCCD", _text("national_id")),
        Column("Tên đơn vị", _text("employer_name")),
        Column("MST đơn vị", _text("employer_tax_code")),
        Column("Địa chỉ đơn vị", _text("employer_address")),
        Column("Kỳ kê khai", lambda r: period_text(r.get("period"), r.get("period_precision"))),
        Column("Số tháng có trong tờ khai", lambda r: _money(r.get("months_seen"))),
        Column("Thời hạn HĐLĐ (tháng)", lambda r: _money(r.get("contract_months"))),
        Column("Thu nhập/tháng", lambda r: _money(r.get("monthly_income")), MONEY),
        Column("Tiền lương đóng BHXH", lambda r: _money(r.get("contribution_salary")), MONEY),
        Column("Trạng thái BHXH", lambda r: _word(STATUSES, r.get("si_status"))),
        Column(
            "Ước tính số tiền chưa đóng/tháng", lambda r: _money(r.get("unpaid_monthly")), MONEY
        ),
        Column("Nghi trốn đóng", lambda r: _flag(r.get("suspected_evasion"))),
        Column(
            "Vùng lương tối thiểu", lambda r: f"Vùng {r['zone']}" if _known(r, "zone") else None
        ),
        Column("Lý do", lambda r: _word(REASON_LABELS, r.get("reason"))),
        Column("Việc cần làm", _text("action")),
        Column("Địa bàn giao theo", lambda r: _word(ROUTES, r.get("office_route"))),
    ]
    if refresh:
        columns.insert(1, Column("Mới", lambda r: "Mới" if r.get("is_new") else None))
    return columns


def _known(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key)
    return value is not None and not pd.isna(value)


def _rows(frame: pd.DataFrame, columns: Sequence[Column]) -> Iterable[list[Any]]:
    # records, not iterrows: a Series built per row cost more than writing the cells
    for row in cast(list[dict[str, Any]], frame.to_dict("records")):
        yield [column.value(row) for column in columns]


def _table(sheet: Any, frame: pd.DataFrame, columns: Sequence[Column]) -> None:
    """Header, rows and formats of one list sheet."""
    sheet.append([c.header for c in columns])
    for values in _rows(frame, columns):
        sheet.append(values)
    for index, column in enumerate(columns, start=1):
        if column.number_format is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if not isinstance(cell.value, str):
                cell.number_format = column.number_format
    style_table(sheet, freeze="C2")
    fit_widths(sheet, most=30)
    fit_heights(sheet)
    print_landscape(sheet)


@dataclass(frozen=True)
class OfficeBook:
    """What one office's workbook shows besides its rows."""

    office: str  # name, "(tên mặc định, chưa xác minh)" added when a placeholder
    office_source: str | None  # the notice naming it, when cited
    run_date: dt.date
    as_of: dt.date | None  # the registry's extraction date, when known
    masked: bool
    refresh: bool  # a --previous run: "Mới" marks and the entries to close


def _cover(sheet: Any, book: OfficeBook, candidates: pd.DataFrame) -> None:
    """Who, when, how many per reason, under which law, and how to read the list."""
    from openpyxl.styles import Alignment, Font

    periods = [
        period_text(p, q)
        for p, q in zip(candidates["period"], candidates["period_precision"], strict=True)
    ]
    shown = sorted({p for p in periods if p}, key=lambda text: (text[-4:], text))
    counts = candidates["reason"].astype("object").value_counts()
    reform = dt.date(2025, 7, 1)
    ends = pd.to_datetime(candidates["period"].astype("object"), errors="coerce")
    laws = []
    if (ends < pd.Timestamp(reform)).any():
        laws.append("Luật BHXH số 58/2014/QH13 (kỳ trước 01/07/2025)")
    if (ends >= pd.Timestamp(reform)).any():
        laws.append("Luật BHXH số 41/2024/QH15 (kỳ từ 01/07/2025)")
    placeholders = int(candidates["office_placeholder"].fillna(value=False).astype(bool).sum())
    rows: list[tuple[str | None, Any]] = [
        ("DANH SÁCH NGƯỜI LAO ĐỘNG CẦN LIÊN HỆ", None),
        ("Cơ quan BHXH", book.office),
        ("Căn cứ địa bàn quản lý", book.office_source or "Chưa có văn bản xác nhận"),
        ("Ngày lập danh sách", book.run_date),
        ("Kỳ dữ liệu", ", ".join(shown[:6]) + (" …" if len(shown) > 6 else "") or None),
        ("Ngày trích xuất dữ liệu BHXH", book.as_of or "Không rõ"),
        ("Quy định áp dụng", "; ".join(laws) or None),
        ("Tổng số người", len(candidates)),
        *[(f"  {REASON_LABELS[r]}", int(counts.get(r, 0))) for r in REASON_SHEETS],
        ("Dòng có địa bàn giao theo mặc định", placeholders),
        (None, None),
        ("CÁCH ĐỌC DANH SÁCH", None),
        ("1.", "Mỗi lý do một trang, xếp theo thứ tự liên hệ: trang đầu liên hệ trước."),
        ("2.", 'Cột "Việc cần làm" nói cần làm gì hoặc cần kiểm tra gì với từng người.'),
        ("3.", "Đây là danh sách cần liên hệ, chưa phải kết luận vi phạm."),
        ("4.", "Số CCCD được che, chỉ hiện 3 số cuối; đối chiếu với hồ sơ của đơn vị."),
        ("5.", '"Ước tính số tiền chưa đóng/tháng" là ước tính theo thu nhập chịu thuế.'),
        ("6.", 'Trang "Đơn vị cần kiểm tra" xếp các đơn vị theo thứ tự nên kiểm tra.'),
        ("7.", 'Dòng "Mặc định, chưa xác minh": địa bàn chưa có văn bản giao, kiểm tra lại.'),
    ]
    if book.refresh:
        rows.append(
            (
                "8.",
                '"Mới": chưa có trong lần trước; trang "Cần đóng hồ sơ" liệt kê '
                "người không còn cần liên hệ.",
            )
        )
    for label, value in rows:
        sheet.append([label, value])
    for number, (label, value) in enumerate(rows, start=1):
        if value is None and isinstance(label, str) and label.isupper():
            sheet.cell(row=number, column=1).font = Font(bold=True, size=12)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 90
    fit_heights(sheet)
    for row in sheet.iter_rows(min_row=1, max_col=2):
        if isinstance(row[1].value, dt.date):
            row[1].number_format = DATE
        if isinstance(row[1].value, int | dt.date):
            row[1].alignment = Alignment(horizontal="left", vertical="top")
    print_landscape(sheet)


def _count(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def get(row: Mapping[str, Any]) -> Any:
        return _money(row.get(key))

    return get


EMPLOYER_COLUMNS: Final = [
    Column("Thứ tự kiểm tra", lambda r: _money(r.get("rank"))),
    Column("Tên đơn vị", _text("employer_name")),
    Column("MST đơn vị", _text("employer_tax_code")),
    Column("Địa chỉ đơn vị", _text("employer_address")),
    Column("Đã đăng ký với BHXH", lambda r: _flag(r.get("registered_with_vss"))),
    Column("Doanh nghiệp mới thành lập", lambda r: _flag(r.get("new_business"))),
    Column("Số lao động trong tờ khai", lambda r: _money(r.get("payroll_workers"))),
    *[Column(label, _count(key)) for key, label in REASON_LABELS.items()],
    Column("Tổng số cần liên hệ", lambda r: _money(r.get("candidates"))),
    Column("Ước tính số tiền chưa đóng/tháng", lambda r: _money(r.get("unpaid_monthly")), MONEY),
]
CLOSE_COLUMNS: Final = [
    Column("Họ và tên", _text("full_name")),
    Column("Ngày sinh", _birth, DATE),
    Column("Số CCCD (che)", _text("national_id")),
    Column("Tên đơn vị", _text("employer_name")),
    Column("MST đơn vị", _text("employer_tax_code")),
    Column("Lý do lần trước", lambda r: _word(REASON_LABELS, r.get("previous_reason"))),
    Column("Tình trạng hiện nay", lambda r: _word(CLOSED, r.get("change"))),
    Column("Việc cần làm", lambda r: close_action(r.get("change"))),
]


def write_office_workbook(
    path: Path,
    book: OfficeBook,
    candidates: pd.DataFrame,
    employers: pd.DataFrame,
    closed: pd.DataFrame | None = None,
) -> None:
    """One office's workbook: cover, a sheet per reason, employers, entries to close.

    ``candidates`` are the office's published entries (text already printable), with
    ``is_new`` on a refresh; ``closed`` the previous entries no longer listed, with
    ``change`` and ``previous_reason``. Every text cell is defused; no cell is a formula.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    cover = workbook.active
    cover.title = "Thông tin chung"
    _cover(cover, book, candidates)
    frame = candidates.assign(action=action_texts(candidates["detail"], candidates["reason"]))
    frame = _defused(frame)
    columns = list_columns(masked=book.masked, refresh=book.refresh)
    reasons = frame["reason"].astype("object")
    for reason, title in REASON_SHEETS.items():
        rows = frame[(reasons == reason).to_numpy(dtype=bool)]
        if len(rows):
            _table(workbook.create_sheet(title), rows, columns)
    addresses = candidates.drop_duplicates("employer_tax_code").set_index("employer_tax_code")
    ranked = employers.assign(
        employer_address=employers["employer_tax_code"]
        .astype("object")
        .map(addresses["employer_address"].astype("object"))
    )
    _table(workbook.create_sheet("Đơn vị cần kiểm tra"), _defused(ranked), EMPLOYER_COLUMNS)
    if book.refresh:
        gone = closed if closed is not None else pd.DataFrame(columns=["change"])
        _table(workbook.create_sheet("Cần đóng hồ sơ"), _defused(gone), CLOSE_COLUMNS)
    if any(cell.data_type == "f" for ws in workbook for row in ws.iter_rows() for cell in row):
        msg = "excel: a formula cell survived defusing"  # a bug, not a user error
        raise AssertionError(msg)
    workbook.save(path)


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of ``frame`` defused, values as Python objects."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = defuse(values)
            out[column] = text.astype(object).where(text.notna(), None)
    return out
