"""publish(): partitions, masking, manifest accounting, atomicity, permissions, Excel safety."""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from linkage import schema
from linkage.eligibility import candidate_table, decide, outreach_units, rank_employers
from linkage.errors import ConfigError, PipelineError
from linkage.write import InputFile, RunInfo, format_summary, publish, summary_table
from linkage.write import files as write_files
from tests.helpers import (
    businesses,
    insured,
    links,
    rules,
    scenario,
)


def test_publish_writes_partitions_and_masks_ids(tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = publish(out, **scenario())
    hanoi = out / "candidates" / "unit=pre-2025_01_001" / "part-0.parquet"
    assert hanoi.exists()
    assert (out / "candidates/unit=pre-2025_79_760/part-0.parquet").exists()
    assert (out / "candidates/unit=pre-2025_00_000/part-0.parquet").exists()
    assert (out / "employers/unit=pre-2025_01_001/part-0.parquet").exists()
    for name in ("links.parquet", "rejects.parquet", "summary.parquet", "manifest.json"):
        assert (out / name).exists()
    table = pq.read_table(hanoi)
    assert table.column("national_id").to_pylist() == ["*********345"]
    assert table.schema.metadata[b"run_id"] == b"run-1"
    assert table.schema.metadata[b"rule_set"] == b"vn-si-2026.2"
    assert json.loads(table.schema.metadata[b"input_sha256"])["payroll:payroll.csv"] == "a" * 64
    assert manifest.accounting.accounted == manifest.accounting.payroll_rows_read == 6


def test_unmasked_when_configured(tmp_path: Path) -> None:
    publish(tmp_path / "out", **scenario(), mask_ids=False)
    part = tmp_path / "out/candidates/unit=pre-2025_01_001/part-0.parquet"
    assert pq.read_table(part).column("national_id").to_pylist() == ["001090012345"]


def test_manifest_adds_up_and_records_every_export(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **scenario(), model='{"m": 1}')
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    accounting = manifest["accounting"]
    assert accounting["payroll_rows_read"] == 6
    assert accounting["insured_ok"] == 1
    assert accounting["candidate"] == {"uninsured": 3}
    assert accounting["excluded"] == {"short_contract": 1}
    assert accounting["rejected"] == 1
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {
        "manifest.json",
        ".linkage-key",  # the candidate-id key is kept, never listed as an export
    }
    assert listed == on_disk
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert manifest["rule_set"] == "vn-si-2026.2"


def test_accounting_mismatch_refuses_to_publish(tmp_path: Path) -> None:
    inputs = scenario()
    bad = inputs["run"].inputs[0]
    inputs["run"] = RunInfo(
        **{**inputs["run"].__dict__, "inputs": (InputFile("payroll", bad.path, bad.sha256, 99),)}
    )
    with pytest.raises(PipelineError, match="does not add up"):
        publish(tmp_path / "out", **inputs)
    assert not (tmp_path / "out").exists()


def test_crash_midway_leaves_no_output_and_keeps_the_previous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    publish(out, **scenario())
    before = (out / "manifest.json").read_bytes()
    calls = {"n": 0}
    original = write_files.Staging.write_parquet

    def failing(
        self: write_files.Staging, relative: str, table: pa.Table, metadata: Mapping[str, str]
    ) -> write_files.ExportedFile:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return original(self, relative, table, metadata)

    monkeypatch.setattr(write_files.Staging, "write_parquet", failing)
    with pytest.raises(ConfigError, match=r"cannot write \(disk full\); nothing was published"):
        publish(out, **scenario())
    assert (out / "manifest.json").read_bytes() == before  # previous output intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind

    calls["n"] = 0
    fresh = tmp_path / "fresh"
    with pytest.raises(ConfigError, match="disk full"):
        publish(fresh, **scenario())
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_outputs_are_owner_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **scenario(), excel=True)
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_excel_headers_masking_and_injection_safety(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, **scenario(), excel=True)
    (path,) = (out / "excel").glob("pre-2025_79_760_*.xlsx")
    sheet = load_workbook(path)["Chưa tham gia BHXH"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert {"Lý do", "Thứ tự ưu tiên", "Họ và tên", "Số CCCD (che)", "Việc cần làm"} <= set(header)
    values = dict(zip(header, rows[1], strict=True))
    assert values["Tên đơn vị"] == '\'=HYPERLINK("x")'  # registry name defused
    assert values["Họ và tên"].startswith("'=")
    assert values["Số CCCD (che)"] == "*********321"
    for workbook_sheet in load_workbook(path):
        for row in workbook_sheet.iter_rows(min_row=2):
            assert all(cell.data_type != "f" for cell in row)


def test_format_summary_prints_every_district(tmp_path: Path) -> None:
    inputs = scenario()
    text = format_summary(inputs["summary"])
    for fragment in ("001", "760", "000", "total"):
        assert fragment in text
    assert "001090012345" not in text


def test_publish_with_no_candidates(tmp_path: Path) -> None:
    inputs = scenario(rejected=2)
    frame = schema.empty(schema.PAYROLL)
    registry = businesses()
    dispositions = decide(frame, links(), insured(), registry, rules())
    run = inputs["run"]
    units = outreach_units(dispositions, None)
    inputs.update(
        {
            "dispositions": dispositions,
            "candidates": candidate_table(frame, dispositions, units, registry),
            "employers": rank_employers(
                dispositions, frame, registry, insured(), new_business_months=12
            ),
            "summary": summary_table(dispositions, units),
            "run": RunInfo(
                **{**run.__dict__, "inputs": (InputFile("payroll", "p.csv", "a" * 64, 2),)}
            ),
        }
    )
    manifest = publish(tmp_path / "out", **inputs)
    assert manifest.accounting.rejected == 2
    assert not (tmp_path / "out" / "candidates").exists()


def test_every_output_reads_whole_with_pandas_and_duckdb(tmp_path: Path) -> None:
    """One schema across partitions; codes keep their leading zeros in both readers."""
    import duckdb

    out = tmp_path / "out"
    publish(out, **scenario())
    for folder in ("candidates", "employers"):
        frame = pd.read_parquet(out / folder)
        assert {"01", "79", "00"} <= set(frame["province_code"].astype(str))
        assert "001" in set(frame["district_code"].astype(str))
        pattern = str(out / folder / "**" / "*.parquet")
        relation = duckdb.sql(
            f"select province_code, district_code, unit from read_parquet('{pattern}', "
            "hive_partitioning = true)"
        )
        assert relation is not None  # a query, not a statement
        rows = relation.fetchall()
        assert len(rows) == len(frame)
        assert ("01", "001", "pre-2025_01_001") in set(rows)
    for name in ("links.parquet", "rejects.parquet", "summary.parquet"):
        counted = duckdb.sql(f"select count(*) from read_parquet('{out / name}')")
        assert counted is not None
        assert len(pd.read_parquet(out / name)) == counted.fetchall()[0][0]


@pytest.mark.parametrize(("mask", "expected"), [(True, "*********999"), (False, "001090099999")])
def test_links_mask_si_codes_that_are_citizen_ids(
    tmp_path: Path, mask: bool, expected: str
) -> None:
    publish(tmp_path / "out", **scenario(), mask_ids=mask)
    links = pd.read_parquet(tmp_path / "out" / "links.parquet")
    assert links["si_code"].tolist() == [expected]


def test_every_candidate_reason_has_a_vietnamese_label_and_sheet() -> None:
    from linkage.schema import CandidateReason
    from linkage.write.excel import REASON_LABELS, REASON_SHEETS

    assert set(REASON_LABELS) == {r.value for r in CandidateReason}
    assert list(REASON_SHEETS) == [r.value for r in CandidateReason]  # contact order
    assert all(len(title) <= 31 for title in REASON_SHEETS.values())


@pytest.mark.parametrize(
    ("name", "suffixes", "beside", "made", "fragment"),
    [
        ("new.csv", (".csv", ".parquet"), (), (), None),
        ("NEW.CSV", (".csv",), (), (), None),  # the suffix in any case
        ("new.xlsx", (".csv", ".parquet"), (), (), "give a new .csv or .parquet file"),
        ("old.csv", (".csv",), (), ("old.csv",), "it exists; linkage never replaces a file"),
        ("link.csv", (".csv",), (), ("link.csv@",), "it exists"),  # even a dangling symlink
        ("t.parquet", (".parquet",), ("t.csv",), ("t.csv",), "t.csv exists"),  # written beside
        ("gone/new.csv", (".csv",), (), (), "folder"),
    ],
)
def test_a_one_file_output_must_be_new(
    tmp_path: Path,
    name: str,
    suffixes: tuple[str, ...],
    beside: tuple[str, ...],
    made: tuple[str, ...],
    fragment: str | None,
) -> None:
    for made_name in made:
        if made_name.endswith("@"):
            (tmp_path / made_name[:-1]).symlink_to(tmp_path / "nowhere")
        else:
            (tmp_path / made_name).write_text("not linkage's", encoding="utf-8")
    path = tmp_path / name
    others = [tmp_path / b for b in beside]
    if fragment is None:
        write_files.check_new_file(path, suffixes, beside=others)
        return
    with pytest.raises(ConfigError, match=fragment):
        write_files.check_new_file(path, suffixes, beside=others)
    theirs = [m for m in made if not m.endswith("@")]
    assert [(tmp_path / m).read_text("utf-8") for m in theirs] == ["not linkage's"] * len(theirs)


def test_a_new_file_is_never_written_over_one_that_appeared(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    def racing(temp: Path) -> None:
        temp.write_text("ours", encoding="utf-8")
        path.write_text("theirs", encoding="utf-8")  # another process got there first

    with pytest.raises(ConfigError, match="never replaces"):
        write_files.create_new_file(path, racing)
    assert path.read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no partial file left
