"""One key per operator: candidate ids shared by any two of their runs, overrides in order."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest

from linkage.errors import ConfigError
from linkage.privacy import operator_key_path, run_key
from linkage.tools.synth import write_sample
from tests.helpers import assert_user_error, invoke, run_args


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("keys") / "in", payroll_rows=200, seed=13)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh operator config folder, and no key in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LINKAGE_HMAC_KEY", raising=False)
    return tmp_path / "config"


def ids(out: Path) -> set[str]:
    return set(pd.read_parquet(out / "candidates")["candidate_id"])


def test_the_operator_key_is_created_owner_only_on_first_use(home: Path) -> None:
    key = run_key()
    path = operator_key_path()
    assert path == home / "linkage" / "key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.source == "operator"
    assert run_key().key == key.key  # then reused


def test_two_runs_of_one_operator_share_candidate_ids(
    inputs: dict[str, Path], home: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert invoke("run", *run_args(inputs), "--out", first).exit_code == 0
    assert invoke("run", *run_args(inputs), "--out", second).exit_code == 0
    assert ids(first) == ids(second)
    manifests = [json.loads((o / "manifest.json").read_text()) for o in (first, second)]
    assert manifests[0]["key"] == {"id": manifests[1]["key"]["id"], "source": "operator"}


@pytest.mark.parametrize(
    "given",
    [
        "environment",  # LINKAGE_HMAC_KEY first
        "key file",  # then --key-file
    ],
)
def test_a_given_key_overrides_the_operators_and_is_never_written(
    inputs: dict[str, Path], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    mine, given_out = tmp_path / "mine", tmp_path / "given"
    assert invoke("run", *run_args(inputs), "--out", mine).exit_code == 0
    extra: list[str | Path] = []
    if given == "environment":
        monkeypatch.setenv("LINKAGE_HMAC_KEY", "a shared key of 32 bytes or more")
    else:
        key_file = tmp_path / "shared.key"
        key_file.write_text("a shared key of 32 bytes or more\n")
        extra = ["--key-file", key_file]
    result = invoke("run", *run_args(inputs), "--out", given_out, *extra)
    assert result.exit_code == 0, result.output
    assert not ids(mine) & ids(given_out)
    assert not (given_out / ".linkage-key").exists()
    assert json.loads((given_out / "manifest.json").read_text())["key"]["source"] == given


def test_an_outputs_own_key_is_kept_across_reruns(
    inputs: dict[str, Path], home: Path, tmp_path: Path
) -> None:
    """An output of an earlier version (its own random key) keeps its candidate ids."""
    out = tmp_path / "out"
    assert invoke("run", *run_args(inputs), "--out", out).exit_code == 0
    own = "ab" * 32
    (out / ".linkage-key").write_text(own)
    assert invoke("run", *run_args(inputs), "--out", out).exit_code == 0
    assert (out / ".linkage-key").read_text() == own
    assert json.loads((out / "manifest.json").read_text())["key"]["source"] == "previous output"


def test_an_operator_key_readable_by_others_is_refused(home: Path) -> None:
    run_key()
    operator_key_path().chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        run_key()


def test_a_short_key_file_is_a_usage_error(
    inputs: dict[str, Path], home: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "short.key"
    key_file.write_text("short")
    result = invoke("run", *run_args(inputs), "--out", tmp_path / "o", "--key-file", key_file)
    assert_user_error(result, 2)
    assert str(key_file) in result.output
