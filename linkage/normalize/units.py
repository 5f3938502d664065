"""Administrative-unit codes and the scheme they belong to (DOMAIN.md section 3).

Two schemes coexist in source files: the pre-2025 one (63 provinces / 696 districts /
10,051 wards) and the 1 Jul 2025 one (34 provinces, no districts, 3,321 wards). Codes are
reused across them, so every code is stored with its scheme. Reference data comes from
the offline ``vietnam-provinces`` package (2026.9.0: official data); nothing here calls
an online service.

Scheme resolution per row:

* a district code is given: pre-2025 (districts were abolished in 2025); the district
  must belong to the province and the ward, if any, to the district;
* a ward without district: 2025-07 when the ward belongs to the province in that scheme,
  else pre-2025 when it belongs to the province there (the district is then filled in
  from the ward);
* a province alone: pre-2025 when the code existed then (every 2025 code did), which is
  what tax registries still carry.
"""

from __future__ import annotations

import functools
import re
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage._vector import factorize_text, take
from linkage.schema import UnitScheme

_CODE_RE: Final = re.compile(r"'?\s*([0-9]+)(?:\.0+)?\s*")
_WIDTH: Final = {"province": 2, "district": 3, "ward": 5}


class _Reference(NamedTuple):
    provinces_2025: frozenset[str]
    wards_2025: dict[str, str]  # ward -> province
    provinces_legacy: dict[str, str]  # code -> name
    districts_legacy: dict[str, tuple[str, str]]  # district -> (province, name)
    wards_legacy: dict[str, str]  # ward -> district


@functools.cache
def _reference() -> _Reference:
    import vietnam_provinces as current
    from vietnam_provinces import legacy

    def code(value: int, width: int) -> str:
        return f"{int(value):0{width}d}"

    return _Reference(
        provinces_2025=frozenset(code(p.code, 2) for p in current.Province.iter_all()),
        wards_2025={code(w.code, 5): code(w.province_code, 2) for w in current.Ward.iter_all()},
        provinces_legacy={code(p.code, 2): p.name for p in legacy.Province.iter_all()},
        districts_legacy={
            code(d.code, 3): (code(d.province_code, 2), d.name) for d in legacy.District.iter_all()
        },
        wards_legacy={code(w.code, 5): code(w.district_code, 3) for w in legacy.Ward.iter_all()},
    )


def pad_code(raw: str | None, level: str) -> str | None:
    """Zero-pad a numeric unit code ("1" -> "01"); None when blank or not numeric."""
    if raw is None:
        return None
    match = _CODE_RE.fullmatch(raw)
    if not match:
        return None
    digits = match.group(1).lstrip("0") or "0"
    width = _WIDTH[level]
    return digits.rjust(width, "0") if len(digits) <= width else None


def _resolve(
    province: str | None, district: str | None, ward: str | None
) -> tuple[str | None, str | None, str | None, str | None, bool]:
    """(province, district, ward, scheme, invalid) for one row of raw codes."""
    ref = _reference()
    given = [v is not None and v.strip() != "" for v in (province, district, ward)]
    p, d, w = pad_code(province, "province"), pad_code(district, "district"), pad_code(ward, "ward")
    scheme: str | None = None
    if p is None or (p not in ref.provinces_legacy and p not in ref.provinces_2025):
        p = d = w = None
    elif given[1]:
        scheme = UnitScheme.PRE_2025.value
        if p not in ref.provinces_legacy or d is None or ref.districts_legacy.get(d, ("",))[0] != p:
            d = w = None
        elif w is not None and ref.wards_legacy.get(w) != d:
            w = None
    elif w is not None:
        if ref.wards_2025.get(w) == p:
            scheme = UnitScheme.REFORM_2025.value
        elif ref.districts_legacy.get(ref.wards_legacy.get(w, ""), ("",))[0] == p:
            scheme = UnitScheme.PRE_2025.value
            d = ref.wards_legacy[w]
        else:
            w = None
    if p is not None and scheme is None:
        legacy = p in ref.provinces_legacy
        scheme = (UnitScheme.PRE_2025 if legacy else UnitScheme.REFORM_2025).value
    kept = [p is not None, d is not None, w is not None]
    invalid = any(g and not k for g, k in zip(given, kept, strict=True))
    return p, d, w, scheme, invalid


