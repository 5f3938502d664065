"""Which words of a person's name are the family name: word forms and word order.

Vietnamese names are written family name first ("Nguyễn Văn An"), but exports also carry
given-name-first ("An Nguyễn Văn") and Western ("An Van Nguyen") orders. The surname table
(``surnames``) decides, per name, whether to reorder and how many words the surname takes;
``names`` keys the words in that order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from linkage.folding import ascii_fold
from linkage.normalize import surnames
from linkage.normalize._text import canonical_tones, drop_tones


@functools.lru_cache(maxsize=1 << 17)  # per distinct word: a million names share few
def word_forms(word: str) -> tuple[str, str, str]:
    """A lower-case word's canonical tone placement, its ASCII fold and its toneless form.

    A word that folds to nothing (no letter survives) keeps itself as its fold, so a name's
    keys always hold as many words as it has.
    """
    canonical = canonical_tones(word)
    return canonical, ascii_fold(canonical) or canonical, drop_tones(canonical)


def compound_at(folded: list[str], start: int) -> int:
    """Length of a compound surname starting at ``start`` (0 if none)."""
    for key, size in surnames.compounds_from(folded[start]) if start < len(folded) else ():
        if " ".join(folded[start : start + size]) == key:
            return size
    return 0


def surname_length(folded: list[str]) -> int:
    """Words making up the surname of a family-first name: 1, or more for compounds."""
    size = compound_at(folded, 0)
    if size:
        ambiguous = " ".join(folded[:size]) in surnames.AMBIGUOUS_COMPOUNDS
        if len(folded) > size and (not ambiguous or len(folded) >= 4):
            return size
    return 1


_MIDDLE_MARKERS: Final = frozenset({"văn", "thị"})


def opens_accented_name(word: str) -> bool:
    """True when an accented name starting with this canonical word is family-first."""
    return surnames.surname_share_exact(word) > 0 or surnames.looks_like_major_surname(word)


def family_first_order(words: list[str], folded: list[str]) -> list[int]:
    """Word order that puts the family name first; identity unless the evidence is clear.

    Reorders only when the first word is not a surname and a common surname or a
    compound surname sits where a reordered name puts it:

    * second word: the given name was moved to the front ("An Nguyễn Văn"); a name
      ending in the middle-name markers Văn / Thị ("Trường Doãn Văn") needs only a
      known surname there;
    * last word(s): Western order, given [middle] surname ("An Van Nguyen").

    Accented names are looked up with their tones ("Hậu" is not the surname Hầu); ASCII
    names by their fold, with a higher bar because folding merges surnames with given
    names.
    """
    count = len(words)
    identity = list(range(count))
    accented = not "".join(words).isascii()
    share: Callable[[str], float]
    if accented:
        share, minimum = surnames.surname_share_exact, surnames.REORDER_MIN_SHARE_ACCENTED
        first_is_surname = opens_accented_name(words[0])
        lookup = words
    else:
        share, minimum = surnames.surname_share, surnames.REORDER_MIN_SHARE
        first_is_surname = surnames.is_surname(folded[0])
        lookup = folded
    if count < 2 or first_is_surname or compound_at(folded, 0):
        return identity
    if count >= 3:
        second = share(lookup[1])
        marker_last = accented and words[-1] in _MIDDLE_MARKERS and second > 0
        if second >= minimum or marker_last or compound_at(folded, 1):
            return [*range(1, count), 0]
    for size in (4, 3, 2):
        tail = count - size
        if tail >= 1 and compound_at(folded, tail) == size:
            return [*range(tail, count), *range(1, tail), 0]
    if share(lookup[-1]) >= minimum:
        return [count - 1, *range(1, count - 1), 0]
    return identity
