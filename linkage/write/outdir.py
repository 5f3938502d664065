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
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from linkage.errors import ConfigError, OutputLocked
from linkage.privacy import KEY_FILE
from linkage.write.files import DIR_MODE, Staging, fsync_tree, make_dir

MANIFEST: Final = "manifest.json"
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
    MANIFEST,
)


def is_linkage_output(path: Path) -> bool:
    """True when ``path`` holds a manifest written by linkage."""
    try:
        document = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and {"run_id", "linkage_version"} <= document.keys()


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


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[list[str]]:
    """Hold ``out``'s lock for a run; yields notes on recovered leftovers of killed runs.

    Raises:
        OutputLocked: a live process holds the lock (exit 3), naming its pid and start.
        ConfigError: the output is refused by ``check_output``.
    """
    out = out.resolve()
    check_output(out, contents=False)
    make_dir(out.parent)
    lock = out.parent / _sibling(out, "lock")
    holder = json.dumps({"pid": os.getpid(), "started": dt.datetime.now(dt.UTC).isoformat()})
    for _ in range(2):
        try:
            descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                other = json.loads(lock.read_text(encoding="utf-8"))
                pid, started = int(other["pid"]), str(other["started"])
            except (OSError, ValueError, KeyError, TypeError):
                pid, started = -1, "unknown"
            if pid > 0 and _alive(pid):
                msg = (
                    f"--out {out}: locked by another linkage run (pid {pid}, started "
                    f"{started}); wait for it to finish, or stop it"
                )
                raise OutputLocked(msg) from None
            lock.unlink(missing_ok=True)  # its holder is dead: take over
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(holder)
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
    """Undo what a killed run left beside ``out``; call only while holding its lock."""
    notes = []
    for old in sorted(out.parent.glob(_sibling(out, "old-*"))):
        if not (out / MANIFEST).exists() and (old / MANIFEST).exists():
            for name in OUTPUT_ENTRIES:  # partial new entries give way to the old output
                _remove(out / name)
            make_dir(out)
            for entry in old.iterdir():
                entry.rename(out / entry.name)
            notes.append(
                f"restored the previous output from an interrupted publication ({old.name})"
            )
        shutil.rmtree(old, ignore_errors=True)
    for staging in sorted(out.parent.glob(_sibling(out, "staging-*"))):
        shutil.rmtree(staging, ignore_errors=True)
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
    try:
        yield Staging(root)
        fsync_tree(root)
        _move_in(root, final)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _move_in(root: Path, final: Path) -> None:
    """Swap linkage's entries of ``final`` for those of ``root``; restore them on failure.

    A folder of linkage's files only is swapped whole; beside a user's files, entries move
    one by one (manifest out first, in last), and a kill in that short window is undone
    by the next run's ``recover``.
    """
    if not final.exists() or not any(final.iterdir()):
        with contextlib.suppress(FileNotFoundError):
            final.rmdir()
        root.rename(final)
        return
    old = Path(tempfile.mkdtemp(prefix=_sibling(final, "old-"), dir=final.parent))
    if {entry.name for entry in final.iterdir()} <= set(OUTPUT_ENTRIES):
        # Only linkage's files: swap whole folders, so a reader never sees a mix (a kill
        # between the two renames leaves no folder, and the next run restores the old).
        old.rmdir()
        final.rename(old)
        try:
            root.rename(final)
        except BaseException:
            old.rename(final)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    moved_out: list[str] = []
    moved_in: list[str] = []
    new_entries = sorted((e.name for e in root.iterdir()), key=_publish_order)
    try:
        for name in (MANIFEST, *OUTPUT_ENTRIES[:-1]):  # the manifest leaves first
            if (final / name).exists():
                (final / name).rename(old / name)
                moved_out.append(name)
        for name in new_entries:  # ... and arrives last
            (root / name).rename(final / name)
            moved_in.append(name)
    except BaseException:
        for name in moved_in:
            _remove(final / name)
        for name in moved_out:
            (old / name).rename(final / name)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _publish_order(name: str) -> tuple[bool, str]:
    return (name == MANIFEST, name)
