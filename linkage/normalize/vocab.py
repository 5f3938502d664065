"""Controlled vocabularies (gender, status, nationality) and the folding used to match them.

``fold_key`` is the one definition of "the same word, however typed": NFC, case-folded,
diacritics removed (đ -> d), whitespace collapsed. The loader uses it for headers too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from linkage.errors import ConfigError
from linkage.normalize._text import ascii_fold, collapse, nfc
from linkage.normalize._vector import as_series, factorize_text, take


def fold_text(text: str) -> str:
    """Fold one string: NFC, casefold, ASCII fold with đ -> d, single spaces, stripped."""
    return collapse(ascii_fold(nfc(text).casefold()))


def fold_key(values: pd.Series) -> pd.Series:
    """Vectorized ``fold_text``: "  Nữ " -> "nu", "ĐANG HOẠT ĐỘNG" -> "dang hoat dong".

    Returns:
        Arrow-backed strings; missing stays missing.
    """
    codes, uniques = factorize_text(values)
    return as_series(take(codes, pa.array([fold_text(u) for u in uniques], pa.string())), values)


class VocabularyMatch(NamedTuple):
    """Result of ``map_vocabulary``.

    Attributes:
        canonical: canonical value per row (Arrow strings); null when blank or unknown.
        unknown: numpy bool mask, True where a non-blank value matched no spelling.
    """

    canonical: pd.Series
    unknown: npt.NDArray[np.bool_]


def spelling_table(vocabulary: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Folded spelling -> canonical value; the canonical value is a spelling of itself.

    Raises:
        ConfigError: a folded spelling maps to two canonical values (lists every clash).
    """
    table: dict[str, str] = {}
    problems: list[str] = []
    for canonical, spellings in vocabulary.items():
        for spelling in (canonical, *spellings):
            key = fold_text(spelling)
            if not key:
                continue
            other = table.setdefault(key, canonical)
            if other != canonical:
                problems.append(
                    f"vocabulary spelling {spelling!r} (folded {key!r}) maps to both "
                    f"{other!r} and {canonical!r}"
                )
    if problems:
        raise ConfigError(problems)
    return table


def map_vocabulary(values: pd.Series, vocabulary: Mapping[str, Sequence[str]]) -> VocabularyMatch:
    """Map free-text values to canonical codes through accepted spellings.

    Matching is on ``fold_text`` of both sides, so case, diacritics and spacing do not
    matter: with ``{"F": ["Nữ", "female"]}``, "NU", "nữ" and " Female " all give "F".

    Args:
        values: raw values.
        vocabulary: canonical value -> accepted spellings.

    Returns:
        Canonical values (null for blank or unknown input) and the mask of unknown ones,
        so the caller decides between rejecting the row and nulling the field.

    Raises:
        ConfigError: two canonical values share a spelling.
    """
    table = spelling_table(vocabulary)
    codes, uniques = factorize_text(values)
    folded = [fold_text(u) for u in uniques]
    mapped = [table.get(key) if key else None for key in folded]
    unknown_unique = np.array(
        [bool(key) and hit is None for key, hit in zip(folded, mapped, strict=True)] + [False],
        dtype=bool,
    )
    canonical = as_series(take(codes, pa.array(mapped, type=pa.string())), values)
    return VocabularyMatch(canonical, unknown_unique[codes])
