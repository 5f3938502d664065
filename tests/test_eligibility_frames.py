"""Builders of small contract-conforming frames shared by the eligibility and writer tests."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from linkage import schema
from linkage.eligibility import RuleSet, load_rules

ROOT = Path(__file__).resolve().parent.parent
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


def test_builders_conform() -> None:
    assert list(payroll({}).columns[: len(schema.PAYROLL.names)]) == schema.PAYROLL.names
    assert len(businesses()) == 3
