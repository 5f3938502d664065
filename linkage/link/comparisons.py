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
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import recordlinkage as rl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler
from recordlinkage.base import BaseCompareFeature

MISSING = -1

Columns = dict[str, np.ndarray]


def plain(frame: pd.DataFrame, numeric: frozenset[str]) -> pd.DataFrame:
    """Text as object arrays with "" for missing, numbers as float64 with NaN.

    Done once per table, not per candidate pair: ``isna`` over millions of Python strings
    was the largest cost of comparing.
    """
    columns = {}
    for column in frame.columns:
        values = frame[column]
        if column in numeric:
            columns[column] = values.to_numpy(dtype="float64", na_value=np.nan)
        else:
            text = values.astype(object).to_numpy()
            text[pd.isna(text)] = ""
            columns[column] = text
    return pd.DataFrame(columns, index=frame.index)


def present(values: np.ndarray) -> np.ndarray:
    """Mask of non-missing text ("" is missing after ``plain``)."""
    return np.asarray(values != "", dtype=bool)


def _equal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.asarray(left == right, dtype=bool)


class Comparison(BaseCompareFeature):  # type: ignore[misc]
    """Template for a leveled comparison: the base class aligns pairs, ``levels`` grades them.

    Subclasses name their ``columns`` (compared column-wise between payroll and insured),
    their ``levels`` (weakest first) and implement ``_levels``.
    """

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    numeric: ClassVar[frozenset[str]] = frozenset()
    levels: ClassVar[tuple[str, ...]]
    # Levels whose u-probability is replaced by the frequency of the agreeing value; the
    # value is a column, or columns joined by "+" (a combined key such as surname + given).
    tf_levels: ClassVar[dict[int, str]] = {}

    def __init__(self, *, workers: int = -1) -> None:
        super().__init__(list(self.columns), list(self.columns), label=self.name)
        self.workers = workers

    def _compute_vectorized(self, *series: pd.Series) -> np.ndarray:
        half = len(self.columns)
        left = {c: s.to_numpy() for c, s in zip(self.columns, series[:half], strict=True)}
        right = {c: s.to_numpy() for c, s in zip(self.columns, series[half:], strict=True)}
        return self._levels(left, right).astype(np.int8)

    def _similarity(self, left: np.ndarray, right: np.ndarray, scorer: Any) -> np.ndarray:
        """Score aligned pairs with a rapidfuzz scorer."""
        scores = process.cpdist(left, right, scorer=scorer, workers=self.workers)
        return np.asarray(scores, dtype=np.float64)

    @abstractmethod
    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        """Return the agreement level of each aligned pair (-1 where missing)."""

    def level_label(self, gamma: int) -> str:
        """Human label of a level, for explanations."""
        return "missing" if gamma == MISSING else self.levels[gamma]


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
        "surname_ascii",
        "given_ascii",
    )
    levels = (
        "different",
        "close_given_and_surname",
        "typo",
        "surname_given_equal",
        "same_tokens_reordered",
        "exact_ascii",
        "exact_toneless",
        "exact",
    )
    tf_levels: ClassVar[dict[int, str]] = {
        3: "surname_ascii+given_ascii",
        4: "name_sorted",
        5: "name_sorted",
        6: "name_sorted",
        7: "name_sorted",
    }

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["name_ascii"]) & present(right["name_ascii"]))
        whole = self._similarity(
            left["name_ascii"], right["name_ascii"], JaroWinkler.normalized_similarity
        )
        given = self._similarity(
            left["given_ascii"], right["given_ascii"], JaroWinkler.normalized_similarity
        )
        surname = self._similarity(
            left["surname_ascii"], right["surname_ascii"], JaroWinkler.normalized_similarity
        )
        any_order = self._similarity(
            left["name_sorted"], right["name_sorted"], JaroWinkler.normalized_similarity
        )
        unaccented = _equal(left["name_exact"], left["name_ascii"]) | _equal(
            right["name_exact"], right["name_ascii"]
        )
        toneless = _equal(left["name_exact"], left["name_toneless"]) | _equal(
            right["name_exact"], right["name_toneless"]
        )
        same_ascii = _equal(left["name_ascii"], right["name_ascii"])
        same_toneless = _equal(left["name_toneless"], right["name_toneless"])
        return grade(
            missing,
            [
                _equal(left["name_exact"], right["name_exact"])
                | (unaccented & same_ascii)
                | (toneless & same_toneless),
                same_toneless,
                same_ascii,
                _equal(left["name_sorted"], right["name_sorted"]),
                _equal(left["surname_ascii"], right["surname_ascii"])
                & _equal(left["given_ascii"], right["given_ascii"]),
                (whole >= 0.92) & (given >= 0.80),
                ((given >= 0.88) & (surname >= 0.80)) | (any_order >= 0.92),
            ],
        )


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

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["gender"]) & present(right["gender"]))
        return grade(missing, [_equal(left["gender"], right["gender"])])


