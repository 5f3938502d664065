"""Comparison features: graded agreement levels for aligned candidate pairs.

Each comparison is a recordlinkage ``BaseCompareFeature`` whose vectorized hook returns one
small integer per pair: ``-1`` when either side is missing (a level of its own, weight 0),
otherwise ``0`` (no agreement) up to ``len(levels) - 1`` (strongest agreement). String
similarity is computed by ``rapidfuzz.process.cpdist`` over the aligned pairs: no per-pair
Python.

The name evidence is one comparison whose levels include the given-name and token-set cases,
rather than three comparisons, because Fellegi-Sunter adds weights as if comparisons were
independent: separate full-name, given-name and token-set comparisons would count the same
agreement two or three times and push namesakes over the match threshold.

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
from rapidfuzz.distance import OSA, JaroWinkler
from recordlinkage.base import BaseCompareFeature

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


def _equal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
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
        width = np.int64(len(words))
        pair_codes, distinct = pd.factorize(left.astype(np.int64) * width + right)
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


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_similarities(comparison: str, thresholds: Mapping[str, float]) -> None:
    """Raise one ConfigError listing every threshold that is not a similarity in [0, 1]."""
    problems = [
        f"comparison {comparison!r}: {key} must be a similarity between 0 and 1, got {value!r}"
        for key, value in thresholds.items()
        if not (_is_number(value) and 0.0 <= value <= 1.0)
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


class FullName(Comparison):
    """Whole-name agreement, from exact with diacritics down to typo bands.

    The fuzzy levels look at the given name too: Jaro-Winkler on whole names rewards the
    shared "nguyen van " prefix, so "Nguyễn Mạnh Kiên" and "Nguyễn Gia Minh" would otherwise
    look like a typo of each other. The weakest level catches a typo beside a dropped middle
    name ("Vũ Xuân Hưng" / "Vũ Hưnd") and a typo in a reordered name.

    "Exact" means the same name as far as both sides write it: a side written without any
    diacritics ("NGUYEN VAN AN", common in tax exports) or without tone marks is compared on
    the key it carries. Otherwise such a writer would land on the toneless or ASCII level
    depending on whether the name happens to hold ê, ơ or đ, and those levels, rare among
    true matches for accented writers, would give a common writing habit less weight than a
    real discrepancy.
    """

    name = "full_name"
    columns = (
        "name_exact",
        "name_toneless",
        "name_ascii",
        "name_sorted",
        "name_iy",
        "surname_ascii",
        "given_ascii",
        "name_ascii_length",
    )
    levels = (
        "different",
        "one_edit",
        "close_given_and_surname",
        "typo",
        "surname_given_equal",
        "same_tokens_reordered",
        "i_y_spelling",
        "exact_ascii",
        "exact_toneless",
        "exact",
    )
    tf_levels: ClassVar[dict[int, str]] = {
        4: "surname_ascii+given_ascii",
        **dict.fromkeys((5, 6, 7, 8, 9), "name_sorted"),
    }

    def __init__(
        self,
        *,
        workers: int = -1,
        typo_whole_name: float = 0.92,
        typo_given_name: float = 0.80,
        close_given_name: float = 0.88,
        close_surname: float = 0.80,
        close_any_order: float = 0.92,
    ) -> None:
        """Jaro-Winkler thresholds of the fuzzy levels.

        Args:
            workers: rapidfuzz worker threads (-1: all cores).
            typo_whole_name: "typo" needs the whole ASCII name at least this similar ...
            typo_given_name: ... and the given name at least this similar.
            close_given_name: "close_given_and_surname" needs the given name at least this
                similar ...
            close_surname: ... and the surname at least this similar ...
            close_any_order: ... or the order-free name key at least this similar.
        """
        super().__init__(workers=workers)
        thresholds = {
            "typo_whole_name": typo_whole_name,
            "typo_given_name": typo_given_name,
            "close_given_name": close_given_name,
            "close_surname": close_surname,
            "close_any_order": close_any_order,
        }
        _check_similarities(self.name, thresholds)
        self.typo_whole_name = float(typo_whole_name)
        self.typo_given_name = float(typo_given_name)
        self.close_given_name = float(close_given_name)
        self.close_surname = float(close_surname)
        self.close_any_order = float(close_any_order)

    def settings(self) -> dict[str, Any]:
        """The five Jaro-Winkler thresholds, by argument name."""
        return {
            "typo_whole_name": self.typo_whole_name,
            "typo_given_name": self.typo_given_name,
            "close_given_name": self.close_given_name,
            "close_surname": self.close_surname,
            "close_any_order": self.close_any_order,
        }

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["name_ascii"]) & present(right["name_ascii"]))
        exact = self._exact_levels(left, right)
        # Similarities only where no exact level holds, and each only where a level still
        # depends on it: the levels are graded strongest first.
        fuzzy = ~missing & ~np.logical_or.reduce(exact)

        def similarity(
            column: str,
            where: np.ndarray,
            scorer: Any = JaroWinkler.normalized_similarity,
            *,
            words: bool = False,
        ) -> np.ndarray:
            scores = np.zeros(len(missing))
            if words:  # a given name or surname: few distinct pairs, each scored once
                scores[where] = self._distinct_similarity(
                    left[column][where], right[column][where], left.words, scorer
                )
            else:
                scores[where] = self._similarity(
                    left.text(column, where), right.text(column, where), scorer
                )
            return scores

        given = similarity("given_ascii", fuzzy, words=True)
        surname = similarity("surname_ascii", fuzzy, words=True)
        typo_given = fuzzy & (given >= self.typo_given_name)
        typo = typo_given & (similarity("name_ascii", typo_given) >= self.typo_whole_name)
        close = (given >= self.close_given_name) & (surname >= self.close_surname)
        undecided = fuzzy & ~typo & ~close
        close |= similarity("name_sorted", undecided) >= self.close_any_order
        # One edit changes the length by one at most.
        lengths = left["name_ascii_length"] - right["name_ascii_length"]
        undecided &= ~close & (np.abs(lengths) <= 1)
        return grade(
            missing,
            [
                *exact,
                typo,
                close,
                undecided & (similarity("name_ascii", undecided, OSA.distance) <= 1),
            ],
        )

    @staticmethod
    def _exact_levels(left: Columns, right: Columns) -> list[np.ndarray]:
        """Conditions of the levels decided by equality, strongest first."""
        unaccented = _equal(left["name_exact"], left["name_ascii"]) | _equal(
            right["name_exact"], right["name_ascii"]
        )
        toneless = _equal(left["name_exact"], left["name_toneless"]) | _equal(
            right["name_exact"], right["name_toneless"]
        )
        same_ascii = _equal(left["name_ascii"], right["name_ascii"])
        same_toneless = _equal(left["name_toneless"], right["name_toneless"])
        return [
            _equal(left["name_exact"], right["name_exact"])
            | (unaccented & same_ascii)
            | (toneless & same_toneless),
            same_toneless,
            same_ascii,
            _equal(left["name_iy"], right["name_iy"]),
            _equal(left["name_sorted"], right["name_sorted"]),
            _equal(left["surname_ascii"], right["surname_ascii"])
            & _equal(left["given_ascii"], right["given_ascii"]),
        ]


class BirthDate(Comparison):
    """Birth date: exact, swapped day/month, same month, year only, same year, year +-1.

    "Same day and month, another year" is a level of its own: a mistyped year digit
    (1958 / 1959, 1976 / 1977) beside an agreeing day and month is far likelier for the same
    person than for a namesake (1 in 365), unlike a year off by one on its own.
    """

    name = "birth_date"
    columns = ("birth_year", "birth_month", "birth_day", "birth_precision")
    numeric = frozenset({"birth_year", "birth_month", "birth_day"})
    levels = (
        "different",
        "year_off_by_one",
        "same_day_month_other_year",
        "same_year",
        "year_only",
        "same_year_month",
        "day_month_swapped",
        "exact",
    )

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        ly, ry = left["birth_year"], right["birth_year"]
        missing = np.isnan(ly) | np.isnan(ry)
        lm, rm, ld, rd = (
            left["birth_month"],
            right["birth_month"],
            left["birth_day"],
            right["birth_day"],
        )
        # Year-precision dates and the 01/01 placeholder carry the year only.
        day_known = ~(
            np.isnan(ld) | np.isnan(rd) | ((lm == 1) & (ld == 1)) | ((rm == 1) & (rd == 1))
        )
        same_year = ly == ry
        return grade(
            missing,
            [
                same_year & day_known & (lm == rm) & (ld == rd),
                same_year & day_known & (lm == rd) & (ld == rm),
                same_year & day_known & (lm == rm),
                same_year & ~day_known,
                same_year,
                day_known & (lm == rm) & (ld == rd),
                np.abs(ly - ry) == 1,
            ],
        )


class Sex(Comparison):
    """Recorded sex."""

    name = "sex"
    columns = ("gender",)
    levels = ("different", "equal")
    # Names carry sex (Văn / Thị, gendered given names): among non-matching pairs whose
    # names are the same (the i/y level and above), the sexes agree 99.5% of the time
    # (validation and generated sets alike), so there agreeing says nothing and differing
    # says much; counted as if independent, an equal sex added a bit to every namesake.
    # Below, names that differ in a word (Văn / Thị) still differ in sex 15-25% of the time.
    given = ("full_name", 6)

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["gender"]) & present(right["gender"]))
        return grade(missing, [_equal(left["gender"], right["gender"])])


class Employer(Comparison):
    """Same enterprise (branches folded onto their parent), graded by the declared wage.

    At the same enterprise, the SI contribution wage of the worker's own record is most of
    the taxable income the employer withholds on (the contract wage; allowances, overtime
    and bonuses sit outside the SI base), while a namesake's wage is unrelated. The wage
    is a level of this comparison, not a comparison of its own, because it says nothing
    at another employer (Fellegi-Sunter would otherwise count it as independent evidence).
    A missing wage on either side leaves the plain same-enterprise level.

    At another employer, a record the worker has left (suspended or stopped) is a level of
    its own: a worker who changed jobs leaves one behind, and a namesake's record is mostly
    active (among true matches at another employer 23-30% of records are left, among all
    records 14-15%, on the validation set and the generator alike).
    """

    name = "employer"
    columns = ("employer_root", "declared_wage", "record_left")
    numeric = frozenset({"declared_wage", "record_left"})
    # Agreeing on a 20-worker employer says more than on one of 2,000.
    tf_levels: ClassVar[dict[int, str]] = dict.fromkeys((2, 3, 4), "employer_root")
    levels = (
        "different",
        "different_record_left",
        "same_enterprise",
        "same_enterprise_wage_close",
        "same_enterprise_wage_near",
    )

    def __init__(
        self,
        *,
        workers: int = -1,
        wage_near: tuple[float, float] = (0.90, 1.02),
        wage_close: tuple[float, float] = (0.75, 1.10),
    ) -> None:
        """Bounds of SI wage / taxable income for the wage levels.

        Args:
            workers: rapidfuzz worker threads (unused: no string similarity here).
            wage_near: (low, high) ratio of "same_enterprise_wage_near".
            wage_close: (low, high) ratio of "same_enterprise_wage_close"; must contain
                ``wage_near``, being the weaker level.
        """
        super().__init__(workers=workers)
        problems = []
        bounds = {"wage_near": wage_near, "wage_close": wage_close}
        for key, value in bounds.items():
            if not (
                isinstance(value, tuple | list)
                and len(value) == 2
                and all(_is_number(v) for v in value)
                and 0.0 <= value[0] <= value[1]
            ):
                problems.append(
                    f"comparison {self.name!r}: {key} must be (low, high) wage ratios with "
                    f"0 <= low <= high, got {value!r}"
                )
        if not problems and not (wage_close[0] <= wage_near[0] <= wage_near[1] <= wage_close[1]):
            problems.append(
                f"comparison {self.name!r}: wage_close {wage_close!r} must contain "
                f"wage_near {wage_near!r}"
            )
        if problems:
            raise ConfigError(problems)
        self.wage_near = (float(wage_near[0]), float(wage_near[1]))
        self.wage_close = (float(wage_close[0]), float(wage_close[1]))

    def settings(self) -> dict[str, Any]:
        """The two wage-ratio bands, as [low, high] lists."""
        return {"wage_near": list(self.wage_near), "wage_close": list(self.wage_close)}

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["employer_root"]) & present(right["employer_root"]))
        same = _equal(left["employer_root"], right["employer_root"])
        income, wage = left["declared_wage"], right["declared_wage"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(income > 0, wage / income, np.nan)

        def within(bounds: tuple[float, float]) -> np.ndarray:
            return np.asarray((ratio >= bounds[0]) & (ratio <= bounds[1]), dtype=bool)

        left_record = right["record_left"] == 1.0
        return grade(
            missing,
            [same & within(self.wage_near), same & within(self.wage_close), same, left_record],
        )


class NationalId(Comparison):
    """National ID: exact, one edit (typo or transposition), CMND against CCCD, different."""

    name = "national_id"
    columns = ("national_id", "national_id_kind", "national_id_digits")
    levels = ("different", "cmnd_vs_cccd", "one_edit", "exact")
    labels_chosen_by = True

    def __init__(self, *, workers: int = -1, max_edits: int = 1) -> None:
        """Edits the "one_edit" level allows.

        Args:
            workers: rapidfuzz worker threads (-1: all cores).
            max_edits: most OSA edits (substitution, insertion, deletion or transposition of
                neighbours) between two IDs of the same kind at the "one_edit" level.
        """
        super().__init__(workers=workers)
        if isinstance(max_edits, bool) or not isinstance(max_edits, int) or max_edits < 1:
            msg = f"comparison {self.name!r}: max_edits must be an integer >= 1, got {max_edits!r}"
            raise ConfigError(msg)
        self.max_edits = max_edits

    def settings(self) -> dict[str, Any]:
        """The edit allowance of the "one_edit" level."""
        return {"max_edits": self.max_edits}

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        lid, rid = left["national_id"], right["national_id"]
        missing = ~(present(lid) & present(rid))
        same = _equal(lid, rid)
        same_kind = _equal(left["national_id_kind"], right["national_id_kind"])
        # Edits only between different IDs of one kind (so of one length), both present.
        measured = ~missing & ~same & same_kind
        # Most differ in many digits. One edit between IDs of one length (a substitution, or
        # a transposition: an insertion needs a deletion too) changes at most 2 digits, so
        # those with more are decided by counting; only the few others are measured. Two
        # edits can shift a run of digits (a deletion and an insertion): then all are.
        digits = left["national_id_digits"], right["national_id_digits"]
        counted = measured & ~np.isnan(digits[0]) & ~np.isnan(digits[1])
        differing = np.zeros(len(lid), dtype=np.int64)
        differing[counted] = _differing_digits(*(d[counted].astype(np.int64) for d in digits))
        edits = np.where(counted & (differing <= 1), differing, np.inf)
        measured &= ~counted | ((differing > 1) & ((differing <= 2) | (self.max_edits > 1)))
        edits[measured] = self._similarity(
            left.text("national_id", measured), right.text("national_id", measured), OSA.distance
        )
        return grade(missing, [same, same_kind & (edits <= self.max_edits), ~same_kind])


_NIBBLE_LOW_BITS: Final = np.int64(int("1" * 13, 16))  # the lowest bit of each of 13 nibbles


def _differing_digits(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """How many digits differ between two ``packed_digits`` numbers."""
    differ = left ^ right
    differ = (differ | (differ >> 1) | (differ >> 2) | (differ >> 3)) & _NIBBLE_LOW_BITS
    return np.asarray(np.bitwise_count(differ), dtype=np.int64)


DEFAULT_COMPARISONS: tuple[type[Comparison], ...] = (
    FullName,
    BirthDate,
    Sex,
    Employer,
    NationalId,
)


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
