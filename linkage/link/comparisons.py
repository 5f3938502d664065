"""The comparisons a run computes, and the one place other code imports comparisons from.

The template and shared machinery are in ``comparison_base``, the person comparisons in
``person``, the employer's in ``employer``; this module names the default set, in the
fixed order model.json records them.
"""

from __future__ import annotations

from linkage.link.comparison_base import (
    MISSING,
    Columns,
    Comparison,
    comparable,
    compare,
    compare_comparable,
    grade,
    packed_digits,
    present,
)
from linkage.link.employer import Employer
from linkage.link.person import BirthDate, FullName, NationalId, Sex

__all__ = [
    "DEFAULT_COMPARISONS",
    "MISSING",
    "BirthDate",
    "Columns",
    "Comparison",
    "Employer",
    "FullName",
    "NationalId",
    "Sex",
    "comparable",
    "compare",
    "compare_comparable",
    "grade",
    "packed_digits",
    "present",
]

DEFAULT_COMPARISONS: tuple[type[Comparison], ...] = (
    FullName,
    BirthDate,
    Sex,
    Employer,
    NationalId,
)
