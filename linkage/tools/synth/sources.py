"""Render the clean population as the three source files, noised, plus the ground truth.

Payroll noise is drawn per *entry* (a job as one employer declares it, a duplicate
declaration, or an unusable row), so a worker's spelling is stable across the monthly
periods of one declaration but differs between employers, between sources and between
duplicates. Some facts are withheld per *person* (a worker whose employers never record
the national ID), so a person's several payroll rows can all lack it.

Default rates (``noise_model``) are at least those of an independent validation set;
``noise`` scales them all.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth.field_noise import (
    BUSINESS_TAX_CODE_RATES,
    format_tax_codes,
    noise_dates,
    noise_ids,
    split_dates,
)
from linkage.tools.synth.ids import IntArray, as_text, sequence_ids
from linkage.tools.synth.name_noise import BoolArray, StrArray, noise_names, scaled
from linkage.tools.synth.noise_model import (
    CCCD_AS_TAX_CODE,
    INSURED_NOISE,
    PAYROLL_NOISE,
    PAYROLL_RATES,
    SourceNoise,
)
from linkage.tools.synth.people import REFERENCE_DATE
from linkage.tools.synth.scenarios import Population
from linkage.tools.synth.truth import PayrollRows, payroll_truth

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
    "closed_on": "Ngày đóng MST",
}
SI_STATUS: Final = {"active": "Đang tham gia", "suspended": "Tạm dừng", "stopped": "Dừng tham gia"}
BUSINESS_STATUS: Final = {
    "active": "Đang hoạt động",
    "suspended": "Tạm ngừng kinh doanh",
    "closed": "Ngừng hoạt động",
}
# Defects of whole rows, one per defect entry in turn. Only a row that identifies nobody is
# rejected (DOMAIN: missing is evidence); the others are usable rows with a field nulled.
DEFECT_KINDS: Final = ("no_identity", "invalid_tax_code", "invalid_number")
UNPARSEABLE_INCOME: Final = "không rõ"
GENDER_TEXT: Final = np.array(["Nam", "Nữ", "M", "F", ""], dtype=object)
TAX_YEAR: Final = int(REFERENCE_DATE.astype("datetime64[Y]").astype(np.int64)) + 1970
PERIODS: Final = ("annual", "monthly")


def payroll_sizes(payroll_rows: int, noise: float) -> tuple[int, int, int, int]:
    """Split the requested row count into (job rows, duplicates, exact copies, rejects)."""
    n_dup = round(payroll_rows * scaled(PAYROLL_RATES["duplicate"], noise))
    n_exact = round(payroll_rows * scaled(PAYROLL_RATES["exact_duplicate"], noise))
    n_reject = round(payroll_rows * scaled(PAYROLL_RATES["rejected"], noise))
    if noise > 0 and payroll_rows >= 100:
        n_reject = max(n_reject, len(DEFECT_KINDS))
    return payroll_rows - n_dup - n_exact - n_reject, n_dup, n_exact, n_reject


def _id_column(
    rng: np.random.Generator, pop: Population, person: npt.NDArray[np.int64], rate: float
) -> tuple[StrArray, BoolArray]:
    """The national ID a source writes: the CCCD, or for some CMND holders the old CMND."""
    cccd = pop.persons["cccd"].to_numpy()[person]
    cmnd = pop.persons["cmnd"].to_numpy()[person]
    use_cmnd = (cmnd != "") & (rng.random(person.size) < rate)
    return np.where(use_cmnd, cmnd, cccd), use_cmnd


def _person_columns(
    rng: np.random.Generator,
    pop: Population,
    person: npt.NDArray[np.int64],
    *,
    scale: float,
    noise: SourceNoise,
) -> tuple[dict[str, StrArray], dict[str, BoolArray]]:
    """Name, birth date, gender and national ID as one source writes them."""
    p = pop.persons
    n = person.size
    take = {c: p[c].to_numpy()[person] for c in ("full_name", "surname", "middle", "given")}
    vietnamese = p["nationality"].to_numpy()[person] == "Việt Nam"
    names, masks = noise_names(
        rng, take["full_name"], take["surname"], take["middle"], take["given"], vietnamese,
        scale=scale, rates=noise.names,
    )  # fmt: skip
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")[person]
    dates, date_masks = noise_dates(
        rng, birth, missing=noise.birth_date_missing, scale=scale, rates=noise.dates
    )
    masks.update(date_masks)
    national_id, masks["id_cmnd"] = _id_column(rng, pop, person, scaled(noise.cmnd_written, scale))
    withheld = rng.random(len(p)) < scaled(noise.id_withheld, scale)
    masks["id_withheld"] = withheld[person] & (national_id != "")
    national_id = np.where(masks["id_withheld"], "", national_id)
    national_id, id_masks = noise_ids(
        rng, national_id, missing=noise.id_missing, scale=scale, rates=noise.ids
    )
    id_masks["id_missing"] |= masks["id_withheld"]
    masks.update(id_masks)
    female = p["sex"].to_numpy()[person] == "F"
    masks["gender_missing"] = rng.random(n) < scaled(noise.gender_missing, scale)
    masks["gender_code"] = ~masks["gender_missing"] & (
        rng.random(n) < scaled(noise.gender_code, scale)
    )
    code = np.where(masks["gender_missing"], 4, 2 * masks["gender_code"] + female)
    columns = {
        "full_name": names,
        "birth_date": dates,
        "national_id": national_id,
        "gender": GENDER_TEXT[code],
    }
    return columns, masks


def _person_tax_codes(
    rng: np.random.Generator, pop: Population, person: npt.NDArray[np.int64], scale: float
) -> tuple[StrArray, BoolArray]:
    """The personal tax code of each row: one per person, the same on all of their rows."""
    persons = pop.persons
    legacy = persons["personal_tax_code"].to_numpy()
    cccd = persons["cccd"].to_numpy()
    as_cccd = (legacy == "") & (cccd != "") & (rng.random(len(persons)) < CCCD_AS_TAX_CODE)
    written = np.where(legacy != "", legacy, np.where(as_cccd, cccd, ""))[person]
    missing = (written != "") & (
        rng.random(person.size) < scaled(PAYROLL_RATES["tax_id_missing"], scale)
    )
    return np.where(missing, "", written).astype(object), missing


class _Entries(NamedTuple):
    """Payroll entries: each job, then duplicate declarations and defect rows of one period."""

    job: IntArray  # row of pop.jobs
    first_month: IntArray
    periods: IntArray
    kind: npt.NDArray[np.int8]  # 0 a job, 1 a duplicate declaration, 2 a defect row


def _draw_entries(
    rng: np.random.Generator, jobs: pd.DataFrame, n_dup: int, n_reject: int
) -> _Entries:
    """The jobs as entries, plus duplicates and defects copying one period of a random job."""
    n_jobs = len(jobs)
    n_periods = jobs["n_periods"].to_numpy()
    job_of_row = np.repeat(np.arange(n_jobs), n_periods)
    starts = np.cumsum(n_periods) - n_periods
    month_of_row = jobs["first_month"].to_numpy()[job_of_row] + (
        np.arange(job_of_row.size) - starts[job_of_row]
    )
    picks = rng.choice(job_of_row.size, size=n_dup + n_reject, replace=False)
    kind = np.concatenate([np.zeros(n_jobs + n_dup, np.int8), np.full(n_reject, 2, np.int8)])
    kind[n_jobs : n_jobs + n_dup] = 1
    return _Entries(
        job=np.concatenate([np.arange(n_jobs), job_of_row[picks]]),
        first_month=np.concatenate([jobs["first_month"].to_numpy(), month_of_row[picks]]),
        periods=np.concatenate([n_periods, np.ones(picks.size, np.int64)]),
        kind=kind,
    )


def _entry_columns(
    rng: np.random.Generator,
    pop: Population,
    entries: _Entries,
    scale: float,
    *,
    annual: bool,
) -> tuple[dict[str, StrArray], dict[str, BoolArray]]:
    """Each entry's payroll fields, noised, and the masks of the noise drawn."""
    jobs = pop.jobs
    person = jobs["person"].to_numpy()[entries.job]
    employer = jobs["employer"].to_numpy()[entries.job]
    cols, masks = _person_columns(rng, pop, person, scale=scale, noise=PAYROLL_NOISE)
    compact_employer = pop.businesses["tax_code"].to_numpy()[employer]
    cols["employer_tax_code"], tax_masks = format_tax_codes(
        rng, compact_employer, scale=scale, rates=PAYROLL_NOISE.tax_codes
    )
    masks.update(tax_masks)
    cols["person_tax_code"], masks["tax_id_missing"] = _person_tax_codes(rng, pop, person, scale)
    cols["nationality"] = pop.persons["nationality"].to_numpy()[person]
    cols["contract_months"] = as_text(jobs["contract_months"].to_numpy()[entries.job])
    cols["monthly_income"] = as_text(jobs["monthly_income"].to_numpy()[entries.job])
    n_entries = entries.job.size
    masks["period_iso"] = ~np.full(n_entries, annual) & (
        rng.random(n_entries) < scaled(PAYROLL_RATES["period_iso"], scale)
    )
    return cols, masks


