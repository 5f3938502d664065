"""linkage: find workers who should be socially insured, from tax-agency data.

Stages run one way: load -> normalize -> link -> eligibility -> write. ``run`` executes them
all for a configuration; the pipeline is imported on first use so that ``import linkage``
stays cheap for tools that only need the config or the schema.
"""

from typing import Any

from linkage._version import __version__
from linkage.config import Config, load_config

__all__ = ["Config", "__version__", "load_config", "run"]


def __getattr__(name: str) -> Any:
    if name == "run":
        from linkage.pipeline import run_pipeline

        return run_pipeline
    msg = f"module 'linkage' has no attribute {name!r}"
    raise AttributeError(msg)
