"""Per-district Excel outreach lists with Vietnamese headers, safe against formula injection."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from linkage.schema import CandidateReason

HEADERS: dict[str, str] = {
    "priority": "Ưu tiên",
    "record_id": "Mã bản ghi",
    "reason": "Lý do",
    "employer_tax_code": "MST đơn vị",
    "employer_name": "Tên đơn vị",
    "full_name": "Họ và tên",
    "national_id": "Số CCCD (che)",
    "birth_year": "Năm sinh",
    "gender": "Giới tính",
    "monthly_income": "Thu nhập",
    "contract_months": "Thời hạn HĐ (tháng)",
    "period": "Kỳ kê khai",
    "si_code": "Mã số BHXH",
    "si_status": "Trạng thái BHXH",
    "contribution_salary": "Tiền lương đóng BHXH",
    "unpaid_monthly": "Ước tính số tiền chưa đóng/tháng",
    "tenure_days": "Số ngày làm việc (theo kỳ kê khai)",
    "suspected_evasion": "Nghi trốn đóng",
    "zone": "Vùng lương tối thiểu",
    "office": "BHXH cơ sở",
    "rule_set": "Bộ quy tắc",
}
REASON_LABELS: dict[str, str] = {
    CandidateReason.UNINSURED.value: "Chưa tham gia BHXH",
    CandidateReason.LAPSED.value: "Tạm dừng/ngừng đóng",
    CandidateReason.UNDER_DECLARED.value: "Đóng thấp hơn thu nhập",
    CandidateReason.REVIEW.value: "Cần xác minh",
}
# Beside an office name the crosswalk generated and nobody has checked yet.
PLACEHOLDER = " (tên mặc định, chưa xác minh)"
# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse(values: pd.Series) -> pd.Series:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (OWASP CSV rule)."""
    text = values.astype(pd.ArrowDtype(pa.string()))
    pattern = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
    risky = text.str.contains(pattern, regex=True).fillna(value=False).astype(bool)
    return text.where(~risky, "'" + text)


def sheet_frame(candidates: pd.DataFrame, *, masked: bool) -> pd.DataFrame:
    """The columns and headers of a district sheet, every text cell defused."""
    frame = candidates[[c for c in HEADERS if c in candidates.columns]].copy()
    frame["reason"] = frame["reason"].astype("object").map(REASON_LABELS).fillna(frame["reason"])
    if "office_placeholder" in candidates.columns:
        placeholder = candidates["office_placeholder"].fillna(value=False).astype(bool)
        frame["office"] = frame["office"].where(~placeholder, frame["office"] + PLACEHOLDER)
    if "suspected_evasion" in frame.columns:
        flags = frame["suspected_evasion"].astype("object")
        frame["suspected_evasion"] = flags.map({True: "Có", False: "Không"}).astype("object")
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = defuse(frame[column])
        else:
            frame[column] = frame[column].astype("object")
    headers = dict(HEADERS)
    if not masked:
        headers["national_id"] = "Số CCCD"
    return frame.rename(columns=headers)


def write_sheet(path: Path, frame: pd.DataFrame, *, title: str) -> None:
    """Write one sheet in streaming mode; cells are values, never formulas."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(frame.columns))
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object)
        values[pd.isna(values)] = None
        columns.append(values)
    for row in zip(*columns, strict=True):
        sheet.append(list(row))
    workbook.save(path)
