"""``linkage explain``: the run's own scores, comparison by comparison, PII only on request."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import assert_user_error, invoke, sample_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("explain")
    inputs, out = sample_run(root, rows=800, seed=31)
    return inputs, out, pd.read_parquet(out / "links.parquet")


def _explain(out: Path, record_id: str, *extra: str) -> str:
    result = invoke("explain", "--run", out, "--record-id", record_id, *extra)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_reproduces_the_run_score_level_by_level(
    run: tuple[dict[str, Path], Path, pd.DataFrame],
) -> None:
    _, out, links = run
    probabilistic = links[links["method"] == "probabilistic"]
    for _, link in probabilistic.sort_values("match_probability").head(3).iterrows():
        text = _explain(out, link["record_id"])
        first = text.split("\n2. ")[0]
        # the best candidate is the linked record, at the run's own probability
        assert f"the run linked it to {link['si_code']}" in text  # masked alike
        assert f"probability {link['match_probability']:.4f}" in first
        found = re.search(r"total\s+([+-][\d.]+)", first)
        assert found, first
        total = float(found.group(1))
        assert total == pytest.approx(link["match_weight"], abs=0.006)
        for name in ("full_name", "birth_date", "sex", "employer", "national_id"):
            level = link[f"gamma_{name}"]
            found = re.search(rf"{name}\s.*?([+-]\d+\.\d\d)", first)
            assert found, (name, first)
            weight = float(found.group(1))
            assert weight == pytest.approx(link[f"weight_{name}"], abs=0.006), name
            assert ("missing" in first.split(name)[1].split("\n")[0]) == (level < 0)


def test_names_and_ids_only_with_show_pii(run: tuple[dict[str, Path], Path, pd.DataFrame]) -> None:
    inputs, out, links = run
    payroll = pd.read_csv(inputs["payroll"], dtype=str)
    name_column = next(c for c in payroll.columns if c in ("Họ và tên", "full_name"))
    record = links.iloc[0]["record_id"]
    id_column = payroll.columns[0]
    name = payroll.loc[payroll[id_column] == record, name_column].iloc[0]
    hidden, shown = _explain(out, record), _explain(out, record, "--show-pii")
    assert name.split()[-1] not in hidden.split("\n")[0]
    assert not re.search(r"\b\d{12}\b", hidden)
    assert "born" in shown


def test_unknown_record_and_foreign_folder_are_usage_errors(
    run: tuple[dict[str, Path], Path, pd.DataFrame], tmp_path: Path
) -> None:
    _, out, _ = run
    assert_user_error(invoke("explain", "--run", out, "--record-id", "NO-SUCH-ROW"), 2)
    assert_user_error(invoke("explain", "--run", tmp_path, "--record-id", "X"), 2)
