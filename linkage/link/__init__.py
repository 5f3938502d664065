"""Link stage: exact-ID passes, blocking, comparisons, Fellegi-Sunter model, assignment."""

from linkage.link.blocking import DEFAULT_BLOCKING, BlockingRule, with_employer_province
from linkage.link.evaluate import LinkQuality, blocking_recall, link_quality
from linkage.link.linker import LinkResult, link_records, make_comparisons
from linkage.link.model import FellegiSunterModel, FitReport

__all__ = [
    "DEFAULT_BLOCKING",
    "BlockingRule",
    "FellegiSunterModel",
    "FitReport",
    "LinkQuality",
    "LinkResult",
    "blocking_recall",
    "link_quality",
    "link_records",
    "make_comparisons",
    "with_employer_province",
]
