"""Publish a run: Parquet per district, employers, links, rejects, summary and a manifest.

The writer formats and records; it decides nothing. Layout of the output directory::

    candidates/unit=SCHEME_XX_YYY/part-0.parquet   outreach list, by priority
    employers/unit=SCHEME_XX_YYY/part-0.parquet    employers, by rank
    changes/unit=SCHEME_XX_YYY/part-0.parquet      a refresh (--previous): what became of
                                                   each entry since the previous run
    .linkage-key                                   HMAC key of candidate_id (owner only)
    links.parquet  rejects.parquet  summary.parquet
    index.csv                                      each unit's office, files, entries/reason
    excel/SCHEME_XX_YYY_<office>.xlsx              when excel=True: one workbook per office

SCHEME is ``pre-2025`` (a district, periods before the reform) or ``2025-07`` (an office:
YYY the pre-2025 district office it continues, ``eligibility.offices``); every file carries
``unit_scheme``, ``province_code`` and ``district_code`` as text with their leading zeros,
and one schema,
so ``pandas.read_parquet("out/candidates")`` and DuckDB's ``hive_partitioning`` read the
folder whole.
    model.json                                                     fitted link model, if given
    manifest.json                                                  run, accounting, exports

Workers whose employer is not in the business registry are listed under the unknown unit
``unit=pre-2025_00_000``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.privacy import KEY_FILE, keyed_ids
from linkage.schema import (
    EMPLOYERS,
    LINKS,
    REJECTS,
    UNIT_KEYS,
    CandidateReason,
    Disposition,
    UnitScheme,
)
from linkage.write.books import run_day, write_books
from linkage.write.changes import CHANGES, changes_table
from linkage.write.excel import OfficeBook
from linkage.write.files import ExportedFile, Staging, make_dir
from linkage.write.manifest import Accounting, InputFile, Manifest, RunInfo, account
from linkage.write.outdir import REPORT, is_linkage_output, output_lock, publication
from linkage.write.tables import (
    CANDIDATES,
    SUMMARY,
    mask_citizen_codes,
    mask_ids,
    partitions,
    printable_frame,
    published_candidates,
    summary_table,
    to_arrow,
)

__all__ = [
    "CANDIDATES",
    "CHANGES",
    "REPORT",
    "SUMMARY",
    "Accounting",
    "ExportedFile",
    "InputFile",
    "Manifest",
    "RunInfo",
    "empty_candidates",
    "format_summary",
    "format_totals",
    "is_linkage_output",
    "mask_ids",
    "output_lock",
    "publish",
    "summary_table",
]


def _schemes(candidates: pd.DataFrame) -> str:
    """The unit schemes the lists are coded in, comma-separated.

    A run spanning the 2025-07 reform lists its earlier periods by district, its later ones
    by commune; a run without candidates lists in none.
    """
    present = set(candidates["unit_scheme"].dropna())
    return ",".join(scheme.value for scheme in UnitScheme if scheme.value in present)


def _metadata(run: RunInfo) -> dict[str, str]:
    hashes = {f"{f.source}:{Path(f.path).name}": f.sha256 for f in run.inputs}
    return {
        "run_id": run.run_id,
        "rule_set": run.rule_set,
        "config_sha256": run.config_sha256,
        "linkage_version": run.linkage_version,
        "input_sha256": json.dumps(hashes, sort_keys=True),
    }


_WRITERS = 4  # threads writing the per-unit files


def _partitioned(
    staging: Staging, folder: str, frame: pd.DataFrame, schema: pa.Schema, meta: dict[str, str]
) -> None:
    frame = frame.sort_values(UNIT_KEYS, kind="stable")
    table = to_arrow(frame, schema)

    def write(unit: str, rows: slice) -> ExportedFile:
        relative = f"{folder}/unit={unit}/part-0.parquet"
        return staging.write_parquet(
            relative, table.slice(rows.start, rows.stop - rows.start), meta
        )

    # A province has hundreds of units, each a small file: Parquet writes them without the
    # GIL, so a few threads overlap the encoding, compression and hashing of several.
    units = partitions(frame)
    if units:
        make_dir(staging.root / folder)  # the units' shared parent, before the threads
    with ThreadPoolExecutor(_WRITERS) as threads:
        list(threads.map(lambda unit: write(*unit), units))


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Contract columns with their exact types, extra columns (gamma_*, weight_*) after."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [schema.field(n) if n in schema.names else table.schema.field(n) for n in frame]
    return table.cast(pa.schema(fields))


def _changes(
    previous: pd.DataFrame | None, candidates: pd.DataFrame, dispositions: pd.DataFrame, key: bytes
) -> pd.DataFrame | None:
    """For a refresh, what became of each previous entry; None without a previous run."""
    if previous is None:
        return None
    everyone = pd.DataFrame(
        {
            "candidate_id": keyed_ids(dispositions["entry_key"], key),
            "disposition": dispositions["disposition"],
        }
    )
    return changes_table(previous, candidates, everyone)


def _write_lists(
    staging: Staging,
    meta: dict[str, str],
    candidates: pd.DataFrame,
    employers: pd.DataFrame,
    changes: pd.DataFrame | None,
) -> None:
    """Write the per-unit folders: candidates, employers and, for a refresh, changes."""
    _partitioned(staging, "candidates", candidates, CANDIDATES, meta)
    _partitioned(staging, "employers", employers, EMPLOYERS, meta)
    if changes is not None:
        _partitioned(staging, "changes", changes, CHANGES, meta)


def _write_run_files(
    staging: Staging,
    meta: dict[str, str],
    *,
    links: pd.DataFrame,
    rejects: pd.DataFrame,
    summary: pd.DataFrame,
    mask_ids: bool,
) -> None:
    """Write the run-wide tables: links (citizen-ID SI codes masked if asked), rejects, summary."""
    if mask_ids:
        codes = ["si_code", "runner_up_si_code"]
        links = links.assign(**{c: mask_citizen_codes(links[c]) for c in codes})
    staging.write_parquet("links.parquet", _table(links, LINKS), meta)
    staging.write_parquet("rejects.parquet", _table(rejects, REJECTS), meta)
    staging.write_parquet("summary.parquet", to_arrow(summary, SUMMARY), meta)


def _office_book(run: RunInfo, *, masked: bool, refresh: bool) -> OfficeBook:
    """What every office's workbook shows besides its rows; the office is filled per book."""
    as_of = getattr(run, "as_of", None) or run.registration.get("as_of")
    return OfficeBook(
        office="",
        office_source=None,
        run_date=run_day(run.started_at),
        as_of=dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of,
        masked=masked,
        refresh=refresh,
    )


