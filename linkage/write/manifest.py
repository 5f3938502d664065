"""Run manifest: who ran what on which inputs, row accounting that must balance, exports."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linkage.errors import PipelineError
from linkage.schema import Disposition, Source
from linkage.write.files import ExportedFile


@dataclass(frozen=True)
class InputFile:
    """One input file as read: its source, location, content hash and rows read."""

    source: str  # schema.Source value
    path: str
    sha256: str
    rows_read: int  # data rows read, rejects included
    blank_rows: int = 0  # rows with every mapped field empty: skipped, counted here
    nulled_invalid: dict[str, int] = field(default_factory=dict)  # optional values dropped


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run that the writer records but does not compute."""

    run_id: str
    started_at: dt.datetime
    linkage_version: str
    rule_set: str
    config_sha256: str
    inputs: tuple[InputFile, ...]
    crosswalk: str | None = None  # crosswalk version, when one was used
    link: dict[str, Any] = field(default_factory=dict)  # link-stage diagnostics
    registration: dict[str, Any] = field(default_factory=dict)  # eligibility.registration_report
    previous_run_id: str | None = None  # the run a refresh (--previous) follows
    # where the model came from: {"source": "fitted"}, or "given" (--model, [link].model)
    # or "previous run" (--previous), with its "path"
    model: dict[str, str | None] = field(default_factory=lambda: {"source": "fitted"})
    # the candidate-id key: its id (privacy.RunKey.key_id, not the key) and source
    key: dict[str, str] | None = None


@dataclass(frozen=True)
class Accounting:
    """Payroll rows read = insured_ok + candidates + excluded + rejected."""

    payroll_rows_read: int
    insured_ok: int
    candidate: dict[str, int]
    excluded: dict[str, int]
    rejected: int

    @property
    def accounted(self) -> int:
        """Rows with a disposition or a reject."""
        return (
            self.insured_ok
            + sum(self.candidate.values())
            + sum(self.excluded.values())
            + self.rejected
        )


@dataclass(frozen=True)
class Manifest:
    """What ``publish`` wrote; also serialized as ``manifest.json``."""

    run_id: str
    output_dir: Path
    started_at: str
    finished_at: str
    linkage_version: str
    rule_set: str
    crosswalk: str | None
    config_sha256: str
    unit_scheme: str
    mask_ids: bool
    inputs: tuple[InputFile, ...]
    accounting: Accounting
    link: dict[str, Any] = field(default_factory=dict)
    registration: dict[str, Any] = field(default_factory=dict)
    files: tuple[ExportedFile, ...] = field(default_factory=tuple)
    changes: dict[str, int] | None = None  # entries per schema.Change, on a refresh
    previous_run_id: str | None = None  # RunInfo.previous_run_id
    model: dict[str, str | None] = field(default_factory=lambda: {"source": "fitted"})
    report: str | None = None  # "report.html" when the run wrote it (charts extra)
    key: dict[str, str] | None = None  # RunInfo.key: diff compares the ids of two runs
    # office routing: cited communes vs placeholders, each cited office with its source
    offices: dict[str, Any] | None = None

    def to_json(self) -> bytes:
        """The manifest as UTF-8 JSON (without the output directory, which may move)."""
        data: dict[str, Any] = asdict(self)
        data.pop("output_dir")
        data["accounting"]["accounted"] = self.accounting.accounted
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _counts(dispositions: pd.DataFrame, disposition: Disposition) -> dict[str, int]:
    reasons = dispositions.loc[dispositions["disposition"] == disposition.value, "reason"]
    counts = reasons.astype("object").value_counts(dropna=False)
    return {str(reason): int(rows) for reason, rows in sorted(counts.items(), key=str)}


def account(run: RunInfo, dispositions: pd.DataFrame, rejects: pd.DataFrame) -> Accounting:
    """Count rows by outcome and check that they add up to the payroll rows read.

    Raises:
        PipelineError: if they do not add up, or a disposition is not a known value.
    """
    read = sum(f.rows_read for f in run.inputs if f.source == Source.PAYROLL.value)
    known = {d.value for d in Disposition}
    unknown = set(dispositions["disposition"].astype("object").dropna()) - known
    if unknown or dispositions["disposition"].isna().any():
        msg = f"write: dispositions outside {sorted(known)}: {sorted(map(str, unknown))}"
        raise PipelineError(msg)
    accounting = Accounting(
        payroll_rows_read=read,
        insured_ok=int((dispositions["disposition"] == Disposition.INSURED_OK.value).sum()),
        candidate=_counts(dispositions, Disposition.CANDIDATE),
        excluded=_counts(dispositions, Disposition.EXCLUDED),
        rejected=int((rejects["source"] == Source.PAYROLL.value).sum()),
    )
    if accounting.accounted != read:
        msg = (
            f"write: row accounting does not add up: {read} payroll rows read, "
            f"{accounting.accounted} accounted for ({accounting})"
        )
        raise PipelineError(msg)
    return accounting
