"""Synthetic persons: realistic Vietnamese names, birth dates by age band, unique IDs.

The person table is the clean truth every source row is derived from; noise is applied
later, per source, by ``noise.py``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth import ids, names_data
from linkage.tools.synth.businesses import province_weights, units

# Ages are measured at this date; the synthetic periods are the 2026 tax year (annual) or
# 2026-01..2026-06 (monthly), and every age band stays clear of the rules through 2026.
REFERENCE_DATE: Final = np.datetime64("2026-01-01")
MALE_SHARE: Final = 0.52
# Of Vietnamese born before 2000: still hold a 9-digit CMND, which a source may write
# instead of the CCCD (validation: 9-digit IDs on 8 % of payroll rows).
CMND_SHARE: Final = 0.5
LEGACY_TAX_CODE_SHARE: Final = 0.72  # of Vietnamese adults 18+: registered a 10-digit MST

BoolArray = npt.NDArray[np.bool_]


class AgeBand(IntEnum):
    """Birth-date band of a person, chosen so eligibility never sits on a rule's edge."""

    WORKING = 0  # 18 to under 59 (men) / 54 (women) on 2026-01-01
    UNDER_AGE = 1  # born in 2012: 13 or 14 throughout 2026
    OVER_RETIREMENT = 2  # at least 66 (men) / 63 (women) on 2026-01-01


def _weights(values: tuple[str, ...], offset: float, exponent: float) -> npt.NDArray[np.float64]:
    ranks = np.arange(1, len(values) + 1, dtype=np.float64)
    weights = 1.0 / (ranks + offset) ** exponent
    return weights / weights.sum()


def _surname_table() -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    head = [s for s, _ in names_data.SURNAMES]
    head_p = np.array([p for _, p in names_data.SURNAMES])
    tail_p = _weights(names_data.SURNAME_TAIL, 1.0, 1.0) * names_data.SURNAME_TAIL_SHARE
    probs = np.concatenate([head_p, tail_p])
    return np.array(head + list(names_data.SURNAME_TAIL), dtype=object), probs / probs.sum()