def _manifest(
    staging: Staging,
    out_dir: Path,
    run: RunInfo,
    accounting: Accounting,
    *,
    candidates: pd.DataFrame,
    changes: pd.DataFrame | None,
    mask_ids: bool,
    offices: dict[str, Any] | None,
) -> Manifest:
    """The manifest of the files staged so far (the key file left out), finished now."""
    return Manifest(
        run_id=run.run_id,
        output_dir=out_dir.resolve(),
        started_at=run.started_at.isoformat(),
        finished_at=dt.datetime.now(dt.UTC).isoformat(),
        linkage_version=run.linkage_version,
        rule_set=run.rule_set,
        crosswalk=run.crosswalk,
        config_sha256=run.config_sha256,
        unit_scheme=_schemes(candidates),
        mask_ids=mask_ids,
        inputs=run.inputs,
        accounting=accounting,
        link=run.link,
        registration=run.registration,
        files=tuple(sorted((f for f in staging.files if f.path != KEY_FILE), key=lambda f: f.path)),
        changes=None if changes is None else _counts(changes["change"]),
        previous_run_id=run.previous_run_id,
        model=run.model,
        key=run.key,
        offices=offices,
    )


def _write_manifest(
    staging: Staging, manifest: Manifest, report: Callable[[Path], None] | None
) -> Manifest:
    """Write ``manifest.json``, then the report from it, and name the report if written."""
    staging.write_bytes("manifest.json", manifest.to_json(), rows=0)
    if report is not None:
        report(staging.root)  # reads the staged manifest
        if (staging.root / REPORT).is_file():  # not beside a user's own report.html
            manifest = replace(manifest, report=REPORT)
            staging.write_bytes("manifest.json", manifest.to_json(), rows=0)
    return manifest


