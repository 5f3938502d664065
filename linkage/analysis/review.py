"""``linkage review``: a clerical-review sheet of pairs near the thresholds, and its labels.

``export_review`` samples each payroll row's best pair (as the run chose it) in three strata
of match probability: just below the review threshold, the review band, and just above the
match threshold, "just" meaning within ``WINDOW_BITS`` log2 units of odds. Each stratum is
sampled by outreach unit in proportion to its pairs (largest remainders, seeded), so the
labels describe the pairs near the thresholds district by district. One sheet puts the
payroll row and the registry record field beside field: name, birth date, sex, employer
and citizen ID (masked, ``*********345``), with the match probability, each comparison's
level in words, and a ``decision`` column restricted to match / non-match / unsure. Every
text cell is defused against formula injection (``write.excel.defuse``).

``read_review`` reads the decisions back as labels (``linkage.load.labels``); blank decisions
are left out. Labels from the sheet carry SI codes as the sheet showed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from linkage.analysis.runs import OpenedRun, best_pairs, decide_as_run, record_export
from linkage.errors import InputError
from linkage.load.labels import Label, parse_label
from linkage.privacy import mask_citizen_codes, mask_ids
from linkage.schema import UNIT_KEYS
from linkage.write.excel import FORMULA_TRIGGERS, GENDERS, defuse, fit_widths, style_table
from linkage.write.files import check_new_file, create_new_file

WINDOW_BITS: Final = 3.0  # "near" a threshold: odds within a factor 2**3 = 8 of it
SHEET: Final = "review"
STRATA: Final = ("below_review", "review", "above_match")
DECISIONS: Final = ("match", "non-match", "unsure")
# The person fields shown side by side: payroll value, then the registry's.
FIELDS: Final = {
    "full_name": "Họ và tên",
    "birth": "Ngày sinh",
    "gender": "Giới tính",
    "employer_tax_code": "MST đơn vị",
    "employer_name": "Tên đơn vị",
    "national_id": "Số CCCD che",
}
COMPARISON_NAMES: Final = {
    "full_name": "họ tên",
    "birth_date": "ngày sinh",
    "sex": "giới tính",
    "employer": "đơn vị",
    "national_id": "CCCD",
}
HEADERS: Final = {
    "pair": "STT",
    "stratum": "Nhóm mẫu",
    "unit": "Đơn vị (tỉnh-huyện)",
    "record_id": "Mã bản ghi",
    "si_code": "Mã số BHXH",
    "match_probability": "Xác suất khớp",
    "run_band": "Kết quả lần chạy",
    "decision": "Kết luận (match / non-match / unsure)",
}


@dataclass(frozen=True)
class ReviewExport:
    """What was written: the file and pairs per stratum."""

    path: Path
    pairs: dict[str, int]
    windows: dict[str, tuple[float, float]]  # probability range of each stratum


def _probability(bits: float) -> float:
    return float(1.0 / (1.0 + 2.0 ** (-bits)))


def _logit(probability: float) -> float:
    return float(np.log2(probability / (1.0 - probability)))


def strata_windows(review: float, match: float) -> dict[str, tuple[float, float]]:
    """The probability range ``[low, high)`` of each stratum for the run's thresholds."""
    return {
        "below_review": (_probability(_logit(review) - WINDOW_BITS), review),
        "review": (review, match),
        "above_match": (match, _probability(_logit(match) + WINDOW_BITS)),
    }


