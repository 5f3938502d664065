"""Identifiers: citizen IDs (CCCD / CMND), tax codes (MST) and social-insurance codes.

Rules follow DOMAIN.md section 1. All functions accept raw strings written with spaces,
dots or dashes, a leading apostrophe (Excel's text marker) or Excel's float rendering
("79012345678.0", "7.9012345678E+10" when every digit survived), and restore a leading
zero that Excel dropped only when the padded number is itself plausible. Invalid input
gives null, never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

import pandas as pd
import pyarrow as pa
from stdnum.vn import mst

from linkage.normalize._vector import frame_from_unique, map_unique

# Pre-2025 GSO province codes (63), the d1-3 of a CCCD is "0" + one of these. Checked
# against vietnam_provinces.legacy in the tests.
PROVINCE_CODES: Final = frozenset(
    {
        "01",
        "02",
        "04",
        "06",
        "08",
        "10",
        "11",
        "12",
        "14",
        "15",
        "17",
        "19",
        "20",
        "22",
        "24",
        "25",
        "26",
        "27",
        "30",
        "31",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "40",
        "42",
        "44",
        "45",
        "46",
        "48",
        "49",
        "51",
        "52",
        "54",
        "56",
        "58",
        "60",
        "62",
        "64",
        "66",
        "67",
        "68",
        "70",
        "72",
        "74",
        "75",
        "77",
        "79",
        "80",
        "82",
        "83",
        "84",
        "86",
        "87",
        "89",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    }
)
_CCCD_PREFIXES: Final = frozenset("0" + code for code in PROVINCE_CODES)
_SEPARATORS_RE: Final = re.compile(r"[\s.\-]")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_EXCEL_FLOAT_RE: Final = re.compile(r"([0-9]+)\.0{1,2}")
_EXCEL_SCIENTIFIC_RE: Final = re.compile(r"([0-9])\.([0-9]+)[eE]\+?([0-9]+)")

NATIONAL_ID_FIELDS: Final = (
    ("national_id", pa.string()),
    ("national_id_kind", pa.string()),
    ("id_birth_year", pa.int16()),
    ("id_gender", pa.string()),
)


def compact_digits(raw: str) -> str | None:
    """Digits of an identifier written with separators or mangled by Excel; else None."""
    text = raw.strip().lstrip("'").strip()
    excel_float = _EXCEL_FLOAT_RE.fullmatch(text)
    if excel_float:
        return excel_float.group(1)
    scientific = _EXCEL_SCIENTIFIC_RE.fullmatch(text)
    if scientific:
        lead, fraction, exponent = scientific.groups()
        # Exact only when every digit is still in the mantissa.
        return lead + fraction if len(fraction) == int(exponent) else None
    text = _SEPARATORS_RE.sub("", text)
    return text if _DIGITS_RE.fullmatch(text) else None


def cccd_parts(digits: str, today: dt.date) -> tuple[int, str] | None:
    """Birth year and sex ("M"/"F") encoded in a 12-digit citizen ID, or None if implausible.

    d1-3 is "0" + a pre-2025 province code; d4 is century and sex (0/1 = 1900s male/female,
    2/3 = 2000s, ...); d5-6 the year within the century. A birth year after ``today`` is
    implausible, which in practice admits d4 in 0-3 only.
    """
    if len(digits) != 12 or digits[:3] not in _CCCD_PREFIXES:
        return None
    code = int(digits[3])
    year = 1900 + 100 * (code // 2) + int(digits[4:6])
    if year > today.year:
        return None
    return year, "F" if code % 2 else "M"


def _same_digit(digits: str) -> bool:
    """Placeholders such as 000000000 or 111111111."""
    return len(set(digits)) == 1


def national_ids(values: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Normalize citizen IDs; decode birth year and sex from CCCDs.

    12 digits with a valid province prefix is a CCCD; 11 digits is taken as a CCCD whose
    leading zero Excel dropped when "0" + value is a valid CCCD. 9 digits is an old CMND
    (no structure to check beyond rejecting one repeated digit); 8 digits not starting
    with 0 is a CMND that lost its leading zero (CMND prefixes 01-09 are real provinces).

    Args:
        values: raw citizen IDs.
        today: reference date for the "birth year not in the future" check.

    Returns:
        Frame of ``national_id`` (digits), ``national_id_kind`` ("cccd" | "cmnd"),
        ``id_birth_year`` (int16, CCCD only), ``id_gender`` ("M" | "F", CCCD only); all
        null for an invalid or missing value. Arrow-backed dtypes.
    """
    reference = today or dt.date.today()

    def compute(uniques: list[str]) -> dict[str, pa.Array]:
        rows = [_national_id(u, reference) for u in uniques]
        return {
            name: pa.array([None if r is None else r[i] for r in rows], type=dtype)
            for i, (name, dtype) in enumerate(NATIONAL_ID_FIELDS)
        }

    return frame_from_unique(values, compute)


