"""Properties of the normalize stage on hostile text: nothing raises, nothing leaks.

Any text a source file can hold (spreadsheet junk, invisible characters, Excel's number
renderings, formula injections) must give a contract table plus rejects, never an
exception, and a reject must never carry a citizen ID taken from the input.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkage._vector import _SPACE, is_blank, pair_codes, pair_keys, stripped
from linkage.normalize import (
    national_ids,
    normalize_businesses,
    normalize_insured,
    normalize_payroll,
    person_tax_codes,
    si_codes,
    tax_codes,
)
from linkage.normalize.tables import Normalized
from linkage.schema import BUSINESSES, INSURED, PAYROLL, REJECTS, Source, raw_schema
from tests.helpers import (
    BUSINESS_OK,
    INSURED_OK,
    PAYROLL_OK,
    VOCABULARIES,
    raw_table,
)

TODAY = dt.date(2026, 6, 1)
CCCD = "001090012345"

# Strings that broke, or could break, text handling in real registry extracts.
TRICKY = [
    "",  # blank
    "   ",  # only spaces
    "\u00a0",  # lone NBSP
    "\u00a0001 090\u00a0012345 ",  # a CCCD split by NBSPs
    "001090\u200b012345",  # zero-width space inside an ID
    "\ufeff001090012345",  # BOM glued to the value
    "\ufeff",  # BOM alone
    "1.00981E+11",  # Excel scientific notation that lost digits
    "7.9305001234E+10",  # Excel scientific notation that kept them
    "79305001234.0",  # Excel float rendering
    "'001090012345",  # Excel text apostrophe
    "=cmd()",  # formula injection
    '=HYPERLINK("http://x")',  # another formula
    "9" * 40,  # very long digit string
    "0" * 400,  # longer still, all zeros
    CCCD * 3,  # three CCCDs glued together
    CCCD + "1",  # a CCCD with one digit too many
    "R-" + CCCD,  # a CCCD inside a key
    "\x00",  # NUL
    "00109\x000012345",  # NUL inside an ID
    "Nguye\u0302\u0303n Va\u0306n A\u0301n",  # decomposed (NFD) Vietnamese
    "\u0301\u0301\u0301",  # combining marks with no base letter
    "\u202eNguyễn\u202c",  # RTL override
    "\u200f\u0646\u0627\u0645\u200f",  # RTL marks around Arabic
    "Nam",  # vocabulary hit
    "Nữ",  # vocabulary hit
    "đang tham gia",  # vocabulary hit
    "31/02/1990",  # impossible date
    "03/05/1990",  # good date
    "03/2026",  # good period
    "12.000.000",  # good amount
    "-5",  # negative number
    "NaN",  # pandas' favourite
    "None",  # Python's
    "\t\r\n",  # control whitespace
    "\ud7ff\ue000\U0010ffff",  # edges of the code-point ranges
]

CELL = st.one_of(
    st.none(),
    st.text(),
    st.sampled_from(TRICKY),
    st.text(alphabet="0123456789 .-'\u00a0\u200b", max_size=30),  # ID-like noise
    st.tuples(st.sampled_from(TRICKY), st.text(max_size=5)).map("".join),
)

DIGIT_WINDOW = re.compile(r"(?=([0-9]{12}))")
SEPARATORS = re.compile(r"[^0-9]")


def digit_windows(text: str) -> set[str]:
    """Every run of 12 consecutive ASCII digits in ``text``."""
    return set(DIGIT_WINDOW.findall(text))


def input_windows(frame: pd.DataFrame) -> set[str]:
    """12-digit windows of every input cell, as written and with non-digits removed."""
    windows: set[str] = set()
    for value in frame.drop(columns=["source_file", "source_line"]).to_numpy().ravel():
        if isinstance(value, str):
            windows |= digit_windows(value) | digit_windows(SEPARATORS.sub("", value))
    return windows


def leaking(good: dict[str, str], **change: str) -> list[dict[str, str]]:
    """One row holding a citizen ID plus a stray digit in its key: 13 digits, not 12."""
    return [{**good, **change}]


# A CCCD with one more digit (typed after a space, or glued on) is not an ID shape, so
# ``safe_key`` writes it to the reject file as is: explicit examples fail fast on it.
KEY_WITH_CCCD = CCCD + " 1"


def rows_of(source: Source, good: dict[str, str]) -> st.SearchStrategy[list[dict[str, str | None]]]:
    """Rows whose every column is hostile text, None, or the column's good value."""
    names = [n for n in raw_schema(source).names if n not in ("source_file", "source_line")]
    cell = {name: st.one_of(CELL, st.just(good.get(name, ""))) for name in names}
    return st.lists(st.fixed_dictionaries(cell), max_size=8)