def allocate(sizes: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Per group, how many to sample: proportional, largest remainders, ties at random."""
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.sum() <= total:
        return sizes
    quota = sizes * total / sizes.sum()
    take: np.ndarray = np.floor(quota).astype(np.int64)
    order = np.lexsort((rng.random(len(sizes)), -(quota - take)))
    take[order[: total - int(take.sum())]] += 1
    return take


def sample_pairs(
    pairs: pd.DataFrame, windows: dict[str, tuple[float, float]], per_band: int, seed: int
) -> pd.DataFrame:
    """Up to ``per_band`` pairs per stratum, stratified by unit, with a ``stratum`` column.

    ``pairs`` holds ``record_id``, ``match_probability`` and ``unit``; the draw depends only
    on them and ``seed``, not on their order. Within a unit, the pairs with the smallest
    random keys are taken.
    """
    rng = np.random.default_rng(seed)
    ordered = pairs.sort_values(["unit", "record_id"], kind="stable").reset_index(drop=True)
    p = ordered["match_probability"].to_numpy(dtype="float64")
    chosen = []
    for stratum in STRATA:
        low, high = windows[stratum]
        inside = ordered[(p >= low) & (p < high)].reset_index(drop=True)
        unit = inside["unit"].astype(object)
        sizes = unit.value_counts(sort=False).sort_index()
        quota = pd.Series(allocate(sizes.to_numpy(), per_band, rng), index=sizes.index)
        keys = pd.Series(rng.random(len(inside)))
        rank = keys.groupby(unit.to_numpy()).rank(method="first").to_numpy()
        keep = rank <= unit.map(quota).to_numpy(dtype="float64")
        chosen.append(inside[keep].assign(stratum=stratum))
    return pd.concat(chosen, ignore_index=True)


def _birth(frame: pd.DataFrame) -> pd.Series:
    """Birth date as dd/mm/yyyy, else the year alone, else blank."""
    dates = pd.to_datetime(frame["birth_date"].astype(object), errors="coerce")
    years = frame["birth_year"].astype(object)
    text = dates.dt.strftime("%d/%m/%Y").astype(object)
    return text.where(dates.notna(), years.map(lambda y: "" if pd.isna(y) else str(int(y))))


def _people(table: pd.DataFrame, businesses: pd.DataFrame) -> pd.DataFrame:
    """The shown fields of a payroll or insured table, IDs masked."""
    registry = businesses.dropna(subset=["tax_code"]).drop_duplicates("tax_code")
    names = pd.Series(registry["name"].astype(object).to_numpy(), index=registry["tax_code"])
    roots = registry.drop_duplicates("employer_root").set_index("employer_root")["name"]
    employer = table["employer_tax_code"].astype(object)
    employer_name = employer.map(names).fillna(table["employer_root"].astype(object).map(roots))
    return pd.DataFrame(
        {
            "full_name": table["full_name"].astype(object),
            "birth": _birth(table),
            "gender": table["gender"].astype(object).map(GENDERS),
            "employer_tax_code": mask_citizen_codes(employer.astype("string")).astype(object),
            "employer_name": employer_name.astype(object),
            "national_id": mask_ids(table["national_id"]).astype(object),
        }
    )


def review_frame(run: OpenedRun, per_band: int, seed: int) -> pd.DataFrame:
    """The sampled pairs with both records' fields and the levels in words, sheet order."""
    pairs = best_pairs(run, run.match_probability)
    dispositions = decide_as_run(run, pairs)
    units = dispositions[["record_id", *UNIT_KEYS]].astype(object)
    units["unit"] = units["province_code"] + "-" + units["district_code"]
    pairs = pairs.astype({"record_id": object, "si_code": object}).merge(
        units[["record_id", "unit"]], on="record_id", how="left"
    )
    windows = strata_windows(run.review_probability, run.match_probability)
    chosen = sample_pairs(pairs, windows, per_band, seed)
    payroll = run.payroll.set_axis(run.payroll["record_id"].astype(object))
    insured = run.insured.set_axis(run.insured["si_code"].astype(object))
    left = _people(payroll.loc[chosen["record_id"]], run.businesses).reset_index(drop=True)
    right = _people(insured.loc[chosen["si_code"]], run.businesses).reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "pair": np.arange(1, len(chosen) + 1),
            "stratum": chosen["stratum"].to_numpy(object),
            "unit": chosen["unit"].to_numpy(object),
            "record_id": chosen["record_id"].to_numpy(object),
            "si_code": mask_citizen_codes(chosen["si_code"].astype("string")).to_numpy(object),
        }
    )
    for field in FIELDS:
        frame[f"payroll_{field}"] = left[field].to_numpy(object)
        frame[f"insured_{field}"] = right[field].to_numpy(object)
    for params in run.model.comparisons:
        gamma = chosen[f"gamma_{params.name}"].to_numpy(dtype=np.int64)
        words = [p.replace("_", " ") for p in params.levels]
        frame[f"level_{params.name}"] = [words[g] if g >= 0 else "missing" for g in gamma]
    frame["match_probability"] = chosen["match_probability"].to_numpy(dtype="float64").round(4)
    frame["run_band"] = chosen["band"].astype(object).to_numpy()
    frame["decision"] = None
    return frame


def _headers(frame: pd.DataFrame) -> list[str]:
    headers = []
    for column in frame.columns:
        side, _, field = column.partition("_")
        if column.startswith(("payroll_", "insured_")):
            headers.append(f"{FIELDS[field]} ({'thuế' if side == 'payroll' else 'BHXH'})")
        elif column.startswith("level_"):
            name = column.removeprefix("level_")
            headers.append(f"So sánh {COMPARISON_NAMES.get(name, name)}")
        else:
            headers.append(HEADERS[column])
    return headers


