"""The output directory: never lose a user's file, one run at a time, recover from kills.

``--out`` must be a new directory, an empty one, or a previous linkage output (it holds
linkage's ``manifest.json``); anything else is refused before any work. Publishing replaces
only the entries linkage writes (``OUTPUT_ENTRIES``): a user's own file beside them stays.

Beside the output NAME live, while a run holds it, three kinds of siblings (the staging
and old folders take a random suffix from ``tempfile.mkdtemp``):

    .NAME.lock               pid and start time of the run writing NAME (exclusive create)
    .NAME.staging-<suffix>   the new output being written
    .NAME.old-<suffix>       the previous output's entries, moved aside while the new ones
                             move in

A killed run (SIGKILL, power loss) leaves them behind; the next run on the same output takes
over the dead holder's lock and recovers: a complete previous output is restored, partial
new entries and staging folders are removed. The manifest moves out first and in last, so
``NAME/manifest.json`` exists exactly when NAME holds a complete output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from linkage.errors import ConfigError, OutputLocked
from linkage.privacy import KEY_FILE
from linkage.write.files import (
    DIR_MODE,
    Staging,
    fsync_tree,
    is_linkage_page,
    make_dir,
    owned_file,
    sha256_of,
)

MANIFEST: Final = "manifest.json"
REPORT: Final = "report.html"
# Every top-level entry linkage writes into an output, manifest last.
OUTPUT_ENTRIES: Final = (
    "candidates",
    "employers",
    "changes",
    "excel",
    KEY_FILE,
    "links.parquet",
    "rejects.parquet",
    "summary.parquet",
    "model.json",
    REPORT,
    MANIFEST,
)


# The fields of every manifest linkage writes: a user's own manifest.json is not one.
MANIFEST_FIELDS: Final = frozenset({"run_id", "linkage_version", "files", "accounting"})


def is_linkage_output(path: Path) -> bool:
    """True when ``path`` holds a manifest written by linkage (``MANIFEST_FIELDS``)."""
    try:
        document = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.keys() >= MANIFEST_FIELDS


def _sibling(out: Path, kind: str) -> str:
    return f".{out.name}.{kind}"


def check_output(out: Path, *, contents: bool = True) -> None:
    """Refuse an output that is not new, empty or a previous linkage output (exit 2).

    Args:
        out: the output directory, resolved.
        contents: also judge what the folder holds (after recovering a killed run).

    Raises:
        ConfigError: ``out`` is a file, a folder of other files, or cannot be written.
    """
    if out.exists() and not out.is_dir():
        msg = f"--out {out}: is a file; give a new or empty directory, or a previous output"
        raise ConfigError(msg)
    if contents and out.is_dir() and any(out.iterdir()) and not is_linkage_output(out):
        count = sum(1 for _ in out.iterdir())
        msg = (
            f"--out {out}: holds {count} entries and is not a linkage output (no linkage "
            f"{MANIFEST}); linkage never replaces files it did not write. Give a new or "
            "empty directory"
        )
        raise ConfigError(msg)
    parent = _existing_ancestor(out.parent)
    if not (_writable(parent) and (not out.is_dir() or _writable(out))):
        msg = f"--out {out}: not writable by this user; nothing was read or written"
        raise ConfigError(msg)


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


_CLOCK_SLACK: Final = 2.0  # seconds: /proc/stat's boot time is whole seconds, clocks drift


def _process_start(pid: int) -> dt.datetime | None:
    """When process ``pid`` started (Linux /proc), or None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        # field 22, starttime, in clock ticks after boot; fields count from 3 after ")"
        ticks = int(stat[stat.rindex(")") + 1 :].split()[19])
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return dt.datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), dt.UTC)


def _holds_lock(pid: int, started: str) -> bool:
    """Whether process ``pid``, alive, can be the run that wrote a lock at ``started``.

    A process started after the lock was written is another one that reuses a dead
    holder's pid (after a reboot, in a restarted container): the lock is taken over.
    """
    if pid <= 0 or not _alive(pid):
        return False
    try:
        written = dt.datetime.fromisoformat(started)
    except ValueError:
        return True  # cannot tell: a live pid keeps the lock
    began = _process_start(pid)
    if began is None or written.tzinfo is None:
        return True
    return (began - written).total_seconds() <= _CLOCK_SLACK


