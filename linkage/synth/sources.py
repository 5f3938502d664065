"""Render the clean population as the three source files, noised, plus the ground truth.

Payroll noise is drawn per *entry* (a job as one employer declares it month after month, a
duplicate declaration, or an unusable row), so a worker's spelling is stable across the
periods of one declaration but differs between sources and between duplicates.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.synth.field_noise import format_tax_codes, noise_dates, noise_ids, split_dates
from linkage.synth.ids import as_text, sequence_ids
from linkage.synth.name_noise import BoolArray, StrArray, noise_names, scaled
from linkage.synth.scenarios import INSURED_SCENARIOS, TRUTH, Population, Scenario

PAYROLL_HEADERS: Final = {
    "record_id": "Mã bản ghi",
    "employer_tax_code": "MST đơn vị trả thu nhập",
    "person_tax_code": "MST cá nhân",
    "national_id": "Số CCCD/CMND",
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "nationality": "Quốc tịch",
    "period": "Kỳ tính thuế",
    "contract_months": "Thời hạn HĐLĐ (tháng)",
    "monthly_income": "Thu nhập chịu thuế",
}
INSURED_HEADERS: Final = {
    "si_code": "Mã số BHXH",
    "national_id": "Số CCCD",
    "full_name": "Họ tên",
    "birth_date": "Ngày tháng năm sinh",
    "gender": "Giới tính",
    "employer_tax_code": "Mã số thuế đơn vị",
    "status": "Trạng thái",
    "contribution_salary": "Mức lương đóng BHXH",
}
BUSINESS_HEADERS: Final = {
    "tax_code": "Mã số thuế",
    "name": "Tên doanh nghiệp",
    "address": "Địa chỉ",
    "province_code": "Mã tỉnh",
    "district_code": "Mã huyện",
    "ward_code": "Mã xã",
    "status": "Tình trạng hoạt động",
    "registered_on": "Ngày cấp",
}
GENDER: Final = {"M": "Nam", "F": "Nữ"}
SI_STATUS: Final = {"active": "Đang tham gia", "suspended": "Tạm dừng", "stopped": "Dừng tham gia"}
BUSINESS_STATUS: Final = {
    "active": "Đang hoạt động",
    "suspended": "Tạm ngừng kinh doanh",
    "closed": "Ngừng hoạt động",
}
PAYROLL_RATES: Final = {
    "duplicate": 0.01,  # same person, employer and period declared twice
    "rejected": 0.001,  # blank name, invalid employer MST or unparseable income
    "national_id_missing": 0.15,
    "birth_date_missing": 0.03,
    "gender_missing": 0.03,
    "period_iso": 0.20,  # YYYY-MM instead of MM/YYYY
}
INSURED_ID_MISSING: Final = 0.05
CMND_WRITTEN: Final = 0.10  # of CMND holders' rows, per source: the old CMND is written
REJECT_KINDS: Final = ("missing_name", "invalid_tax_code", "invalid_number")
UNPARSEABLE_INCOME: Final = "không rõ"


def payroll_sizes(payroll_rows: int, noise: float) -> tuple[int, int, int]:
    """Split the requested row count into (job rows, duplicates, rejects)."""
    n_dup = round(payroll_rows * scaled(PAYROLL_RATES["duplicate"], noise))
    n_reject = round(payroll_rows * scaled(PAYROLL_RATES["rejected"], noise))
    if noise > 0 and payroll_rows >= 100:
        n_reject = max(n_reject, len(REJECT_KINDS))
    return payroll_rows - n_dup - n_reject, n_dup, n_reject


def _id_column(
    rng: np.random.Generator, pop: Population, person: npt.NDArray[np.int64], scale: float
) -> tuple[StrArray, BoolArray]:
    """The national ID a source writes: the CCCD, or for some CMND holders the old CMND."""
    cccd = pop.persons["cccd"].to_numpy()[person]
    cmnd = pop.persons["cmnd"].to_numpy()[person]
    use_cmnd = (cmnd != "") & (rng.random(person.size) < scaled(CMND_WRITTEN, scale))
    return np.where(use_cmnd, cmnd, cccd), use_cmnd


def _person_columns(
    rng: np.random.Generator,
    pop: Population,
    person: npt.NDArray[np.int64],
    *,
    scale: float,
    id_missing: float,
    date_missing: float,
) -> tuple[dict[str, StrArray], dict[str, BoolArray]]:
    """Name, birth date, gender and national ID as one source writes them."""
    p = pop.persons
    take = {c: p[c].to_numpy()[person] for c in ("full_name", "surname", "middle", "given")}
    vietnamese = p["nationality"].to_numpy()[person] == "Việt Nam"
    names, masks = noise_names(
        rng, take["full_name"], take["surname"], take["middle"], take["given"], vietnamese,
        scale=scale,
    )  # fmt: skip
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")[person]
    dates, date_masks = noise_dates(rng, birth, missing=date_missing, scale=scale)
    masks.update(date_masks)
    national_id, masks["id_cmnd"] = _id_column(rng, pop, person, scale)
    national_id, id_masks = noise_ids(rng, national_id, missing=id_missing, scale=scale)
    masks.update(id_masks)
    return {"full_name": names, "birth_date": dates, "national_id": national_id}, masks


def render_payroll(
    rng: np.random.Generator, pop: Population, n_dup: int, n_reject: int, scale: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """The payroll source (Vietnamese headers, all text) and its ground truth.

    Returns:
        (payroll, truth_candidates, truth_links, noise counts per row).
    """
    jobs = pop.jobs
    n_jobs = len(jobs)
    job_of_row = np.repeat(np.arange(n_jobs), jobs["n_periods"].to_numpy())
    starts = np.cumsum(jobs["n_periods"].to_numpy()) - jobs["n_periods"].to_numpy()
    month_of_row = jobs["first_month"].to_numpy()[job_of_row] + (
        np.arange(job_of_row.size) - starts[job_of_row]
    )
    picks = rng.choice(job_of_row.size, size=n_dup + n_reject, replace=False)
    entry_job = np.concatenate([np.arange(n_jobs), job_of_row[picks]])
    entry_first = np.concatenate([jobs["first_month"].to_numpy(), month_of_row[picks]])
    entry_periods = np.concatenate([jobs["n_periods"].to_numpy(), np.ones(picks.size, np.int64)])
    kind = np.concatenate([np.zeros(n_jobs + n_dup, np.int8), np.full(n_reject, 2, np.int8)])
    kind[n_jobs : n_jobs + n_dup] = 1
    n_entries = entry_job.size

    person = jobs["person"].to_numpy()[entry_job]
    employer = jobs["employer"].to_numpy()[entry_job]
    cols, masks = _person_columns(
        rng, pop, person, scale=scale,
        id_missing=PAYROLL_RATES["national_id_missing"],
        date_missing=PAYROLL_RATES["birth_date_missing"],
    )  # fmt: skip
    compact_employer = pop.businesses["tax_code"].to_numpy()[employer]
    cols["employer_tax_code"], masks["tax_code_format"] = format_tax_codes(
        rng, compact_employer, scale=scale
    )
    persons = pop.persons
    legacy = persons["personal_tax_code"].to_numpy()[person]
    cccd = persons["cccd"].to_numpy()[person]
    u = rng.random(n_entries)
    cols["person_tax_code"] = np.where(
        (legacy != "") & ((u < 0.7) | (cccd == "")), legacy, np.where(u < 0.9, cccd, "")
    )
    sex = persons["sex"].to_numpy()[person]
    masks["gender_missing"] = rng.random(n_entries) < scaled(PAYROLL_RATES["gender_missing"], scale)
    gender_code = np.where(masks["gender_missing"], 2, np.where(sex == "M", 0, 1))
    cols["gender"] = np.array([GENDER["M"], GENDER["F"], ""], dtype=object)[gender_code]
    cols["nationality"] = persons["nationality"].to_numpy()[person]
    cols["contract_months"] = as_text(jobs["contract_months"].to_numpy()[entry_job])
    cols["monthly_income"] = as_text(jobs["monthly_income"].to_numpy()[entry_job])
    masks["period_iso"] = rng.random(n_entries) < scaled(PAYROLL_RATES["period_iso"], scale)

    # Unusable rows: each reject entry gets one defect, in turn.
    reject_rows = np.flatnonzero(kind == 2)
    reasons = np.full(n_entries, "", dtype=object)
    reasons[reject_rows] = np.resize(np.array(REJECT_KINDS, dtype=object), reject_rows.size)
    cols["full_name"][reasons == "missing_name"] = ""
    bad = np.flatnonzero(reasons == "invalid_tax_code")
    cols["employer_tax_code"][bad] = [
        c[:9] + str((int(c[9]) + 1) % 10) + (f"-{c[10:]}" if len(c) > 10 else "")
        for c in compact_employer[bad].tolist()
    ]
    cols["monthly_income"][reasons == "invalid_number"] = UNPARSEABLE_INCOME

    # Expand entries to monthly rows, then order as a filing would: period, employer.
    entry_of_row = np.repeat(np.arange(n_entries), entry_periods)
    entry_start = np.cumsum(entry_periods) - entry_periods
    month = entry_first[entry_of_row] + np.arange(entry_of_row.size) - entry_start[entry_of_row]
    # One int64 sort key: month, then employer, then a random tie-break. Rejected copies
    # sort after the row they copy, so an entry's first row is always a usable one.
    tie = rng.integers(0, 2**24, size=entry_of_row.size)
    tie[kind[entry_of_row] == 2] = 2**24
    key = (month * len(pop.businesses) + employer[entry_of_row]) * 2**25 + tie
    order = np.argsort(key, kind="stable")
    entry_of_row, month = entry_of_row[order], month[order]
    n_rows = entry_of_row.size
    record_id = sequence_ids("PR", n_rows, 8)
    # Periods: MM/YYYY, or YYYY-MM for the rows drawn for that variant.
    period_table = np.array(
        [f"{m:02d}/2026" for m in range(13)] + [f"2026-{m:02d}" for m in range(13)], dtype=object
    )
    period = period_table[month + 13 * masks["period_iso"][entry_of_row]]
    cols["record_id"] = record_id
    cols["period"] = period
    payroll = pd.DataFrame(
        {
            header: cols[c] if c in ("record_id", "period") else cols[c][entry_of_row]
            for c, header in PAYROLL_HEADERS.items()
        }
    )

    scenario = jobs["scenario"].to_numpy()[entry_job][entry_of_row]
    disposition = np.array([TRUTH[Scenario(s)][0] for s in range(len(Scenario))], dtype=object)
    reason = np.array([TRUTH[Scenario(s)][1] for s in range(len(Scenario))], dtype=object)
    row_reject = reasons[entry_of_row]
    truth = pd.DataFrame(
        {
            "record_id": record_id.astype(object),
            "person_id": persons["person_id"].to_numpy()[person[entry_of_row]],
            "employer_tax_code": compact_employer[entry_of_row],
            "disposition": np.where(row_reject != "", "rejected", disposition[scenario]),
            "reason": np.where(row_reject != "", row_reject, reason[scenario]),
        }
    )
    insured = pop.insured
    si_of_job = np.full(n_jobs, "", dtype=object)
    covered = insured["job"].to_numpy() >= 0
    si_of_job[insured["job"].to_numpy()[covered]] = insured["si_code"].to_numpy()[covered]
    row_si = si_of_job[entry_job[entry_of_row]]
    linked = (row_reject == "") & np.isin(scenario, INSURED_SCENARIOS)
    links = pd.DataFrame({"record_id": record_id[linked].astype(object), "si_code": row_si[linked]})
    counts = {k: int(m[entry_of_row].sum()) for k, m in masks.items()}
    counts["duplicate"] = int((kind[entry_of_row] == 1).sum())
    counts["rejected"] = int((kind[entry_of_row] == 2).sum())
    return payroll, truth, links, counts


def render_insured(
    rng: np.random.Generator, pop: Population, scale: float
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The insured-registry source (Vietnamese headers, all text) and its noise counts."""
    records = pop.insured
    person = records["person"].to_numpy()
    cols, masks = _person_columns(
        rng, pop, person, scale=scale, id_missing=INSURED_ID_MISSING, date_missing=0.0
    )
    compact = pop.businesses["tax_code"].to_numpy()[records["employer"].to_numpy()]
    cols["employer_tax_code"], masks["tax_code_format"] = format_tax_codes(
        rng, compact, scale=scale
    )
    sex = pop.persons["sex"].to_numpy()[person]
    columns = {
        "si_code": records["si_code"].to_numpy(dtype=object),
        "national_id": cols["national_id"],
        "full_name": cols["full_name"],
        "birth_date": cols["birth_date"],
        "gender": np.array([GENDER["M"], GENDER["F"]], dtype=object)[(sex == "F").astype(int)],
        "employer_tax_code": cols["employer_tax_code"],
        "status": records["status"].map(SI_STATUS).to_numpy(dtype=object),
        "contribution_salary": as_text(records["contribution_salary"].to_numpy()),
    }
    frame = pd.DataFrame({INSURED_HEADERS[c]: v for c, v in columns.items()})
    return frame, {k: int(m.sum()) for k, m in masks.items()}


def render_businesses(
    rng: np.random.Generator, pop: Population, scale: float
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The enterprise-registry source (Vietnamese headers, all text) and its noise counts."""
    b = pop.businesses
    codes, fmt_mask = format_tax_codes(rng, b["tax_code"].to_numpy(), scale=scale)
    registered = b["registered_on"].to_numpy().astype("datetime64[D]")
    year, month, day = split_dates(registered)
    written = np.array(
        [f"{d:02d}/{m:02d}/{y:04d}" for y, m, d in zip(year, month, day, strict=True)],
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "tax_code": codes,
            "name": b["name"].to_numpy(),
            "address": b["address"].to_numpy(),
            "province_code": b["province_code"].to_numpy(),
            "district_code": b["district_code"].to_numpy(),
            "ward_code": b["ward_code"].to_numpy(),
            "status": b["status"].map(BUSINESS_STATUS).to_numpy(),
            "registered_on": written,
        }
    )
    return frame.rename(columns=BUSINESS_HEADERS), {"tax_code_format": int(fmt_mask.sum())}
