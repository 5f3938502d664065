"""Realistic corruption of dates, identifiers and tax codes, vectorized.

Like ``name_noise``, every corruption is drawn per row at a base rate times ``scale`` and
returned as a mask. Dates are rendered through their unique values (a population has far
fewer distinct birth dates than rows), so formatting a million rows stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth.name_noise import BoolArray, StrArray, apply_rows, scaled, targeted

# Base rates at noise = 1.0 (fraction of rows), per source. Each is at least the rate an
# independent validation set shows (its payroll: 8.9 % year-only, 21 % ISO, 4 % d/m/yyyy;
# its registry: 12 % year-only, 8 % ISO; birth years one off in about 1 % of pairs).
DATE_RATES: Final = {
    "date_placeholder": 0.02,  # 01/01/YYYY typed when only the year was known
    "date_swapped": 0.015,  # day and month exchanged (only where both are <= 12)
    "date_year_off": 0.006,  # birth year one off (never for a minor: ages stay clear-cut)
    "date_year_only": 0.10,
    "date_iso": 0.23,  # yyyy-mm-dd
    "date_unpadded": 0.055,  # d/m/yyyy
}
INSURED_DATE_RATES: Final = DATE_RATES | {
    "date_year_only": 0.13,
    "date_iso": 0.09,
    "date_unpadded": 0.02,
}
# Validation: 11-digit (lost zero) IDs in 1.8 % of payroll rows, 0.8 % of registry rows;
# same-length differences (typos) in 1.2 % of linked pairs.
ID_RATES: Final = {
    "id_typo": 0.01,
    "id_separators": 0.01,  # "001 090 123 456", "001.090.123.456"
    "id_lost_zero": 0.025,  # stored as a number in a spreadsheet: leading zeros lost
}
INSURED_ID_RATES: Final = ID_RATES | {"id_lost_zero": 0.011}
# Employer tax codes: "0101.234.567", "01.01.234.567", "0101 234 567", "0101234567 - 001"
# (validation payroll: 7.8 % dotted or spaced), and a leading zero lost to a spreadsheet
# (validation: 1 % of rows).
TAX_CODE_RATES: Final = {"tax_code_format": 0.12, "tax_code_lost_zero": 0.012}
INSURED_TAX_CODE_RATES: Final = {"tax_code_format": 0.05, "tax_code_lost_zero": 0.013}
BUSINESS_TAX_CODE_RATES: Final = {"tax_code_format": 0.05, "tax_code_lost_zero": 0.0}
# Years from which a one-off birth year could move a minor across the minimum working age.
_YEAR_OFF_BEFORE: Final = 2010

# Date styles, in the order of the rendering table below.
_DMY, _ISO, _UNPADDED, _YEAR, _MISSING = range(5)


def _render_date(code: int) -> str:
    style, ymd = code % 8, code // 8
    y, m, d = ymd // 10000, ymd // 100 % 100, ymd % 100
    if style == _DMY:
        return f"{d:02d}/{m:02d}/{y:04d}"
    if style == _ISO:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if style == _UNPADDED:
        return f"{d}/{m}/{y:04d}"
    if style == _YEAR:
        return f"{y:04d}"
    return ""


def render_dates(
    year: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    style: npt.NDArray[np.int64],
) -> StrArray:
    """Format dates in per-row styles, formatting each distinct (date, style) once."""
    codes = ((year * 10000 + month * 100 + day) * 8 + style).astype(np.int64)
    unique, inverse = np.unique(codes, return_inverse=True)
    table = np.array([_render_date(int(c)) for c in unique], dtype=object)
    return table[inverse.reshape(-1)]


def split_dates(
    dates: npt.NDArray[np.datetime64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Year, month and day arrays of a datetime64[D] array."""
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (dates.astype("datetime64[D]") - months).astype(np.int64) + 1
    return year, month, day


