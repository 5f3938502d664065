"""Administrative units: code validation, zero padding and scheme resolution."""

from __future__ import annotations

import pandas as pd
import pytest

from linkage.normalize import pre2025_districts, unit_codes

PRE, NEW = "pre-2025", "2025-07"


def resolve(province: str | None, district: str | None, ward: str | None) -> tuple[object, ...]:
    frame = unit_codes(
        pd.Series([province], dtype=object),
        pd.Series([district], dtype=object),
        pd.Series([ward], dtype=object),
    )
    return tuple(None if pd.isna(v) else v for v in frame.iloc[0])


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("01", "001", "00001"), ("01", "001", "00001", PRE, False)),  # Hà Nội, Ba Đình, Phúc Xá
        (("1", "1", None), ("01", "001", None, PRE, False)),  # zero padding
        (("01.0", "", ""), ("01", None, None, PRE, False)),  # spreadsheet float, province only
        (("27", None, None), ("27", None, None, PRE, False)),  # old Bắc Ninh: pre-2025 only
        (("79", "760", "26734"), ("79", "760", "26734", PRE, False)),  # HCM, Quận 1
        (("14", None, "03980"), ("14", None, "03980", NEW, False)),  # ward code new in 2025
        (("01", None, "00004"), ("01", None, "00004", NEW, False)),  # valid in both: 2025-07
        (("01", None, "00001"), ("01", "001", "00001", PRE, False)),  # old ward: district filled
        (("01", "760", None), ("01", None, None, PRE, True)),  # district of another province
        (("01", "001", "26734"), ("01", "001", None, PRE, True)),  # ward of another district
        (("24", None, "00001"), ("24", None, None, PRE, True)),  # ward of another province
        (("01", "abc", None), ("01", None, None, PRE, True)),  # non-numeric district
        (("99", "001", None), (None, None, None, None, True)),  # no province 99
        ((None, None, "00004"), (None, None, None, None, True)),  # ward without province
        ((None, None, None), (None, None, None, None, False)),  # nothing given
    ],
)
def test_unit_codes(
    codes: tuple[str | None, str | None, str | None],
    expected: tuple[str | None, str | None, str | None, str | None, bool],
) -> None:
    assert resolve(*codes) == expected


def test_unit_codes_repeat_per_row() -> None:
    frame = unit_codes(
        pd.Series(["01", "01", "99"], index=[5, 6, 7]),
        pd.Series(["001", "001", None], index=[5, 6, 7]),
        pd.Series([None, None, None], index=[5, 6, 7]),
    )
    assert list(frame.index) == [5, 6, 7]
    assert frame["district_code"].tolist()[:2] == ["001", "001"]
    assert frame["invalid"].tolist() == [False, False, True]


def test_pre2025_districts() -> None:
    districts = pre2025_districts()
    assert list(districts.columns) == [
        "province_code",
        "province_name",
        "district_code",
        "district_name",
    ]
    assert len(districts) == 696
    assert districts["province_code"].nunique() == 63
    first = districts.iloc[0]
    assert (first["province_code"], first["district_code"]) == ("01", "001")
    assert first["district_name"] == "Quận Ba Đình"
    assert districts["district_code"].str.len().eq(3).all()