def _apply_defects(
    cols: dict[str, StrArray], kind: npt.NDArray[np.int8], compact_employer: StrArray
) -> StrArray:
    """Give each defect entry one defect, in turn, in place; return each entry's defect."""
    reject_rows = np.flatnonzero(kind == 2)
    reasons = np.full(kind.size, "", dtype=object)
    reasons[reject_rows] = np.resize(np.array(DEFECT_KINDS, dtype=object), reject_rows.size)
    for column in ("full_name", "national_id", "person_tax_code"):
        cols[column][reasons == "no_identity"] = ""
    bad = np.flatnonzero(reasons == "invalid_tax_code")
    cols["employer_tax_code"][bad] = [
        c[:9] + str((int(c[9]) + 1) % 10) + (f"-{c[10:]}" if len(c) > 10 else "")
        for c in compact_employer[bad].tolist()
    ]
    cols["monthly_income"][reasons == "invalid_number"] = UNPARSEABLE_INCOME
    return reasons


def _filing_order(
    rng: np.random.Generator, entries: _Entries, employer: IntArray, n_businesses: int
) -> tuple[IntArray, IntArray]:
    """Entries expanded to their periods, ordered as a filing would: period, employer.

    Returns each row's entry and month.
    """
    entry_of_row = np.repeat(np.arange(entries.job.size), entries.periods)
    entry_start = np.cumsum(entries.periods) - entries.periods
    month = (
        entries.first_month[entry_of_row] + np.arange(entry_of_row.size) - entry_start[entry_of_row]
    )
    # One int64 sort key: month, then employer, then a random tie-break. Rejected copies
    # sort after the row they copy, so an entry's first row is always a usable one.
    tie = rng.integers(0, 2**24, size=entry_of_row.size)
    tie[entries.kind[entry_of_row] == 2] = 2**24
    key = (month * n_businesses + employer[entry_of_row]) * 2**25 + tie
    order = np.argsort(key, kind="stable")
    return entry_of_row[order], month[order]