def check_normalized(
    normalizer: Callable[..., Normalized],
    source: Source,
    schema: pa.Schema,
    rows: list[dict[str, str | None]],
    arrow: bool,
) -> None:
    raw = raw_table(source, rows, arrow=arrow)
    table, rejects, nulled = normalizer(raw, VOCABULARIES, today=TODAY)
    assert len(table) + len(rejects) == len(rows)  # every row accounted once
    assert list(table.columns) == schema.names
    assert list(rejects.columns) == REJECTS.names
    assert all(count >= 0 for count in nulled.values())
    secrets = input_windows(raw)
    for column in ("record_key", "detail"):
        for value in rejects[column].dropna():
            leaked = digit_windows(value) & secrets
            assert not leaked, (column, value)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(rows=rows_of(Source.PAYROLL, PAYROLL_OK), arrow=st.booleans())
@example(  # rejected for no identity; its key carries a CCCD
    rows=leaking(PAYROLL_OK, record_id=KEY_WITH_CCCD, full_name=""), arrow=True
)
def test_payroll_never_raises_and_never_leaks(
    rows: list[dict[str, str | None]], arrow: bool
) -> None:
    check_normalized(normalize_payroll, Source.PAYROLL, PAYROLL, rows, arrow)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(rows=rows_of(Source.INSURED, INSURED_OK), arrow=st.booleans())
@example(rows=leaking(INSURED_OK, si_code=KEY_WITH_CCCD), arrow=True)  # invalid SI code
def test_insured_never_raises_and_never_leaks(
    rows: list[dict[str, str | None]], arrow: bool
) -> None:
    check_normalized(normalize_insured, Source.INSURED, INSURED, rows, arrow)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(rows=rows_of(Source.BUSINESSES, BUSINESS_OK), arrow=st.booleans())
@example(rows=leaking(BUSINESS_OK, tax_code=KEY_WITH_CCCD), arrow=True)  # invalid MST
def test_businesses_never_raise_and_never_leak(
    rows: list[dict[str, str | None]], arrow: bool
) -> None:
    check_normalized(normalize_businesses, Source.BUSINESSES, BUSINESSES, rows, arrow)


ID_TEXT = st.one_of(
    st.none(),
    st.text(),
    st.sampled_from(TRICKY),
    st.text(alphabet="0123456789 .-'", max_size=16),
    st.integers(0, 10**13).map(str),  # plain numbers of every ID length
    st.integers(0, 10**13).map(lambda n: f"{n}.0"),  # ... as Excel renders floats
)


def id_values(function: Callable[..., pd.Series | pd.DataFrame], values: pd.Series) -> pd.Series:
    result = function(values, today=TODAY)
    if isinstance(result, pd.DataFrame):  # national_ids gives the ID with its kind
        assert function is national_ids
        column: pd.Series = result["national_id"]
        return column
    return result


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    function=st.sampled_from([national_ids, tax_codes, person_tax_codes, si_codes]),
    values=st.lists(ID_TEXT, max_size=20),
)
def test_id_normalizers_are_idempotent(
    function: Callable[..., Any], values: list[str | None]
) -> None:
    """Normalizing a normalized ID gives it back: a second pass never pads or drops."""
    first = id_values(function, pd.Series(values, dtype=object))
    assert len(first) == len(values)
    normalized = first.dropna().astype(object).tolist()
    second = id_values(function, pd.Series(normalized, dtype=object))
    assert second.astype(object).tolist() == normalized


def test_arrow_whitespace_class_is_pythons() -> None:
    # every code point UTF-8 can hold: the class matches exactly what str.isspace holds
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    matched = pc.match_substring_regex(pa.array(points), f"^{_SPACE}$").to_pylist()
    assert [c for c, m in zip(points, matched, strict=True) if m] == [
        c for c in points if c.isspace()
    ]


SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=SPACES + "aĐ1 ", max_size=6))))
def test_blank_and_stripped_are_str_strip(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    assert is_blank(series).tolist() == [v is None or not v.strip() for v in values]
    expected = [None if v is None or not v.strip() else v.strip() for v in values]
    assert [None if pd.isna(v) else v for v in stripped(series)] == expected


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=60),
    st.integers(51, 10_000),
)
def test_pair_keys_and_codes_name_each_pair_once(pairs: list[tuple[int, int]], width: int) -> None:
    first = np.array([a for a, _ in pairs], dtype=np.int64)
    second = np.array([b for _, b in pairs], dtype=np.int64)
    keys = pair_keys(first, second, width)
    assert [tuple(map(int, np.divmod(k, width))) for k in keys] == pairs  # decodes back
    codes = pair_codes(first, second)
    order = list(dict.fromkeys(pairs))  # distinct pairs by first appearance
    assert codes.tolist() == [order.index(p) for p in pairs]
