"""Synthetic enterprise registry: valid MSTs, branches, real pre-2025 units, Zipf sizes.

Units come from ``vietnam_provinces.legacy`` (official 63 provinces / 696 districts /
10,051 wards before the 2025 reform), so every province, district and ward code is real and
the three are consistent with each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth import names_data
from linkage.tools.synth.ids import StrArray, random_mst, zero_pad

STATUS_P: Final = {"active": 0.90, "suspended": 0.04, "closed": 0.06}
BRANCH_SHARE: Final = 0.08
WARD_FILLED: Final = 0.7
# Business shares of the largest economic centres (GSO enterprise census, rounded);
# the other provinces share the rest evenly.
PROVINCE_WEIGHT: Final = {79: 30.0, 1: 24.0, 74: 6.0, 75: 4.0, 31: 3.5, 48: 3.0, 27: 2.0, 80: 1.5}
# Tax-department prefixes of the largest cities; elsewhere a plausible random prefix.
MST_PREFIX: Final = {1: 1, 79: 3, 31: 2, 48: 4}


@dataclass(frozen=True)
class Units:
    """Pre-2025 administrative units as parallel arrays."""

    province_code: npt.NDArray[np.int64]
    province_name: tuple[str, ...]
    district_code: npt.NDArray[np.int64]
    district_province: npt.NDArray[np.int64]  # index into province arrays
    district_name: tuple[str, ...]
    ward_code: npt.NDArray[np.int64]
    ward_district: npt.NDArray[np.int64]  # index into district arrays
    ward_name: tuple[str, ...]


@lru_cache(maxsize=1)
def units() -> Units:
    """Load the pre-2025 provinces, districts and wards once."""
    from vietnam_provinces.legacy import District, Province, Ward

    provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
    p_index = {int(p.code): i for i, p in enumerate(provinces)}
    districts = sorted(District.iter_all(), key=lambda d: int(d.code))
    d_index = {int(d.code): i for i, d in enumerate(districts)}
    wards = sorted(Ward.iter_all(), key=lambda w: int(w.code))
    return Units(
        province_code=np.array([int(p.code) for p in provinces], dtype=np.int64),
        province_name=tuple(p.name for p in provinces),
        district_code=np.array([int(d.code) for d in districts], dtype=np.int64),
        district_province=np.array([p_index[int(d.province_code)] for d in districts]),
        district_name=tuple(d.name for d in districts),
        ward_code=np.array([int(w.code) for w in wards], dtype=np.int64),
        ward_district=np.array([d_index[int(w.district_code)] for w in wards]),
        ward_name=tuple(w.name for w in wards),
    )


def province_weights(codes: npt.NDArray[np.int64], *, default: float) -> npt.NDArray[np.float64]:
    """Probability of each province, the big centres weighted per ``PROVINCE_WEIGHT``."""
    weights = np.array([PROVINCE_WEIGHT.get(int(c), default) for c in codes], dtype=np.float64)
    return weights / weights.sum()


def _short_province(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _locations(
    rng: np.random.Generator, u: Units, n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Province, district and ward (-1 where the district has none) row of each business."""
    prov_idx = rng.choice(
        u.province_code.size, size=n, p=province_weights(u.province_code, default=0.5)
    )
    # A district of the chosen province, uniformly: sort districts by province and offset.
    order = np.argsort(u.district_province, kind="stable")
    counts = np.bincount(u.district_province, minlength=u.province_code.size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    dist_idx = order[starts[prov_idx] + (rng.random(n) * counts[prov_idx]).astype(np.int64)]
    w_order = np.argsort(u.ward_district, kind="stable")
    w_counts = np.bincount(u.ward_district, minlength=u.district_code.size)
    w_starts = np.concatenate([[0], np.cumsum(w_counts)[:-1]])
    has_ward = w_counts[dist_idx] > 0
    ward_pick = (rng.random(n) * np.maximum(w_counts[dist_idx], 1)).astype(np.int64)
    ward_idx = np.where(
        has_ward, w_order[np.minimum(w_starts[dist_idx] + ward_pick, w_order.size - 1)], -1
    )
    return prov_idx, dist_idx, ward_idx


def _tax_codes(
    rng: np.random.Generator, province: npt.NDArray[np.int64]
) -> tuple[StrArray, StrArray, npt.NDArray[np.int64]]:
    """Tax code, root tax code and parent row (itself unless a branch) of each business.

    A share of rows become branch units of another, non-branch business.
    """
    n = province.size
    prefix = np.array([MST_PREFIX.get(int(p), 0) for p in province], dtype=np.int64)
    prefix = np.where(prefix > 0, prefix, rng.integers(5, 64, size=n))
    root = random_mst(rng, n, prefix)
    is_branch = rng.random(n) < BRANCH_SHARE
    is_branch[0] = False
    parents = np.flatnonzero(~is_branch)
    parent = np.arange(n)
    parent[is_branch] = parents[rng.integers(0, parents.size, size=int(is_branch.sum()))]
    suffix = np.zeros(n, dtype=np.int64)
    branch_rows = np.flatnonzero(is_branch)
    # Number the branches of each parent 001, 002, ... in row order.
    ranks = pd.Series(parent[branch_rows]).groupby(parent[branch_rows]).cumcount().to_numpy()
    suffix[branch_rows] = ranks + 1
    root = np.where(is_branch, root[parent], root)
    tax_code = np.where(is_branch, root + zero_pad(suffix, 3), root).astype(object)
    return tax_code, root, parent


def _names_and_addresses(
    rng: np.random.Generator,
    u: Units,
    rows: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]],
    parent: npt.NDArray[np.int64],
) -> tuple[list[str], list[str]]:
    """A trade name and street address per business; a branch is named after its parent."""
    prov_idx, dist_idx, ward_idx = rows
    n = prov_idx.size
    forms = [f for f, _ in names_data.LEGAL_FORMS]
    form_p = np.array([p for _, p in names_data.LEGAL_FORMS])
    form = rng.choice(len(forms), size=n, p=form_p / form_p.sum())
    trade = rng.integers(0, len(names_data.TRADES), size=n)
    brand = rng.integers(0, len(names_data.BRANDS), size=n)
    street = rng.integers(0, len(names_data.STREETS), size=n)
    house = rng.integers(1, 400, size=n)
    names: list[str] = []
    addresses: list[str] = []
    for i in range(n):  # per-business Python: the business table is small
        own = f"{forms[form[i]]} {names_data.TRADES[trade[i]]} {names_data.BRANDS[brand[i]]}"
        names.append(own)
        parts = [f"Số {house[i]}, đường {names_data.STREETS[street[i]]}"]
        if ward_idx[i] >= 0:
            parts.append(u.ward_name[ward_idx[i]])
        parts += [u.district_name[dist_idx[i]], u.province_name[prov_idx[i]]]
        addresses.append(", ".join(parts))
    for i in np.flatnonzero(parent != np.arange(n)).tolist():
        where = _short_province(u.province_name[prov_idx[i]])
        names[i] = f"Chi nhánh {names[parent[i]]} tại {where}"
    return names, addresses


