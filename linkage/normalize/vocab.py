"""Controlled vocabularies (gender, status, nationality) and the folding used to match them.

Values match through ``linkage.folding.fold``, the loader's header fold too: NFC,
case-folded, diacritics removed (đ -> d), punctuation and whitespace collapsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from linkage._vector import as_series, factorize_text, take
from linkage.errors import ConfigError
from linkage.folding import fold


def fold_key(values: pd.Series) -> pd.Series:
    """Vectorized ``fold``: "  Nữ " -> "nu", "ĐANG HOẠT ĐỘNG" -> "dang hoat dong".

    Returns:
        Arrow-backed strings; missing stays missing.
    """
    codes, uniques = factorize_text(values)
    return as_series(take(codes, pa.array([fold(u) for u in uniques], pa.string())), values)


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
            key = fold(spelling)
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

    Matching is on ``fold`` of both sides, so case, diacritics and spacing do not
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
    folded = [fold(u) for u in uniques]
    mapped = [table.get(key) if key else None for key in folded]
    unknown_unique = np.array(
        [bool(key) and hit is None for key, hit in zip(folded, mapped, strict=True)] + [False],
        dtype=bool,
    )
    canonical = as_series(take(codes, pa.array(mapped, type=pa.string())), values)
    return VocabularyMatch(canonical, unknown_unique[codes])
