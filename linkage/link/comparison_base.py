"""The comparison template and what every comparison shares: columns, grading, aligning.

Each comparison is a recordlinkage ``BaseCompareFeature`` whose vectorized hook returns one
small integer per pair: ``-1`` when either side is missing (a level of its own, weight 0),
otherwise ``0`` (no agreement) up to ``len(levels) - 1`` (strongest agreement). String
similarity is computed by ``rapidfuzz.process.cpdist`` over the aligned pairs: no per-pair
Python.

Thresholds are keyword-only constructor arguments, checked when the comparison is built;
``settings()`` returns them as JSON data, which model.json records so that a saved model
is never used to score levels drawn with other thresholds.
"""

from __future__ import annotations

import math
import os
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from recordlinkage.base import BaseCompareFeature

from linkage._vector import pair_keys
from linkage.errors import ConfigError
from linkage.normalize import factorize_arrow, i_for_y

MISSING = -1


class Columns(dict[str, np.ndarray]):
    """One side's compared columns: numbers as float64 (NaN missing), text as int32 codes.

    A text is an integer code into ``words``, one vocabulary shared by every text column of
    both tables, so equal codes are equal texts, also across columns (a name's exact and
    ASCII keys); code 0 is "", the missing text. Comparing codes instead of Python strings
    halved the time of comparing.
    """

    def __init__(self, values: Mapping[str, np.ndarray], words: np.ndarray) -> None:
        super().__init__(values)
        self.words = words

    def text(self, column: str, rows: np.ndarray) -> np.ndarray:
        """The texts of ``column`` at ``rows`` (a mask or positions), "" where missing."""
        texts: np.ndarray = self.words[self[column][rows]]
        return texts

    def at(self, rows: np.ndarray, columns: Sequence[str]) -> Columns:
        """``columns`` at ``rows`` (positions): one side of aligned pairs."""
        return Columns({c: self[c][rows] for c in columns}, self.words)


def present(values: np.ndarray) -> np.ndarray:
    """Mask of non-missing text (code 0 is the missing text, see ``Columns``)."""
    return np.asarray(values != 0, dtype=bool)


def equal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Mask of aligned pairs whose codes (or numbers) are equal."""
    return np.asarray(left == right, dtype=bool)


def _aligned(series: pd.Series) -> np.ndarray:
    """A column of aligned pairs as ``Columns`` holds it: codes of text, numbers as they are."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes: np.ndarray = series.cat.codes.to_numpy()
        return codes
    values: np.ndarray = series.to_numpy()
    return values


_NO_WORDS: Final = np.array([""], dtype=object)


