"""What a clerk does or checks for an entry ("Việc cần làm"), in Vietnamese.

Eligibility gives each row a stable ``detail`` code (``linkage.eligibility.details``); this is
the one table that says it in the clerk's language. A code this table does not know (a newer
engine's) gets its reason's general instruction, never the code itself.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from linkage.schema import CandidateReason, Change

ACTIONS: Final[dict[str, str]] = {
    "no_insured_record": (
        "Không tìm thấy sổ BHXH: đề nghị đơn vị đăng ký tham gia BHXH cho người lao động."
    ),
    "not_insured_at_this_employer": (
        "Chỉ tham gia BHXH tại đơn vị khác: đề nghị đơn vị đăng ký tham gia theo hợp đồng này."
    ),
    "record_suspended": "Sổ BHXH đang tạm dừng đóng: đề nghị đơn vị đóng tiếp.",
    "record_stopped": "Sổ BHXH đã ngừng đóng: đề nghị đơn vị đăng ký đóng lại.",
    "below_legal_floor": (
        "Tiền lương đóng thấp hơn mức tối thiểu theo quy định: đề nghị đơn vị điều chỉnh "
        "(Luật BHXH 2024, Điều 39 khoản 1 điểm c)."
    ),
    "below_income_heuristic": (
        "Tiền lương đóng thấp xa thu nhập chịu thuế: kiểm tra phần chênh lệch có phải tiền "
        "thưởng, phụ cấp năng suất không tính đóng (Nghị định 158/2025, Điều 7) trước khi "
        "đề nghị điều chỉnh."
    ),
    "foreign_worker_exemption_unknown": (
        "Người lao động nước ngoài: kiểm tra có thuộc trường hợp không phải tham gia (di chuyển "
        "nội bộ doanh nghiệp, đủ tuổi nghỉ hưu, điều ước quốc tế) trước khi đề nghị đăng ký."
    ),
    "pension_unknown_over_retirement_age": (
        "Đã đủ tuổi nghỉ hưu: kiểm tra người lao động có đang hưởng lương hưu hoặc trợ cấp "
        "hằng tháng không; nếu không, hợp đồng này thuộc diện tham gia."
    ),
    "domestic_worker_unknown": (
        "Đơn vị là hộ gia đình: kiểm tra người lao động có phải lao động giúp việc gia đình "
        "(không thuộc diện) không."
    ),
    "household_business_tax_method_unknown": (
        "Chủ hộ kinh doanh: chỉ thuộc diện tham gia nếu nộp thuế theo phương pháp kê khai; "
        "kiểm tra phương pháp nộp thuế."
    ),
    "link_uncertain": "Chưa chắc là cùng một người với sổ BHXH tìm được: đối chiếu nhân thân.",
    "record_status_unknown": "Sổ BHXH tìm được chưa rõ tình trạng: kiểm tra tình trạng đóng.",
    "missing_period": "Tờ khai thiếu kỳ kê khai: hỏi đơn vị kỳ trả thu nhập.",
    "missing_birth_year": (
        "Không rõ năm sinh: hỏi đơn vị ngày sinh của người lao động, rồi tra cứu lại sổ BHXH."
    ),
    "missing_contract_length": "Không rõ thời hạn hợp đồng: đề nghị đơn vị cung cấp hợp đồng.",
    "under_minimum_working_age": (
        "Dưới 15 tuổi: kiểm tra hợp đồng có thuộc công việc pháp luật cho phép không."
    ),
    "registration_window": "Mới tuyển, chưa hết hạn đăng ký 30 ngày: theo dõi, chưa liên hệ.",
}
# When the row has no detail, or one this table does not know.
GENERAL: Final[dict[str, str]] = {
    CandidateReason.UNINSURED.value: (
        "Liên hệ đơn vị, đề nghị đăng ký tham gia BHXH cho người lao động."
    ),
    CandidateReason.LAPSED.value: "Liên hệ đơn vị, đề nghị đóng tiếp BHXH cho người lao động.",
    CandidateReason.UNDER_DECLARED.value: (
        "Liên hệ đơn vị, đối chiếu tiền lương đóng BHXH với tiền lương theo hợp đồng."
    ),
    CandidateReason.REVIEW.value: "Kiểm tra hồ sơ của người lao động trước khi liên hệ đơn vị.",
}
FALLBACK: Final = "Kiểm tra hồ sơ của người lao động trước khi liên hệ đơn vị."
CLOSE: Final[dict[str, str]] = {
    Change.NOW_INSURED.value: "Đóng hồ sơ theo dõi: người lao động đã tham gia BHXH.",
    Change.GONE_FROM_PAYROLL.value: (
        "Kiểm tra người lao động đã nghỉ việc chưa; nếu đã nghỉ, đóng hồ sơ theo dõi."
    ),
    Change.NO_LONGER_ELIGIBLE.value: "Đóng hồ sơ theo dõi: không còn thuộc diện tham gia.",
}


def action_texts(detail: pd.Series, reason: pd.Series) -> pd.Series:
    """The "Việc cần làm" of each row: its detail's text, else its reason's general one."""
    by_detail = detail.astype("object").map(ACTIONS)
    general = reason.astype("object").map(GENERAL).fillna(FALLBACK)
    return by_detail.where(by_detail.notna(), general).astype(object)


def close_action(change: object) -> str:
    """What to do with an entry no longer listed."""
    return CLOSE.get(str(change), FALLBACK)
