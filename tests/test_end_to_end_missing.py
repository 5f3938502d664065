"""Missing is evidence, end to end: blank registry fields keep rows; no usable payroll fails.

A registry row with a blank gender and birth date is still a person: it must survive
loading, be linked on what it has (name, IDs, employer), and never be rejected for the
blanks. A payroll with no usable row at all is a data error (exit 1), said plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkage.load.labels import read_table
from linkage.normalize import si_codes
from linkage.tools.synth import write_sample
from tests.helpers import invoke, run_args

SEED = 20260601
ROWS = 2000
BLANK_SHARE = 0.15
# Vietnamese headers the generator writes for the insured registry.
SI_CODE, GENDER, BIRTH_DATE = "Mã số BHXH", "Giới tính", "Ngày tháng năm sinh"
# Payroll headers the generator writes.
RECORD_ID, FULL_NAME = "Mã bản ghi", "Họ và tên"
PAYROLL_IDS = ("MST cá nhân", "Số CCCD/CMND")
KEPT_REASONS = {"duplicate_key", "no_identity"}  # the only insured rejects allowed here


def read_text_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class BlankedRegistry:
    """A generated world whose registry lost gender and birth date on some rows."""

    def __init__(self, root: Path) -> None:
        self.inputs = write_sample(root / "in", payroll_rows=ROWS, seed=SEED)
        insured = read_text_csv(self.inputs["insured"])
        rng = np.random.default_rng(SEED)
        self.blanked = np.flatnonzero(rng.random(len(insured)) < BLANK_SHARE)
        insured.loc[self.blanked, [GENDER, BIRTH_DATE]] = ""
        path = root / "insured_blanked.csv"
        insured.to_csv(path, index=False, encoding="utf-8")
        self.inputs = {**self.inputs, "insured": path}
        codes = si_codes(insured[SI_CODE].iloc[self.blanked].astype(object))
        self.blanked_codes = set(codes.dropna())
        self.blanked_lines = set((self.blanked + 2).tolist())  # line 1 is the header
        self.out = root / "out"
        # Unmasked: links are compared with the registry's own SI codes.
        self.result = invoke("run", *run_args(self.inputs), "--out", self.out, "--no-mask-ids")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> BlankedRegistry:
    return BlankedRegistry(tmp_path_factory.mktemp("missing"))


def test_run_succeeds(world: BlankedRegistry) -> None:
    assert world.result.exit_code == 0, world.result.output
    assert len(world.blanked) > 0.1 * len(read_text_csv(world.inputs["insured"]))
    assert len(world.blanked_codes) > 100  # enough rows for the rates below to mean something


def test_blank_gender_and_birth_date_never_reject(world: BlankedRegistry) -> None:
    rejects = pd.read_parquet(world.out / "rejects.parquet")
    insured = rejects[rejects["source"] == "insured"]
    assert not insured["column"].isin(["gender", "birth_date"]).any()
    assert not insured["detail"].str.contains("gender|birth", case=False).any()
    assert set(insured["reason"]) <= KEPT_REASONS, insured["reason"].value_counts()
    blanked = insured[insured["source_line"].isin(world.blanked_lines)]
    assert set(blanked["reason"]) <= KEPT_REASONS


def test_blanked_rows_still_link(world: BlankedRegistry) -> None:
    truth = read_table(world.inputs["truth_links"])
    truth = truth[truth["si_code"].isin(world.blanked_codes)]
    truth_pairs = set(zip(truth["record_id"], truth["si_code"], strict=True))
    assert len(truth_pairs) > 100
    links = pd.read_parquet(world.out / "links.parquet")
    linked = links[links["si_code"].isin(world.blanked_codes)]
    matched = linked[linked["band"] == "match"]
    found = set(zip(matched["record_id"], matched["si_code"], strict=True))
    listed = set(zip(linked["record_id"], linked["si_code"], strict=True))  # match or review
    # A record with neither birth date nor sex keeps name, ID, employer and what its CCCD
    # encodes: fewer of its pairs reach the automatic band (0.94 measured), the rest are
    # sent to a clerk, not lost (0.97), and what is matched is right (0.99).
    assert len(found & truth_pairs) / len(truth_pairs) >= 0.85
    assert len(listed & truth_pairs) / len(truth_pairs) >= 0.92
    assert len(found & truth_pairs) / len(found) >= 0.98
    # Where such a record holds a CCCD, its year and sex are compared in their place.
    assert (matched["gamma_sex"] >= 0).mean() > 0.5
    assert (matched["gamma_birth_date"] >= 0).mean() > 0.5


def _blank_record_ids(payroll: pd.DataFrame) -> pd.DataFrame:
    return payroll.assign(**{RECORD_ID: ""})


def _garbage_keys_and_names(payroll: pd.DataFrame) -> pd.DataFrame:
    # A garbage record_id is still a key; a name with no letters and no ID identifies nobody.
    garbage = {RECORD_ID: "=cmd()", FULL_NAME: "??? 123"}
    return payroll.assign(**garbage, **dict.fromkeys(PAYROLL_IDS, ""))


@pytest.mark.parametrize(
    "spoil",
    [
        _blank_record_ids,  # every record_id blank: every row missing its key
        _garbage_keys_and_names,  # junk keys, junk names, no IDs: every row identifies nobody
    ],
)
def test_payroll_without_a_usable_row_exits_1(
    tmp_path: Path, world: BlankedRegistry, spoil: Callable[..., Any]
) -> None:
    path = tmp_path / "payroll.csv"
    spoil(read_text_csv(world.inputs["payroll"])).to_csv(path, index=False, encoding="utf-8")
    inputs = {**world.inputs, "payroll": path}
    result = invoke("run", *run_args(inputs), "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert str(path) in result.output
