"""Text encodings of input files: detect UTF-8 / cp1258, refuse TCVN3, VNI and mojibake.

Older Vietnamese systems wrote text in 8-bit encodings that Python's stdlib does not know
(TCVN3 "ABC" with .VnTime fonts, VNI Windows) or in cp1258 (decomposed tones). Read with the
wrong codec they still decode, into mojibake such as ``NguyÔn`` or ``Nguyeãn``, which would
then link to nobody. Detection is comparative: a text is scored by how many of its non-ASCII
words are *not* plausible Vietnamese syllables, then re-read as each legacy encoding; if a
re-reading is clearly more Vietnamese than the text as decoded, the file is refused with the
encoding named and a fix.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from linkage.errors import EncodingError

UTF8_BOM: Final = codecs.BOM_UTF8

# TCVN3 (TCVN 5712:1993 VN3) as glibc iconv's TCVN5712-1 decodes it: a few capitals in
# control positions, everything else above 0x7F. 0xB0-0xB4 are combining tone marks.
_TCVN3_LOW: Final = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự",
    0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
}  # fmt: skip
_TCVN3_HIGH: Final = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"  # 0x80
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x90
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # 0xA0
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xB0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # 0xC0
    "éẹềểễếệìỉỄẾỒĩíịò"  # 0xD0
    "Ổỏõóọồổỗốộờởỡớợù"  # 0xE0
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # 0xF0
)
_TCVN3_TABLE: Final = "".join(_TCVN3_LOW.get(i, chr(i)) for i in range(128)) + _TCVN3_HIGH

# VNI Windows: a base letter followed by modifier bytes (shown here as Latin-1 letters),
# plus a few whole letters. Unlisted bytes read as Latin-1.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE = "\u0302", "\u0306"
_VNI_LOWER: Final = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "á": _CIRC + _ACUTE, "à": _CIRC + _GRAVE, "å": _CIRC + _HOOK,
    "ã": _CIRC + _TILDE, "ä": _CIRC + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
    "ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
}  # fmt: skip
_VNI_MAP: Final = (
    {i: chr(i) for i in range(256)}
    | {ord(k): v for k, v in _VNI_LOWER.items()}
    | {
        ord(k.upper()): v if unicodedata.combining(v[0]) else v.upper()
        for k, v in _VNI_LOWER.items()
        if k != k.upper()
    }
)


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 (ABC) bytes to NFC text."""
    text, _ = codecs.charmap_decode(data, "replace", _TCVN3_TABLE)
    return unicodedata.normalize("NFC", text)


def decode_vni(data: bytes) -> str:
    """Decode VNI Windows bytes to NFC text."""
    text, _ = codecs.charmap_decode(data, "replace", _VNI_MAP)
    return unicodedata.normalize("NFC", text)


def _utf8(data: bytes) -> str:
    return data.decode("utf-8")


# --- plausibility -------------------------------------------------------------------------

_TONES: Final = "\u0300\u0301\u0303\u0309\u0323"
# The letters of Vietnamese, precomposed (NFC), both cases.
VIETNAMESE_LETTERS: Final = frozenset(
    c
    for base in "aăâeêioôơuưy"
    for tone in ("", *_TONES)
    for c in (unicodedata.normalize("NFC", base + tone),)
    for c in (c, c.upper())
) | frozenset("đĐ")
_TONE_STRIP: Final = dict.fromkeys(map(ord, _TONES))
_VOWEL_CLUSTERS: Final = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê "
    "ui uô uơ uy ưa ưi ươ ưu yê iêu oai oay oeo uây uôi uya uyê uyu ươi ươu yêu"
)
_VOWELS: Final = sorted(
    _VOWEL_CLUSTERS.split(" "),
    key=len,
    reverse=True,
)
_SYLLABLE: Final = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?"
    rf"(?:{'|'.join(_VOWELS)})"
    r"(?:ch|ng|nh|[cmnpt])?"
)
# Words are separated by whitespace, ASCII punctuation and digits; every other character
# stays in its word so that mojibake symbols (§, ª, µ) mark the word as implausible.
_WORD_SPLIT: Final = re.compile(r"[\s!-/:-@\[-`{-~0-9]+")


