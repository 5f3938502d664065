"""Scalar text primitives for Vietnamese: NFC, tone handling, ASCII folding, display cleaning.

Everything here works on one ``str``; the public modules call these once per distinct value.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

from linkage.folding import latin_lookalikes

# The five Vietnamese tone marks (DOMAIN.md section 2): grave (huyền), acute (sắc),
# tilde (ngã), hook above (hỏi), dot below (nặng). Vowel-quality marks (circumflex, breve,
# horn) are not tones and stay in toneless keys.
TONE_MARKS: Final = "\u0300\u0301\u0303\u0309\u0323"
_TONE_RE: Final = re.compile(f"[{TONE_MARKS}]")
_NOT_AFTER: Final = r"(?![\w\u0300-\u036f])"
# Tone placement varies for open syllables ending in oa / oe / uy (hòa vs hoà, thúy vs
# thuý). Canonical form here is the "new style" (tone on the second vowel), matched on NFD
# text so the tone is a separate code point; lower-case input only.
_OA_OE_RE: Final = re.compile(f"(?<=o)([{TONE_MARKS}])([ae]){_NOT_AFTER}")
_UY_RE: Final = re.compile(f"(?<=u)([{TONE_MARKS}])(y){_NOT_AFTER}")
_WHITESPACE_RE: Final = re.compile(r"\s+")
# A syllable-final y after a consonant, matched on NFD text so a tone mark may follow it.
_Y_AFTER_CONSONANT: Final = re.compile(
    f"(?<=[bcdghklmnpqrstvx\u0111])y(?=[{TONE_MARKS}]?{_NOT_AFTER})"
)
# Apostrophe look-alikes (H'Hen Niê typed on various keyboards) and the Icelandic eth
# that legacy fonts produce for Đ.
_CHARACTER_REPAIRS: Final = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00d0": "\u0110", "\u00f0": "\u0111"}
)
_JOINERS: Final = "'-"


def nfc(text: str) -> str:
    """Unicode NFC: one code point per accented letter ("Nguyễn" is 6, not 8)."""
    return unicodedata.normalize("NFC", text)


def drop_tones(text: str) -> str:
    """Remove only the five tone marks; keep â ă ê ô ơ ư đ."""
    return nfc(_TONE_RE.sub("", unicodedata.normalize("NFD", text)))


def canonical_tones(lower: str) -> str:
    """Move tone marks of open oa/oe/uy syllables onto the second vowel (hòa -> hoà).

    Input must be lower case; output is NFC.
    """
    decomposed = unicodedata.normalize("NFD", lower)
    decomposed = _OA_OE_RE.sub(r"\2\1", decomposed)
    decomposed = _UY_RE.sub(r"\2\1", decomposed)
    return nfc(decomposed)


def i_for_y(lower: str) -> str:
    """Write a syllable-final y after a consonant as i, keeping its tone (lý -> lí, ky -> ki).

    The 1980s spelling reform left both forms in use (Lý / Lí, Kỳ / Kì), so one person is
    written either way. Input must be lower case; output is NFC.
    """
    return nfc(_Y_AFTER_CONSONANT.sub("i", unicodedata.normalize("NFD", lower)))


def collapse(text: str) -> str:
    """Strip and collapse runs of whitespace to one space."""
    return _WHITESPACE_RE.sub(" ", text).strip()


@functools.cache
def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def clean_display(text: str) -> str:
    """Display form of a person name: NFC, letters and in-word ' or - only, one space.

    Digits, punctuation and symbols become spaces; a combining mark survives only when it
    follows a letter; an apostrophe or hyphen survives only between letters. Case and
    diacritics are kept; Cyrillic and Greek look-alikes in a Latin name become Latin
    (``folding.latin_lookalikes``). The result is idempotent.
    """
    text = nfc(latin_lookalikes(text)).translate(_CHARACTER_REPAIRS)
    # Most names are letters and single spaces already, which ``_kept_characters`` keeps.
    if all(word.isalpha() for word in text.split(" ")):
        return text
    return _kept_characters(text)


def _kept_characters(text: str) -> str:
    """``clean_display`` of NFC text with the character repairs applied, one by one."""
    kept: list[str] = []
    previous_letter = False  # last kept character is a letter or a mark attached to one
    last = len(text) - 1
    for position, char in enumerate(text):
        if char.isalpha():
            kept.append(char)
            previous_letter = True
        elif previous_letter and _is_mark(char):
            kept.append(char)
        elif (
            char in _JOINERS
            and previous_letter
            and position < last
            and text[position + 1].isalpha()
        ):
            kept.append(char)
            previous_letter = False
        else:
            kept.append(" ")
            previous_letter = False
    return collapse(nfc("".join(kept)))