def _pick(
    rng: np.random.Generator, values: tuple[str, ...], p: npt.NDArray[np.float64], n: int
) -> npt.NDArray[np.object_]:
    return np.array(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def vietnamese_names(
    rng: np.random.Generator, female: BoolArray
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Draw (surname, middle names, given name) arrays; middle is "" or one/two words."""
    n = female.size
    surnames, surname_p = _surname_table()
    surname = surnames[rng.choice(surnames.size, size=n, p=surname_p)]
    surname[female & (surname == names_data.MALE_ONLY_SURNAME)] = names_data.FEMALE_ONLY_SURNAME
    surname[~female & (surname == names_data.FEMALE_ONLY_SURNAME)] = names_data.MALE_ONLY_SURNAME

    count = rng.choice(3, size=n, p=names_data.MIDDLE_COUNT_P)
    given = np.empty(n, dtype=object)
    first = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for is_female, sel in ((False, ~female), (True, female)):
        k = int(sel.sum())
        base, base_p = names_data.FEMALE_MIDDLE_FIRST if is_female else names_data.MALE_MIDDLE_FIRST
        middles = names_data.FEMALE_MIDDLES if is_female else names_data.MALE_MIDDLES
        givens = names_data.FEMALE_GIVEN if is_female else names_data.MALE_GIVEN
        given[sel] = _pick(
            rng,
            givens,
            _weights(givens, names_data.GIVEN_ZIPF_OFFSET, names_data.GIVEN_ZIPF),
            k,
        )
        middle_p = _weights(middles, 2.0, 0.8)
        first[sel] = np.where(rng.random(k) < base_p, base, _pick(rng, middles, middle_p, k))
        second[sel] = _pick(rng, middles, middle_p, k)
    # A second middle name equal to the first reads wrong: fall back to one middle name.
    count = np.where((count == 2) & (first == second), 1, count)
    middle = np.where(count == 0, "", np.where(count == 1, first, first + " " + second))
    return surname, middle.astype(object), given


def foreign_names(
    rng: np.random.Generator, n: int
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Draw (nationality, family name, given names) for foreign workers."""
    country = rng.choice(len(names_data.FOREIGN), size=n, p=names_data.FOREIGN_COUNTRY_P)
    nationality = np.empty(n, dtype=object)
    family = np.empty(n, dtype=object)
    given = np.empty(n, dtype=object)
    for i, (name, families, givens, _) in enumerate(names_data.FOREIGN):
        sel = country == i
        k = int(sel.sum())
        nationality[sel] = name
        family[sel] = np.array(families, dtype=object)[rng.integers(0, len(families), size=k)]
        given[sel] = np.array(givens, dtype=object)[rng.integers(0, len(givens), size=k)]
    return nationality, family, given


def compose(
    surname: npt.NDArray[np.object_],
    middle: npt.NDArray[np.object_],
    given: npt.NDArray[np.object_],
) -> npt.NDArray[np.object_]:
    """Join name parts family-first, skipping an empty middle.

    Names repeat heavily, so each distinct (surname, middle, given) is joined once.
    """
    parts = pd.DataFrame({"s": surname, "m": middle, "g": given})
    codes, uniques = pd.MultiIndex.from_frame(parts).factorize()
    joined = np.array([" ".join(w for w in triple if w) for triple in uniques], dtype=object)
    result: npt.NDArray[np.object_] = joined[codes]
    return result


def birth_dates(
    rng: np.random.Generator, band: npt.NDArray[np.int8], female: BoolArray
) -> npt.NDArray[np.datetime64]:
    """Birth dates by age band (see ``AgeBand``)."""
    n = band.size
    # Two years below the 2026 retirement ages (61y6m / 56y8m), so that a placeholder
    # 01/01/YYYY or a year-only date can never push a worker over them.
    max_age = np.where(female, 54.0, 59.0)
    age_years = 18.0 + (max_age - 18.0) * rng.beta(2.0, 3.2, size=n)
    days = np.floor(age_years * 365.2425).astype(np.int64)
    # Keep clear of the boundary day itself.
    days = np.clip(days, 18 * 366, np.floor((max_age - 0.01) * 365.2425).astype(np.int64))
    born = REFERENCE_DATE - days.astype("timedelta64[D]")

    def between(lo: str, hi: str) -> npt.NDArray[np.datetime64]:
        span = int((np.datetime64(hi) - np.datetime64(lo)).astype(np.int64))
        offset = rng.integers(0, span + 1, size=n).astype("timedelta64[D]")
        dates: npt.NDArray[np.datetime64] = np.datetime64(lo) + offset
        return dates

    # Within one calendar year, so placeholder and year-only dates keep the age under 15.
    born = np.where(band == AgeBand.UNDER_AGE, between("2012-01-01", "2012-12-31"), born)
    old_male = between("1950-01-01", "1959-12-31")
    old_female = between("1953-01-01", "1962-12-31")
    old = np.where(female, old_female, old_male)
    return np.where(band == AgeBand.OVER_RETIREMENT, old, born).astype("datetime64[D]")


def generate_persons(
    rng: np.random.Generator,
    band: npt.NDArray[np.int8],
    foreign: BoolArray,
) -> pd.DataFrame:
    """Generate one clean person per element of ``band``.

    Args:
        rng: the random generator.
        band: ``AgeBand`` of each person.
        foreign: whether each person is a foreign national (no citizen ID).

    Returns:
        Columns ``person_id``, ``sex`` (M/F), ``surname``, ``middle``, ``given``,
        ``full_name``, ``birth_date`` (datetime64[D]), ``nationality``, ``birth_province``,
        ``cccd``, ``cmnd``, ``personal_tax_code`` ("" when the person has none).
    """
    n = band.size
    female = rng.random(n) >= MALE_SHARE
    surname, middle, given = vietnamese_names(rng, female)
    nationality = np.full(n, "Việt Nam", dtype=object)
    f_idx = np.flatnonzero(foreign)
    f_nat, f_family, f_given = foreign_names(rng, f_idx.size)
    nationality[f_idx], surname[f_idx], middle[f_idx], given[f_idx] = f_nat, f_family, "", f_given
    full_name = compose(surname, middle, given)
    given_first = [c for c, _, _, family_first in names_data.FOREIGN if not family_first]
    western = pd.Series(nationality).isin(given_first).to_numpy()
    full_name[western] = given[western] + " " + surname[western]

    born = birth_dates(rng, band, female)
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    u = units()
    province = u.province_code[
        rng.choice(u.province_code.size, size=n, p=province_weights(u.province_code, default=1.5))
    ]
    vietnamese = ~foreign
    cccd = ids.cccd(rng, province, year, female)
    cccd[foreign] = ""
    cmnd = np.full(n, "", dtype=object)
    has_cmnd = vietnamese & (year < 2000) & (rng.random(n) < CMND_SHARE)
    cmnd[has_cmnd] = ids.cmnd(rng, int(has_cmnd.sum()))
    tax = np.full(n, "", dtype=object)
    adult = (REFERENCE_DATE - born).astype(np.int64) >= 18 * 366
    has_tax = foreign | (adult & (rng.random(n) < LEGACY_TAX_CODE_SHARE))
    tax[has_tax] = ids.random_mst(
        rng, int(has_tax.sum()), rng.integers(80, 90, size=int(has_tax.sum()))
    )
    return pd.DataFrame(
        {
            "person_id": ids.sequence_ids("P", n, 7),
            "sex": np.where(female, "F", "M").astype(object),
            "surname": surname,
            "middle": middle,
            "given": given,
            "full_name": full_name,
            "birth_date": born,
            "nationality": nationality,
            "birth_province": ids.two_digits(province),
            "cccd": cccd,
            "cmnd": cmnd,
            "personal_tax_code": tax,
        }
    )
