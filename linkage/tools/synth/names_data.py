"""Name tables for the synthetic population, as data.

Shares are approximate, from the secondary sources in DOMAIN.md section 2; the long tail and
the given-name rankings are plausible orderings, not measured frequencies. Given names are
listed most common first and weighted Zipf-like by ``people.py`` so that namesakes born in
the same year are common, as they are in real registries.
"""

from __future__ import annotations

from typing import Final

# (surname, percent of the population). Hoàng/Huỳnh and Vũ/Võ are split north/south.
SURNAMES: Final[tuple[tuple[str, float], ...]] = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 3.0),
    ("Huỳnh", 2.0),
    ("Phan", 4.5),
    ("Vũ", 2.2),
    ("Võ", 1.8),
    ("Đặng", 2.0),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
)

# The long tail shares the remaining ~11.5 %, ranked most common first (Zipf weights).
SURNAME_TAIL: Final[tuple[str, ...]] = (
    "Đào", "Đinh", "Trịnh", "Trương", "Mai", "Đoàn", "Lâm", "Lương", "Cao", "Hà",
    "Tạ", "Lưu", "Vương", "Châu", "Tô", "Kiều", "Thái", "Quách", "Phùng", "Tăng",
    "La", "Hứa", "Triệu", "Chu", "Lại", "Thân", "Đồng", "Mạc", "Khúc", "Giang",
    "Nghiêm", "Kim", "Lục", "Diệp", "Từ", "Doãn", "Khổng", "Ông", "Chử", "Âu",
    "Tôn Nữ", "Âu Dương", "Tôn Thất",
)  # fmt: skip
SURNAME_TAIL_SHARE: Final = 11.5

# Compound surnames that are sex-specific: Tôn Nữ is borne by women, Tôn Thất by men.
FEMALE_ONLY_SURNAME: Final = "Tôn Nữ"
MALE_ONLY_SURNAME: Final = "Tôn Thất"

# Middle names. The first entry (Văn / Thị) carries the given share of one-middle names.
MALE_MIDDLE_FIRST: Final = ("Văn", 0.45)
FEMALE_MIDDLE_FIRST: Final = ("Thị", 0.55)
MALE_MIDDLES: Final[tuple[str, ...]] = (
    "Đức", "Minh", "Quang", "Hữu", "Thanh", "Hoàng", "Gia", "Bảo", "Công", "Tuấn",
    "Xuân", "Ngọc", "Trọng", "Đình", "Mạnh", "Anh", "Quốc", "Thành", "Duy", "Tiến",
    "Việt", "Trung", "Hải", "Nhật", "Đăng", "Khánh", "Phúc",
)  # fmt: skip
FEMALE_MIDDLES: Final[tuple[str, ...]] = (
    "Ngọc", "Thu", "Thanh", "Minh", "Hoàng", "Bảo", "Phương", "Kim", "Mai", "Thùy",
    "Hồng", "Bích", "Diệu", "Khánh", "Quỳnh", "Tuyết", "Hải", "Thảo", "Mỹ", "Lan",
    "Như", "Thúy", "Yến",
)  # fmt: skip
# Probability of 0, 1 or 2 middle names.
MIDDLE_COUNT_P: Final = (0.05, 0.75, 0.20)

