"""Person comparisons: name, birth date, sex and national ID of a payroll row and a record.

The name evidence is one comparison whose levels include the given-name and token-set cases,
rather than three comparisons, because Fellegi-Sunter adds weights as if comparisons were
independent: separate full-name, given-name and token-set comparisons would count the same
agreement two or three times and push namesakes over the match threshold.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from linkage.errors import ConfigError
from linkage.link.comparison_base import (
    Columns,
    Comparison,
    check_similarities,
    equal,
    grade,
    present,
)


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
        check_similarities(self.name, thresholds)
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
        unaccented = equal(left["name_exact"], left["name_ascii"]) | equal(
            right["name_exact"], right["name_ascii"]
        )
        toneless = equal(left["name_exact"], left["name_toneless"]) | equal(
            right["name_exact"], right["name_toneless"]
        )
        same_ascii = equal(left["name_ascii"], right["name_ascii"])
        same_toneless = equal(left["name_toneless"], right["name_toneless"])
        return [
            equal(left["name_exact"], right["name_exact"])
            | (unaccented & same_ascii)
            | (toneless & same_toneless),
            same_toneless,
            same_ascii,
            equal(left["name_iy"], right["name_iy"]),
            equal(left["name_sorted"], right["name_sorted"]),
            equal(left["surname_ascii"], right["surname_ascii"])
            & equal(left["given_ascii"], right["given_ascii"]),
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
        return grade(missing, [equal(left["gender"], right["gender"])])


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
        same = equal(lid, rid)
        same_kind = equal(left["national_id_kind"], right["national_id_kind"])
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