def _read_lock(lock: Path) -> tuple[int, str]:
    """The pid and start time a lock file records; (-1, "unknown") when unreadable."""
    try:
        other = json.loads(lock.read_text(encoding="utf-8"))
        return int(other["pid"]), str(other["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1, "unknown"


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[list[str]]:
    """Hold ``out``'s lock for a run; yields notes on recovered leftovers of killed runs.

    The lock file is written whole, then linked into place, so a reader never finds it
    empty. A lock whose pid is dead, or now another process's (started after the lock), is
    taken over.

    Raises:
        OutputLocked: a live process holds the lock (exit 3), naming its pid and start.
        ConfigError: the output is refused by ``check_output``, or its lock's name is
            taken by a folder or other non-file.
    """
    out = out.resolve()
    check_output(out, contents=False)
    make_dir(out.parent)
    lock = out.parent / _sibling(out, "lock")
    holder = json.dumps({"pid": os.getpid(), "started": dt.datetime.now(dt.UTC).isoformat()})
    for _ in range(2):
        if (lock.exists() or lock.is_symlink()) and not lock.is_file():
            msg = (
                f"--out {out}: {lock} is not linkage's lock file (a folder or other "
                "non-file); remove it, then run again"
            )
            raise ConfigError(msg)
        try:
            with owned_file(lock, replace=False) as partial:
                partial.write_text(holder, encoding="utf-8")
        except FileExistsError:
            pid, started = _read_lock(lock)
            if _holds_lock(pid, started):
                msg = (
                    f"--out {out}: locked by another linkage run (pid {pid}, started "
                    f"{started}); wait for it to finish, or stop it. If no linkage run is "
                    f"running, remove {lock}"
                )
                raise OutputLocked(msg) from None
            lock.unlink(missing_ok=True)  # its holder is dead (or its pid reused): take over
            continue
        break
    else:  # pragma: no cover - another process won the race twice
        msg = f"--out {out}: could not take the lock {lock.name}; try again"
        raise OutputLocked(msg)
    try:
        notes = recover(out)  # a killed publication is undone before the folder is judged
        check_output(out)
        yield notes
    finally:
        lock.unlink(missing_ok=True)


def recover(out: Path) -> list[str]:
    """Undo what a killed run left beside ``out``; call only while holding its lock.

    A journaled publication is rolled back, or forward once its manifest had arrived. An
    old folder without a journal (an earlier version's, or moved by hand) only gives its
    entries back: nothing in ``out`` is deleted unless an entry of the old folder replaces it.
    """
    notes = []
    journal = out.parent / _sibling(out, "journal")
    if journal.exists():
        notes.append(_replay(out, journal))
    for partial in out.parent.glob(f".{journal.name}.partial-*"):
        partial.unlink()  # killed before its journal was complete: nothing had moved
    for old in sorted(out.parent.glob(_sibling(out, "old-*"))):
        if not (out / MANIFEST).exists() and (old / MANIFEST).exists():
            make_dir(out)
            for entry in old.iterdir():
                _remove(out / entry.name)
                entry.rename(out / entry.name)
            notes.append(
                f"restored the previous output from an interrupted publication ({old.name})"
            )
        _remove_tree(old)
    for staging in sorted(out.parent.glob(_sibling(out, "staging-*"))):
        _remove_tree(staging)
        notes.append(f"removed {staging.name}, left by a killed run")
    return notes


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def publication(final: Path) -> Iterator[Staging]:
    """Stage an output and move it into ``final`` only if the block completes.

    Only linkage's entries of a previous output are replaced; other files stay. On an
    exception (SIGINT and SIGTERM included) the staging folder is removed and ``final`` is
    left as it was.
    """
    final = final.resolve()
    make_dir(final.parent)
    root = Path(tempfile.mkdtemp(prefix=_sibling(final, "staging-"), dir=final.parent))
    root.chmod(DIR_MODE)
    new_manifest: list[str] = []  # its hash, once staged: tells whether it arrived
    try:
        yield Staging(root)
        fsync_tree(root)
        if (root / MANIFEST).is_file():
            new_manifest.append(sha256_of(root / MANIFEST))
        _move_in(root, final)
    except OSError as e:  # a full disk, a folder of the output this user cannot change
        raise _unwritable(final, e, published=_holds(final, new_manifest)) from e
    finally:
        _remove_tree(root)


def _holds(final: Path, manifest_sha256: list[str]) -> bool:
    """Whether ``final`` holds the manifest of this hash (the new output arrived)."""
    try:
        return bool(manifest_sha256) and sha256_of(final / MANIFEST) == manifest_sha256[0]
    except OSError:
        return False


def _unwritable(final: Path, error: OSError, *, published: bool) -> ConfigError:
    """An output that cannot be written, said in one line naming the path (exit 2).

    A full disk or a folder without permission is the machine's state, not the data's:
    like a refused ``--out`` it is exit 2, fixed by the operator, and the run can be
    repeated as it was.
    """
    where = f" {error.filename}" if error.filename else ""
    reason = error.strerror or str(error) or type(error).__name__
    outcome = (
        "the new output was published; only the clean-up failed"
        if published
        else "nothing was published, the previous output is unchanged"
    )
    msg = f"--out {final}: cannot write{where} ({reason}); {outcome}"
    return ConfigError(msg)


def _remove_tree(path: Path) -> None:
    """Remove a staging or old folder, even one holding a folder its owner made read-only.

    Such a folder could not be emptied, and an old output (personal data) would stay beside
    ``out``; its owner may make it writable again, so that is done and the removal retried.
    """

    def retry(function: Callable[..., object], failed: str, error: BaseException) -> None:
        if isinstance(error, FileNotFoundError):
            return
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), DIR_MODE)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, DIR_MODE)
                shutil.rmtree(failed, ignore_errors=True)
            else:
                os.unlink(failed)

    shutil.rmtree(path, onexc=retry)