def _period_column(month: IntArray, iso: BoolArray, *, annual: bool) -> StrArray:
    """The tax year on every row, else the row's month as MM/YYYY or, where drawn, YYYY-MM."""
    if annual:
        return np.full(month.size, str(TAX_YEAR), dtype=object)
    period_table = np.array(
        [f"{m:02d}/{TAX_YEAR}" for m in range(13)] + [f"{TAX_YEAR}-{m:02d}" for m in range(13)],
        dtype=object,
    )
    period: StrArray = period_table[month + 13 * iso]
    return period


def _exact_copies(
    rng: np.random.Generator, payroll: pd.DataFrame, defect: StrArray, n_exact: int
) -> tuple[pd.DataFrame, int]:
    """Exact copies of usable rows, each somewhere after its original; and their number.

    As a re-exported batch appended to a file leaves them.
    """
    n_rows = len(payroll)
    usable = np.flatnonzero(defect == "")
    copies = np.sort(rng.choice(usable, size=min(n_exact, usable.size), replace=False))
    place = np.concatenate(
        [
            np.arange(n_rows, dtype=np.float64),
            copies + 0.5 + rng.random(copies.size) * (n_rows - copies - 0.5),
        ]
    )
    written = np.concatenate([np.arange(n_rows), copies])[np.argsort(place, kind="stable")]
    return payroll.iloc[written].reset_index(drop=True), int(copies.size)


