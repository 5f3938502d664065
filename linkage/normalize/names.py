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

Which words are the family name is decided in ``_name_order``. ``name_record`` is the
scalar reference. ``clean_name`` and ``name_keys`` compute the common case in Arrow and
numpy, each word's forms once per distinct word: a name of ASCII and Vietnamese letters,
spaces and in-word ' or - that starts with a one-word surname and is not Telex residue.
The other names (a tenth of the distinct names of a payroll) take the scalar path.
"""

from __future__ import annotations

import functools
import string
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import Codes, as_series, factorize_arrow, take
from linkage.load.encoding import VIETNAMESE_LETTERS
from linkage.normalize import surnames
from linkage.normalize._name_order import (
    family_first_order,
    opens_accented_name,
    surname_length,
    word_forms,
)
from linkage.normalize._telex import has_evidence, repair_tokens
from linkage.normalize._text import clean_display

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

Bools = npt.NDArray[np.bool_]
# Letters that clean_display keeps, that stay NFC next to any other and that lower-case
# to one letter (the tests check these; the one context-dependent lower-casing in Python
# is the Greek final sigma), so names of them take the vectorized path.
PLAIN_LETTERS: Final = string.ascii_letters + "".join(
    sorted(VIETNAMESE_LETTERS - set(string.ascii_letters))
)
_LETTERS: Final = f"[{PLAIN_LETTERS}]+"
_WORD: Final = f"{_LETTERS}(?:[-']{_LETTERS})*"
# Already in display form: clean_display returns such a value unchanged.
_DISPLAY_RE: Final = f"^{_WORD}(?: {_WORD})*$"
# Display form but for extra spaces: clean_display only trims and collapses them.
_SPACED_RE: Final = f"^ *{_WORD}(?: +{_WORD})* *$"


def clean_name(names: pd.Series) -> pd.Series:
    """Display form of names: NFC, trimmed, one space, no digits or stray punctuation.

    Case and diacritics are kept; an apostrophe or hyphen between letters is kept
    (H'Hen Niê). A value with no letter left becomes null.

    Args:
        names: raw names, any dtype whose values are strings or missing.

    Returns:
        Arrow-backed string Series on the same index.
    """
    codes, uniques = factorize_arrow(names)
    display, _ = _displays(uniques)
    empty = pc.equal(display, "").to_numpy(zero_copy_only=False)
    return as_series(take(codes, pc.if_else(pa.array(empty), None, display)), names)


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
    codes, uniques = factorize_arrow(full_name)
    display, plain_form = _displays(uniques)
    plain, plain_columns = _plain_keys(display, plain_form)
    # The keys depend on the lower-cased display only: "NGUYỄN VĂN AN" (registry) and
    # "Nguyễn Văn An" (payroll) compute them once in ``_keys``.
    records = [_record(d) for d in display.filter(pa.array(~plain)).to_pylist()]
    rows = _merged_codes(plain, codes)
    columns = {
        field: as_series(
            take(rows, pa.concat_arrays([plain_columns[field], _column(records, i)])),
            full_name,
            field,
        )
        for i, field in enumerate(NAME_FIELDS)
    }
    return pd.DataFrame(columns, index=full_name.index)


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
    forms = [word_forms(w) for w in words]
    words = [canonical for canonical, _, _ in forms]
    folded = [fold for _, fold, _ in forms]
    toneless = [form for _, _, form in forms]
    order = family_first_order(words, folded)
    words = [words[i] for i in order]
    folded = [folded[i] for i in order]
    toneless = [toneless[i] for i in order]
    surname_words = surname_length(folded) if len(words) > 1 else 0
    return (
        " ".join(words),
        " ".join(toneless),
        " ".join(folded),
        " ".join(sorted(folded)),
        " ".join(folded[:surname_words]) if surname_words else None,
        " ".join(folded[surname_words:-1]),
        folded[-1],
        toneless[-1],
    )


# The vectorized path of ``clean_name`` and ``name_keys``, on distinct values.


def _displays(uniques: pa.Array) -> tuple[pa.Array, Bools]:
    """``clean_display`` of each value, and where that is ``_DISPLAY_RE`` (plain) form.

    Values of plain words with at most extra spaces are cleaned in Arrow, the rest
    (digits, punctuation, other letters) by ``clean_display``.
    """
    spaced = pc.match_substring_regex(uniques, _SPACED_RE).to_numpy(zero_copy_only=False)
    trimmed = pc.utf8_trim(uniques.filter(pa.array(spaced)), characters=" ")
    runs = pc.match_substring(trimmed, "  ")
    collapsed = pc.replace_substring_regex(trimmed.filter(runs), " {2,}", " ")
    trimmed = pc.replace_with_mask(trimmed, runs, collapsed)
    rest = pa.array(
        [clean_display(raw) for raw in uniques.filter(pa.array(~spaced)).to_pylist()],
        type=pa.string(),
    )
    rest_plain = pc.match_substring_regex(rest, _DISPLAY_RE).to_numpy(zero_copy_only=False)
    order = _merged_codes(spaced, np.arange(len(spaced), dtype=np.int64))
    plain = np.concatenate([np.ones(len(trimmed), dtype=bool), rest_plain])[order]
    return pa.concat_arrays([trimmed, rest]).take(order), plain


def _merged_codes(first: Bools, codes: Codes) -> Codes:
    """Codes into [values where ``first``, then the others] instead of into all values."""
    order = np.concatenate([np.flatnonzero(first), np.flatnonzero(~first)])
    position = np.empty(len(first), dtype=np.int64)
    position[order] = np.arange(len(first), dtype=np.int64)
    merged = codes.copy()
    present = codes >= 0
    merged[present] = position[codes[present]]
    return merged


def _column(records: list[NameKeys], field: int) -> pa.Array:
    return pa.array([record[field] for record in records], type=pa.string())


class _Words(NamedTuple):
    """Distinct lower-cased words of names: the three forms and the facts ``_keys`` reads."""

    canonical: pa.Array
    folded: pa.Array
    toneless: pa.Array
    ascii: Bools  # the lower-cased word is ASCII (Telex repair applies to ASCII names)
    telex: Bools  # it shows Telex keystrokes (``has_evidence``)
    accented: Bools  # its canonical form is not ASCII


def _words(tokens: list[str]) -> _Words:
    lowered = [token.lower() for token in tokens]
    forms = [word_forms(word) for word in lowered]
    return _Words(
        pa.array([form[0] for form in forms], type=pa.string()),
        pa.array([form[1] for form in forms], type=pa.string()),
        pa.array([form[2] for form in forms], type=pa.string()),
        np.array([word.isascii() for word in lowered], dtype=bool),
        np.array([has_evidence(word) for word in lowered], dtype=bool),
        np.array([not form[0].isascii() for form in forms], dtype=bool),
    )


def _opens_with_surname(words: _Words, first: Codes, accented: Bools) -> Bools:
    """Whether each name's first word is a surname, as ``family_first_order`` judges."""
    distinct, inverse = np.unique(first, return_inverse=True)  # few: mostly surnames
    canonical = words.canonical.take(distinct).to_pylist()
    folded = words.folded.take(distinct).to_pylist()
    if_accented = np.array([opens_accented_name(word) for word in canonical], dtype=bool)
    if_ascii = np.array([surnames.is_surname(word) for word in folded], dtype=bool)
    return np.where(accented, if_accented[inverse], if_ascii[inverse])


def _plain_keys(display: pa.Array, plain_form: Bools) -> tuple[Bools, dict[str, pa.Array]]:
    """Keys of the display names that ``_keys`` neither repairs nor reorders.

    Those are names of ``PLAIN_LETTERS`` words, not Telex residue, of one word or opening
    with a one-word surname. Returns their mask over ``display`` and their columns, in
    display order, equal to ``_record``'s.
    """
    candidate = np.flatnonzero(plain_form)
    # As in ``_keys``: hyphens split words, apostrophes vanish. Lower case is taken per
    # word in ``_words``, which for these letters is the same as per name.
    joined = pc.replace_substring(display.take(candidate), "-", " ")
    lists = pc.split_pattern(pc.replace_substring(joined, "'", ""), " ")
    offsets = lists.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    encoded = pc.dictionary_encode(lists.flatten())
    word = encoded.indices.to_numpy().astype(np.int64)
    words = _words(encoded.dictionary.to_pylist())
    counts = np.diff(offsets)
    starts = offsets[:-1]

    def any_word(flag: Bools) -> Bools:
        return np.asarray(np.logical_or.reduceat(flag[word], starts), dtype=bool)

    accented = any_word(words.accented)
    telex = any_word(words.telex) & ~any_word(~words.ascii)
    opens = _opens_with_surname(words, word[starts], accented)
    compound, ambiguous = _compounds_at_start(words.folded, word, starts, counts)
    long_surname = (compound > 0) & (counts > compound) & (~ambiguous | (counts >= 4))
    # ``family_first_order`` keeps the order; ``surname_length`` is 1.
    plain = ~telex & ((counts == 1) | ((opens | (compound > 0)) & ~long_surname))
    mask = np.zeros(len(display), dtype=bool)
    mask[candidate[plain]] = True
    kept = np.repeat(plain, counts)
    return mask, _plain_columns(display.filter(pa.array(mask)), words, word[kept], counts[plain])


def _compounds_at_start(
    folded: pa.Array, word: Codes, starts: Codes, counts: Codes
) -> tuple[Codes, Bools]:
    """``compound_at(folded, 0)`` of each name, and whether that compound is ambiguous.

    Compared as folded-word codes: ``folded`` is per distinct word, ``word`` the words of
    all names, ``starts`` and ``counts`` where each name's words are.
    """
    encoded = pc.dictionary_encode(folded)
    code_of = {form: code for code, form in enumerate(encoded.dictionary.to_pylist())}
    form = encoded.indices.to_numpy().astype(np.int64)[word]
    size = np.zeros(len(starts), dtype=np.int64)
    ambiguous = np.zeros(len(starts), dtype=bool)
    for key, length in surnames.compound_keys():  # longest first, as in ``compound_at``
        parts = [code_of.get(part, -1) for part in key.split(" ")]
        if min(parts) < 0:
            continue  # a word of this compound is in no name
        names = np.flatnonzero((size == 0) & (counts >= length))
        for offset, part in enumerate(parts):
            names = names[form[starts[names] + offset] == part]
        size[names] = length
        ambiguous[names] = key in surnames.AMBIGUOUS_COMPOUNDS
    return size, ambiguous


def _plain_columns(
    display: pa.Array, words: _Words, word: Codes, counts: Codes
) -> dict[str, pa.Array]:
    """``NAME_FIELDS`` of family-first names with a one-word surname, from their words."""
    offsets = np.concatenate([[0], np.cumsum(counts)])
    position = np.arange(len(word)) - np.repeat(offsets[:-1], counts)
    inner = (position > 0) & (position < np.repeat(counts, counts) - 1)
    first, last = word[offsets[:-1]], word[offsets[1:] - 1]
    inner_offsets = np.concatenate([[0], np.cumsum(np.maximum(counts - 2, 0))])
    return {
        "full_name": display,
        "name_exact": _joined(words.canonical, word, offsets),
        "name_toneless": _joined(words.toneless, word, offsets),
        "name_ascii": _joined(words.folded, word, offsets),
        "name_sorted": _joined(words.folded, _sorted_words(words.folded, word, offsets), offsets),
        "surname_ascii": words.folded.take(pa.array(first, mask=counts < 2)),
        "middle_ascii": _joined(words.folded, word[inner], inner_offsets),
        "given_ascii": words.folded.take(last),
        "given_toneless": words.toneless.take(last),
    }


def _sorted_words(folded: pa.Array, word: Codes, offsets: Codes) -> Codes:
    """``word`` with each name's words in the order of their folded forms."""
    # Arrow orders strings by UTF-8 bytes, which is the code-point order of ``sorted``.
    by_rank = pc.sort_indices(folded).to_numpy().astype(np.int64)
    rank = np.empty(len(by_rank), dtype=np.int64)
    rank[by_rank] = np.arange(len(by_rank))
    ordered = np.empty_like(word)
    counts = np.diff(offsets)
    for count in np.unique(counts):  # names of one length sort as the rows of a matrix
        slots = offsets[:-1][counts == count, None] + np.arange(count)
        ordered[slots] = by_rank[np.sort(rank[word[slots]], axis=1)]
    return ordered


def _joined(forms: pa.Array, word: Codes, offsets: Codes) -> pa.Array:
    """Each name's forms of its words, space-joined; ``offsets`` delimit the names."""
    lists = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), forms.take(word))
    return pc.binary_join(lists, " ")
