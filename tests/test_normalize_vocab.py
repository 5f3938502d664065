"""Vocabularies: folding and mapping free text to canonical codes."""

from __future__ import annotations

import pandas as pd
import pytest

from linkage.errors import ConfigError
from linkage.folding import fold
from linkage.normalize import fold_key, map_vocabulary

GENDER = {"M": ["Nam", "male", "m"], "F": ["Nữ", "nu", "female", "f"]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Mã  số THUẾ ", "ma so thue"),  # case, tones, spaces
        ("ĐANG HOẠT ĐỘNG", "dang hoat dong"),  # đ folded explicitly
        ("Nữ", "nu"),  # horn and tone
        ("", ""),  # empty stays empty
        ("Nữ.", "nu"),  # trailing punctuation
        ("Đang-tham gia", "dang tham gia"),  # a dash where a space was meant
        ("Thời hạn HĐLĐ (tháng)", "thoi han hdld thang"),  # a header with brackets
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_key_vectorized() -> None:
    assert fold_key(pd.Series(["Nữ", None])).tolist()[0] == "nu"
    assert pd.isna(fold_key(pd.Series(["Nữ", None])).iloc[1])


def test_map_vocabulary() -> None:
    values = pd.Series(["Nam", "NỮ", " female ", "x", "", None, "M"], dtype=object)
    match = map_vocabulary(values, GENDER)
    assert match.canonical.tolist()[:3] == ["M", "F", "F"]
    assert match.canonical.iloc[6] == "M"  # canonical value is its own spelling
    assert match.canonical.iloc[3:6].isna().all()
    assert match.unknown.tolist() == [False, False, False, True, False, False, False]


def test_clashing_spellings_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="maps to both"):
        map_vocabulary(pd.Series(["x"]), {"M": ["nam"], "F": ["Nam"]})


def test_punctuated_spelling_matches_at_run_time() -> None:
    """A spelling the mapping accepts folds the same way when values are matched."""
    vocabulary = {"active": ["Đang tham gia"]}
    got = map_vocabulary(pd.Series(["Đang-tham gia", "ĐANG THAM GIA.", "x"]), vocabulary)
    assert got.canonical.tolist()[:2] == ["active", "active"]
    assert got.unknown.tolist() == [False, False, True]
