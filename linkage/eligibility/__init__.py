"""Eligibility: effective-dated rules turn linked payroll into dispositions and outreach lists.

No string similarity here, and no I/O beyond reading the rule and crosswalk files.
"""

from linkage.eligibility.candidates import candidate_table
from linkage.eligibility.decide import decide
from linkage.eligibility.employers import rank_employers
from linkage.eligibility.registration import registration_report
from linkage.eligibility.rules import RuleSet, load_rules
from linkage.eligibility.units import (
    Crosswalk,
    crosswalk_toml,
    load_crosswalk,
    office_coverage,
    outreach_units,
    route,
)
from linkage.eligibility.workplaces import UNKNOWN_DISTRICT, UNKNOWN_PROVINCE

__all__ = [
    "UNKNOWN_DISTRICT",
    "UNKNOWN_PROVINCE",
    "Crosswalk",
    "RuleSet",
    "candidate_table",
    "crosswalk_toml",
    "decide",
    "load_crosswalk",
    "load_rules",
    "office_coverage",
    "outreach_units",
    "rank_employers",
    "registration_report",
    "route",
]