def noise_dates(
    rng: np.random.Generator,
    dates: npt.NDArray[np.datetime64],
    *,
    missing: float,
    scale: float,
    rates: Mapping[str, float] = DATE_RATES,
) -> tuple[StrArray, dict[str, BoolArray]]:
    """Write dates as a source would: mostly dd/mm/yyyy, with variants and errors.

    Args:
        rng: the random generator.
        dates: clean dates (datetime64[D]).
        missing: base rate of blank dates.
        scale: the noise scale (0 = clean dd/mm/yyyy).
        rates: base rate of each corruption (keys of ``DATE_RATES``).

    Returns:
        The written dates and one mask per corruption kind.
    """
    n = dates.size
    year, month, day = split_dates(dates)
    rate = {k: scaled(v, scale) for k, v in rates.items()}
    masks: dict[str, BoolArray] = {}
    masks["date_year_off"] = targeted(rng, year < _YEAR_OFF_BEFORE, rate["date_year_off"])
    year = year + masks["date_year_off"] * np.where(rng.random(n) < 0.5, -1, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = np.where((month == 2) & (day == 29) & ~leap, 28, day)
    masks["date_placeholder"] = rng.random(n) < rate["date_placeholder"]
    month = np.where(masks["date_placeholder"], 1, month)
    day = np.where(masks["date_placeholder"], 1, day)
    swappable = (day <= 12) & (day != month) & ~masks["date_placeholder"]
    masks["date_swapped"] = targeted(rng, swappable, rate["date_swapped"])
    month, day = (
        np.where(masks["date_swapped"], day, month),
        np.where(masks["date_swapped"], month, day),
    )
    u = rng.random(n)
    bounds = np.cumsum([rate["date_year_only"], rate["date_iso"], rate["date_unpadded"]])
    style = np.select(
        [u < bounds[0], u < bounds[1], u < bounds[2]], [_YEAR, _ISO, _UNPADDED], default=_DMY
    )
    masks["date_missing"] = rng.random(n) < scaled(missing, scale)
    style = np.where(masks["date_missing"], _MISSING, style).astype(np.int64)
    masks["date_year_only"] = (style == _YEAR) & ~masks["date_missing"]
    masks["date_iso"] = style == _ISO
    masks["date_unpadded"] = style == _UNPADDED
    return render_dates(year, month, day, style), masks


def _digit_typo(value: str, where: float, shift: float) -> str:
    i = int(where * len(value))
    digit = (int(value[i]) + 1 + int(shift * 9)) % 10
    return value[:i] + str(digit) + value[i + 1 :]


def _separated(value: str, kind: float) -> str:
    sep = " " if kind < 0.5 else ("." if kind < 0.8 else "-")
    return sep.join(value[i : i + 3] for i in range(0, len(value), 3))


def noise_ids(
    rng: np.random.Generator,
    values: StrArray,
    *,
    missing: float,
    scale: float,
    rates: Mapping[str, float] = ID_RATES,
) -> tuple[StrArray, dict[str, BoolArray]]:
    """Write national IDs as a source would: blanks, typos, separators, lost leading zeros.

    Args:
        rng: the random generator.
        values: clean digit strings ("" when the person has none).
        missing: base rate of blanked IDs.
        scale: the noise scale (0 = clean).
        rates: base rate of each corruption (keys of ``ID_RATES``).

    Returns:
        The written IDs and one mask per corruption kind.
    """
    n = values.size
    out = values.copy()
    present = out != ""
    masks: dict[str, BoolArray] = {"id_missing": present & (rng.random(n) < scaled(missing, scale))}
    out[masks["id_missing"]] = ""
    present &= ~masks["id_missing"]
    masks["id_typo"] = present & (rng.random(n) < scaled(rates["id_typo"], scale))
    apply_rows(_digit_typo, out, masks["id_typo"], rng.random(n), rng.random(n))
    u = rng.random(n)
    sep_rate = scaled(rates["id_separators"], scale)
    masks["id_separators"] = present & (u < sep_rate)
    leading_zero = present & np.array([v[:1] == "0" for v in out.tolist()], dtype=bool)
    lost = scaled(rates["id_lost_zero"], scale)
    masks["id_lost_zero"] = targeted(rng, leading_zero & ~masks["id_separators"], lost)
    apply_rows(_separated, out, masks["id_separators"], rng.random(n))
    apply_rows(lambda s: s.lstrip("0"), out, masks["id_lost_zero"])
    return out, masks


def _format_tax_code(code: str, kind: float) -> str:
    root, branch = code[:10], code[10:]
    if kind < 0.2:
        root = f"{root[:4]}.{root[4:7]}.{root[7:]}"
    elif kind < 0.4:
        root = f"{root[:2]}.{root[2:4]}.{root[4:7]}.{root[7:]}"
    elif kind < 0.7:
        root = f"{root[:4]} {root[4:7]} {root[7:]}"
    elif kind < 0.85:
        root = f"{root[:4]}-{root[4:7]}-{root[7:]}"
    elif kind < 1.0:
        return f" {root} - {branch}" if branch else f" {root} "
    return f"{root}-{branch}" if branch else root


def format_tax_codes(
    rng: np.random.Generator,
    compact: StrArray,
    *,
    scale: float,
    rates: Mapping[str, float] = TAX_CODE_RATES,
) -> tuple[StrArray, dict[str, BoolArray]]:
    """Write tax codes as sources do: branches as ``0101234567-001``, some with separators.

    Args:
        rng: the random generator.
        compact: clean 10- or 13-digit codes ("" when none).
        scale: the noise scale (0 = clean).
        rates: base rate of each corruption (keys of ``TAX_CODE_RATES``).

    Returns:
        The written codes and the masks of rows written with unusual separators
        (``tax_code_format``) and of 10-digit codes that lost their leading zero
        (``tax_code_lost_zero``).
    """
    n = compact.size
    mask = (compact != "") & (rng.random(n) < scaled(rates["tax_code_format"], scale))
    kinds = rng.random(n)
    # kind 1.0 is the plain form, with the usual dash for branches.
    codes, unique = pd.factorize(compact)
    plain = np.array([_format_tax_code(c, 1.0) if c else "" for c in unique], dtype=object)
    out = plain[codes]
    rows = np.flatnonzero(mask)
    out[rows] = [
        _format_tax_code(c, k)
        for c, k in zip(compact[rows].tolist(), kinds[rows].tolist(), strict=True)
    ]
    plain_root = ~mask & (pd.Series(compact).str.fullmatch(r"0\d{9}").to_numpy(dtype=bool))
    lost = targeted(rng, plain_root, scaled(rates["tax_code_lost_zero"], scale))
    apply_rows(lambda s: s.lstrip("0"), out, lost)
    return out, {"tax_code_format": mask, "tax_code_lost_zero": lost}