def _write_workbook(path: Path, frame: pd.DataFrame) -> None:
    """One sheet, text defused, the decision column a drop-down list; then instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(_headers(frame))
    cells = frame.copy()
    for column in cells.columns:
        if cells[column].dtype == object:
            cells[column] = defuse(cells[column]).astype(object)
    values = cells.astype(object).where(cells.notna(), None)
    for row in values.itertuples(index=False):
        sheet.append(list(row))
    style_table(sheet, freeze="E2")
    decision = get_column_letter(len(frame.columns))
    sheet[f"{decision}1"].fill = PatternFill("solid", fgColor="FFF2CC")
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Kết luận",
        error="match, non-match hoặc unsure",
    )
    sheet.add_data_validation(choices)
    choices.add(f"{decision}2:{decision}{max(len(frame), 1) + 1}")
    fit_widths(sheet, least=10, most=32)
    notes = workbook.create_sheet("huong_dan")
    for line in (
        "Mỗi dòng là một cặp: bản ghi tờ khai thuế và sổ BHXH, từng trường cạnh nhau.",
        "Cột Kết luận: match (cùng một người), non-match (khác người), unsure (chưa rõ).",
        "Each row pairs a payroll record with a registry record, field beside field.",
        "Decision: match (same person), non-match (different people), unsure; blank = not "
        "reviewed. Do not edit other columns; read back with: linkage review import FILE.",
    ):
        notes.append([line])
    if any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row):
        msg = "review: a formula cell survived defusing"  # a bug, not a user error
        raise AssertionError(msg)
    workbook.save(path)


def export_review(run: OpenedRun, out: Path, *, per_band: int, seed: int) -> ReviewExport:
    """Write the review sheet to ``out`` (new .xlsx) and record the export in the manifest.

    Raises:
        ConfigError: ``out`` exists or is not a new .xlsx path.
    """
    check_new_file(out, (".xlsx",))
    frame = review_frame(run, per_band, seed)
    create_new_file(out, lambda temp: _write_workbook(temp, frame))
    record_export(run.folder, out, kind="review_sheet", rows=len(frame))
    counts = frame["stratum"].value_counts()
    return ReviewExport(
        path=out,
        pairs={s: int(counts.get(s, 0)) for s in STRATA},
        windows=strata_windows(run.review_probability, run.match_probability),
    )


def _text(value: object) -> str | None:
    """A cell as text, the apostrophe ``defuse`` put before a formula trigger removed."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text or None


def read_review(path: Path) -> tuple[pd.DataFrame, int]:
    """Labels (record_id, si_code, label) from a filled sheet, and how many rows are blank.

    Raises:
        InputError: not a workbook, no review sheet or header, or rows lacking their ids or
            holding an unknown decision (every such row named, once).
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zip, key and value errors alike
        msg = f"{path}: not an Excel workbook written by linkage review export"
        raise InputError(msg) from e
    try:
        if SHEET not in workbook.sheetnames:
            msg = f"{path}: no sheet {SHEET!r} (sheets: {', '.join(workbook.sheetnames)})"
            raise InputError(msg)
        rows = list(workbook[SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(v).strip() if v is not None else "" for v in (rows[0] if rows else ())]
    wanted = {key: HEADERS[key] for key in ("record_id", "si_code", "decision")}
    missing = [text for text in wanted.values() if text not in header]
    if missing:
        msg = f"{path}: sheet {SHEET!r} row 1 lacks the columns {missing}; export a new sheet"
        raise InputError(msg)
    at = {key: header.index(text) for key, text in wanted.items()}
    labels, problems, blank = [], [], 0
    allowed = ", ".join(DECISIONS)
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: _text(row[i]) if i < len(row) else None for key, i in at.items()}
        if not any(cells.values()):
            continue
        if cells["decision"] is None:
            blank += 1
            continue
        label = parse_label(cells["decision"])
        if label is None:
            shown = cells["decision"][:20]
            problems.append(f"{path}: row {number}: decision {shown!r} is not one of {allowed}")
        if cells["record_id"] is None or cells["si_code"] is None:
            problems.append(f"{path}: row {number}: the record ids were deleted")
        if label is not None and cells["record_id"] and cells["si_code"]:
            labels.append((cells["record_id"], cells["si_code"], label.value))
    if problems:
        raise InputError("\n".join(problems))
    frame = pd.DataFrame(labels, columns=["record_id", "si_code", "label"])
    return frame, blank


def import_review(path: Path, out: Path) -> dict[str, int]:
    """Write the labels of a filled sheet to ``out`` (new .csv); count per label and blank.

    Raises:
        InputError: the sheet cannot be read (see ``read_review``).
        ConfigError: ``out`` exists or is not a new .csv path.
    """
    check_new_file(out, (".csv",))
    frame, blank = read_review(path)
    create_new_file(out, lambda temp: frame.to_csv(temp, index=False))
    counts = frame["label"].value_counts()
    return {**{label.value: int(counts.get(label.value, 0)) for label in Label}, "blank": blank}
