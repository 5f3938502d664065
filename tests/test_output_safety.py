"""Batch safety: --out never loses a user's file, one run at a time, kills leave no mess."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pyarrow as pa
import pytest
from click.testing import Result

import linkage.write.outdir as outdir
from linkage.tools.synth import write_sample
from linkage.write.outdir import output_lock, recover
from tests.helpers import assert_user_error, invoke, run_args

ROWS = 400


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("safety") / "in", payroll_rows=ROWS, seed=23)


def run(inputs: dict[str, Path], out: Path) -> Result:
    return invoke("run", *run_args(inputs), "--out", out)


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*"))


def test_folder_of_user_files_is_refused_untouched(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "letter.docx").write_bytes(b"mine")
    assert_user_error(run(inputs, out), 2)
    assert (out / "letter.docx").read_bytes() == b"mine"
    assert sorted(p.name for p in out.iterdir()) == ["letter.docx"]


def test_folder_holding_the_inputs_is_refused(inputs: dict[str, Path]) -> None:
    out = inputs["payroll"].parent
    before = sorted(p.name for p in out.iterdir())
    result = run(inputs, out)
    assert_user_error(result, 2)
    assert "not a linkage output" in result.output
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_file_as_out_is_refused(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("x")
    assert_user_error(run(inputs, out), 2)
    assert out.read_text() == "x"


def test_rerun_replaces_only_what_linkage_wrote(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run(inputs, out)
    assert first.exit_code == 0, first.output
    (out / "notes.txt").write_text("analyst's notes")
    first_run = json.loads((out / "manifest.json").read_text())["run_id"]
    second = run(inputs, out)
    assert second.exit_code == 0, second.output
    assert (out / "notes.txt").read_text() == "analyst's notes"
    assert json.loads((out / "manifest.json").read_text())["run_id"] == first_run  # same inputs
    assert siblings(out) == []  # no lock, staging or old folder left


def test_empty_folder_is_accepted(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    result = run(inputs, out)
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists()


def test_read_only_out_is_refused_before_loading(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkage.write.outdir as outdir

    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)  # read-only for a normal user; root is refused through access()
    monkeypatch.setattr(outdir, "_writable", lambda folder: False)
    loaded = []
    monkeypatch.setattr("linkage.pipeline.run.load_inputs", lambda *a: loaded.append(a))
    try:
        result = run(inputs, parent / "out")
        assert_user_error(result, 2)
        assert "not writable" in result.output
        assert not loaded  # refused before reading any input
    finally:
        parent.chmod(0o700)


@pytest.mark.parametrize("kind", ["file_parent", "user_folder"])
def test_sample_never_writes_over_a_users_files(tmp_path: Path, kind: str) -> None:
    if kind == "file_parent":
        (tmp_path / "afile").write_text("mine")
        out = tmp_path / "afile" / "sample"
    else:
        out = tmp_path / "mine"
        out.mkdir()
        (out / "payroll.csv").write_text("mine")
    result = invoke("sample", "--payroll-rows", "20", "--out", out)
    assert_user_error(result, 2)
    assert (
        (tmp_path / "afile") if kind == "file_parent" else out / "payroll.csv"
    ).read_text() == "mine"


def test_live_lock_refuses_with_its_holder_and_dead_lock_is_taken_over(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tmp_path / ".out.lock"
        started = dt.datetime.now(dt.UTC).isoformat()  # as a holder writes it, once started
        lock.write_text(json.dumps({"pid": holder.pid, "started": started}))
        result = run(inputs, out)
        assert_user_error(result, 3)
        assert f"pid {holder.pid}" in result.output
        assert started in result.output
    finally:
        holder.kill()
        holder.wait()
    result = run(inputs, out)  # the holder is dead now: its lock is taken over
    assert result.exit_code == 0, result.output
    assert siblings(out) == []


def test_leftover_staging_is_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    leftover = tmp_path / ".out.staging-abc123"
    leftover.mkdir()
    (leftover / "links.parquet").write_bytes(b"personal data")
    with output_lock(out) as notes:
        assert any("staging-abc123" in note for note in notes)
    assert siblings(out) == []


def test_an_old_folder_without_journal_only_gives_back(tmp_path: Path) -> None:
    """The trial's state: the manifest moved aside by hand (or by an earlier version).

    Recovery puts the manifest back and deletes nothing it cannot tell is new.
    """
    out = tmp_path / "out"
    (out / "candidates").mkdir(parents=True)
    (out / "candidates" / "part-0.parquet").write_bytes(b"previous list")
    (out / ".linkage-key").write_text("previous key")
    (out / "notes.txt").write_text("mine")
    old = tmp_path / ".out.old-xyz"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"run_id": "previous", "linkage_version": "0"}))
    (old / "links.parquet").write_bytes(b"previous links")
    notes = recover(out)
    assert any("restored" in note for note in notes)
    assert json.loads((out / "manifest.json").read_text())["run_id"] == "previous"
    assert (out / "links.parquet").read_bytes() == b"previous links"
    assert (out / "candidates" / "part-0.parquet").read_bytes() == b"previous list"
    assert (out / ".linkage-key").read_text() == "previous key"
    assert (out / "notes.txt").read_text() == "mine"
    assert siblings(out) == []


def _output(folder: Path, run_id: str, *, user_file: bool) -> None:
    """A small complete output: a manifest, a list, links, a key and a linkage page."""
    (folder / "candidates" / "unit=pre-2025_01_001").mkdir(parents=True)
    (folder / "candidates" / "unit=pre-2025_01_001" / "part-0.parquet").write_text(run_id)
    (folder / "links.parquet").write_text(f"{run_id} links")
    (folder / ".linkage-key").write_text("the one key")
    (folder / "report.html").write_text(f'<meta name="generator" content="linkage 1">{run_id}')
    if run_id == "new":  # an entry the previous output did not have
        (folder / "changes").mkdir()
        (folder / "changes" / "part-0.parquet").write_text("changes")
    if user_file:
        (folder / "notes.txt").write_text("mine")
    (folder / "manifest.json").write_text(json.dumps({"run_id": run_id, "linkage_version": "1"}))


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _publication(tmp_path: Path, *, user_file: bool) -> tuple[Path, Path]:
    final, root = tmp_path / "out", tmp_path / ".out.staging-test"
    for folder, run_id in ((final, "previous"), (root, "new")):
        folder.mkdir()
        _output(folder, run_id, user_file=user_file and folder == final)
    return final, root


def _steps(tmp_path: Path, *, user_file: bool) -> list[str]:
    """Every step a publication of this shape passes, recorded by a dry run."""
    (tmp_path / "dry").mkdir()
    final, root = _publication(tmp_path / "dry", user_file=user_file)
    seen: list[str] = []
    original = outdir._step

    def record(name: str) -> None:
        seen.append(name)

    outdir._step = record
    try:
        outdir._move_in(root, final)
    finally:
        outdir._step = original
    return seen


@pytest.mark.parametrize("user_file", [False, True], ids=["whole_swap", "entry_by_entry"])
def test_a_kill_at_every_publication_step_leaves_one_complete_output(
    tmp_path: Path, user_file: bool
) -> None:
    """SIGKILL at each rename (a forked child dies there), then the next run's recovery."""
    steps = _steps(tmp_path, user_file=user_file)
    assert "journal" in steps
    assert "committed" in steps
    assert len(steps) >= (8 if user_file else 4)
    for number, step in enumerate(steps):
        case = tmp_path / f"case{number}"
        (case / "in").mkdir(parents=True)
        final, root = _publication(case / "in", user_file=user_file)
        before, after = _tree(final), _tree(root)
        if user_file:
            after["notes.txt"] = "mine"
        with warnings.catch_warnings():  # the child only renames files, then dies
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child

            def die(name: str, at: str = step) -> None:
                if name == at:
                    os._exit(9)

            outdir._step = die
            outdir._move_in(root, final)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 9, step
        recover(final)
        assert _tree(final) in (before, after), step
        # the new output counts from the step at which its manifest is in place
        arrived = steps.index("in:manifest.json" if user_file else "committed")
        committed = number >= arrived
        assert _tree(final) == (after if committed else before), step
        assert (final / ".linkage-key").read_text() == "the one key"
        assert siblings(final) == [], step