# Each step of a publication calls this with its name; a test replaces it to kill the
# process exactly there (tests/test_output_safety.py).
def _step(name: str) -> None:
    """A point of publication where a kill must leave one complete output."""


def _move_in(root: Path, final: Path) -> None:
    """Swap linkage's entries of ``final`` for those of ``root``, under a journal.

    The journal (``.NAME.journal``, written and fsynced before the first rename) names the
    staging and old folders, what moves and the new manifest's hash, so every state a kill
    can leave is one complete output to recover: ``_replay`` rolls back until the new
    manifest is in place and forward after. A folder of linkage's files only is swapped
    whole (a reader never sees a mix); beside a user's files entries move one by one, the
    manifest out first and in last.
    """
    if not final.exists() or not any(final.iterdir()):
        with contextlib.suppress(FileNotFoundError):
            final.rmdir()
        root.rename(final)
        _step("renamed")
        return
    old = Path(tempfile.mkdtemp(prefix=_sibling(final, "old-"), dir=final.parent))
    present = {entry.name for entry in final.iterdir()}
    ours = {n for n in present & set(OUTPUT_ENTRIES) if n != REPORT or is_linkage_page(final / n)}
    whole = ours == present
    moving_out: list[str] = (
        [] if whole else [n for n in (MANIFEST, *OUTPUT_ENTRIES[:-1]) if n in ours]
    )
    # never over a user's file of the same name (their own report.html)
    moving_in = sorted({e.name for e in root.iterdir()} - (present - ours), key=_publish_order)
    entries = {
        "staging": root.name,
        "old": old.name,
        "manifest_sha256": sha256_of(root / MANIFEST),
        "whole": whole,
        "out": moving_out,
        "in": moving_in,
    }
    journal = final.parent / _sibling(final, "journal")
    with owned_file(journal, replace=False) as partial:
        partial.write_text(json.dumps(entries), encoding="utf-8")
    _step("journal")
    try:  # whatever stops the moves, the journal's replay leaves one complete output
        if whole:
            old.rmdir()
            final.rename(old)
            _step("old")
            root.rename(final)
        else:
            for name in moving_out:
                (final / name).rename(old / name)
                _step(f"out:{name}")
            for name in moving_in:
                (root / name).rename(final / name)
                _step(f"in:{name}")
        _step("committed")
    finally:
        _replay(final, journal)


def _replay(final: Path, journal: Path) -> str:
    """Finish a journaled publication: forward if its manifest arrived, else back."""
    entries = json.loads(journal.read_text(encoding="utf-8"))
    root, old = final.parent / entries["staging"], final.parent / entries["old"]
    manifest = final / MANIFEST
    if manifest.is_file() and sha256_of(manifest) == entries["manifest_sha256"]:
        note = "completed an interrupted publication (its manifest had arrived)"
    elif entries["whole"]:
        if not final.exists() and old.exists():  # killed between the two renames
            old.rename(final)
        note = "restored the previous output from an interrupted publication"
    else:
        for name in reversed(entries["in"]):  # new entries go back to the staging folder
            if (final / name).exists() and not (root / name).exists():
                (final / name).rename(root / name)
        for name in entries["out"]:
            if (old / name).exists():
                (old / name).rename(final / name)
        note = "restored the previous output from an interrupted publication"
    _step("replayed")
    _remove_tree(old)
    _remove_tree(root)
    journal.unlink()
    return note


def _publish_order(name: str) -> tuple[bool, str]:
    return (name == MANIFEST, name)
