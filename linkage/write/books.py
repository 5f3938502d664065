"""Per-office files: the Excel workbooks and ``index.csv``, named by office.

Parquet keeps its Hive layout ``candidates/unit=SCHEME_PP_CCC/part-0.parquet`` (codes only:
readers and tests read the folder as one dataset); ``index.csv`` beside it names each unit's
office and files, and each workbook is ``excel/SCHEME_PP_CCC_<office name>.xlsx``, the name
folded to ASCII so the file travels through any mail or zip tool.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from linkage.schema import UNIT_KEYS, CandidateReason, Change
from linkage.write.excel import PLACEHOLDER, OfficeBook, file_name, write_office_workbook
from linkage.write.files import Staging, make_dir
from linkage.write.tables import CANDIDATES, partitions, printable_frame, unit_name

INDEX = "index.csv"
# Entries a refresh closes: listed before, not now.
CLOSING = (
    Change.NOW_INSURED.value,
    Change.GONE_FROM_PAYROLL.value,
    Change.NO_LONGER_ELIGIBLE.value,
)


@dataclass(frozen=True)
class UnitFiles:
    """One outreach unit's office and where its lists are."""

    unit: str
    office_code: str
    office: str  # as shown: a placeholder name carries its flag
    placeholder: bool
    source: str | None
    counts: dict[str, int]
    excel: str | None


def _office(rows: pd.DataFrame) -> tuple[str, bool, str | None]:
    """The unit's office name as shown, whether any route is a placeholder, its source."""
    first = rows.iloc[0] if len(rows) else pd.Series(dtype=object)
    name = first.get("office")
    source = first.get("office_source")
    source = None if source is None or pd.isna(source) else str(source)
    flags = rows["office_placeholder"] if "office_placeholder" in rows else pd.Series([])
    placeholder = bool(flags.astype("boolean").fillna(value=False).any())
    if name is None or pd.isna(name):
        district = first.get("district_name")
        shown = str(district) if district is not None and not pd.isna(district) else "Chưa rõ"
        return shown, placeholder, source
    shown = str(name) + (PLACEHOLDER if placeholder and source is None else "")
    return shown, placeholder, source


def _units(candidates: pd.DataFrame, closed: pd.DataFrame | None) -> Iterator[tuple[str, Any]]:
    """Each unit's name with its candidates' row slice and its closed entries."""
    slices = dict(partitions(candidates))
    names = set(slices)
    by_unit: dict[str, pd.DataFrame] = {}
    if closed is not None and len(closed):
        keys = closed[UNIT_KEYS].astype("object").itertuples(index=False)
        labels = [unit_name(*(str(k) for k in key)) for key in keys]
        by_unit = {str(name): group for name, group in closed.groupby(labels, sort=False)}
        names |= set(by_unit)
    for name in sorted(names):
        part = candidates.iloc[slices[name]] if name in slices else candidates.iloc[0:0]
        yield name, (part, by_unit.get(name))


def closed_entries(changes: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """The previous entries a refresh no longer lists, with their shown fields."""
    gone = changes[changes["change"].astype("object").isin(CLOSING)]
    fields = [c for c in CANDIDATES.names if c in previous.columns and c not in UNIT_KEYS]
    shown = previous[fields].drop_duplicates("candidate_id").drop(columns=["reason"])
    merged = gone.merge(shown, on="candidate_id", how="left", sort=False)
    return printable_frame(merged, [f.name for f in CANDIDATES]).reset_index(drop=True)


def write_books(
    staging: Staging,
    candidates: pd.DataFrame,
    employers: pd.DataFrame,
    *,
    excel: bool,
    book: OfficeBook,
    changes: pd.DataFrame | None,
    previous: pd.DataFrame | None,
) -> list[UnitFiles]:
    """Write each office's workbook (when ``excel``) and ``index.csv``; what was written."""
    refresh = changes is not None and previous is not None
    closed = closed_entries(changes, previous) if refresh else None  # type: ignore[arg-type]
    new = set()
    if changes is not None:
        new = set(changes.loc[changes["change"] == Change.NEW.value, "candidate_id"])
    employer_unit = [
        unit_name(*(str(k) for k in key))
        for key in employers[UNIT_KEYS].astype("object").itertuples(index=False)
    ]
    written: list[UnitFiles] = []
    if excel:
        make_dir(staging.root / "excel")
    for unit, (rows, gone) in _units(candidates, closed):
        office, placeholder, source = _office(rows if len(rows) else gone)
        counts = rows["reason"].astype("object").value_counts()
        relative = None
        if excel:
            relative = f"excel/{unit}_{file_name(office.removesuffix(PLACEHOLDER))}.xlsx"
            path = staging.root / relative
            shown = rows.assign(is_new=rows["candidate_id"].isin(new)) if refresh else rows
            ranked = employers[[u == unit for u in employer_unit]]
            unit_book = OfficeBook(
                office=office,
                # the notice, without the note on where it was read (English)
                office_source=source.split(" [", 1)[0] if source else None,
                run_date=book.run_date,
                as_of=book.as_of,
                masked=book.masked,
                refresh=refresh,
            )
            write_office_workbook(path, unit_book, shown, ranked, gone)
            staging.finish_file(path, len(rows))
        code = str(rows.iloc[0]["district_code"]) if len(rows) else unit.rsplit("_", 1)[-1]
        written.append(
            UnitFiles(
                unit=unit,
                office_code=code,
                office=office,
                placeholder=placeholder,
                source=source,
                counts={r.value: int(counts.get(r.value, 0)) for r in CandidateReason},
                excel=relative,
            )
        )
    staging.write_bytes(INDEX, index_csv(written), rows=len(written))
    return written


def index_csv(units: list[UnitFiles]) -> bytes:
    """``index.csv``: per unit its office, files and entries per reason (UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    reasons = [r.value for r in CandidateReason]
    writer.writerow(
        [
            "unit",
            "office_code",
            "office",
            "office_placeholder",
            "office_source",
            "candidates_file",
            "excel_file",
            *reasons,
            "total",
        ]
    )
    for u in units:
        writer.writerow(
            [
                u.unit,
                u.office_code,
                u.office,
                "true" if u.placeholder else "false",
                u.source or "",
                f"candidates/unit={u.unit}/part-0.parquet" if sum(u.counts.values()) else "",
                u.excel or "",
                *[u.counts[r] for r in reasons],
                sum(u.counts.values()),
            ]
        )
    # a BOM so that Excel opens the Vietnamese names as UTF-8
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def run_day(started: dt.datetime) -> dt.date:
    """The run's date as the office reads it (Vietnam time, UTC+7)."""
    return (started.astimezone(dt.UTC) + dt.timedelta(hours=7)).date()
