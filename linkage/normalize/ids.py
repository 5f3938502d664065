"""Identifiers: citizen IDs (CCCD / CMND), tax codes (MST) and social-insurance codes.

Rules follow DOMAIN.md section 1. All functions accept raw strings written with spaces,
dots or dashes, a leading apostrophe (Excel's text marker) or Excel's float rendering
("79012345678.0", "7.9012345678E+10" when every digit survived), and restore a leading
zero that Excel dropped only when the padded number is itself plausible. Invalid input
gives null, never an exception.

Citizen IDs and SI codes are nearly all distinct, so these checks run as Arrow string
kernels and integer arithmetic over the distinct values rather than per value in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import as_series, factorize_arrow, take

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
_PROVINCE_INTS: Final = np.array(sorted(int(code) for code in PROVINCE_CODES), dtype=np.int64)
_EXCEL_FLOAT_RE: Final = re.compile(r"([0-9]+)\.0{1,2}")
_EXCEL_SCIENTIFIC_RE: Final = re.compile(r"([0-9])\.([0-9]+)[eE]\+?([0-9]+)")
_SEPARATORS_RE: Final = re.compile(r"[\s.\-\u200b-\u200d\u2060\ufeff]")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_MST_WEIGHTS: Final = (31, 29, 23, 19, 17, 13, 7, 5, 3)

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def compact_digits(raw: str) -> str | None:
    """Digits of one identifier written with separators or mangled by Excel; else None.

    The scalar reference of the vectorized path, also used for reject record keys.
    """
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


class _Digits(NamedTuple):
    """Distinct raw values reduced to digits, with their length and integer value."""

    text: pa.Array  # digits as a string, null when the value is not an identifier
    length: Ints  # 0 where text is null
    value: Ints  # integer value (leading zeros vanish), 0 where null or > 18 digits


def _digits(uniques: pa.Array) -> _Digits:
    texts = pc.replace_substring_regex(uniques, r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}]", "")
    texts = pc.utf8_trim_whitespace(texts)
    texts = pc.replace_substring_regex(texts, r"^'\s*", "")
    excel = pc.struct_field(pc.extract_regex(texts, r"^(?P<d>[0-9]+)\.0{1,2}$"), [0])
    # Spaces, NBSP, narrow NBSP, dots, dashes and zero-width characters are separators.
    plain = pc.replace_substring_regex(
        texts, r"[\s\x{00A0}\x{202F}.\-\x{200B}-\x{200D}\x{2060}\x{FEFF}]", ""
    )
    plain = pc.if_else(pc.match_substring_regex(plain, "^[0-9]+$"), plain, None)
    digits = pc.coalesce(excel, plain)
    scientific = pc.match_substring_regex(texts, "[eE]").to_numpy(zero_copy_only=False)
    if scientific.any():  # rare: fall back to the scalar rule for those values
        values = digits.to_pylist()
        for i in np.flatnonzero(scientific):
            values[i] = compact_digits(uniques[i].as_py())
        digits = pa.array(values, type=pa.string())
    length = pc.fill_null(pc.utf8_length(digits), 0).to_numpy().astype(np.int64)
    short = pc.if_else(pa.array((length > 0) & (length <= 18)), digits, None)
    value = pc.fill_null(pc.cast(short, pa.int64()), 0).to_numpy().astype(np.int64)
    return _Digits(digits, length, value)


def _pad(digits: pa.Array, where: Bools) -> pa.Array:
    """Prefix "0" to the digits where ``where`` holds."""
    padded = pc.binary_join_element_wise("0", digits, "")
    return pc.if_else(pa.array(where), padded, digits)


def _cccd(value: Ints, today: dt.date) -> tuple[Bools, Ints, Bools]:
    """Plausible 12-digit citizen IDs (value of 11 or 12 digits), birth year, female flag.

    d1-3 is "0" + a pre-2025 province code; d4 is century and sex (0/1 = 1900s
    male/female, 2/3 = 2000s, ...); d5-6 the year within the century. A birth year after
    ``today`` is implausible, which in practice admits d4 in 0-3 only.
    """
    century_sex = (value // 10**8) % 10
    year = 1900 + 100 * (century_sex // 2) + (value // 10**6) % 100
    plausible = np.isin(value // 10**9, _PROVINCE_INTS) & (year <= today.year)
    return plausible, year, century_sex % 2 == 1


def _mst_ok(value: Ints, length: Ints) -> Bools:
    """The ``stdnum.vn.mst`` rule on integers: 10 digits, or 13 with branch 001-999."""
    branch = length == 13
    base = np.where(branch, value // 1000, value)
    total = np.zeros(len(value), dtype=np.int64)
    for position, weight in enumerate(_MST_WEIGHTS):
        total += weight * ((base // 10 ** (9 - position)) % 10)
    check = 10 - total % 11
    valid = (
        ((length == 10) | branch)
        & (check == base % 10)
        & ((base // 10) % 10**7 != 0)
        & ~(branch & (value % 1000 == 0))
    )
    return np.asarray(valid, dtype=bool)


def _same_digit(value: Ints, length: Ints) -> Bools:
    """Placeholders such as 000000000 or 111111111 (repunit multiples)."""
    repunit = (10 ** np.minimum(length, 18) - 1) // 9
    return np.asarray(value % np.maximum(repunit, 1) == 0, dtype=bool)


def _strings(values: pd.Series, per_unique: pa.Array, keep: Bools, codes: Ints) -> pd.Series:
    chosen = pc.if_else(pa.array(keep), per_unique, None)
    return as_series(take(codes, chosen), values)


class _Parsed(NamedTuple):
    """Distinct values of an ID column read as digits, with their citizen-ID reading."""

    codes: Ints  # position of each row's value among the distinct values
    digits: _Digits
    cccd: Bools  # a plausible citizen ID: 12 digits, or 10-11 whose leading zeros were dropped
    year: Ints  # birth year a CCCD encodes
    female: Bools


def _parse(values: pd.Series, today: dt.date | None) -> _Parsed:
    codes, uniques = factorize_arrow(values)
    digits = _digits(uniques)
    plausible, year, female = _cccd(digits.value, today or dt.date.today())
    # 12 digits, or 11 / 10 when Excel dropped the leading "0" / "00" (provinces 001-009).
    cccd = (digits.length >= 10) & (digits.length <= 12) & plausible
    return _Parsed(codes, digits, cccd, year, female)


def _pad_cccd(digits: pa.Array, cccd: Bools) -> pa.Array:
    """Restore the leading zeros a CCCD stored as a number lost."""
    padded = pc.utf8_lpad(digits, 12, "0")
    return pc.if_else(pa.array(cccd), padded, digits)


def national_ids(values: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Normalize citizen IDs; decode birth year and sex from CCCDs.

    12 digits with a valid province prefix is a CCCD; 11 or 10 digits are taken as a CCCD
    whose leading zeros Excel dropped (a Hà Nội ``001...`` stored as a number keeps 10)
    when the zero-padded value is a valid CCCD. Scientific notation that lost digits
    ("1.00981E+11") is never guessed: it is null, and counted by the caller. 9 digits is an old CMND
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
    codes, digits, cccd, year, female = _parse(values, today)
    length, value = digits.length, digits.value
    cmnd = ((length == 9) | ((length == 8) & (value >= 10**7))) & ~_same_digit(value, length)
    text = _pad(_pad_cccd(digits.text, cccd), (length == 8) & cmnd)
    kind = np.where(cccd, "cccd", "cmnd").astype(object)
    gender = np.where(female, "F", "M").astype(object)
    return pd.DataFrame(
        {
            "national_id": _strings(values, text, cccd | cmnd, codes),
            "national_id_kind": _strings(values, pa.array(kind), cccd | cmnd, codes),
            "id_birth_year": as_series(
                take(codes, pa.array(year, mask=~cccd).cast(pa.int16())), values
            ),
            "id_gender": _strings(values, pa.array(gender), cccd, codes),
        },
        index=values.index,
    )


def tax_codes(values: pd.Series, *, today: dt.date | None = None) -> pd.Series:
    """Employer tax codes in compact form: a 10-digit MST, 13 for a branch, or a citizen ID.

    Accepts "0101234567", "01 012 345 67", "0101234567-001"; MSTs are validated by the
    ``stdnum.vn.mst`` rule (check digit, branch suffix 001-999) run as integer arithmetic
    on all distinct values at once (a test holds the two equal). A household business may be
    registered under its owner's 12-digit citizen ID: a plausible CCCD that starts with
    "0" (a lost-zero 13-digit branch cannot) is kept as that ID, 11 digits padded. A 9- or
    12-digit value is otherwise read as one whose leading zero Excel dropped when the padded
    value validates.

    Returns:
        Arrow-backed strings; null when invalid or missing.
    """
    codes, digits, cccd, _, _ = _parse(values, today)
    length, value = digits.length, digits.value
    leading_zero = pc.fill_null(pc.starts_with(digits.text, "0"), False)
    leading_zero = leading_zero.to_numpy(zero_copy_only=False)
    household = cccd & (length >= 11) & ((length == 11) | leading_zero)
    # An MST as written, or one whose leading zero Excel dropped, checked with the zero back.
    lost_zero = ((length == 9) | (length == 12)) & _mst_ok(value, length + 1)
    written = ((length == 10) | (length == 13)) & _mst_ok(value, length)
    text = _pad(_pad_cccd(digits.text, household), lost_zero & ~household)
    return _strings(values, text, household | lost_zero | written, codes)


def employer_root(codes: pd.Series) -> pd.Series:
    """The enterprise behind a normalized tax code: a branch folds to its 10-digit parent.

    A 10-digit MST or a 12-digit citizen ID (household business) is its own root.
    """
    array = pa.array(codes, type=pa.string(), from_pandas=True)
    branch = pc.equal(pc.utf8_length(array), 13)
    root = pc.if_else(branch, pc.utf8_slice_codeunits(array, 0, 10), array)
    return as_series(root, codes)


def person_tax_codes(values: pd.Series, *, today: dt.date | None = None) -> pd.Series:
    """Personal tax codes: a 10-digit MST or, since 1 Jul 2025, a 12-digit citizen ID.

    A 9-digit value padded to a valid MST, or an 11-digit value padded to a valid CCCD,
    is accepted (Excel dropped the zero). Branch codes (13 digits) are not personal. The
    MST rule is ``stdnum.vn.mst``'s, run as integer arithmetic because personal codes are
    nearly all distinct (a test holds the two equal).

    Returns:
        Arrow-backed strings; null when invalid or missing.
    """
    codes, digits, cccd, _, _ = _parse(values, today)
    length, value = digits.length, digits.value
    tax = ((length == 9) | (length == 10)) & _mst_ok(value, np.full_like(length, 10))
    # A valid 10-digit MST is an MST; only a 10-digit value failing the MST check is read
    # as a CCCD that lost "00".
    cccd &= ~((length == 10) & tax)
    text = _pad(_pad_cccd(digits.text, cccd), (length == 9) & tax)
    return _strings(values, text, cccd | tax, codes)


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
    codes, digits, cccd, _, _ = _parse(values, today)
    length, value = digits.length, digits.value
    nine = (length == 9) & np.isin(value // 10**8, _PROVINCE_INTS)
    ten = ((length == 10) | nine) & ~_same_digit(value, np.full_like(length, 10))
    cccd &= length >= 11  # 10 digits is an SI code
    text = _pad(_pad_cccd(digits.text, cccd), nine)
    return _strings(values, text, cccd | ten, codes)


# ``linkage pseudonymize`` writes an ID as its kind and a keyed hash (``privacy.pseudonyms``).
_PSEUDONYM: Final = r"^(?P<kind>cccd|cmnd|mst):[0-9a-f]{32}$"


def pseudonym_kinds(values: pd.Series) -> pd.Series:
    """The kind of each value that is a pseudonym ("cccd" | "cmnd" | "mst"), else null."""
    text = values.astype(pd.ArrowDtype(pa.string())).str.strip()
    return text.str.extract(_PSEUDONYM, expand=False).astype(pd.ArrowDtype(pa.string()))


def kept_pseudonyms(normalized: pd.Series, raw: pd.Series) -> pd.Series:
    """``normalized``, with the values of ``raw`` that are pseudonyms kept as they are."""
    return normalized.where(pseudonym_kinds(raw).isna(), raw.str.strip())