def _national_id(raw: str, today: dt.date) -> tuple[str, str, int | None, str | None] | None:
    digits = compact_digits(raw)
    if digits is None:
        return None
    if len(digits) == 11:
        digits = "0" + digits
    if len(digits) == 12:
        parts = cccd_parts(digits, today)
        return None if parts is None else (digits, "cccd", parts[0], parts[1])
    if len(digits) == 8 and digits[0] != "0":
        digits = "0" + digits
    if len(digits) == 9 and not _same_digit(digits):
        return digits, "cmnd", None, None
    return None


def _mst(digits: str) -> str | None:
    """Compact MST (10 or 13 digits) from digits, restoring one dropped leading zero."""
    if len(digits) in (9, 12) and mst.is_valid("0" + digits):
        return "0" + digits
    if len(digits) in (10, 13) and mst.is_valid(digits):
        return digits
    return None


def _tax_code(raw: str) -> str | None:
    digits = compact_digits(raw)
    return None if digits is None else _mst(digits)


def tax_codes(values: pd.Series) -> pd.Series:
    """Enterprise tax codes (MST) in compact form: 10 digits, or 13 for a branch.

    Accepts "0101234567", "01 012 345 67", "0101234567-001"; validated by
    ``stdnum.vn.mst`` (check digit, branch suffix 001-999). A 9- or 12-digit value is
    read as one whose leading zero Excel dropped when the padded value validates.

    Returns:
        Arrow-backed strings; null when invalid or missing.
    """
    return map_unique(values, _tax_code, pa.string())


def employer_root(values: pd.Series) -> pd.Series:
    """The enterprise behind a tax code: the first 10 digits, folding branches together.

    Accepts raw or already normalized tax codes; null when the code is invalid.
    """
    return map_unique(values, lambda raw: (_tax_code(raw) or "")[:10] or None, pa.string())


def person_tax_codes(values: pd.Series, *, today: dt.date | None = None) -> pd.Series:
    """Personal tax codes: a 10-digit MST or, since 1 Jul 2025, a 12-digit citizen ID.

    A 9-digit value padded to a valid MST, or an 11-digit value padded to a valid CCCD,
    is accepted (Excel dropped the zero). Branch codes (13 digits) are not personal.

    Returns:
        Arrow-backed strings; null when invalid or missing.
    """
    reference = today or dt.date.today()

    def person_tax_code(raw: str) -> str | None:
        digits = compact_digits(raw)
        if digits is None:
            return None
        if len(digits) in (11, 12):
            padded = digits.rjust(12, "0")
            return padded if cccd_parts(padded, reference) else None
        if len(digits) in (9, 10):
            return _mst(digits)
        return None

    return map_unique(values, person_tax_code, pa.string())


def si_codes(values: pd.Series, *, today: dt.date | None = None) -> pd.Series:
    """Social-insurance codes: 10 digits, or a 12-digit citizen ID (VSS, from Aug 2025).

    The 10-digit code has no published check digit; one repeated digit is refused as a
    placeholder. Its first two digits are the issuing province [secondary], so a 9-digit
    value is padded to 10 only when "0" + its first digit is a real province code (01,
    02, 04, 06, 08): Excel can only have dropped a leading zero, and a code starting with
    0 must belong to one of those provinces. Other 9-digit values are more likely a lost
    digit than a lost zero and are refused. An 11-digit value is padded to 12 when that
    gives a valid CCCD.

    Returns:
        Arrow-backed strings; null when invalid or missing.
    """
    reference = today or dt.date.today()

    def si_code(raw: str) -> str | None:
        digits = compact_digits(raw)
        if digits is None:
            return None
        if len(digits) == 9 and "0" + digits[0] in PROVINCE_CODES:
            digits = "0" + digits
        if len(digits) == 10:
            return None if _same_digit(digits) else digits
        if len(digits) in (11, 12):
            padded = digits.rjust(12, "0")
            return padded if cccd_parts(padded, reference) else None
        return None

    return map_unique(values, si_code, pa.string())