def generate_businesses(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Generate ``n`` businesses (clean, canonical columns).

    Returns:
        Columns ``tax_code`` (compact, 10 or 13 digits), ``employer_root``, ``name``,
        ``address``, ``province_code``, ``district_code``, ``ward_code`` ("" when unknown),
        ``status`` (active | suspended | closed), ``registered_on`` (datetime64[D]) and
        ``size_weight`` (relative number of employees, heavy-tailed).
    """
    u = units()
    prov_idx, dist_idx, ward_idx = _locations(rng, u, n)
    province = u.province_code[prov_idx]
    tax_code, root, parent = _tax_codes(rng, province)
    names, addresses = _names_and_addresses(rng, u, (prov_idx, dist_idx, ward_idx), parent)
    status_names = list(STATUS_P)
    status = rng.choice(len(status_names), size=n, p=list(STATUS_P.values()))
    start, end = np.datetime64("1995-01-01"), np.datetime64("2025-06-30")
    span = int((end - start).astype(np.int64))
    registered = start + rng.integers(0, span, size=n).astype("timedelta64[D]")
    ward_code = np.where(
        (ward_idx >= 0) & (rng.random(n) < WARD_FILLED),
        zero_pad(u.ward_code[np.maximum(ward_idx, 0)], 5),
        "",
    )
    return pd.DataFrame(
        {
            "tax_code": tax_code,
            "employer_root": root,
            "name": names,
            "address": addresses,
            "province_code": zero_pad(province, 2),
            "district_code": zero_pad(u.district_code[dist_idx], 3),
            "ward_code": ward_code.astype(object),
            "status": np.array(status_names, dtype=object)[status],
            "registered_on": registered,
            "size_weight": rng.lognormal(0.0, 1.6, size=n),
        }
    )
