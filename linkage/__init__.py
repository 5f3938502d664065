"""linkage: find workers who should be socially insured, from tax-agency data.

Stages run one way: load -> normalize -> link -> eligibility -> write. ``run`` executes them
all for a configuration; the pipeline is imported on first use so that ``import linkage``
stays cheap for tools that only need the config or the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linkage._version import __version__
from linkage.config import Config, load_config

if TYPE_CHECKING:
    from linkage.pipeline import RunReport

__all__ = ["Config", "__version__", "load_config", "run"]


def run(config: Config, **options: Any) -> RunReport:
    """Run the pipeline on ``config`` and publish it, ``report.html`` included.

    ``options`` are ``linkage.pipeline.run_pipeline``'s: ``progress``, ``previous``,
    ``refit``, ``key_file``, ``as_of``, ``force``.
    """
    from linkage.analysis.report import run_report
    from linkage.pipeline import run_pipeline

    return run_pipeline(config, report=run_report, **options)
