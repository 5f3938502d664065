"""Repair Telex input residue in ASCII names ("Nguyeenx Vawn An" -> "nguyễn văn an").

Telex types Vietnamese on an ASCII keyboard: aa/ee/oo give â/ê/ô, aw/ow/uw give ă/ơ/ư,
dd gives đ, and a trailing s/f/r/x/j gives the tone (sắc, huyền, hỏi, ngã, nặng). When the
input method is off, the keystrokes land in the file verbatim.

The repair is conservative. A name is decoded only when it is ASCII, at least one token
shows Telex evidence (a ``w``, a doubled ``aa/ee/oo/dd``, or an ``s/f/r/x/j`` after a vowel,
none of which a Vietnamese syllable contains), and every token, decoded or not, is a
well-formed Vietnamese syllable afterwards. "Thanh", "Quang", "Nguyen", "Thomas" and
"Wang Wei" are left alone.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from linkage.normalize._text import nfc

_TONE_KEYS: Final = {
    "s": "\u0301",  # sắc
    "f": "\u0300",  # huyền
    "r": "\u0309",  # hỏi
    "x": "\u0303",  # ngã
    "j": "\u0323",  # nặng
    "z": "",  # clears the tone
}
_ONSETS: Final = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_ONSET_RE: Final = re.compile(f"^(?:dd|{_ONSETS})?")
# Well-formedness of a plain ASCII token: onset, optional medial o/u, nucleus, optional coda.
_ASCII_SYLLABLE_RE: Final = re.compile(
    f"^(?:{_ONSETS})?[ou]?(?:ie|ye|ia|ya|uo|ua|oo|a|e|i|o|u|y)(?:ch|nh|ng|c|m|n|p|t|i|y|o|u)?$"
)
# Well-formedness of a decoded (toneless) syllable, vowel qualities included, so that
# "Wang" -> "ưang" is refused while "Truwowng" -> "trương" passes.
_OPEN_RHYMES: Final = (
    "a|ai|ao|au|ay|âu|ây|e|eo|ê|êu|i|ia|iu|o|oi|ô|ôi|ơ|ơi|u|ua|ui|uôi|ư|ưa|ưi|ưu|ươi|ươu|"
    "y|iêu|yêu|oa|oai|oao|oay|oe|oeo|uê|uơ|uy|uya|uyu|uây"
)
_CLOSED_NUCLEI: Final = "uyê|iê|yê|uô|ươ|oa|oă|oe|uâ|uê|uy|oo|a|ă|â|e|ê|i|o|ô|ơ|u|ư"
_DECODED_SYLLABLE_RE: Final = re.compile(
    f"^(?:{_ONSETS}|đ)?(?:(?:{_OPEN_RHYMES})|(?:{_CLOSED_NUCLEI})(?:ch|nh|ng|c|m|n|p|t))$"
)
_EVIDENCE_RE: Final = re.compile(r"w|aa|ee|oo|dd|[aeiouy][a-z]*[sfrxj]")
_VOWELS: Final = frozenset("aăâeêioôơuưy")
_MODIFIED: Final = frozenset("ăâêôơư")
_PAIRS: Final = (
    ("uwow", "ươ"),
    ("uow", "ươ"),
    ("aw", "ă"),
    ("ow", "ơ"),
    ("uw", "ư"),
    ("aa", "â"),
    ("ee", "ê"),
    ("oo", "ô"),
)
_WORD_RE: Final = re.compile(r"^[a-z]+$")


@functools.lru_cache(maxsize=1 << 16)  # per distinct token: names repeat words
def is_ascii_syllable(token: str) -> bool:
    """True when a lower-case ASCII token can be a Vietnamese syllable written unaccented."""
    return _ASCII_SYLLABLE_RE.match(token) is not None


def is_decoded_syllable(syllable: str) -> bool:
    """True when a lower-case toneless syllable with vowel marks is well formed."""
    return _DECODED_SYLLABLE_RE.match(syllable) is not None


@functools.lru_cache(maxsize=1 << 16)  # per distinct token: names repeat words
def has_evidence(token: str) -> bool:
    """True when an ASCII token contains keystrokes no Vietnamese syllable contains."""
    return _WORD_RE.match(token) is not None and _EVIDENCE_RE.search(token) is not None


def place_tone(syllable: str, tone: str) -> str:
    """Put combining ``tone`` on the vowel that carries it (new-style placement), NFC."""
    if not tone:
        return syllable
    onset = _ONSET_RE.match(syllable)
    start = onset.end() if onset else 0
    if start and not any(c in _VOWELS for c in syllable[start:]):
        start -= 1  # "gì", "quỳ"? give the vowel of gi/qu back to the rhyme
    first = next((i for i in range(start, len(syllable)) if syllable[i] in _VOWELS), None)
    if first is None:
        return syllable
    end = first
    while end < len(syllable) and syllable[end] in _VOWELS:
        end += 1
    cluster = syllable[first:end]
    modified = [i for i, c in enumerate(cluster) if c in _MODIFIED]
    if modified:
        offset = modified[-1]  # ươ -> ơ, iê -> ê, ưa -> ư
    elif end < len(syllable) or len(cluster) == 1:
        offset = len(cluster) - 1  # closed syllable: last vowel (hoàng, huỳnh)
    elif len(cluster) == 2:
        offset = 1 if cluster in {"oa", "oe", "uy"} else 0
    else:
        offset = 1  # oai, oay, uyu
    position = first + offset
    return nfc(syllable[: position + 1] + tone + syllable[position + 1 :])


@functools.lru_cache(maxsize=1 << 16)  # per distinct token: names repeat words
def decode_token(token: str) -> str | None:
    """Decode one lower-case ASCII Telex token; None when the result is not a syllable."""
    onset_match = _ONSET_RE.match(token)
    onset = onset_match.group(0) if onset_match else ""
    rest = token[len(onset) :]
    tone = ""
    kept: list[str] = []
    seen_vowel = False
    for char in rest:
        if seen_vowel and char in _TONE_KEYS:
            tone = _TONE_KEYS[char]  # a later tone key overrides an earlier one
            continue
        seen_vowel = seen_vowel or char in "aeiouy"
        kept.append(char)
    body = "".join(kept)
    for typed, letter in _PAIRS:
        body = body.replace(typed, letter)
    if "w" in body:
        hooked = _apply_loose_w(body)
        if hooked is None:
            return None
        body = hooked
    if onset == "dd":
        onset = "đ"
    syllable = nfc(onset + body)
    if not is_decoded_syllable(syllable):
        return None
    return place_tone(syllable, tone)


def _apply_loose_w(body: str) -> str | None:
    """Handle a ``w`` not glued to its vowel: before any vowel it is ư, later it hooks o/u/a."""
    position = body.index("w")
    head, tail = body[:position], body[position + 1 :]
    if "w" in tail:
        return None
    if not any(c in "aeiouyăâêôơư" for c in head):
        return head + "ư" + tail
    if "uo" in head:
        return head.replace("uo", "ươ", 1) + tail
    for plain, hooked in (("o", "ơ"), ("u", "ư"), ("a", "ă")):
        index = head.rfind(plain)
        if index >= 0:
            return head[:index] + hooked + head[index + 1 :] + tail
    return None


def repair_tokens(tokens: list[str]) -> list[str]:
    """Decode a name's lower-case ASCII tokens when the whole name reads as Telex residue."""
    if not any(has_evidence(t) for t in tokens):
        return tokens
    decoded: list[str] = []
    for token in tokens:
        if has_evidence(token):
            result = decode_token(token)
            if result is None:
                return tokens
            decoded.append(result)
        elif is_ascii_syllable(token):
            decoded.append(token)
        else:
            return tokens
    return decoded