# Given names, most common first.
MALE_GIVEN: Final[tuple[str, ...]] = (
    "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Long", "Nam", "Hưng", "Huy", "Anh",
    "Đức", "Thắng", "Sơn", "Tùng", "Quân", "Trung", "Cường", "Hiếu", "Phúc", "Duy",
    "Khoa", "Đạt", "Tâm", "Việt", "Vinh", "Thành", "Hoàng", "Bình", "Toàn", "Tiến",
    "Khánh", "Lộc", "Thịnh", "Phong", "Quang", "Thanh", "Tài", "Hòa", "Hiệp", "Kiên",
    "Lâm", "Linh", "Luân", "Mạnh", "Nghĩa", "Nhân", "Phát", "Phương", "Quý", "Sang",
    "Tân", "Thái", "Thiện", "Thuận", "Tín", "Trí", "Trọng", "Tú", "Vũ", "Bảo",
    "Chiến", "Công", "Danh", "Đông", "Giang", "Hà", "Hào", "Hậu", "Hiển", "Hội",
    "Huân", "Khải", "Khang", "Khôi", "Kha", "Lực", "Lượng", "Nguyên", "Nhật", "Ninh",
    "Quyết", "Tấn", "Thạch", "Thông", "Thức", "Trường", "Tuyên", "Vĩnh", "Xuân", "An",
    "Ân", "Bách", "Biên", "Cảnh", "Châu", "Chính", "Chung", "Cương", "Đại", "Đăng",
    "Định", "Đoàn", "Dương", "Gia", "Hảo", "Hiền", "Hoan", "Học", "Hợp", "Huấn",
    "Hữu", "Kỳ", "Lai", "Lập", "Liêm", "Lợi", "Luận", "Phú", "Quốc", "Quyền",
    "Sáng", "Sĩ", "Sỹ", "Tạo", "Thăng", "Thiết", "Thìn", "Thống", "Thụy", "Toản",
    "Triều", "Trực", "Tuệ", "Tường", "Uy", "Vĩ", "Vương", "Vượng", "Khiết", "Khiêm",
    "Đô", "Điệp", "Hạ", "Khương", "Lĩnh", "Mẫn", "Ngọc", "Nhất", "Phước", "Quảng",
)  # fmt: skip
FEMALE_GIVEN: Final[tuple[str, ...]] = (
    "Linh", "Hương", "Trang", "Thảo", "Ngọc", "Phương", "Anh", "Hà", "Lan", "Mai",
    "Hoa", "Hằng", "Huyền", "Nhung", "Nga", "Yến", "Thủy", "Hiền", "Hạnh", "Loan",
    "Oanh", "Quỳnh", "Trâm", "Vy", "Vi", "Giang", "Dung", "Thu", "Thúy", "Hồng",
    "Liên", "Ly", "My", "Nhi", "Nhàn", "Như", "Tâm", "Thanh", "Thư", "Tuyết",
    "Uyên", "Vân", "Xuân", "Chi", "Diệp", "Diệu", "Duyên", "Hảo", "Hậu", "Hòa",
    "Huệ", "Khánh", "Kim", "Lệ", "Liễu", "Mơ", "Mỹ", "Ngân", "Nguyệt", "Nhạn",
    "Phượng", "Quế", "Quyên", "Sương", "Thắm", "Thơ", "Thoa", "Thơm", "Thùy", "Tiên",
    "Trinh", "Tú", "Ánh", "Bích", "Châu", "Cúc", "Đào", "Dịu", "Gấm", "Hạ",
    "Hoài", "Kiều", "Lam", "Lành", "Lụa", "Mận", "Mến", "Miên", "Nguyên", "Nhã",
    "Phấn", "Phúc", "Sen", "Thục", "Thương", "Thường", "Trà", "Trúc", "Tươi", "Xoan",
    "Ngà", "Hân", "An", "Diễm", "Hoàn", "Huyên", "Khuê", "Lài", "Lương", "Minh",
    "Ngoan", "Tình", "Dương", "Điệp", "Hiên", "Hường", "Lộc", "Lựu", "Mùi", "Na",
    "Ninh", "Nương", "Phụng", "Quý", "Sa", "Tịnh", "Thi", "Thoại", "Trân", "Tuyền",
    "Vàng", "Vương", "Xinh", "Yên", "Ái", "Bình", "Cầm", "Đan", "Hải", "Hòe",
    "Khanh", "Hiếu", "Mây", "Nhài", "Nhiên", "Quyến", "Thuần", "Uyển", "Thuận", "Vinh",
)  # fmt: skip
# Zipf weights of the given-name ranking: the top name gets ~10 % of its sex, so
# "Nguyễn Văn Hùng" born in one year appears several times in a 100,000-person population,
# and a fifth of uninsured workers have a registry namesake born the same year (as in the
# validation set: 20.6 %).
GIVEN_ZIPF: Final = 1.3
GIVEN_ZIPF_OFFSET: Final = 3  # weight of rank r is 1 / (r + offset) ** GIVEN_ZIPF

# Spelling variants a clerk may type for the same name: i/y and old/new tone placement.
SPELLING_VARIANTS: Final[dict[str, str]] = {
    "Lý": "Lí",
    "Thủy": "Thuỷ",
    "Thúy": "Thuý",
    "Thùy": "Thuỳ",
    "Thụy": "Thuỵ",
    "Hòa": "Hoà",
    "Hòe": "Hoè",
    "Quý": "Quí",
    "Mỹ": "Mĩ",
    "Kỳ": "Kì",
    "Sỹ": "Sĩ",
    "Vỹ": "Vĩ",
    "Ly": "Li",
    "My": "Mi",
}

