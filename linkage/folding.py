"""The one definition of "the same word, however typed", for headers and values alike.

Shared by the loader (header spellings) and normalize (vocabulary values), so a spelling
accepted when the mapping is validated is the spelling matched at run time.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_NON_ALNUM: Final = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Fold a header or vocabulary word to its matching key.

    NFC, casefold, combining marks removed, đ -> d, runs of whitespace and punctuation
    collapsed to one space: "Thời hạn HĐLĐ (tháng)" -> "thoi han hdld thang",
    "Nữ." -> "nu", "Đang-tham gia" -> "dang tham gia".
    """
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped).strip()