def publish(
    out_dir: Path,
    *,
    run: RunInfo,
    dispositions: pd.DataFrame,
    candidates: pd.DataFrame,
    employers: pd.DataFrame,
    summary: pd.DataFrame,
    links: pd.DataFrame,
    rejects: pd.DataFrame,
    mask_ids: bool = True,
    excel: bool = False,
    model: str | None = None,
    key: bytes,
    persist_key: bool = True,
    previous: pd.DataFrame | None = None,
    report: Callable[[Path], None] | None = None,
    offices: dict[str, Any] | None = None,
) -> Manifest:
    """Write every output of a run to ``out_dir`` atomically and return its manifest.

    Args:
        out_dir: Final output directory; an existing one is replaced as a whole.
        run: Run facts (id, start time, versions, config hash, input files and rows read).
        dispositions: ``eligibility.decide`` output: DISPOSITIONS plus unit columns.
        candidates: ``eligibility.candidate_table`` output: keyed and masked here.
        employers: ``eligibility.rank_employers`` output.
        summary: ``summary_table`` of the dispositions, which the caller also prints.
        links: Link-stage output (schema.LINKS plus comparison columns), written as given.
        rejects: All rejects of the run (schema.REJECTS).
        mask_ids: Mask national IDs, and SI codes that are citizen IDs, in every file.
        excel: Also write one workbook per office (``books.write_books``).
        model: The fitted linkage model as JSON, written to ``model.json`` when given.
        key: HMAC key of ``candidate_id`` (``linkage.privacy.load_key``).
        persist_key: Write the key to ``.linkage-key`` (owner only) so reruns keep the
            ids; False when it comes from the environment.
        previous: The previous run's candidates, for a refresh: ``changes/`` is written.
        report: Writes ``report.html`` into the staged output (given its folder), after the
            manifest, so the page moves in with the data it describes.
        offices: Office coverage (``eligibility.offices.coverage``), for the manifest.

    Raises:
        PipelineError: if the row accounting does not add up; nothing is written then.
    """
    accounting = account(run, dispositions, rejects)
    meta = _metadata(run)
    candidates = published_candidates(candidates, mask=mask_ids, key=key)
    employers = printable_frame(employers, ["employer_name"])
    changes = _changes(previous, candidates, dispositions, key)
    with publication(out_dir) as staging:
        _write_lists(staging, meta, candidates, employers, changes)
        if persist_key:
            staging.write_bytes(KEY_FILE, key.hex().encode("ascii"), rows=0)
        _write_run_files(
            staging, meta, links=links, rejects=rejects, summary=summary, mask_ids=mask_ids
        )
        if model is not None:
            staging.write_bytes("model.json", model.encode("utf-8"), rows=0)
        write_books(
            staging,
            candidates,
            employers,
            excel=excel,
            book=_office_book(run, masked=mask_ids, refresh=previous is not None),
            changes=changes,
            previous=previous,
        )
        manifest = _manifest(
            staging,
            out_dir,
            run,
            accounting,
            candidates=candidates,
            changes=changes,
            mask_ids=mask_ids,
            offices=offices,
        )
        return _write_manifest(staging, manifest, report)  # published as the block closes


def empty_candidates() -> pd.DataFrame:
    """A candidates table with no rows, for a previous run that listed nobody."""
    frame: pd.DataFrame = CANDIDATES.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    return frame


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(n) for k, n in sorted(values.value_counts().items())}


def format_totals(summary: pd.DataFrame) -> str:
    """The overall counts of ``summary.parquet`` in a few lines: rows by outcome and reason."""
    rows = summary["rows"].astype("int64").to_numpy()
    disposition = summary["disposition"].astype("string").fillna("").to_numpy(dtype=object)
    reason = summary["reason"].astype("string").fillna("").to_numpy(dtype=object)
    candidate = disposition == Disposition.CANDIDATE.value

    def total(mask: np.ndarray) -> int:
        return int(rows[mask].sum())

    reasons = ", ".join(
        f"{r.value} {total(candidate & (reason == r.value)):,}" for r in CandidateReason
    )
    return (
        f"total: {int(rows.sum()):,} payroll rows; "
        f"{Disposition.INSURED_OK.value} {total(disposition == Disposition.INSURED_OK.value):,}, "
        f"{Disposition.CANDIDATE.value} {total(candidate):,}, "
        f"{Disposition.EXCLUDED.value} {total(disposition == Disposition.EXCLUDED.value):,}\n"
        f"candidates by reason: {reasons}\n"
        f"per district: summary.parquet (or linkage -v run)"
    )


def format_summary(summary: pd.DataFrame) -> str:
    """A per-district text table of ``summary.parquet`` for the CLI: counts only."""
    columns = [
        Disposition.INSURED_OK.value,
        *[r.value for r in CandidateReason],
        Disposition.EXCLUDED.value,
    ]
    disposition = summary["disposition"].astype(object).to_numpy()
    reason = summary["reason"].astype(object).to_numpy()
    frame = pd.DataFrame(
        {
            "province": summary["province_code"].astype(str).to_numpy(),
            "district": summary["district_code"].astype(str).to_numpy(),
            "column": np.where(disposition == Disposition.CANDIDATE.value, reason, disposition),
            "rows": summary["rows"].astype("int64").to_numpy(),
        }
    )
    wide = frame.pivot_table(
        index=["province", "district"], columns="column", values="rows", aggfunc="sum"
    ).reindex(columns=columns)
    wide = wide.fillna(0)
    wide["total"] = wide.sum(axis=1)
    wide.loc[("", "total"), :] = wide.sum(axis=0)
    wide = wide.astype("int64").reset_index()
    wide.columns = ["province", "district", *columns, "total"]
    return wide.to_string(index=False)
