"""Settings for the whole suite.

Hypothesis draws the same examples on every run: a property that fails once fails every
time, on every machine, and CI never turns red on a draw no one can repeat. Explore new draws
on purpose with ``--hypothesis-profile default``.

Helpers shared by several modules are plain functions in ``tests/helpers.py``; the
fixtures shared by several modules are here.

The operator's key (``~/.config/linkage/key``) lives in a folder of the session, set before
any fixture runs a pipeline and inherited by the subprocesses tests start: the suite never
writes to the real home.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from linkage.tools.synth import write_sample

settings.register_profile("derandomized", derandomize=True, print_blob=True)
settings.load_profile("derandomized")


@pytest.fixture(scope="session", autouse=True)
def operator_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``XDG_CONFIG_HOME`` in a temporary folder for the whole session."""
    previous = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    yield
    if previous is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = previous


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated world of 600 payroll rows (seed 17), one per module that asks for it.

    Modules that need another world define their own ``inputs``, which takes precedence.
    """
    return write_sample(tmp_path_factory.mktemp("cli") / "in", payroll_rows=600, seed=17)