@functools.lru_cache(maxsize=1 << 16)  # names repeat: most words are seen many times
def _implausible(word: str) -> bool:
    """True when a word with non-ASCII letters is not a plausible Vietnamese syllable."""
    word = unicodedata.normalize("NFC", word)
    if any(not c.isascii() and c not in VIETNAMESE_LETTERS for c in word):
        return True
    toneless = unicodedata.normalize(
        "NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONE_STRIP)
    )
    return _SYLLABLE.fullmatch(toneless) is None


def _latin(char: str) -> bool:
    """True for characters mojibake is made of: Latin letters, marks and punctuation."""
    point = ord(char)
    return point < 0x250 or 0x1E00 <= point < 0x2070 or 0x300 <= point < 0x370 or point == 0xFFFD


def implausible_words(texts: Iterable[str]) -> tuple[int, int]:
    """Count (implausible, total) words of ``texts`` with non-ASCII Latin characters.

    Words in other scripts (Chinese, Korean, Thai names) are not counted either way.
    """
    bad = total = 0
    for text in texts:
        for word in _WORD_SPLIT.split(text):
            if word.isascii() or not all(map(_latin, word)):
                continue
            total += 1
            bad += _implausible(word)
    return bad, total


# --- detection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A legacy encoding a text may be in, and how to convert a file out of it."""

    name: str
    decode: Callable[[bytes], str]
    fix_bytes: str  # the file itself is in this encoding
    fix_unicode: str  # the file is Unicode, but its text was typed in this encoding


_READINGS: Final = (
    Reading(
        "the legacy TCVN3 encoding (ABC, .VnTime fonts)",
        decode_tcvn3,
        "convert it, e.g. `iconv -f TCVN5712-1 -t UTF-8 FILE > FILE.utf8.csv`, or re-export "
        "it as Unicode UTF-8",
        "convert the text from TCVN3 to Unicode (e.g. UniKey toolkit; for a CSV: "
        "`iconv -f UTF-8 -t WINDOWS-1252 FILE | iconv -f TCVN5712-1 -t UTF-8 > FILE.fixed.csv`)",
    ),
    Reading(
        "the legacy VNI Windows encoding",
        decode_vni,
        "convert it from VNI Windows to Unicode (e.g. UniKey toolkit; iconv has no VNI "
        "codec), or re-export it as Unicode UTF-8",
        "convert the text from VNI Windows to Unicode (e.g. UniKey toolkit)",
    ),
    Reading(
        "UTF-8 that was read as Windows-1252 and saved again",
        _utf8,
        "re-export it as Unicode UTF-8",
        "undo the double encoding, e.g. `iconv -f UTF-8 -t WINDOWS-1252 FILE > FILE.fixed`",
    ),
)


def _byte_table() -> dict[str, int]:
    """Character -> byte under Windows-1252, Windows-1258 or Latin-1 (they never disagree)."""
    table: dict[str, int] = {}
    for codec in ("latin-1", "cp1258", "cp1252"):
        for byte in range(256):
            try:
                table[bytes([byte]).decode(codec)] = byte
            except UnicodeDecodeError:
                continue
    return table


_BYTE_OF: Final = _byte_table()


def _reread(text: str, decode: Callable[[bytes], str]) -> str:
    """Re-read ``text`` as if its characters were bytes of another encoding."""
    try:
        return decode(bytes(_BYTE_OF[c] for c in text))
    except (KeyError, UnicodeDecodeError):
        return text  # not re-readable: neutral evidence


