"""The public surface: ``linkage`` exports exactly its API, each stage what it defines.

In the manner of httpx's ``test_exported_members``: a function or class made public in a
package without ``__all__`` saying so, or an ``__all__`` naming nothing, fails here.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import linkage

STAGES = ("load", "normalize", "link", "eligibility", "write")


def test_the_package_exports_its_api() -> None:
    assert sorted(linkage.__all__) == ["Config", "__version__", "load_config", "run"]
    assert inspect.signature(linkage.run).parameters["config"].annotation == "Config"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_exports_what_it_defines(stage: str) -> None:
    package = importlib.import_module(f"linkage.{stage}")
    exported = set(package.__all__)
    assert all(hasattr(package, name) for name in exported), stage
    defined = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == package.__name__
    }
    assert defined <= exported, sorted(defined - exported)