def unit_codes(province: pd.Series, district: pd.Series, ward: pd.Series) -> pd.DataFrame:
    """Validate and zero-pad province / district / ward codes and name their scheme.

    Args:
        province: raw province codes ("1", "01", "01.0").
        district: raw district codes; blank in 2025-scheme sources.
        ward: raw ward codes; may be blank.

    Returns:
        Frame on ``province``'s index: ``province_code`` (2 digits), ``district_code`` (3),
        ``ward_code`` (5), ``unit_scheme`` ("pre-2025" | "2025-07"), Arrow strings, and
        ``invalid`` (numpy bool): True when a non-blank code was nulled because it does
        not exist or does not belong to its parent. An unknown province nulls the whole
        row; a district outside its province nulls district and ward; a ward outside its
        district or province nulls the ward only.
    """
    (c_province, u_province), (c_district, u_district), (c_ward, u_ward) = (
        factorize_text(column) for column in (province, district, ward)
    )
    # One integer per distinct (province, district, ward) triple; +1 keeps missing (-1).
    n_district, n_ward = len(u_district) + 1, len(u_ward) + 1
    combined = ((c_province + 1) * n_district + (c_district + 1)) * n_ward + (c_ward + 1)
    codes, keys = pd.factorize(combined)
    rows = []
    for key in np.asarray(keys, dtype=np.int64).tolist():
        rest, i_ward = divmod(key, n_ward)
        i_province, i_district = divmod(rest, n_district)
        rows.append(
            _resolve(
                u_province[i_province - 1] if i_province else None,
                u_district[i_district - 1] if i_district else None,
                u_ward[i_ward - 1] if i_ward else None,
            )
        )
    codes64 = np.asarray(codes, dtype=np.int64)
    names = ("province_code", "district_code", "ward_code", "unit_scheme")
    frame = pd.DataFrame(
        {
            name: pd.arrays.ArrowExtensionArray(
                take(codes64, pa.array([r[i] for r in rows], type=pa.string()))
            )
            for i, name in enumerate(names)
        },
        index=province.index,
    )
    frame["invalid"] = np.array([r[4] for r in rows], dtype=bool)[codes64]
    return frame


@functools.cache
def ward_communes() -> dict[str, frozenset[str]]:
    """Pre-2025 ward code -> the 2025-07 communes it went into (usually one), 2025-07-01.

    From the package's official ward conversion table.
    """
    from vietnam_provinces import _ward_conversion_2025 as conversion

    return {
        f"{int(entry.old_ward.code):05d}": frozenset(f"{int(w.code):05d}" for w in entry.new_wards)
        for entry in conversion.OLD_TO_NEW.values()
    }


@functools.cache
def district_communes() -> dict[str, frozenset[str]]:
    """Pre-2025 district code -> the 2025-07 communes its wards went into.

    A district whose wards are not in the conversion table is absent.
    """
    wards = _reference().wards_legacy
    communes: dict[str, set[str]] = {}
    for ward, targets in ward_communes().items():
        if ward in wards:
            communes.setdefault(wards[ward], set()).update(targets)
    return {district: frozenset(codes) for district, codes in communes.items()}


@functools.cache
def commune_districts() -> dict[str, str]:
    """2025-07 commune code -> the pre-2025 district that gave it most of its wards.

    The office that served that district serves the commune. A commune formed from wards of
    several districts (308 of 3,321) goes to the one that gave most wards, the lowest code
    on a tie (54); the few communes no old ward went into are absent.
    """
    wards = _reference().wards_legacy
    counts: dict[str, dict[str, int]] = {}
    for ward, communes in ward_communes().items():
        district = wards.get(ward)
        if district is None:
            continue
        for commune in communes:
            given = counts.setdefault(commune, {})
            given[district] = given.get(district, 0) + 1
    return {
        commune: min(given, key=lambda district: (-given[district], district))
        for commune, given in counts.items()
    }


def commune_province(commune: str) -> str | None:
    """2025-07 province code of a 2025-07 commune (ward) code; None when unknown."""
    return _reference().wards_2025.get(commune)


def district_province(district: str) -> str | None:
    """Pre-2025 province code of a pre-2025 district code; None when unknown."""
    found = _reference().districts_legacy.get(district)
    return found[0] if found else None


def pre2025_districts() -> pd.DataFrame:
    """Every pre-2025 district with its province, sorted by district code.

    Returns:
        Frame of ``province_code``, ``province_name``, ``district_code``,
        ``district_name`` (Arrow strings), one row per district (696).
    """
    ref = _reference()
    rows = sorted(ref.districts_legacy.items())
    frame = pd.DataFrame(
        {
            "province_code": [province for _, (province, _) in rows],
            "province_name": [ref.provinces_legacy[province] for _, (province, _) in rows],
            "district_code": [district for district, _ in rows],
            "district_name": [name for _, (_, name) in rows],
        }
    )
    return frame.astype(pd.ArrowDtype(pa.string()))
