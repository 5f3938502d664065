"""Run guards: a suspect model stops the run before publishing (unless --force); the as-of date.

Issue 21 item 7: with every ID blank, EM described namesakes and the run published anyway.
The threshold is lowered here so a small sample trips it; the decision path is the real one.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from linkage import pipeline
from linkage.config import load_config
from tests.helpers import complete_config, invoke, run_args, write_config


@pytest.mark.parametrize(
    ("force", "exit_code"),
    [
        (False, 1),  # the model expects far more matches than rows: refused, nothing written
        (True, 0),  # --force: published, with the warning
    ],
)
def test_a_suspect_model_stops_the_run_unless_forced(
    tmp_path: Path,
    inputs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    force: bool,
    exit_code: int,
) -> None:
    monkeypatch.setattr(pipeline.run, "SUSPECT_MATCHES_PER_ROW", 0.001)
    out = tmp_path / "out"
    extra = ["--force"] if force else []
    result = invoke("run", *run_args(inputs), "--out", out, *extra)
    assert result.exit_code == exit_code, result.output
    expects = r"the fitted model expects [\d,]+ matches for [\d,]+ payroll rows"
    assert re.search(expects, result.output)
    assert (out / "manifest.json").exists() == force
    if not force:
        assert "--force" in result.output


def test_as_of_in_the_config_is_a_date(tmp_path: Path) -> None:
    text = complete_config().replace("[eligibility]\n", "[eligibility]\nas_of = 2025-03-15\n")
    config = load_config(write_config(tmp_path, text))
    assert config.eligibility.as_of == dt.date(2025, 3, 15)
    assert pipeline.as_of_date(config, None, dt.date(2026, 1, 1)) == (
        dt.date(2025, 3, 15),
        "[eligibility].as_of",
    )
    assert pipeline.as_of_date(config, dt.date(2025, 4, 1), dt.date(2026, 1, 1))[1] == "--as-of"
    bad = complete_config().replace("[eligibility]\n", '[eligibility]\nas_of = "15/03/2025"\n')
    with pytest.raises(Exception, match=r"as_of: '15/03/2025' is not a date \(YYYY-MM-DD\)"):
        load_config(write_config(tmp_path, bad))