def render_payroll(
    rng: np.random.Generator,
    pop: Population,
    sizes: tuple[int, int, int],
    scale: float,
    *,
    annual: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """The payroll source (Vietnamese headers, all text) and its ground truth.

    Args:
        rng: the random generator.
        pop: the clean population.
        sizes: (duplicate declarations, exact copies, rejects) to add to the job rows.
        scale: the noise scale.
        annual: write the tax year as every row's period (else the jobs' months).

    Returns:
        (payroll, truth_candidates, truth_links, noise counts per row). The truth has one
        row per distinct record_id.
    """
    n_dup, n_exact, n_reject = sizes
    jobs = pop.jobs
    entries = _draw_entries(rng, jobs, n_dup, n_reject)
    person = jobs["person"].to_numpy()[entries.job]
    employer = jobs["employer"].to_numpy()[entries.job]
    cols, masks = _entry_columns(rng, pop, entries, scale, annual=annual)
    compact_employer = pop.businesses["tax_code"].to_numpy()[employer]
    reasons = _apply_defects(cols, entries.kind, compact_employer)
    entry_of_row, month = _filing_order(rng, entries, employer, len(pop.businesses))
    record_id = sequence_ids("PR", entry_of_row.size, 8)
    cols["record_id"] = record_id
    cols["period"] = _period_column(month, masks["period_iso"][entry_of_row], annual=annual)
    payroll = pd.DataFrame(
        {
            header: cols[c] if c in ("record_id", "period") else cols[c][entry_of_row]
            for c, header in PAYROLL_HEADERS.items()
        }
    )
    rows = PayrollRows(
        record_id=record_id,
        scenario=jobs["scenario"].to_numpy()[entries.job][entry_of_row],
        person=person[entry_of_row],
        employer=employer[entry_of_row],
        defect=reasons[entry_of_row],
        month=month,
    )
    truth, links = payroll_truth(pop, rows, compact_employer[entry_of_row])
    counts = {k: int(m[entry_of_row].sum()) for k, m in masks.items()}
    counts["duplicate"] = int((entries.kind[entry_of_row] == 1).sum())
    counts["rejected"] = int((rows.defect == "no_identity").sum())
    for defect in DEFECT_KINDS[1:]:
        counts[defect] = int((rows.defect == defect).sum())
    payroll, counts["exact_duplicate"] = _exact_copies(rng, payroll, rows.defect, n_exact)
    return payroll, truth, links, counts


def render_insured(
    rng: np.random.Generator, pop: Population, scale: float
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The insured-registry source (Vietnamese headers, all text) and its noise counts."""
    records = pop.insured
    person = records["person"].to_numpy()
    cols, masks = _person_columns(rng, pop, person, scale=scale, noise=INSURED_NOISE)
    compact = pop.businesses["tax_code"].to_numpy()[records["employer"].to_numpy()]
    cols["employer_tax_code"], tax_masks = format_tax_codes(
        rng, compact, scale=scale, rates=INSURED_NOISE.tax_codes
    )
    masks.update(tax_masks)
    columns = {
        "si_code": records["si_code"].to_numpy(dtype=object),
        "national_id": cols["national_id"],
        "full_name": cols["full_name"],
        "birth_date": cols["birth_date"],
        "gender": cols["gender"],
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
    codes, masks = format_tax_codes(
        rng, b["tax_code"].to_numpy(), scale=scale, rates=BUSINESS_TAX_CODE_RATES
    )
    registered = b["registered_on"].to_numpy().astype("datetime64[D]")
    year, month, day = split_dates(registered)
    written = np.array(
        [f"{d:02d}/{m:02d}/{y:04d}" for y, m, d in zip(year, month, day, strict=True)],
        dtype=object,
    )
    # A closed business is dated in the year before the generated periods (2026): its
    # workers are excluded, as the engine excludes a closure dated before the period.
    closed = (b["status"] == "closed").to_numpy()
    closed_on = np.where(
        closed, [f"{min(d, 28):02d}/{m:02d}/2025" for d, m in zip(day, month, strict=True)], ""
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
            "closed_on": closed_on.astype(object),
        }
    )
    counts = {"tax_code_format": int(masks["tax_code_format"].sum())}
    return frame.rename(columns=BUSINESS_HEADERS), counts