class IdEmbeddedBirth(Comparison):
    """A CCCD encodes century, sex and birth year: check each side's ID against the other."""

    name = "id_birth_sex"
    columns = ("id_birth_year", "id_gender", "birth_year", "gender")
    numeric = frozenset({"id_birth_year", "birth_year"})
    levels = ("inconsistent", "consistent")

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        checked = np.zeros(len(left["birth_year"]), dtype=bool)
        conflict = np.zeros_like(checked)
        for ids, other in ((left, right), (right, left)):
            year_known = ~np.isnan(ids["id_birth_year"]) & ~np.isnan(other["birth_year"])
            sex_known = present(ids["id_gender"]) & present(other["gender"])
            checked |= year_known | sex_known
            conflict |= year_known & (ids["id_birth_year"] != other["birth_year"])
            conflict |= sex_known & ~_equal(ids["id_gender"], other["gender"])
        return grade(~checked, [~conflict])


class Employer(Comparison):
    """Same enterprise (branches folded onto their parent), graded by the declared wage.

    At the same enterprise, the SI contribution wage of the worker's own record is most of
    the taxable income the employer withholds on (the contract wage; allowances, overtime
    and bonuses sit outside the SI base), while a namesake's wage is unrelated. The wage
    is a level of this comparison, not a comparison of its own, because it says nothing
    at another employer (Fellegi-Sunter would otherwise count it as independent evidence).
    A missing wage on either side leaves the plain same-enterprise level.
    """

    name = "employer"
    columns = ("employer_root", "declared_wage")
    numeric = frozenset({"declared_wage"})
    levels = (
        "different",
        "same_enterprise",
        "same_enterprise_wage_close",
        "same_enterprise_wage_near",
    )
    # SI wage / taxable income bounds of the wage levels: (near), (close).
    wage_near: ClassVar[tuple[float, float]] = (0.90, 1.02)
    wage_close: ClassVar[tuple[float, float]] = (0.75, 1.10)

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        missing = ~(present(left["employer_root"]) & present(right["employer_root"]))
        same = _equal(left["employer_root"], right["employer_root"])
        income, wage = left["declared_wage"], right["declared_wage"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(income > 0, wage / income, np.nan)

        def within(bounds: tuple[float, float]) -> np.ndarray:
            return np.asarray((ratio >= bounds[0]) & (ratio <= bounds[1]), dtype=bool)

        return grade(missing, [same & within(self.wage_near), same & within(self.wage_close), same])


class NationalId(Comparison):
    """National ID: exact, one edit (typo or transposition), CMND against CCCD, different."""

    name = "national_id"
    columns = ("national_id", "national_id_kind")
    levels = ("different", "cmnd_vs_cccd", "one_edit", "exact")

    def _levels(self, left: Columns, right: Columns) -> np.ndarray:
        lid, rid = left["national_id"], right["national_id"]
        missing = ~(present(lid) & present(rid))
        edits = self._similarity(lid, rid, OSA.distance)
        same_kind = _equal(left["national_id_kind"], right["national_id_kind"])
        return grade(missing, [_equal(lid, rid), same_kind & (edits <= 1), ~same_kind])


DEFAULT_COMPARISONS: tuple[type[Comparison], ...] = (
    FullName,
    BirthDate,
    Sex,
    IdEmbeddedBirth,
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
    """Agreement levels (``gamma``) of every pair, one int8 column per comparison."""
    return compare_comparable(
        pairs,
        comparable(payroll, comparisons),
        comparable(insured, comparisons),
        comparisons=comparisons,
    )


def comparable(frame: pd.DataFrame, comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """The columns the comparisons read, converted by ``plain``: once per table per run."""
    numeric = frozenset().union(*(c.numeric for c in comparisons))
    columns = sorted({column for c in comparisons for column in c.columns})
    return plain(frame[columns], numeric)


def compare_comparable(
    pairs: pd.MultiIndex,
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    *,
    comparisons: Sequence[Comparison],
) -> pd.DataFrame:
    """``compare`` for tables already passed through ``comparable``."""
    if len(pairs) == 0:
        return pd.DataFrame({c.name: np.empty(0, np.int8) for c in comparisons}, index=pairs)
    engine = rl.Compare(features=list(comparisons))
    gammas: pd.DataFrame = engine.compute(pairs, payroll, insured).astype(np.int8)
    return gammas
