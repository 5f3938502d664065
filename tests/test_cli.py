"""The command line through click's CliRunner: help, version, sample, errors and exit codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linkage import __version__
from tests.helpers import (
    assert_user_error,
    complete_config,
    invoke,
    run_args,
    source_args,
    write_config,
)


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"linkage, version {__version__}"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ((), ["run", "sample", "evaluate"]),  # the group lists its commands
        (("run",), ["--config", "--businesses", "--payroll", "--insured", "--out", "--model"]),
        (("sample",), ["--payroll-rows", "--seed", "--noise", "--format", "--out"]),
        (("evaluate",), ["--truth", "--candidates-truth", "--config"]),
    ],
)
def test_help(command: tuple[str, ...], expected: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    for word in expected:
        assert word in result.output
    flat = " ".join(result.output.split())
    for code in (
        "0 ok",
        "1 data error",
        "2 usage or config error",
        "3 output locked",
        "130",
        "143",
    ):
        assert code in flat


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [
        ("csv", ".csv"),  # the default
        ("parquet", ".parquet"),
    ],
)
def test_sample_writes_inputs_and_truth(tmp_path: Path, fmt: str, suffix: str) -> None:
    out = tmp_path / "sample"
    result = invoke("sample", "--payroll-rows", 40, "--seed", 3, "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("businesses", "payroll", "insured"):
        path = out / f"{name}{suffix}"
        assert path.is_file()
        assert f"{name}: {path}" in result.output
    for name in ("truth_links.csv", "truth_candidates.csv", "sample_meta.json"):
        assert (out / name).is_file()
    truth = pd.read_csv(out / "truth_candidates.csv", dtype=str)
    assert len(truth) == 40


def test_sample_is_deterministic(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        result = invoke("sample", "--payroll-rows", 30, "--seed", 9, "--out", tmp_path / folder)
        assert result.exit_code == 0, result.output
    for name in ("businesses.csv", "payroll.csv", "insured.csv", "truth_links.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--payroll-rows", 0), "--payroll-rows"),  # below the range
        (("--noise", -1), "--noise"),
        (("--format", "json"), "--format"),  # not a choice
        ((), "--out"),  # required
    ],
)
def test_sample_usage_errors(tmp_path: Path, args: tuple[int | str, ...], fragment: str) -> None:
    extra = () if fragment == "--out" else ("--out", tmp_path / "x")
    result = invoke("sample", *args, *extra)
    assert result.exit_code == 2, result.output
    assert fragment in result.output


BAD_CONFIGS = [
    pytest.param(
        # a key the [link] section does not have
        complete_config(match_threshold=0.9),
        ["unknown key 'match_threshold'", "[link]", "match_probability"],
        id="unknown-key",
    ),
    pytest.param(
        # a section that does not exist
        complete_config() + "\n[linking]\nseed = 1\n",
        ["unknown section [linking]"],
        id="unknown-section",
    ),
    pytest.param(
        # a value of the wrong type, quoted with !r
        complete_config().replace("tie_margin = 3.0", 'tie_margin = "wide"'),
        ["[link].tie_margin", "'wide'", "a number"],
        id="wrong-type",
    ),
    pytest.param(
        # thresholds out of order
        complete_config().replace("review_probability = 0.2 ", "review_probability = 0.995"),
        ["review_probability", "0.995"],
        id="thresholds-out-of-order",
    ),
    pytest.param(
        # every problem at once
        complete_config(foo=1, bar=2),
        ["unknown key 'foo'", "unknown key 'bar'"],
        id="all-problems-at-once",
    ),
    pytest.param(
        # not TOML at all
        "[link\nseed = 1\n",
        ["not valid TOML", "line 1"],
        id="bad-toml",
    ),
]


@pytest.mark.parametrize(("text", "fragments"), BAD_CONFIGS)
def test_bad_config_exits_2_naming_file_and_key(
    tmp_path: Path, inputs: dict[str, Path], text: str, fragments: list[str]
) -> None:
    path = write_config(tmp_path, text)
    result = invoke("run", "--config", path, *run_args(inputs), "--out", tmp_path / "out")
    assert_user_error(result, 2)
    assert "error:" in result.output
    assert str(path.resolve()) in result.output
    for fragment in fragments:
        assert fragment in result.output
    assert not (tmp_path / "out").exists()  # nothing published


def test_good_config_runs(tmp_path: Path, inputs: dict[str, Path]) -> None:
    path = write_config(tmp_path, complete_config())
    result = invoke("run", "--config", path, *run_args(inputs), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_config_may_leave_inputs_to_the_command_line(
    tmp_path: Path, inputs: dict[str, Path]
) -> None:
    text = re.sub(r"\n(businesses|payroll|insured) = [^\n]*", "", complete_config())
    path = write_config(tmp_path, text)
    result = invoke("run", "--config", path, *run_args(inputs), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_config_paths_resolve_against_the_config_folder(
    tmp_path: Path, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    text = complete_config()
    for name in ("businesses", "payroll", "insured"):
        (folder / f"{name}.csv").write_bytes(inputs[name].read_bytes())
        text = re.sub(rf'\n{name} = "[^"]*"', f'\n{name} = "{name}.csv"', text)
    text = re.sub(r'\ndir = "[^"]*"', '\ndir = "result"', text)
    path = folder / "run.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # anywhere but the config's folder
    result = invoke("run", "--config", path)
    assert result.exit_code == 0, result.output
    assert (folder / "result" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("column", "header"),
    [
        ("monthly_income", "Thu nhập chịu thuế"),
        ("record_id", "Mã bản ghi"),
        ("period", "Kỳ tính thuế"),
    ],
)
def test_payroll_missing_required_column_exits_1(
    tmp_path: Path, inputs: dict[str, Path], column: str, header: str
) -> None:
    payroll = pd.read_csv(inputs["payroll"], dtype=str, keep_default_na=False)
    path = tmp_path / "payroll.csv"
    payroll.drop(columns=[header]).to_csv(path, index=False)
    result = invoke("run", *run_args(inputs, payroll=path), "--out", tmp_path / "out")
    assert_user_error(result, 1)
    assert str(path) in result.output
    assert f"required column {column!r} not found" in result.output
    assert header in result.output  # the accepted header is suggested
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", ["--businesses", "--payroll", "--insured", "--config"])
def test_nonexistent_input_is_a_usage_error(
    tmp_path: Path, inputs: dict[str, Path], option: str
) -> None:
    missing = tmp_path / "nowhere.csv"
    sources = source_args(inputs)
    args = dict(zip(sources[::2], sources[1::2], strict=True))
    args[option] = missing
    flat = [item for pair in args.items() for item in pair]
    result = invoke("run", *flat, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "does not exist" in result.output


def test_model_for_other_comparisons_exits_2(tmp_path: Path, inputs: dict[str, Path]) -> None:
    model = tmp_path / "model.json"
    model.write_text('{"comparisons": [], "prior": 0.1, "fit": {}, "format": 1}', "utf-8")
    result = invoke("run", *run_args(inputs), "--out", tmp_path / "out", "--model", model)
    assert_user_error(result, 2)
    assert str(model) in result.output


def test_evaluate_prints_precision_recall_f1(tmp_path: Path, inputs: dict[str, Path]) -> None:
    result = invoke(
        "evaluate",
        *source_args(inputs),
        "--out",
        tmp_path / "out",
        "--truth",
        inputs["truth_links"],
        "--candidates-truth",
        inputs["truth_candidates"],
    )
    assert result.exit_code == 0, result.output
    match = re.search(
        r"links: precision (\d\.\d{4})\s+recall (\d\.\d{4})\s+F1 (\d\.\d{4})", result.output
    )
    assert match, result.output
    precision, recall, f1 = (float(g) for g in match.groups())
    assert min(precision, recall, f1) > 0.9
    assert "blocking recall:" in result.output
    for reason in ("uninsured", "lapsed", "under_declared"):
        assert reason in result.output  # the per-reason candidate table


@pytest.mark.parametrize(
    ("share", "blocked", "rows", "warned"),
    [
        (0.05, 800_000, 50_000, False),  # 40k expected matches for 50k rows: plausible
        (0.35, 800_000, 50_000, True),  # 280k expected matches: EM described namesakes
        (0.0, 0, 0, False),  # nothing fitted
    ],
)
def test_a_fit_expecting_far_more_matches_than_rows_is_flagged(
    share: float, blocked: int, rows: int, warned: bool
) -> None:
    from linkage.link import FitReport
    from linkage.pipeline import suspect_fit

    fit = FitReport(
        random_pairs=1000,
        blocked_pairs=blocked,
        em_iterations=10,
        em_converged=True,
        blocked_match_share=share,
    )
    assert (suspect_fit(fit, rows) is not None) == warned


@pytest.mark.parametrize("key", ["businesses", "payroll", "insured"])
def test_a_missing_input_named_in_the_config_is_a_usage_error(
    tmp_path: Path, inputs: dict[str, Path], key: str
) -> None:
    """Exit 2 as for the same path on the command line, naming the file, key and path."""
    missing = tmp_path / "nowhere.csv"
    text = complete_config()
    for name, path in inputs.items():
        if name in ("businesses", "payroll", "insured"):
            chosen = missing if name == key else path
            text = re.sub(rf'\n{name} = "[^"]*"', f'\n{name} = "{chosen.as_posix()}"', text)
    path = write_config(tmp_path, text)
    result = invoke("run", "--config", path, "--out", tmp_path / "out")
    assert_user_error(result, 2)
    assert f"[inputs].{key}" in result.output
    assert str(missing) in result.output
    assert "does not exist" in result.output
    assert not (tmp_path / "out").exists()


def test_an_input_behind_an_unreadable_folder_is_not_called_missing(
    tmp_path: Path, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder this user may not enter hides the file: said so, exit 2 (root is simulated)."""
    import os

    hidden = tmp_path / "secret" / "payroll.csv"
    stat = os.stat

    def refuse(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> os.stat_result:
        if os.fspath(path) == str(hidden):
            raise PermissionError(13, "Permission denied", str(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", refuse)
    result = invoke("run", *run_args(inputs, payroll=hidden), "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "cannot be read" in result.output
    assert "does not exist" not in result.output
