"""The one definition of "the same word, however typed", for headers and values alike.

Shared by the loader (header spellings) and normalize (vocabulary values, and names through
``latin_lookalikes``), so a spelling accepted when the mapping is validated is the spelling
matched at run time.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_NON_ALNUM: Final = re.compile(r"[\W_]+")
# Combining diacritics blocks; what is left after removing them from NFD is the base letter.
_COMBINING: Final = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)

# Cyrillic and Greek letters drawn like a Latin one (Unicode's confusables), as a Cyrillic
# keyboard layout or a copy from a Russian-made form leaves them in "Nguyễn" or "HÀ".
# Escaped: the source itself must not hold look-alikes (ruff RUF001).
_LOOKALIKE_PAIRS: Final = (
    # Cyrillic lower case: aeopcyxijsdhqwl
    (
        "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u051b\u051d\u04cf",
        "aeopcyxijsdhqwl",
    ),
    # Cyrillic capitals: ABEKMHOPCTXYIJSQW
    (
        "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423"
        "\u0406\u0408\u0405\u051a\u051c",
        "ABEKMHOPCTXYIJSQW",
    ),
    # Greek: ABEZHIKMNOPTYXov
    (
        "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03bd",
        "ABEZHIKMNOPTYXov",
    ),
)
LOOKALIKES: Final = str.maketrans(
    "".join(f for f, _ in _LOOKALIKE_PAIRS), "".join(t for _, t in _LOOKALIKE_PAIRS)
)
_FOREIGN_LETTER: Final = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_LATIN_LETTER: Final = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def latin_lookalikes(text: str) -> str:
    """Cyrillic and Greek look-alike letters of a Latin-script text as the Latin letter.

    "Nguyễn" typed with a Cyrillic "e" (U+0435) becomes the Latin name again, accents kept (the text
    is decomposed for the swap and recomposed, NFC). A text with no Latin letter at all (a
    name written in Cyrillic) is left as it is: its letters are letters, not look-alikes.
    """
    if _FOREIGN_LETTER.search(text) is None:
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if _LATIN_LETTER.search(decomposed) is None:
        return text
    return unicodedata.normalize("NFC", decomposed.translate(LOOKALIKES))


def ascii_fold(text: str) -> str:
    """Remove every combining mark and map đ/Đ to d/D explicitly.

    Stripping combining marks leaves đ (U+0111) untouched, which is how recordlinkage turns
    "Nguyễn Văn Đức" into "nguyen van uc"; the explicit map avoids that. Letters with no
    ASCII decomposition (ß, Han characters) are kept as they are.
    """
    stripped = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    return stripped.replace("\u0111", "d").replace("\u0110", "D")


def fold(text: str) -> str:
    """Fold a header or vocabulary word to its matching key: ``ascii_fold``, and more.

    Look-alike letters made Latin, casefold, combining marks removed, đ -> d, runs of
    whitespace and punctuation collapsed to one space:
    "Thời hạn HĐLĐ (tháng)" -> "thoi han hdld thang", "Nữ." -> "nu",
    "Đang-tham gia" -> "dang tham gia".
    """
    return _NON_ALNUM.sub(" ", ascii_fold(latin_lookalikes(text).casefold())).strip()
