"""Person names: display cleaning and the matching keys of ``schema.PERSON_FIELDS``.

Keys, from strictest to loosest (DOMAIN.md section 2):

* ``name_exact``: NFC lower case, family name first, tone placement canonical (hòa == hoà);
* ``name_toneless``: the five tone marks dropped, â ă ê ô ơ ư đ kept, so Hương != Hưng;
* ``name_ascii``: full fold with đ -> d, for blocking only (merges Hương / Hưng / Hùng);
* ``name_sorted``: ASCII tokens sorted, immune to word order.

Before keying, an ASCII name typed in Telex without the input method ("Nguyeenx Vawn An")
is decoded, and a name in given-name-first order ("An Nguyễn Văn", "An Van Nguyen") is
put back in family-first order when the surname table says so. Hyphens split words and
apostrophes are dropped in keys (H'Hen -> hhen); ``full_name`` keeps them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final, NamedTuple

import pandas as pd
import pyarrow as pa

from linkage.normalize import surnames
from linkage.normalize._telex import repair_tokens
from linkage.normalize._text import (
    ascii_fold,
    canonical_tones,
    clean_display,
    drop_tones,
)
from linkage.normalize._vector import frame_from_unique, map_unique

NAME_FIELDS: Final = (
    "full_name",
    "name_exact",
    "name_toneless",
    "name_ascii",
    "name_sorted",
    "surname_ascii",
    "middle_ascii",
    "given_ascii",
    "given_toneless",
)


class NameKeys(NamedTuple):
    """Keys of one name, in ``NAME_FIELDS`` order."""

    full_name: str | None
    name_exact: str | None
    name_toneless: str | None
    name_ascii: str | None
    name_sorted: str | None
    surname_ascii: str | None
    middle_ascii: str | None
    given_ascii: str | None
    given_toneless: str | None


_NO_NAME: Final = NameKeys(None, None, None, None, None, None, None, None, None)


def clean_name(names: pd.Series) -> pd.Series:
    """Display form of names: NFC, trimmed, one space, no digits or stray punctuation.

    Case and diacritics are kept; an apostrophe or hyphen between letters is kept
    (H'Hen Niê). A value with no letter left becomes null.

    Args:
        names: raw names, any dtype whose values are strings or missing.

    Returns:
        Arrow-backed string Series on the same index.
    """
    return map_unique(names, _clean_or_none, pa.string())


def name_keys(full_name: pd.Series) -> pd.DataFrame:
    """All name-derived person fields of ``schema.PERSON_FIELDS`` for a column of names.

    Args:
        full_name: raw names as written in the source.

    Returns:
        A frame with the columns of ``NAME_FIELDS`` (Arrow-backed strings) on the input's
        index; every column is null where the name is missing or has no letter.
        ``surname_ascii`` is null for a one-word name; ``middle_ascii`` is "" when the name
        has no middle name.
    """

    def compute(uniques: list[str]) -> dict[str, pa.Array]:
        # The keys depend on the lower-cased display only: "NGUYỄN VĂN AN" (registry) and
        # "Nguyễn Văn An" (payroll) compute them once.
        records = [_record(clean_display(u)) for u in uniques]
        return {
            field: pa.array([r[i] for r in records], type=pa.string())
            for i, field in enumerate(NAME_FIELDS)
        }

    return frame_from_unique(full_name, compute)


def name_record(raw: str) -> NameKeys:
    """Keys of one raw name; the scalar reference that ``name_keys`` applies per value."""
    return _record(clean_display(raw))


def _record(display: str) -> NameKeys:
    """Keys of a name in display form."""
    return NameKeys(display, *_keys(display.lower())) if display else _NO_NAME


# Per lower-cased name, in each process: the batches a worker normalizes share most names
# (a registry and its payroll name the same people). Half a million entries, ~150 MB.
@functools.lru_cache(maxsize=1 << 19)
def _keys(lowered: str) -> tuple[str | None, ...]:
    """The key fields of ``NameKeys`` after ``full_name``, of a lower-cased display name."""
    words = lowered.replace("-", " ").replace("'", "").split()
    if lowered.isascii():
        words = repair_tokens(words)
    forms = [_word_forms(w) for w in words]
    words = [canonical for canonical, _, _ in forms]
    folded = [fold for _, fold, _ in forms]
    toneless = [form for _, _, form in forms]
    order = _family_first_order(words, folded)
    words = [words[i] for i in order]
    folded = [folded[i] for i in order]
    toneless = [toneless[i] for i in order]
    surname_length = _surname_length(folded) if len(words) > 1 else 0
    return (
        " ".join(words),
        " ".join(toneless),
        " ".join(folded),
        " ".join(sorted(folded)),
        " ".join(folded[:surname_length]) if surname_length else None,
        " ".join(folded[surname_length:-1]),
        folded[-1],
        toneless[-1],
    )


@functools.lru_cache(maxsize=1 << 17)  # per distinct word: a million names share few
def _word_forms(word: str) -> tuple[str, str, str]:
    """A lower-case word's canonical tone placement, its ASCII fold and its toneless form.

    A word that folds to nothing (no letter survives) keeps itself as its fold, so a name's
    keys always hold as many words as it has.
    """
    canonical = canonical_tones(word)
    return canonical, ascii_fold(canonical) or canonical, drop_tones(canonical)


def _clean_or_none(raw: str) -> str | None:
    return clean_display(raw) or None


def _compound_at(folded: list[str], start: int) -> int:
    """Length of a compound surname starting at ``start`` (0 if none)."""
    for key, size in surnames.compounds_from(folded[start]) if start < len(folded) else ():
        if " ".join(folded[start : start + size]) == key:
            return size
    return 0


def _surname_length(folded: list[str]) -> int:
    """Words making up the surname of a family-first name: 1, or more for compounds."""
    size = _compound_at(folded, 0)
    if size:
        ambiguous = " ".join(folded[:size]) in surnames.AMBIGUOUS_COMPOUNDS
        if len(folded) > size and (not ambiguous or len(folded) >= 4):
            return size
    return 1


_MIDDLE_MARKERS: Final = frozenset({"văn", "thị"})


def _family_first_order(words: list[str], folded: list[str]) -> list[int]:
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
        first_is_surname = share(words[0]) > 0 or surnames.looks_like_major_surname(words[0])
        lookup = words
    else:
        share, minimum = surnames.surname_share, surnames.REORDER_MIN_SHARE
        first_is_surname = surnames.is_surname(folded[0])
        lookup = folded
    if count < 2 or first_is_surname or _compound_at(folded, 0):
        return identity
    if count >= 3:
        second = share(lookup[1])
        marker_last = accented and words[-1] in _MIDDLE_MARKERS and second > 0
        if second >= minimum or marker_last or _compound_at(folded, 1):
            return [*range(1, count), 0]
    for size in (4, 3, 2):
        tail = count - size
        if tail >= 1 and _compound_at(folded, tail) == size:
            return [*range(tail, count), *range(1, tail), 0]
    if share(lookup[-1]) >= minimum:
        return [count - 1, *range(1, count - 1), 0]
    return identity