def test_a_kill_mid_publication_of_a_real_run_keeps_the_previous_output_and_key(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    """The trial's case end to end: killed mid-publish, then a rerun on bad input."""
    out = tmp_path / "out"
    assert run(inputs, out).exit_code == 0
    (out / "notes.txt").write_text("mine")  # entries move one by one beside a user's file
    previous = _tree_bytes(out)
    hook = (
        "import os, sys; import linkage.write.outdir as o; from linkage.cli import main; "
        "o._step = lambda n: os._exit(9) if n == 'in:candidates' else None; "
        "main(sys.argv[1:])"
    )
    other = write_sample(tmp_path / "other", payroll_rows=ROWS, seed=24)
    arguments = ["run", *map(str, run_args(other)), "--out", str(out)]
    killed = subprocess.run([sys.executable, "-c", hook, *arguments], check=False, timeout=300)
    assert killed.returncode == 9
    assert not (out / "manifest.json").exists()  # mid-publication: no complete output yet
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,payroll\n1,2,3\n", encoding="utf-8")
    failed = invoke("run", *run_args({**inputs, "payroll": bad}), "--out", out)
    assert failed.exit_code == 1, failed.output
    assert "restored the previous output" in failed.output
    assert _tree_bytes(out) == previous
    assert siblings(out) == []


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_sigterm_after_the_commit_says_the_output_was_published(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    hook = (
        "import os, signal, sys; import linkage.write.outdir as o; from linkage.cli import main; "
        "o._step = lambda n: os.kill(os.getpid(), signal.SIGTERM) if n == 'committed' else None; "
        "main(sys.argv[1:])"
    )
    assert run(inputs, out).exit_code == 0
    previous = json.loads((out / "manifest.json").read_text())["finished_at"]
    arguments = ["run", *map(str, run_args(inputs)), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", hook, *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 143, done.stderr
    assert "published before termination" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finished_at"] != previous
    assert all((out / f["path"]).exists() for f in manifest["files"])
    assert siblings(out) == []


# The runs the signal and kill tests interrupt: each stage lasts far longer than a kill takes
# to follow the run's event (milliseconds), and the whole run a few seconds.
BIG_ROWS = 4_000


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("big") / "in", payroll_rows=BIG_ROWS, seed=5)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_exits_with_its_code_and_leaves_the_previous_output(
    inputs: dict[str, Path],
    big_inputs: dict[str, Path],
    tmp_path: Path,
    signum: signal.Signals,
    code: int,
) -> None:
    big = big_inputs
    out = tmp_path / "out"
    first = run(inputs, out)
    assert first.exit_code == 0, first.output
    previous = (out / "manifest.json").read_bytes()
    command = [
        sys.executable,
        "-m",
        "linkage",
        "--log-format",
        "json",
        "run",
        *map(str, run_args(big)),
        "--out",
        str(out),
    ]
    # SIGINT at its default in the child even when the suite runs in the background (a
    # background job inherits SIGINT ignored, and Python then keeps ignoring it).
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Signalled once an input is loaded, not after a sleep: a slow machine still importing
    # would die of the signal before the run could handle it.
    seen = b""
    assert process.stderr is not None
    while b'"event": "loaded"' not in seen and (line := process.stderr.readline()):
        seen += line
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    stderr = seen + stderr
    assert process.returncode == code, stderr.decode()
    assert b"Traceback" not in stderr
    assert (out / "manifest.json").read_bytes() == previous
    assert siblings(out) == []


def test_same_inputs_give_byte_identical_files(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeatable runs: the clock is in the manifest only, never in a data file.

    Candidate ids are keyed: the same key (here the environment's) gives the same ids.
    """
    monkeypatch.setenv("LINKAGE_HMAC_KEY", "a key for this test only, 32+ bytes")
    import hashlib

    def digests(out: Path) -> dict[str, str]:
        return {
            p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*.parquet"))
        }

    first, second = tmp_path / "a", tmp_path / "b"
    assert run(inputs, first).exit_code == 0
    assert run(inputs, second).exit_code == 0
    assert digests(first) == digests(second)
    assert any(name.startswith("candidates/") for name in digests(first))
    manifests = [json.loads((o / "manifest.json").read_text()) for o in (first, second)]
    assert manifests[0]["run_id"] == manifests[1]["run_id"]
    assert not (first / ".linkage-key").exists()  # a key from the environment stays there


def test_json_logs_carry_stage_timings_and_no_personal_data(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    import csv

    command = [sys.executable, "-m", "linkage", "--log-format", "json", "run"]
    command += [*map(str, run_args(inputs)), "--out", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    stages = {r["stage"]: r for r in records if r.get("event") == "stage"}
    assert set(stages) == {"load", "link", "eligibility", "publish"}
    assert all(r["seconds"] >= 0 for r in stages.values())
    loaded = {r["source"]: r for r in records if r.get("event") == "loaded"}
    assert loaded["payroll"]["rows_read"] == ROWS
    secrets = set()
    for name in ("payroll", "insured"):
        with inputs[name].open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                secrets |= {v for v in row.values() if v and (len(v) >= 9 or " " in v)}
    leaked = [s for s in secrets if s in done.stderr]
    assert not leaked, leaked[:3]


# The run's own JSON events mark its stages: each kill lands where it is meant to, on any
# machine, where a fixed sleep could land after publication on a fast one.
KILL_POINTS: dict[str, str] = {
    "linking": '"event": "loaded"',
    "deciding": '"event": "stage", "stage": "link"',
    "publishing": '"event": "stage", "stage": "eligibility"',
    "published": '"event": "finished"',
}


@pytest.mark.parametrize("stage", list(KILL_POINTS))
def test_sigkill_at_any_stage_leaves_a_complete_output(
    inputs: dict[str, Path], big_inputs: dict[str, Path], tmp_path: Path, stage: str
) -> None:
    """Killed while linking, deciding or publishing, or once done: the previous output or
    the new one, never half of one."""
    out = tmp_path / "out"
    assert run(inputs, out).exit_code == 0
    previous = json.loads((out / "manifest.json").read_text())["run_id"]
    # the report is staged last: a kill while publishing may land in it
    arguments = [*map(str, run_args(big_inputs, report=stage == "publishing")), "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "linkage", "--log-format", "json", "run", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    marker = KILL_POINTS[stage]
    try:
        while (line := process.stderr.readline()) and marker not in line:
            pass
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stderr.close()
    assert marker in line, f"the run ended before {stage}"
    # Never a half output: the previous one, or (only if it finished first) the new one; a
    # kill between the two renames of a swap leaves no folder until the next run restores.
    if (out / "manifest.json").exists():
        manifest = json.loads((out / "manifest.json").read_text())
        if stage in ("linking", "deciding"):
            assert manifest["run_id"] == previous  # nothing is published before its stage
        if stage == "published" or manifest["run_id"] != previous:
            assert manifest["run_id"] != previous
            assert manifest["accounting"]["payroll_rows_read"] == BIG_ROWS
        assert all((out / f["path"]).exists() for f in manifest["files"])
    else:
        assert stage == "publishing"
    again = run(inputs, out)  # takes over the dead lock, clears the staging folder
    assert again.exit_code == 0, again.output
    assert siblings(out) == []


def _one_line_error(result: Result, code: int, *fragments: str) -> None:
    """A user error of ``code``: one line on screen naming ``fragments``, no traceback."""
    assert_user_error(result, code)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], result.output


def test_a_full_disk_names_the_output_and_keeps_the_previous(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while the staged output is written: exit 2 (the machine's state), one line."""
    import errno

    from linkage.write.files import Staging

    out = tmp_path / "out"
    assert run(inputs, out).exit_code == 0
    previous = _tree_bytes(out)

    def full(
        self: Staging, relative: str, table: pa.Table, metadata: Mapping[str, str]
    ) -> NoReturn:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Staging, "write_parquet", full)
    result = run(inputs, out)
    _one_line_error(result, 2, f"--out {out.resolve()}", "No space left on device")
    assert "previous output is unchanged" in result.output
    assert _tree_bytes(out) == previous
    assert siblings(out) == []


def test_an_unwritable_subfolder_names_it_and_rolls_back(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of the output its user cannot change (EACCES on moving it): exit 2, rolled back.

    The suite runs as root, whom permissions do not stop: the rename is refused here as the
    kernel refuses it to a normal user (moving a folder rewrites its ``..``).
    """
    out = tmp_path / "out"
    assert run(inputs, out).exit_code == 0
    (out / "notes.txt").write_text("mine")  # entry by entry, as beside a user's file
    previous = _tree_bytes(out)
    locked = (out / "candidates").resolve()
    rename = Path.rename

    def refuse(self: Path, target: str | os.PathLike[str]) -> Path:
        if Path(self) == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    result = run(inputs, out)
    _one_line_error(result, 2, str(locked), "Permission denied")
    assert _tree_bytes(out) == previous
    assert siblings(out) == []


def test_a_lock_that_is_a_folder_is_a_message(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(inputs, out).exit_code == 0
    previous = _tree_bytes(out)
    lock = tmp_path / ".out.lock"
    lock.mkdir()
    result = run(inputs, out)
    _one_line_error(result, 2, str(lock.resolve()), "not linkage's lock file")
    assert _tree_bytes(out) == previous
    assert lock.is_dir()  # not removed: linkage did not make it


@pytest.mark.parametrize(
    "pid",
    [
        1,  # the trial's case: a lock of pid 1 blocked for ever
        None,  # a process of this test, started after the lock was written
    ],
)
def test_a_lock_whose_pid_now_belongs_to_a_later_process_is_taken_over(
    inputs: dict[str, Path], tmp_path: Path, pid: int | None
) -> None:
    """A dead run's pid reused (a reboot, a restarted container): the lock is older."""
    out = tmp_path / "out"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        written = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)  # before any process here
        lock = tmp_path / ".out.lock"
        lock.write_text(json.dumps({"pid": pid or other.pid, "started": written.isoformat()}))
        result = run(inputs, out)
        assert result.exit_code == 0, result.output
    finally:
        other.kill()
        other.wait()
    assert siblings(out) == []


def test_a_folder_with_a_stray_manifest_is_not_an_output(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A user's own manifest.json (even with a run_id) does not make a folder linkage's."""
    out = tmp_path / "project"
    out.mkdir()
    stray = json.dumps({"run_id": "2024-05", "linkage_version": "n/a", "notes": "mine"})
    (out / "manifest.json").write_text(stray)
    (out / "links.parquet").write_bytes(b"mine too")
    result = run(inputs, out)
    assert_user_error(result, 2)
    assert "not a linkage output" in result.output
    assert (out / "manifest.json").read_text() == stray
    assert (out / "links.parquet").read_bytes() == b"mine too"


def test_recovery_is_a_warning_and_a_json_event(inputs: dict[str, Path], tmp_path: Path) -> None:
    """Off a terminal too: what recovery did is logged at warning level, as JSON under json."""
    out = tmp_path / "out"
    leftover = tmp_path / ".out.staging-left"
    leftover.mkdir()
    result = invoke("--log-format", "json", "run", *run_args(inputs), "--out", out)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    recovered = [r for r in records if r.get("event") == "recovered"]
    assert recovered, result.output
    assert all(r["level"] == "warning" for r in recovered)
    assert "staging-left" in recovered[0]["note"]
