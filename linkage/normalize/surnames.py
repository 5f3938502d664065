"""Vietnamese surnames with approximate population shares, as data.

Shares of the first fifteen come from DOMAIN.md section 2 [secondary] (Hoàng/Huỳnh and
Vũ/Võ split by common estimate); the rest are rough orders of magnitude from common
knowledge [unverified] and only rank rare surnames against each other. Uses:

* name parsing: telling a given-name-first name ("An Nguyễn Văn") from family-first order;
* term-frequency adjustment of surname agreement in linking (``surname_shares``).

Lookups fold to ASCII, so "NGUYEN", "Nguyễn" and "nguyen" share one entry; surnames that
fold together (Lâm / Lam) add their shares. Words that are far more often a given or
middle name than a surname (Văn, Hoa, Hồng, Phương) are left out on purpose: a name
starting with one of them may be in given-name-first order.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

import pandas as pd
import pyarrow as pa

from linkage._vector import map_unique
from linkage.folding import ascii_fold
from linkage.normalize._text import (
    canonical_tones,
    collapse,
    drop_tones,
    i_for_y,
    nfc,
)

# (surname, share of the population as a fraction)
SURNAMES: Final[tuple[tuple[str, float], ...]] = (
    ("Nguyễn", 0.38),
    ("Trần", 0.11),
    ("Lê", 0.095),
    ("Phạm", 0.07),
    ("Hoàng", 0.03),
    ("Huỳnh", 0.02),
    ("Phan", 0.045),
    ("Vũ", 0.025),
    ("Võ", 0.015),
    ("Đặng", 0.02),
    ("Bùi", 0.02),
    ("Đỗ", 0.014),
    ("Hồ", 0.013),
    ("Ngô", 0.013),
    ("Dương", 0.01),
    ("Lý", 0.005),
    ("Đinh", 0.008),
    ("Trương", 0.008),
    ("Đoàn", 0.006),
    ("Lương", 0.005),
    ("Trịnh", 0.005),
    ("Đào", 0.005),
    ("Mai", 0.004),
    ("Cao", 0.004),
    ("Lâm", 0.004),
    ("Hà", 0.004),
    ("Phùng", 0.003),
    ("Tạ", 0.003),
    ("Tô", 0.003),
    ("Châu", 0.003),
    ("Lưu", 0.003),
    ("Chu", 0.002),
    ("Thái", 0.002),
    ("Vương", 0.002),
    ("Lại", 0.002),
    ("Quách", 0.002),
    ("Nông", 0.002),
    ("Triệu", 0.002),
    ("Kiều", 0.001),
    ("Tăng", 0.001),
    ("La", 0.001),
    ("Diệp", 0.001),
    ("Hứa", 0.001),
    ("Lò", 0.001),
    ("Thạch", 0.001),
    ("Danh", 0.001),
    ("Kim", 0.001),
    ("Giang", 0.001),
    ("Đàm", 0.001),
    ("Đồng", 0.001),
    ("Tống", 0.001),
    ("Mạc", 0.0005),
    ("Khúc", 0.0005),
    ("Lục", 0.0005),
    ("Hầu", 0.0005),
    ("Lữ", 0.0005),
    ("Nghiêm", 0.0005),
    ("Doãn", 0.0005),
    ("Âu", 0.0005),
    ("Mã", 0.0005),
    ("Khổng", 0.0005),
    ("Tôn", 0.0005),
    ("Khương", 0.0005),
    ("Thân", 0.0005),
    ("Ông", 0.0005),
    ("Quan", 0.0005),
    ("Ninh", 0.0005),
    ("Lã", 0.0005),
    ("Sơn", 0.0005),
    ("Kha", 0.0003),
    ("Phó", 0.0003),
    ("Hàn", 0.0003),
    ("Bạch", 0.0003),
    ("Cù", 0.0003),
    ("Đường", 0.0003),
    ("Cấn", 0.0003),
    ("Vi", 0.0003),
    ("Hoàng Phủ", 0.0001),
    ("Mẫn", 0.0002),
    ("Ung", 0.0002),
    ("Từ", 0.0003),
    ("Thiều", 0.0002),
    ("Đậu", 0.0003),
    ("Lư", 0.0002),
    ("Âu Dương", 0.0001),
    ("Tôn Thất", 0.0002),
    ("Tôn Nữ", 0.0002),
    ("Công Tằng Tôn Nữ", 0.0001),
    ("Công Tôn Nữ", 0.0001),
    ("Nguyễn Phúc", 0.0001),
    ("Nguyễn Phước", 0.0001),
    ("Tư Mã", 0.00005),
    ("Bế", 0.0003),
    ("Lường", 0.0002),
    ("Trà", 0.0002),
    ("Ma", 0.0002),
    ("Sầm", 0.0001),
    ("Đồ", 0.0001),
    ("Dư", 0.0002),
    ("Khuất", 0.0002),
    ("Tiêu", 0.0002),
)

# Surnames of more than one word, longest first so "Công Tằng Tôn Nữ" wins over "Tôn Nữ".
COMPOUND_SURNAMES: Final[tuple[str, ...]] = tuple(
    sorted((name for name, _ in SURNAMES if " " in name), key=lambda n: -len(n.split()))
)
# Compounds whose second word is also a common middle name ("Nguyễn Phúc An" is usually
# Nguyễn + Phúc + An): read as compound only when the name has at least four words.
AMBIGUOUS_COMPOUNDS: Final = frozenset({"nguyen phuc", "nguyen phuoc"})
# Share a surname needs before it is evidence for reordering a name that does not start
# with a surname. With accents the lookup is exact and can afford a lower bar (Lâm,
# Đinh); ASCII folding merges surnames with given names (Ly / Lý, Hau / Hầu), so the bar
# there covers only the ~20 most frequent surnames.
REORDER_MIN_SHARE: Final = 0.008
REORDER_MIN_SHARE_ACCENTED: Final = 0.003
# A first word whose toneless form is one of these common surnames is read as a surname
# written with a wrong tone ("Nguyên Trần An"), so the name is not reordered.
MAJOR_SHARE: Final = 0.01


@functools.lru_cache(maxsize=1 << 16)
def surname_key(surname: str) -> str:
    """Lookup key of a surname: ASCII fold, lower case, i for y (Ly / Li), single spaces."""
    return collapse(i_for_y(ascii_fold(surname).lower()))


@functools.cache
def compound_keys() -> tuple[tuple[str, int], ...]:
    """Folded compound surnames with their word counts, longest first."""
    keys = (surname_key(name) for name in COMPOUND_SURNAMES)
    return tuple((key, key.count(" ") + 1) for key in keys)


@functools.cache
def _compounds_by_first_word() -> Mapping[str, tuple[tuple[str, int], ...]]:
    by_first: dict[str, list[tuple[str, int]]] = {}
    for key, size in compound_keys():
        by_first.setdefault(key.split(" ", 1)[0], []).append((key, size))
    return {word: tuple(keys) for word, keys in by_first.items()}


def compounds_from(word: str) -> tuple[tuple[str, int], ...]:
    """The ``compound_keys`` whose first word is the folded ``word``, longest first."""
    return _compounds_by_first_word().get(word, ())


@functools.cache
def _share_table() -> Mapping[str, float]:
    table: dict[str, float] = {}
    for name, share in SURNAMES:
        key = surname_key(name)
        table[key] = table.get(key, 0.0) + share
    return table


def surname_share(surname: str) -> float:
    """Population share (0-1) of a surname in any spelling; 0.0 when not in the table."""
    return _share_table().get(surname_key(surname), 0.0)


def is_surname(surname: str) -> bool:
    """True when the (possibly compound) surname is in the table."""
    return surname_key(surname) in _share_table()


def exact_key(word: str) -> str:
    """Lookup key keeping diacritics: NFC lower case, i for y (Lý / Lí), canonical tones."""
    return canonical_tones(i_for_y(collapse(nfc(word).lower())))


@functools.cache
def _exact_table() -> Mapping[str, float]:
    return {exact_key(name): share for name, share in SURNAMES}


@functools.cache
def _major_toneless() -> frozenset[str]:
    return frozenset(
        drop_tones(key) for key, share in _exact_table().items() if share >= MAJOR_SHARE
    )


@functools.lru_cache(maxsize=1 << 16)
def surname_share_exact(word: str) -> float:
    """Share of a surname written with its diacritics ("hậu" is not "Hầu"); 0.0 if unknown."""
    return _exact_table().get(exact_key(word), 0.0)


@functools.lru_cache(maxsize=1 << 16)
def looks_like_major_surname(word: str) -> bool:
    """True when ``word`` without tones is a common surname ("nguyên" -> Nguyễn)."""
    return drop_tones(exact_key(word)) in _major_toneless()


def surname_shares(surnames: pd.Series) -> pd.Series:
    """Vectorized ``surname_share``; missing input gives null, unknown surnames 0.0."""
    return map_unique(surnames, surname_share, pa.float64())
