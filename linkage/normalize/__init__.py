"""Normalize stage: raw strings to typed values and matching keys.

Pure, vectorized ``Series -> Series / DataFrame`` functions for names, identifiers, dates,
amounts, vocabularies and administrative units, and the per-source entry points that turn
a raw table into a contract table plus its rejects (``normalize_payroll`` and friends).
"""

from linkage._vector import arrow_text, factorize_arrow
from linkage.normalize._text import i_for_y
from linkage.normalize.dates import birth_dates, day_dates, periods
from linkage.normalize.ids import (
    employer_root,
    kept_pseudonyms,
    national_ids,
    person_tax_codes,
    pseudonym_kinds,
    si_codes,
    tax_codes,
)
from linkage.normalize.names import clean_name, name_keys
from linkage.normalize.numbers import amounts, months, per_month
from linkage.normalize.surnames import surname_share, surname_shares
from linkage.normalize.tables import (
    VOCABULARY_NAMES,
    Normalized,
    normalize_batch,
    normalize_businesses,
    normalize_insured,
    normalize_payroll,
    reject_duplicates,
)
from linkage.normalize.units import pre2025_districts, unit_codes
from linkage.normalize.vocab import VocabularyMatch, fold_key, map_vocabulary

__all__ = [
    "VOCABULARY_NAMES",
    "Normalized",
    "VocabularyMatch",
    "amounts",
    "arrow_text",
    "birth_dates",
    "clean_name",
    "day_dates",
    "employer_root",
    "factorize_arrow",
    "fold_key",
    "i_for_y",
    "kept_pseudonyms",
    "map_vocabulary",
    "months",
    "name_keys",
    "national_ids",
    "normalize_batch",
    "normalize_businesses",
    "normalize_insured",
    "normalize_payroll",
    "per_month",
    "periods",
    "person_tax_codes",
    "pre2025_districts",
    "pseudonym_kinds",
    "reject_duplicates",
    "si_codes",
    "surname_share",
    "surname_shares",
    "tax_codes",
    "unit_codes",
]