# Foreign workers: (country as written in the Nationality column, family names, given
# names, family name written first?).
FOREIGN: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...], bool], ...]] = (
    (
        "Hàn Quốc",
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
        ("Min Jun", "Seo Yeon", "Ji Hoon", "Ha Eun", "Dong Hyun", "Soo Jin", "Jae Won"),
        True,
    ),
    (
        "Trung Quốc",
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang"),
        ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Xiu Ying"),
        True,
    ),
    (
        "Nhật Bản",
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto"),
        ("Hiroshi", "Yuki", "Takeshi", "Haruka", "Kenji", "Aiko", "Daisuke"),
        True,
    ),
    (
        "Đài Loan",
        ("Chen", "Lin", "Huang", "Chang", "Lee", "Wang", "Wu"),
        ("Chia Hao", "Yu Ting", "Chih Ming", "Shu Fen", "Wen Hsiung"),
        True,
    ),
    (
        "Philippines",
        ("Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza"),
        ("Maria", "Jose", "Mark Anthony", "Angelica", "John Paul", "Kristine"),
        False,
    ),
    (
        "Ấn Độ",
        ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy"),
        ("Rahul", "Priya", "Amit", "Anjali", "Vikram", "Deepa"),
        False,
    ),
    (
        "Hoa Kỳ",
        ("Smith", "Johnson", "Williams", "Brown", "Miller", "Davis"),
        ("John", "Michael", "Emily", "David", "Sarah", "Robert"),
        False,
    ),
)
FOREIGN_COUNTRY_P: Final = (0.32, 0.28, 0.14, 0.1, 0.06, 0.05, 0.05)

# Business names: legal form, trade and a brand, e.g. "Công ty TNHH Xây dựng Hoàng Long".
LEGAL_FORMS: Final[tuple[tuple[str, float], ...]] = (
    ("Công ty TNHH", 0.55),
    ("Công ty Cổ phần", 0.3),
    ("Công ty TNHH MTV", 0.1),
    ("Doanh nghiệp tư nhân", 0.05),
)
TRADES: Final[tuple[str, ...]] = (
    "Thương mại", "Dịch vụ", "Xây dựng", "Sản xuất", "Đầu tư", "Công nghệ", "Vận tải",
    "May mặc", "Thực phẩm", "Cơ khí", "Điện tử", "Nội thất", "Du lịch", "Logistics",
    "Thương mại và Dịch vụ", "Đầu tư và Phát triển", "Xuất nhập khẩu", "Giày da",
    "Nhựa", "In ấn", "Dược phẩm", "Bất động sản", "Môi trường", "Giáo dục", "Phần mềm",
)  # fmt: skip
BRANDS: Final[tuple[str, ...]] = (
    "Hoàng Long", "Phú Thành", "An Phát", "Minh Anh", "Sao Việt", "Đại Dương", "Thành Công",
    "Hưng Thịnh", "Phúc An", "Tân Tiến", "Việt Hàn", "Nam Á", "Bình Minh", "Kim Long",
    "Đông Á", "Thiên Phú", "Hòa Bình", "Trường Sơn", "Hồng Hà", "Cửu Long", "Phương Nam",
    "Thái Bình Dương", "Ánh Dương", "Gia Phát", "Toàn Cầu", "Vạn Xuân", "Lộc Phát",
    "Tiến Thành", "Quang Minh", "Hải Âu", "Sông Hồng", "Tây Nguyên", "Mê Kông", "Rạng Đông",
    "Thăng Long", "Sài Gòn Xanh", "Hà Thành", "Đất Việt", "Nhật Quang", "Hưng Phát",
)  # fmt: skip
STREETS: Final[tuple[str, ...]] = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt",
    "Nguyễn Huệ", "Quang Trung", "Lê Duẩn", "Điện Biên Phủ", "Cách Mạng Tháng Tám",
    "Nguyễn Văn Cừ", "Phạm Văn Đồng", "Võ Văn Kiệt", "Hoàng Quốc Việt", "Trường Chinh",
    "Lạc Long Quân", "Nguyễn Thị Minh Khai", "Phan Đình Phùng", "Tôn Đức Thắng", "Hùng Vương",
)  # fmt: skip
