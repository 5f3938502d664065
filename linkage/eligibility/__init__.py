"""Eligibility: effective-dated rules turn linked payroll into dispositions and outreach lists.

No string similarity and no I/O happen here, except reading the rule and crosswalk files.
"""

from linkage.eligibility.decide import EXTRA_COLUMNS, decide
from linkage.eligibility.rules import RuleSet, load_rules

__all__ = ["EXTRA_COLUMNS", "RuleSet", "decide", "load_rules"]