def diagnose(texts: Sequence[str]) -> Reading | None:
    """The legacy reading that makes ``texts`` clearly more Vietnamese, or None.

    "Clearly" means the re-read text has at most half the implausible words.
    """
    bad, _ = implausible_words(texts)
    if bad == 0:
        return None
    best: tuple[int, Reading] | None = None
    for reading in _READINGS:
        reread_bad, _ = implausible_words(_reread(t, reading.decode) for t in texts)
        if best is None or reread_bad < best[0]:
            best = (reread_bad, reading)
    if best is not None and best[0] * 2 <= bad:
        return best[1]
    return None


def check_text(
    texts: Sequence[str],
    where: str,
    *,
    what: str = "text",
    max_implausible: float = 0.5,
    legacy_bytes: bool = False,
) -> None:
    """Raise EncodingError when ``texts`` (headers, names) look like mojibake.

    Args:
        texts: sample values, decoded as the file claims to be.
        where: the file (and sheet or column) for the message.
        what: what the sample is, for the message.
        max_implausible: largest share of implausible non-ASCII words accepted when no
            legacy reading explains them (at least three such words are needed to refuse).
        legacy_bytes: whether the texts were decoded from an 8-bit file (cp1258) rather
            than from Unicode; picks the fix to suggest.

    Raises:
        EncodingError: naming the detected encoding and the fix; never the values.
    """
    reading = diagnose(texts)
    if reading is not None:
        fix = reading.fix_bytes if legacy_bytes else reading.fix_unicode
        msg = (
            f"{where}: {what} is Vietnamese in {reading.name}; read as "
            f"Unicode it would be garbled (mojibake) and link to nobody. Fix: {fix}."
        )
        raise EncodingError(msg)
    bad, total = implausible_words(texts)
    if bad >= 3 and bad > max_implausible * total:
        msg = (
            f"{where}: {what} does not read as Vietnamese ({bad} of {total} accented words "
            "are garbled) and matches no known legacy encoding; check how the file was "
            "exported and save it as Unicode UTF-8 (Excel: Save As > CSV UTF-8)."
        )
        raise EncodingError(msg)


# --- locating bad bytes --------------------------------------------------------------------

_LINE_BREAK: Final = re.compile(rb"\r\n?|\n")  # physical lines, as the CSV reader counts them


@dataclass(frozen=True)
class BadByte:
    """Where the first byte a codec cannot decode sits: physical line, column, file offset."""

    line: int  # 1-based physical line
    column: int  # 1-based byte of that line
    offset: int  # 1-based byte of the file

    def describe(self, where: str, codec: str) -> str:
        """``FILE:LINE: byte C of the line (byte O of the file) is not valid CODEC``."""
        return (
            f"{where}:{self.line}: byte {self.column} of the line (byte {self.offset} of the "
            f"file) is not valid {codec} text"
        )


