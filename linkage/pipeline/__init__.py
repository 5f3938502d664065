"""The one place that chains the stages and counts rows between them.

load -> normalize -> link -> eligibility -> write. Every payroll row read ends in exactly one
disposition or one reject; ``write.publish`` refuses to publish when the counts disagree.
``ingest`` reads the sources, ``refresh`` what a refresh takes from the previous output,
``run`` the run itself.
"""

from linkage.pipeline.ingest import (
    Normalizers,
    Progress,
    SourceTable,
    check_input_paths,
    load_inputs,
    load_source,
    load_sources,
)
from linkage.pipeline.refresh import Refresh, previous_run
from linkage.pipeline.run import (
    ReportHook,
    RunChoices,
    RunReport,
    as_of_date,
    run_pipeline,
    suspect_fit,
)

__all__ = [
    "Normalizers",
    "Progress",
    "Refresh",
    "ReportHook",
    "RunChoices",
    "RunReport",
    "SourceTable",
    "as_of_date",
    "check_input_paths",
    "load_inputs",
    "load_source",
    "load_sources",
    "previous_run",
    "run_pipeline",
    "suspect_fit",
]