class Comparison(BaseCompareFeature):  # type: ignore[misc]
    """Template for a leveled comparison: ``levels_of`` grades aligned pairs.

    It is a recordlinkage feature: ``rl.Compare`` aligns pairs of frames whose texts are
    categoricals of one vocabulary and calls the vectorized hook. The link stage aligns
    them itself, by position (``compare_comparable``).

    Subclasses name their ``columns`` (compared column-wise between payroll and insured),
    their ``levels`` (weakest first) and implement ``_levels``; one with thresholds takes
    them as keyword-only constructor arguments and returns them from ``settings``.
    """

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    numeric: ClassVar[frozenset[str]] = frozenset()
    levels: ClassVar[tuple[str, ...]]
    # Levels whose u-probability is replaced by the frequency of the agreeing value; the
    # value is a column, or columns joined by "+" (a combined key such as surname + given).
    tf_levels: ClassVar[dict[int, str]] = {}
    # (comparison, level): where that comparison is at this level or above, this one's u
    # is counted among random pairs there too, for what the first already tells of it.
    given: ClassVar[tuple[str, int] | None] = None
    # True where the exact pass chooses the labelled matches by this comparison's field:
    # their levels of it are biased, so its m is measured on pairs the others call sure.
    labels_chosen_by: ClassVar[bool] = False

    def __init__(self, *, workers: int = -1) -> None:
        super().__init__(list(self.columns), list(self.columns), label=self.name)
        self.workers = workers

    def _compute_vectorized(self, *series: pd.Series) -> np.ndarray:
        """The hook recordlinkage calls: the left side's columns, then the right side's."""
        half = len(self.columns)
        words = next(
            (
                s.cat.categories.to_numpy()
                for s in series
                if isinstance(s.dtype, pd.CategoricalDtype)
            ),
            _NO_WORDS,
        )
        left, right = (
            Columns({c: _aligned(s) for c, s in zip(self.columns, side, strict=True)}, words)
            for side in (series[:half], series[half:])
        )
        return self.levels_of(left, right)

    def levels_of(self, left: Columns, right: Columns) -> np.ndarray:
        """The int8 level of each aligned pair (-1 where missing)."""
        return self._levels(left, right).astype(np.int8)

    def _similarity(self, left: np.ndarray, right: np.ndarray, scorer: Any) -> np.ndarray:
        """Score aligned pairs with a rapidfuzz scorer."""
        scores = process.cpdist(left, right, scorer=scorer, workers=self.workers)
        return np.asarray(scores, dtype=np.float64)

    def _distinct_similarity(
        self, left: np.ndarray, right: np.ndarray, words: np.ndarray, scorer: Any
    ) -> np.ndarray:
        """``_similarity`` of aligned text codes, scoring each distinct pair of codes once."""
        width = len(words)
        pair_codes, distinct = pd.factorize(pair_keys(left, right, width))
        scores = self._similarity(words[distinct // width], words[distinct % width], scorer)
        return scores[pair_codes]

    @abstractmethod
    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        """Return the agreement level of each aligned pair (-1 where missing)."""

    def level_label(self, gamma: int) -> str:
        """Human label of a level, for explanations."""
        return "missing" if gamma == MISSING else self.levels[gamma]

    def settings(self) -> dict[str, Any]:
        """The thresholds that draw the levels, as JSON data (recorded in model.json)."""
        return {}


def is_number(value: object) -> bool:
    """A finite int or float, not a bool: what a threshold must be."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_similarities(comparison: str, thresholds: Mapping[str, float]) -> None:
    """Raise one ConfigError listing every threshold that is not a similarity in [0, 1]."""
    problems = [
        f"comparison {comparison!r}: {key} must be a similarity between 0 and 1, got {value!r}"
        for key, value in thresholds.items()
        if not (is_number(value) and 0.0 <= value <= 1.0)
    ]
    if problems:
        raise ConfigError(problems)


def grade(missing: np.ndarray, conditions: Sequence[np.ndarray]) -> np.ndarray:
    """Highest level whose condition holds; conditions are listed strongest first."""
    top = len(conditions)
    choices = [np.full(len(missing), top - i, dtype=np.int8) for i in range(top)]
    graded = np.select(list(conditions), choices, default=0).astype(np.int8)
    graded[missing] = MISSING
    return graded


def compare(
    pairs: pd.MultiIndex,
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    *,
    comparisons: Sequence[Comparison],
) -> pd.DataFrame:
    """Agreement levels (``gamma``) of every pair of positions, one int8 column per comparison."""
    left, right = comparable(payroll, insured, comparisons)
    payroll_pos, insured_pos = (pairs.get_level_values(i).to_numpy() for i in (0, 1))
    gammas = compare_comparable(payroll_pos, insured_pos, left, right, comparisons=comparisons)
    return gammas.set_axis(pairs)


# Text columns a comparison reads that are derived from another, per distinct text:
# ASCII names written with i for a syllable-final y (Ly / Li, Ky / Ki).
_DERIVED: Final[dict[str, tuple[str, Callable[[str], str]]]] = {
    "name_iy": ("name_ascii", i_for_y),
}


def packed_digits(texts: pa.Array) -> np.ndarray:
    """Each text of 1 to 13 digits as one number holding a digit per 4 bits, else NaN.

    Two IDs of one length then differ digit by digit where their packed numbers' nibbles
    differ: a few integer operations a pair instead of an edit distance on strings. The
    numbers stay below 2**52, exact in float64, which is how ``Columns`` holds numbers.
    """
    digits = pc.fill_null(pc.match_substring_regex(texts, "^[0-9]{1,13}$"), False)
    values = pc.cast(texts.filter(digits), pa.int64()).to_numpy()
    packed = np.zeros(len(values), dtype=np.int64)
    for position in range(13):
        packed |= (values % 10) << (4 * position)
        values = values // 10
    result = np.full(len(texts), np.nan)
    result[digits.to_numpy(zero_copy_only=False)] = packed
    return result


# Numeric columns a comparison reads that are derived from a text column, per distinct text.
_DERIVED_NUMBERS: Final[dict[str, tuple[str, Callable[[pa.Array], np.ndarray]]]] = {
    "national_id_digits": ("national_id", packed_digits),
    "name_ascii_length": (
        "name_ascii",
        lambda texts: pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.float64),
    ),
}


def comparable(
    payroll: pd.DataFrame, insured: pd.DataFrame, comparisons: Sequence[Comparison]
) -> tuple[Columns, Columns]:
    """The columns the comparisons read, of both tables, converted once a run.

    Numbers become float64 (NaN missing). Texts become int32 codes into one vocabulary for
    every text column of both tables, "" first (code 0: missing, or empty), so aligning pairs
    takes integers and comparing compares them. Each column is dictionary-encoded in Arrow
    (columns side by side, in threads: Arrow hashes without the GIL), and only the distinct
    texts are merged into the vocabulary.
    """
    numeric = frozenset().union(*(c.numeric for c in comparisons))
    needed = {column for c in comparisons for column in c.columns}
    derived = {name: _DERIVED[name] for name in needed & _DERIVED.keys()}
    numbers = {name: _DERIVED_NUMBERS[name] for name in needed & _DERIVED_NUMBERS.keys()}
    sources = {source for source, _ in [*derived.values(), *numbers.values()]}
    columns = sorted((needed - derived.keys() - numbers.keys()) | sources)
    result: dict[str, np.ndarray] = {
        c: np.concatenate(
            [side[c].to_numpy(dtype="float64", na_value=np.nan) for side in (payroll, insured)]
        )
        for c in sorted(numeric & set(columns))
    }
    texts = [c for c in columns if c not in numeric]

    def both_sides(column: str) -> tuple[np.ndarray, pa.Array]:
        return factorize_arrow(pd.concat([payroll[column], insured[column]], ignore_index=True))

    with ThreadPoolExecutor(max(1, min(len(texts), os.cpu_count() or 1))) as threads:
        encoded = dict(zip(texts, threads.map(both_sides, texts), strict=True))
    for name, (source, derive) in derived.items():
        codes, distinct_texts = encoded[source]
        encoded[name] = (
            codes,
            pa.array([derive(t) for t in distinct_texts.to_pylist()], type=pa.string()),
        )
    for name, (source, derive_numbers) in numbers.items():
        codes, distinct_texts = encoded[source]
        result[name] = np.append(derive_numbers(distinct_texts), np.nan)[codes]  # -1: NaN
    shared, words = _one_vocabulary(encoded)
    result.update(shared)
    cut = len(payroll)
    return (
        Columns({c: v[:cut] for c, v in sorted(result.items())}, words),
        Columns({c: v[cut:] for c, v in sorted(result.items())}, words),
    )


def _one_vocabulary(
    encoded: Mapping[str, tuple[np.ndarray, pa.Array]],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each column's codes (-1 missing) into its texts, re-pointed into one vocabulary.

    The vocabulary holds "" first (code 0: missing, or empty), then every distinct text of
    the columns once; the result is each column's int32 codes into it, and the vocabulary.
    """
    if not encoded:
        return {}, _NO_WORDS
    names = list(encoded)
    merged = pc.dictionary_encode(pa.concat_arrays([encoded[c][1] for c in names]))
    inverse = merged.indices.to_numpy(zero_copy_only=False)
    words = merged.dictionary.to_numpy(zero_copy_only=False)
    filled = words != ""
    word_code = np.where(filled, np.cumsum(filled), 0).astype(np.int32)  # "" -> 0, the rest 1..K
    vocabulary = np.concatenate([np.array([""], dtype=object), words[filled]])
    result, start = {}, 0
    for column in names:
        codes, texts = encoded[column]
        shared = np.zeros(len(codes), dtype=np.int32)
        known = codes >= 0
        shared[known] = word_code[inverse[start + codes[known]]]
        result[column] = shared
        start += len(texts)
    return result, vocabulary


def compare_comparable(
    payroll_pos: np.ndarray,
    insured_pos: np.ndarray,
    left: Columns,
    right: Columns,
    *,
    comparisons: Sequence[Comparison],
) -> pd.DataFrame:
    """``compare`` for the pairs (``payroll_pos[i]``, ``insured_pos[i]``) of ``comparable`` sides.

    Pairs are aligned by position with numpy takes of the integer codes. recordlinkage's
    ``Compare`` aligns by label through pandas frames and a MultiIndex: at a million payroll
    rows that was a third of the comparing time, for the same levels (``tests`` check both).
    """
    levels = {
        c.name: c.levels_of(left.at(payroll_pos, c.columns), right.at(insured_pos, c.columns))
        for c in comparisons
    }
    return pd.DataFrame(levels, columns=[c.name for c in comparisons])