def first_bad_byte(chunks: Iterable[bytes], codec: str) -> BadByte | None:
    """Decode ``chunks`` (a file, in order) and locate the first undecodable byte.

    The decoding is the codec's own, chunk by chunk; lines are only counted (in C), so a
    large file is scanned at disk speed.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    consumed = lines = 0
    line_start = 0  # file offset where the current line starts
    pending_cr = False  # a chunk ended in CR: a LF at the next chunk's start is the same break
    for chunk in chunks:
        buffered = len(decoder.getstate()[0])  # a character begun in the previous chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as e:
            bad = consumed - buffered + max(e.start, 0)
            lines, line_start = _count_lines(
                chunk[: max(bad - consumed, 0)], consumed, lines, line_start, pending_cr=pending_cr
            )
            return BadByte(line=lines + 1, column=bad - line_start + 1, offset=bad + 1)
        lines, line_start = _count_lines(chunk, consumed, lines, line_start, pending_cr=pending_cr)
        pending_cr = chunk.endswith(b"\r")
        consumed += len(chunk)
    return None


def _count_lines(
    chunk: bytes, base: int, lines: int, line_start: int, *, pending_cr: bool
) -> tuple[int, int]:
    """Line breaks in ``chunk`` (at file offset ``base``) added to ``lines``; the new start."""
    breaks = list(_LINE_BREAK.finditer(chunk))
    if pending_cr and chunk.startswith(b"\n"):  # the CR LF pair was counted at the CR
        breaks = breaks[1:]
        line_start = base + 1
    if breaks:
        return lines + len(breaks), base + breaks[-1].end()
    return lines, line_start


def _physical_lines(data: bytes) -> Iterator[bytes]:
    start = 0
    for brk in _LINE_BREAK.finditer(data):
        yield data[start : brk.start()]
        start = brk.end()
    yield data[start:]


def mostly_utf8(head: bytes) -> bool:
    """True when the lines with non-ASCII bytes are mostly valid UTF-8.

    A cp1258 file almost never holds a valid UTF-8 line with accents, so a sample that is
    UTF-8 but for a few lines is a UTF-8 file with damaged or foreign lines, not cp1258.
    """
    valid = invalid = 0
    lines = list(_physical_lines(head))
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            # the sample's last line may stop inside a character: not evidence
            if number == len(lines) and e.reason == "unexpected end of data":
                continue
            invalid += 1
        else:
            valid += 1
    return valid > invalid


def detect_encoding(head: bytes, where: str, *, unknown_ratio: float = 0.2) -> str:
    """Pick the codec of a CSV file from its first bytes, or refuse the file.

    UTF-8 (with or without BOM) is tried first, then cp1258, whose output is accepted only
    when it reads as Vietnamese (cp1258 decodes nearly any byte string). A UTF-8 file with
    a few undecodable lines is refused with the first bad byte's line and offset.

    Args:
        head: the file's first bytes (a sample; may end inside a character).
        where: the file, for messages.
        unknown_ratio: largest share of implausible non-ASCII words accepted from cp1258.

    Returns:
        A Python codec name: "utf-8", "utf-8-sig" or "cp1258" (decode cp1258, then NFC).

    Raises:
        EncodingError: legacy encoding (TCVN3, VNI), mojibake, damaged UTF-8, or no usable
            encoding.
    """
    codec: str | None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        codec = "utf-8-sig" if head.startswith(UTF8_BOM) else "utf-8"
    except UnicodeDecodeError:
        bad = first_bad_byte([head], "utf-8")
        if bad is not None and mostly_utf8(head):
            raise EncodingError(undecodable_message(where, bad, "UTF-8")) from None
        try:
            text, codec = head.decode("cp1258"), "cp1258"
        except UnicodeDecodeError:
            text, codec = head.decode("latin-1"), None
    lines = text.splitlines()[:2000]
    if codec is None:
        located = first_bad_byte([head], "utf-8")
        at = f"{where}:{located.line}" if located else where
        msg = (
            f"{at}: the file is neither UTF-8 nor Windows-1258 (byte "
            f"{located.column if located else '?'} of this line is the first that is not "
            "UTF-8); save it as Unicode UTF-8 (Excel: Save As > CSV UTF-8) and run again."
        )
        raise EncodingError(msg)
    legacy = codec == "cp1258"
    check_text(lines, where, max_implausible=unknown_ratio if legacy else 0.5, legacy_bytes=legacy)
    return codec


_CODEC_NAMES: Final = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1258": "Windows-1258"}


def undecodable_message(where: str, bad: BadByte, codec: str) -> str:
    """The message for a file that is ``codec`` but for the byte ``bad``: where, and a fix."""
    codec = _CODEC_NAMES.get(codec, codec)
    return (
        f"{bad.describe(where, codec)}; the rest of the file is {codec}, so that line is "
        "damaged or was pasted from another encoding. Fix or retype that line (or re-export "
        "the file as Unicode UTF-8) and run again."
    )
