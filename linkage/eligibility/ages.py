"""Ages in months and the Decree 135/2020 retirement age, vectorized.

Ages are counted in whole months (month of the period minus month of birth): the rules speak
in years and months, and payroll periods are months. A birth date known only by its year is
placed in the rule set's month (Decree 135/2020 Art. 3(3): January).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.eligibility.columns import codes, equals, firsts, floats, positions, strings, take
from linkage.eligibility.rules import FloatArray, IntArray, Retirement, RetirementRule, RuleSet
from linkage.normalize.dates import month_index, month_indexes

# The share of one sex, (count + 1) / (known + 2), among the registry's records bearing a
# name before that name is taken to tell the sex of a row that states none.
NAME_SEX_CONFIDENCE = 0.95


def retirement_age_months(rule: RetirementRule, start_year: int, birth: IntArray) -> IntArray:
    """Retirement age in months for people born in month index ``birth``.

    DOMAIN.md: the smallest age a >= the legacy age such that birth + a falls in a year Y with
    a >= required(Y), where required(Y) is the legacy age before ``start_year`` and then rises
    by a step per year up to a cap. This reproduces Decree 135's birth-month groups (men born
    Jan-Sep 1961: 60y3m; women born Sep 1966: 55y8m). Computed once per distinct birth month,
    looping over the at most cap - legacy + 1 candidate ages.
    """
    unique, inverse = np.unique(birth, return_inverse=True)
    result = np.full(len(unique), rule.cap_age_months, dtype=np.int64)
    found = np.zeros(len(unique), dtype=bool)
    for age in range(rule.legacy_age_months, rule.cap_age_months + 1):
        year = (unique + age) // 12
        required = np.where(
            year < start_year,
            rule.legacy_age_months,
            np.minimum(
                rule.base_age_months + rule.step_months_per_year * (year - start_year),
                rule.cap_age_months,
            ),
        )
        hit = ~found & (age >= required)
        result[hit] = age
        found |= hit
    return result[inverse.reshape(-1)]


def retirement_ages(retirement: Retirement, birth: FloatArray, female: np.ndarray) -> FloatArray:
    """Retirement age in months per row; NaN where the birth month is unknown.

    Rows of unknown sex should be passed as not female: the men's schedule is the later one,
    so nobody is excluded as over age who might still be below it.
    """
    known = ~np.isnan(birth)
    result = np.full(len(birth), np.nan)
    for rule, rows in ((retirement.male, known & ~female), (retirement.female, known & female)):
        if rows.any():
            months = birth[rows].astype(np.int64)
            result[rows] = retirement_age_months(rule, retirement.start_year, months)
    return result


def sex_from_names(rows: pd.DataFrame, registry: pd.DataFrame) -> pd.Series:
    """The sex ("M" | "F") a row's name indicates, learned from the registry; null if none.

    Middle names (Thị, Văn) and most given names mark sex in Vietnamese, but not all (Anh,
    Thanh), and how strongly differs between populations: so the marks are learned from the
    registry's records of known sex, the middle name first and then the given name, and a
    name speaks only where ``NAME_SEX_CONFIDENCE`` of its bearers share one sex. Used only
    to choose a retirement schedule, never as link evidence (the name already is).

    Args:
        rows: frame with ``middle_ascii`` and ``given_ascii``.
        registry: frame with the same keys and ``gender`` ("M" | "F" | null).
    """
    sex = strings(registry["gender"])
    known = np.flatnonzero(sex.isin(["M", "F"]).to_numpy(dtype=bool))
    female = equals(sex, "F")[known].astype(np.float64)
    result = np.full(len(rows), None, dtype=object)
    for key in ("middle_ascii", "given_ascii"):
        names = take(registry[key], known)
        code = codes(names)
        distinct = names.iloc[firsts(code)]
        share = (np.bincount(code, weights=female) + 1) / (np.bincount(code) + 2)
        told = np.select(
            [share >= NAME_SEX_CONFIDENCE, share <= 1 - NAME_SEX_CONFIDENCE], ["F", "M"], ""
        )
        told[distinct.isna().to_numpy(dtype=bool)] = ""  # a missing name tells nothing
        guess = np.append(told, "")[positions(rows[key], distinct)]  # -1: a name never seen
        fill = pd.isna(result) & (guess != "")
        result[fill] = guess[fill]
    return pd.Series(result, index=rows.index, dtype=pd.ArrowDtype(pa.string()))


def is_female(payroll: pd.DataFrame, linked: pd.DataFrame, insured: pd.DataFrame) -> np.ndarray:
    """Whether each row is a woman: stated, else in its CCCD, the linked record, its name.

    Only the retirement schedule depends on it; a row of unknown sex takes the men's, the
    later one, so nobody is excluded as over age who might still be below it.
    """
    registry = insured[["middle_ascii", "given_ascii"]].assign(
        gender=strings(insured["gender"]).fillna(strings(insured["id_gender"])).to_numpy()
    )
    sex = strings(payroll["gender"]).fillna(strings(payroll["id_gender"]))
    sex = sex.fillna(strings(linked["si_gender"])).fillna(strings(linked["si_id_gender"]))
    names = sex_from_names(payroll[["middle_ascii", "given_ascii"]], registry)
    sex = sex.fillna(strings(names))
    return equals(sex, "F")


def ages_in_months(
    payroll: pd.DataFrame,
    linked: pd.DataFrame,
    rules: RuleSet,
    period: pd.Series,
    female: np.ndarray,
) -> tuple[FloatArray, FloatArray]:
    """Age at the period and retirement age, both in months; NaN where birth is unknown."""
    # Without a birth date on the payroll row: the linked insured record's, else the year
    # the worker's CCCD encodes.
    stated = floats(payroll["birth_year"])
    registered = floats(linked["si_birth_year"])
    year = np.where(np.isnan(stated), registered, stated)
    year = np.where(np.isnan(year), floats(payroll["id_birth_year"]), year)
    month = np.where(
        np.isnan(stated), floats(linked["si_birth_month"]), floats(payroll["birth_month"])
    )
    year_only = equals(payroll["birth_precision"], "year") | (
        np.isnan(stated) & np.isnan(registered)
    )
    month = np.where(np.isnan(month) | year_only, rules.retirement.year_only_birth_month, month)
    birth = month_index(year, month)
    age = month_indexes(period) - birth
    return age, retirement_ages(rules.retirement, birth, female)
