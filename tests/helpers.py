"""Helpers shared by several test modules: the CLI, frame builders, sample inputs, charts.

Fixtures live in ``conftest.py``; this module holds plain functions and constants, imported
as ``from tests.helpers import ...``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pandas as pd
import pyarrow as pa
from click.testing import CliRunner, Result

from linkage import schema
from linkage.analysis import charts
from linkage.cli import main
from linkage.config import DEFAULT_CONFIG, LinkConfig, load_config
from linkage.eligibility import (
    RuleSet,
    candidate_table,
    decide,
    load_rules,
    outreach_units,
    rank_employers,
)
from linkage.pipeline import load_inputs
from linkage.schema import Source, raw_schema
from linkage.tools.synth import write_sample
from linkage.write import InputFile, RunInfo, summary_table


def invoke(*args: str | int | float | Path) -> Result:
    """Run the ``linkage`` command line in-process, each argument as its ``str``."""
    return CliRunner().invoke(main, [str(a) for a in args])


def source_args(inputs: dict[str, Path], **replace: Path) -> list[str | Path]:
    """The three sources as options, each replaceable by another path."""
    paths = {**inputs, **replace}
    return [
        "--businesses",
        paths["businesses"],
        "--payroll",
        paths["payroll"],
        "--insured",
        paths["insured"],
    ]


def run_args(inputs: dict[str, Path], *, report: bool = False, **replace: Path) -> list[str | Path]:
    """``linkage run``'s sources, and ``--no-report`` unless ``report``.

    report.html costs about 2 s of matplotlib a run, and only the report's own tests, the
    operators' and the end-to-end ones read it.
    """
    return [*source_args(inputs, **replace), *([] if report else ["--no-report"])]


def sample_run(
    root: Path, *, rows: int, seed: int, report: bool = False
) -> tuple[dict[str, Path], Path]:
    """A generated world under ``root/in`` and a run of it in ``root/out``."""
    inputs = write_sample(root / "in", payroll_rows=rows, seed=seed)
    out = root / "out"
    result = invoke("run", *run_args(inputs, report=report), "--out", out)
    assert result.exit_code == 0, result.output
    return inputs, out


def assert_user_error(result: Result, code: int) -> None:
    """Exit ``code`` through SystemExit, the message shown, no traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def complete_config(**link: object) -> str:
    """The default config with absolute paths, plus extra [link] keys."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    configs = DEFAULT_CONFIG.parent
    text = re.sub(
        r'= "(\.\./[^"]+|mappings/[^"]+|rules/[^"]+|crosswalks/[^"]+)"',
        lambda m: f'= "{(configs / m.group(1)).resolve().as_posix()}"',
        text,
    )
    extra = "".join(f"{key} = {value}\n" for key, value in link.items())
    return text.replace("[link]\n", f"[link]\n{extra}")


# Builders of small contract-conforming frames for the eligibility and writer tests.

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAPPING = ROOT / "configs" / "mappings" / "default.toml"
RULES_PATH = ROOT / "configs" / "rules" / "vn-social-insurance.toml"
EMPLOYER = "0100109106"  # Hà Nội, district 001 (zone I)
OTHER_EMPLOYER = "0300588569"  # TP HCM, district 760 (zone I)
RURAL_EMPLOYER = "2800123457"  # a zone IV district


def rules() -> RuleSet:
    return load_rules(RULES_PATH)


def edited_rules(folder: Path, text: str) -> Path:
    """Write an edited copy of the rule file into ``folder``, beside its zone tables."""
    shutil.copytree(RULES_PATH.parent / "zones", folder / "zones")
    path = folder / RULES_PATH.name
    path.write_text(text, encoding="utf-8")
    return path


def _frame(rows: list[dict[str, Any]], table: pa.Schema, defaults: dict[str, Any]) -> pd.DataFrame:
    if not rows:
        return schema.empty(table)
    records = [{**defaults, **row} for row in rows]
    frame = pd.DataFrame(records)
    for name in table.names:
        if name not in frame.columns:
            frame[name] = None
    return schema.conform(frame, table, stage="test")


def payroll(*rows: dict[str, Any]) -> pd.DataFrame:
    numbered = [{"record_id": f"R{i:03d}", **row} for i, row in enumerate(rows)]
    defaults = {
        "employer_tax_code": EMPLOYER,
        "employer_root": EMPLOYER,
        "full_name": "Nguyễn Văn An",
        "name_ascii": "nguyen van an",
        "period": dt.date(2025, 9, 1),
        "contract_months": 12,
        "monthly_income": 10_000_000,
        "nationality": "VN",
        "birth_year": 1990,
        "birth_month": 5,
        "birth_precision": "day",
        "gender": "M",
        "national_id": "001090012345",
        "source_file": "payroll.csv",
        "source_line": 2,
    }
    for number, row in enumerate(numbered):
        row.setdefault("national_id", f"0010900{number:05d}")
        start = row.get("period", defaults["period"])
        if start is not None and "period_end" not in row:  # a monthly return by default
            following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            row["period_end"] = following - dt.timedelta(days=1)
            row.setdefault("period_precision", "month")
    return _frame(numbered, schema.PAYROLL, defaults)


def insured(*rows: dict[str, Any]) -> pd.DataFrame:
    defaults = {
        "full_name": "Nguyễn Văn An",
        "employer_tax_code": EMPLOYER,
        "status": "active",
        "contribution_salary": 8_000_000,
    }
    rows = tuple({**row} for row in rows)
    for row in rows:  # the root follows the record's employer, as normalize derives it
        code = row.get("employer_tax_code", EMPLOYER)
        row.setdefault("employer_root", code[:10] if code else None)
    return _frame(list(rows), schema.INSURED, defaults)


def links(*rows: dict[str, Any]) -> pd.DataFrame:
    defaults = {
        "match_weight": 20.0,
        "match_probability": 0.999,
        "band": "match",
        "method": "national_id",
    }
    return _frame(list(rows), schema.LINKS, defaults)


def businesses(*rows: dict[str, Any]) -> pd.DataFrame:
    standard = [
        {
            "tax_code": EMPLOYER,
            "name": "Công ty TNHH An Phát",
            "province_code": "01",
            "district_code": "001",
        },
        {
            "tax_code": OTHER_EMPLOYER,
            "name": '=HYPERLINK("x")',
            "province_code": "79",
            "district_code": "760",
        },
        {
            "tax_code": RURAL_EMPLOYER,
            "name": "HTX Nông nghiệp",
            "province_code": "38",
            "district_code": "385",  # Quan Hóa, zone IV (Thanh Hóa city is zone II)
        },
    ]
    defaults = {"status": "active", "unit_scheme": "pre-2025"}
    given = {row["tax_code"]: row for row in rows}
    merged = [given.pop(row["tax_code"], row) for row in standard] + list(given.values())
    for row in merged:
        row.setdefault("employer_root", row["tax_code"][:10])
    return _frame(merged, schema.BUSINESSES, defaults)


class Scenario(TypedDict):
    """The keyword arguments of ``publish`` for a small decided world."""

    run: RunInfo
    dispositions: pd.DataFrame
    candidates: pd.DataFrame
    employers: pd.DataFrame
    summary: pd.DataFrame
    links: pd.DataFrame
    rejects: pd.DataFrame
    key: bytes
    previous: NotRequired[pd.DataFrame | None]


def scenario(rejected: int = 1) -> Scenario:
    """Five payroll rows (uninsured, HCM, excluded, insured, unknown unit) ready to publish."""
    frame = payroll(
        {"national_id": "001090012345"},  # R000 uninsured, Hà Nội
        {
            "national_id": "079190054321",
            "employer_tax_code": OTHER_EMPLOYER,
            "employer_root": OTHER_EMPLOYER,
            "full_name": "=cmd|' /C calc'!A0",
        },  # R001, HCM
        {"contract_months": 0},  # R002 excluded
        {"national_id": "001090099999"},  # R003 linked and insured
        {"employer_tax_code": "9999999999", "employer_root": "9999999999"},  # R004 unknown unit
    )
    link_rows = links({"record_id": "R003", "si_code": "001090099999"})
    insured_rows = insured({"si_code": "001090099999", "national_id": "001090099999"})
    registry = businesses()
    dispositions = decide(frame, link_rows, insured_rows, registry, rules())
    rejects = schema.conform(
        pd.DataFrame(
            [
                {
                    "source": "payroll",
                    "source_file": "payroll.csv",
                    "source_line": 9,
                    "record_key": "R999",
                    "reason": "invalid_date",
                    "column": "period",
                    "detail": "bad date",
                }
            ]
            * rejected
        )
        if rejected
        else schema.empty(schema.REJECTS),
        schema.REJECTS,
        stage="test",
    )
    run = RunInfo(
        run_id="run-1",
        started_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        linkage_version="0.0.test",
        rule_set=rules().version,
        config_sha256="c" * 64,
        inputs=(
            InputFile("payroll", "payroll.csv", "a" * 64, len(frame) + rejected),
            InputFile("insured", "insured.csv", "b" * 64, 1),
            InputFile("businesses", "businesses.csv", "d" * 64, 3),
        ),
    )
    units = outreach_units(dispositions, None)
    return {
        "run": run,
        "dispositions": dispositions,
        "candidates": candidate_table(frame, dispositions, units, registry),
        "employers": rank_employers(
            dispositions, frame, registry, insured(), new_business_months=12
        ),
        "summary": summary_table(dispositions, units),
        "links": link_rows,
        "rejects": rejects,
        "key": b"test key of 32 bytes, not secret",
    }


VOCABULARIES = {
    "gender": {"M": ["Nam", "male"], "F": ["Nữ", "female"]},
    "insured_status": {
        "active": ["đang tham gia"],
        "suspended": ["tạm dừng"],
        "stopped": ["dừng"],
    },
    "business_status": {
        "active": ["đang hoạt động"],
        "suspended": ["tạm ngừng"],
        "closed": ["đã đóng"],
    },
    "nationality": {"VN": ["Việt Nam"], "CN": ["Trung Quốc"]},
}

MST = "0100233488"

PAYROLL_OK = {
    "record_id": "R1",
    "employer_tax_code": MST,
    "full_name": "Nguyễn Văn An",
    "period": "03/2026",
    "contract_months": "12",
    "monthly_income": "12.000.000",
}
INSURED_OK = {
    "si_code": "0112345678",
    "full_name": "Nguyễn Văn An",
    "birth_date": "03/05/1990",
    "gender": "Nam",
    "employer_tax_code": MST,
    "status": "đang tham gia",
    "contribution_salary": "5.000.000",
}
BUSINESS_OK = {
    "tax_code": MST,
    "name": "Công ty  TNHH   An Phát",
    "province_code": "1",
    "district_code": "1",
    "status": "Đang hoạt động",
}


def raw_table(
    source: Source, rows: Sequence[Mapping[str, object]], *, arrow: bool = True
) -> pd.DataFrame:
    names = raw_schema(source).names
    frame = pd.DataFrame([{n: row.get(n) for n in names} for row in rows], columns=names)
    frame["source_file"] = "in.csv"
    frame["source_line"] = range(2, 2 + len(rows))
    if arrow:
        arrow_frame: pd.DataFrame = pa.Table.from_pandas(
            frame, schema=raw_schema(source)
        ).to_pandas(types_mapper=pd.ArrowDtype)
        return arrow_frame
    return frame


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    """Encode as Windows-1258 writes Vietnamese: base letter (ê, ơ, ...) + tone mark.

    Plain NFD does not work: cp1258 has ê but no combining circumflex.
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


def linking_inputs(
    world: dict[str, Path], tmp_path: Path, chunk_pairs: int
) -> tuple[pd.DataFrame, pd.DataFrame, LinkConfig]:
    """A sample's normalized tables and link settings of ``chunk_pairs`` a chunk."""
    config = load_config(
        None,
        inputs__businesses=world["businesses"],
        inputs__payroll=world["payroll"],
        inputs__insured=world["insured"],
        output__dir=tmp_path / "out",
    )
    tables = load_inputs(config, lambda stage: None)
    settings = replace(config.link, chunk_pairs=chunk_pairs)
    return tables[Source.PAYROLL].rows, tables[Source.INSURED].rows, settings


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(data: bytes, size: tuple[int, int]) -> None:
    """A PNG of ``size`` pixels, by its IHDR chunk and as decoded by matplotlib."""
    import matplotlib.image  # the charts extra: only the chart tests need it

    assert data.startswith(PNG_SIGNATURE)
    assert charts.png_size(data) == size
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (size[1], size[0])
    assert pixels[..., :3].std() > 0  # something is drawn, not a blank canvas
    assert charts.png_software(data) == charts.SOFTWARE
