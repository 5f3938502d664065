"""Exact citizen-ID pass and blocking rules on small hand-made frames."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from linkage.errors import ConfigError
from linkage.link.blocking import (
    DEFAULT_BLOCKING,
    BlockingPlan,
    BlockingResult,
    BlockingRule,
    candidate_pairs,
    distinct,
    encoded_birth,
    with_blocking_keys,
    with_employer_province,
)
from linkage.link.exact import exact_id_pairs

TEXT = pd.ArrowDtype(pa.string())
CCCD_A, CCCD_B, CCCD_C = "001090012345", "079185000001", "036201004321"
CMND = "123456789"
MST_10 = "0101234567"  # a 10-digit personal tax code: never a citizen ID


def _ids(rows: list[tuple[str | None, str | None]], columns: tuple[str, str]) -> pd.DataFrame:
    first, second = zip(*rows, strict=True) if rows else ((), ())
    # pandas-stubs: no overload of pd.array takes an ArrowDtype
    return pd.DataFrame(
        {
            columns[0]: pd.array(first, dtype=TEXT),  # type: ignore[call-overload]
            columns[1]: pd.array(second, dtype=TEXT),  # type: ignore[call-overload]
        }
    )


def payroll_ids(*rows: tuple[str | None, str | None]) -> pd.DataFrame:
    """Payroll rows as (national_id, person_tax_code)."""
    return _ids(list(rows), ("national_id", "person_tax_code"))


def insured_ids(*rows: tuple[str | None, str | None]) -> pd.DataFrame:
    """Insured rows as (national_id, si_code)."""
    return _ids(list(rows), ("national_id", "si_code"))


EXACT_CASES = [
    pytest.param(
        # the same CCCD on both sides as national ID
        payroll_ids((CCCD_A, None)),
        insured_ids((CCCD_A, "0123456789")),
        {(0, 0, "national_id")},
        id="cccd-national-id",
    ),
    pytest.param(
        # the same old 9-digit CMND on both sides
        payroll_ids((CMND, None)),
        insured_ids((CMND, "0123456789")),
        {(0, 0, "national_id")},
        id="cmnd-national-id",
    ),
    pytest.param(
        # 12-digit personal tax code (the CCCD since July 2025) equal to insured national ID
        payroll_ids((None, CCCD_A)),
        insured_ids((CCCD_A, "0123456789")),
        {(0, 0, "tax_id")},
        id="tax-code-to-national-id",
    ),
    pytest.param(
        # 12-digit personal tax code equal to a 12-digit SI code
        payroll_ids((None, CCCD_A)),
        insured_ids((None, CCCD_A)),
        {(0, 0, "tax_id")},
        id="tax-code-to-si-code",
    ),
    pytest.param(
        # payroll national ID equal to a 12-digit SI code (no national ID on the insured side)
        payroll_ids((CCCD_A, None)),
        insured_ids((None, CCCD_A)),
        {(0, 0, "tax_id")},
        id="national-id-to-si-code",
    ),
    pytest.param(
        # a 10-digit tax code equal to a 10-digit SI code is a coincidence, not a person
        payroll_ids((None, MST_10)),
        insured_ids((None, MST_10)),
        set(),
        id="ten-digit-never-links",
    ),
    pytest.param(
        # national ID and tax code both reach the same record: one pair, national_id wins
        payroll_ids((CCCD_A, CCCD_A)),
        insured_ids((CCCD_A, CCCD_A)),
        {(0, 0, "national_id")},
        id="one-pair-national-id-wins",
    ),
    pytest.param(
        # national ID reaches one record, the tax code another
        payroll_ids((CCCD_A, CCCD_B)),
        insured_ids((CCCD_A, "0123456789"), (None, CCCD_B)),
        {(0, 0, "national_id"), (0, 1, "tax_id")},
        id="two-records-two-methods",
    ),
    pytest.param(
        # one person with two SI records (two jobs): both linked
        payroll_ids((CCCD_A, None)),
        insured_ids((CCCD_A, "0123456789"), (CCCD_A, "0123456790")),
        {(0, 0, "national_id"), (0, 1, "national_id")},
        id="person-with-two-records",
    ),
    pytest.param(
        # nothing in common, and missing IDs never match each other
        payroll_ids((None, None), (CCCD_B, None)),
        insured_ids((None, None), (CCCD_C, "0123456789")),
        set(),
        id="no-shared-id",
    ),
    pytest.param(
        # an empty payroll
        payroll_ids(),
        insured_ids((CCCD_A, "0123456789")),
        set(),
        id="empty-payroll",
    ),
]


@pytest.mark.parametrize(("payroll", "insured", "expected"), EXACT_CASES)
def test_exact_id_pairs(
    payroll: pd.DataFrame, insured: pd.DataFrame, expected: set[tuple[int, int, str]]
) -> None:
    pairs = exact_id_pairs(payroll, insured)
    assert list(pairs.columns) == ["payroll_pos", "insured_pos", "method"]
    assert pairs["payroll_pos"].dtype == np.int64
    assert pairs["insured_pos"].dtype == np.int64
    found = set(pairs.itertuples(index=False, name=None))
    assert found == expected
    assert len(pairs) == len(found)  # one row per pair


def test_exact_id_pairs_use_positions_not_labels() -> None:
    payroll = payroll_ids((None, None), (CCCD_A, None))
    payroll.index = [10, 20]
    insured = insured_ids((CCCD_B, "0123456789"), (CCCD_A, "0123456790"))
    insured.index = [5, 6]
    pairs = exact_id_pairs(payroll, insured)
    assert set(pairs.itertuples(index=False, name=None)) == {(1, 1, "national_id")}


# --- blocking --------------------------------------------------------------------------

BLOCK_KEYS = ("given_ascii", "surname_ascii", "birth_date", "employer_root", "name_sorted")


def person(
    given: str | None = "hung",
    surname: str | None = "nguyen",
    born: dt.date | None = dt.date(1990, 5, 3),
    employer: str | None = "0101",
    name_sorted: str | None = "hung nguyen van",
    id_birth_year: int | None = None,
    gender: str | None = "M",
) -> dict[str, object]:
    return {
        "given_ascii": given,
        "surname_ascii": surname,
        "birth_date": born,
        "birth_year": born.year if born else None,
        "birth_month": born.month if born else None,
        "id_birth_year": id_birth_year,
        "gender": gender,
        "id_gender": "M" if id_birth_year else None,
        "employer_root": employer,
        "name_sorted": name_sorted,
    }


def frame(*people: dict[str, object]) -> pd.DataFrame:
    """Normalized-table columns the blocking rules read, with the contract's Arrow dtypes."""
    table = pd.DataFrame(list(people), columns=list(person()))
    return with_blocking_keys(
        table.astype(
            {
                "given_ascii": TEXT,
                "surname_ascii": TEXT,
                "employer_root": TEXT,
                "name_sorted": TEXT,
                "birth_date": pd.ArrowDtype(pa.date32()),
                "birth_year": pd.ArrowDtype(pa.int16()),
                "birth_month": pd.ArrowDtype(pa.int8()),
                "id_birth_year": pd.ArrowDtype(pa.int16()),
                "gender": TEXT,
                "id_gender": TEXT,
            }
        )
    )


@pytest.mark.parametrize(
    ("stated", "encoded", "expected"),
    [
        ((1990, "F"), (None, None), (1990, "F")),  # no CCCD: what the row states
        ((None, None), (1990, "F"), (1990, "F")),  # blanks read from the CCCD
        ((1991, "M"), (1990, "F"), (1991, "M")),  # a stated value is never overridden
        ((None, "M"), (1990, "M"), (1990, "M")),  # each field on its own
        ((None, None), (None, None), (None, None)),  # nothing to read: still missing
    ],
)
def test_encoded_birth_fills_only_blanks(
    stated: tuple[int | None, str | None],
    encoded: tuple[int | None, str | None],
    expected: tuple[int | None, str | None],
) -> None:
    row = {"birth_year": stated[0], "gender": stated[1]}
    row |= {"id_birth_year": encoded[0], "id_gender": encoded[1]}
    table = pd.DataFrame([row]).astype(
        {
            "birth_year": pd.ArrowDtype(pa.int16()),
            "id_birth_year": pd.ArrowDtype(pa.int16()),
            "gender": TEXT,
            "id_gender": TEXT,
        }
    )
    result = encoded_birth(table)
    got = (result["birth_year"].iloc[0], result["gender"].iloc[0])
    assert tuple(None if pd.isna(v) else v for v in got) == expected


RULE_NAMES = [rule.name for rule in DEFAULT_BLOCKING]
RULES = {rule.name: rule for rule in DEFAULT_BLOCKING}


def rules(*names: str) -> list[BlockingRule]:
    """The named default rules (all when none named), in their default order."""
    return [rule for rule in DEFAULT_BLOCKING if not names or rule.name in names]


def pairs_of(
    payroll: pd.DataFrame, insured: pd.DataFrame, *rule_names: str
) -> set[tuple[int, int]]:
    result = candidate_pairs(payroll, insured, rules(*rule_names))
    return set(zip(result.payroll_pos.tolist(), result.insured_pos.tolist(), strict=True))


class PersonFields(TypedDict, total=False):
    """Keyword arguments of ``person``."""

    given: str | None
    surname: str | None
    born: dt.date | None
    employer: str | None
    name_sorted: str | None
    id_birth_year: int | None
    gender: str | None


FAR: PersonFields = {
    "given": "zzz",
    "surname": "zzz",
    "born": dt.date(1950, 1, 1),
    "employer": "9999",
    "name_sorted": None,
}

RULE_CASES = [
    pytest.param(
        "birth_date+given_name",
        # Nguyễn / Trần: another surname (a typo in its first letter, or another one written)
        person(),
        person(**(FAR | {"given": "hung", "surname": "tran", "born": dt.date(1990, 5, 3)})),
        id="birth-date-and-given-name",
    ),
    pytest.param(
        "sorted_name_neighbourhood",
        # payroll row without a birth date meets through the year its CCCD encodes
        person(born=None, id_birth_year=1990),
        person(**(FAR | {"name_sorted": "hung nguyen van", "born": dt.date(1990, 11, 20)})),
        id="birth-year-from-cccd",
    ),
    pytest.param(
        "birth_date+surname+given_initial",
        # another given name with the same initial: a typo after its first letter
        person(),
        person(**(FAR | {"surname": "nguyen", "given": "hieu", "born": dt.date(1990, 5, 3)})),
        id="birth-date-surname-and-given-initial",
    ),
    pytest.param(
        "birth_year+employer",
        # a swapped day and month, and a typo in the given name, at the same employer
        person(),
        person(**(FAR | {"employer": "0101", "born": dt.date(1990, 3, 5)})),
        id="birth-year-and-employer",
    ),
    pytest.param(
        "given_name+employer",
        person(),
        person(**(FAR | {"given": "hung", "employer": "0101"})),
        id="given-name-and-employer",
    ),
    pytest.param(
        "sorted_name_neighbourhood",
        person(),
        # a typo in the name: neighbours in sort order within the same birth year
        person(**(FAR | {"name_sorted": "hunh nguyen van", "born": dt.date(1990, 1, 1)})),
        id="sorted-name-typo",
    ),
]


@pytest.mark.parametrize(("rule", "payroll_person", "insured_person"), RULE_CASES)
def test_each_rule_finds_its_pair(
    rule: str,
    payroll_person: dict[str, object],
    insured_person: dict[str, object],
) -> None:
    payroll = frame(payroll_person)
    insured = frame(insured_person, person(**FAR))
    assert pairs_of(payroll, insured, rule) == {(0, 0)}
    # and only that rule: the cases are built so no other rule fires
    others = [name for name in RULE_NAMES if name != rule]
    assert pairs_of(payroll, insured, *others) == set()


MISSING_KEY_CASES = [
    # no given name on either side: birth date + given name cannot block
    ("birth_date+given_name", dict(given=None)),
    # no birth date on either side
    ("birth_date+given_name", dict(born=None)),
    ("birth_date+surname+given_initial", dict(born=None)),
    ("birth_date+surname+given_initial", dict(surname=None)),
    ("birth_date+surname+given_initial", dict(given=None)),
    ("birth_year+employer", dict(employer=None)),
    ("birth_year+employer", dict(born=None)),
    ("given_name+employer", dict(employer=None)),
    ("sorted_name_neighbourhood", dict(name_sorted=None)),
    ("sorted_name_neighbourhood", dict(born=None)),
]


@pytest.mark.parametrize(("rule", "blank"), MISSING_KEY_CASES)
def test_missing_key_never_blocks(rule: str, blank: dict[str, None]) -> None:
    # two records alike in every other key, the key missing on both sides: null is not a value
    payroll = frame(person(**blank))
    insured = frame(person(**blank))
    assert pairs_of(payroll, insured, rule) == set()


def test_counts_per_rule_add_up() -> None:
    payroll = frame(
        person(),
        person(given="lan", surname="tran", born=dt.date(1985, 2, 1), name_sorted="lan thi tran"),
        person(given=None, born=None, employer=None, name_sorted=None),
    )
    insured = frame(
        person(),  # every rule
        person(given="lan", surname="tran", born=dt.date(1985, 2, 1), employer="7777"),
        person(**FAR),
        person(given="hung", born=dt.date(1990, 9, 9), employer="0101"),
    )
    result = candidate_pairs(payroll, insured, DEFAULT_BLOCKING)
    assert list(result.pairs_per_rule) == RULE_NAMES
    assert sum(result.new_pairs_per_rule.values()) == len(result)
    first = RULE_NAMES[0]
    assert result.new_pairs_per_rule[first] == result.pairs_per_rule[first]
    for name in RULE_NAMES:
        assert 0 <= result.new_pairs_per_rule[name] <= result.pairs_per_rule[name]
        assert result.pairs_per_rule[name] == len(pairs_of(payroll, insured, name))
    union = set().union(*(pairs_of(payroll, insured, name) for name in RULE_NAMES))
    assert set(zip(result.payroll_pos.tolist(), result.insured_pos.tolist(), strict=True)) == union
    assert (0, 0) in union
    assert not any(pos == 2 for pos, _ in union)  # a row with no usable key meets nobody


# Reference semantics of each rule, written as plain loops over records.


def _block_reference(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    keys: Sequence[str],
    insured_keys: Sequence[str] = (),
) -> set[tuple[int, int]]:
    found = set()
    for i, j in itertools.product(range(len(payroll)), range(len(insured))):
        left = [payroll[k].iloc[i] for k in keys]
        right = [insured[k].iloc[j] for k in insured_keys or keys]
        if all(pd.notna(a) and pd.notna(b) and a == b for a, b in zip(left, right, strict=True)):
            found.add((i, j))
    return found


def _neighbourhood_reference(
    payroll: pd.DataFrame, insured: pd.DataFrame, window: int
) -> set[tuple[int, int]]:
    """Rank distinct sort keys of usable rows of both sides; pair ranks within window // 2."""

    def usable(table: pd.DataFrame) -> list[tuple[int, Any, Any]]:
        return [
            (pos, table["name_sorted"].iloc[pos], table["block_year"].iloc[pos])
            for pos in range(len(table))
            if pd.notna(table["name_sorted"].iloc[pos]) and pd.notna(table["block_year"].iloc[pos])
        ]

    left, right = usable(payroll), usable(insured)
    rank = {value: r for r, value in enumerate(sorted({v for _, v, _ in left + right}))}
    return {
        (i, j)
        for i, a, year_a in left
        for j, b, year_b in right
        if year_a == year_b and abs(rank[a] - rank[b]) <= window // 2
    }


def reference_pairs(
    payroll: pd.DataFrame, insured: pd.DataFrame, name: str
) -> set[tuple[int, int]]:
    rule = RULES[name]
    if rule.sort_on is not None:
        assert (rule.sort_on, rule.on) == ("name_sorted", ("block_year",))  # what the loop does
        assert rule.window is not None  # a sorted neighbourhood has its window
        return _neighbourhood_reference(payroll, insured, rule.window)
    return _block_reference(payroll, insured, rule.on, rule.insured_on)


def _people(draw_size: int) -> st.SearchStrategy[list[dict[str, object]]]:
    def maybe[T](values: Sequence[T]) -> st.SearchStrategy[T | None]:
        return st.one_of(st.none(), st.sampled_from(values))

    return st.lists(
        st.builds(
            person,
            given=maybe(["hung", "lan", "minh"]),
            surname=maybe(["nguyen", "tran"]),
            born=maybe([dt.date(1990, 5, 3), dt.date(1990, 7, 1), dt.date(1985, 1, 1)]),
            employer=maybe(["0101", "0202"]),
            name_sorted=maybe(["a b", "a c", "b c", "c d", "d e", "e f", "f g"]),
            id_birth_year=maybe([1990, 1985]),
            gender=maybe(["M", "F"]),
        ),
        min_size=0,
        max_size=draw_size,
    )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(payroll_people=_people(9), insured_people=_people(8), cut=st.integers(0, 9))
def test_chunks_get_the_pairs_the_whole_table_gives_their_rows(
    payroll_people: list[dict[str, object]],
    insured_people: list[dict[str, object]],
    cut: int,
) -> None:
    payroll, insured = frame(*payroll_people), frame(*insured_people)
    plan = BlockingPlan(payroll, insured, DEFAULT_BLOCKING)
    whole = plan.pairs(np.arange(len(payroll)))
    cut = min(cut, len(payroll))
    parts = [plan.pairs(np.arange(0, cut)), plan.pairs(np.arange(cut, len(payroll)))]

    def as_set(r: BlockingResult) -> set[tuple[int, int]]:
        return set(zip(r.payroll_pos.tolist(), r.insured_pos.tolist(), strict=True))

    assert as_set(parts[0]) | as_set(parts[1]) == as_set(whole)
    assert not as_set(parts[0]) & as_set(parts[1])

    def trained(result: BlockingResult) -> set[tuple[int, int]]:
        pairs = zip(result.payroll_pos.tolist(), result.insured_pos.tolist(), strict=True)
        return {pair for pair, kept in zip(pairs, result.trained, strict=True) if kept}

    assert trained(parts[0]) | trained(parts[1]) == trained(whole)
    # counted before any pair is drawn: each rule's pairs, row by row
    per_row = plan.pairs_per_rule_and_row()
    assert {name: int(n.sum()) for name, n in per_row.items()} == whole.pairs_per_rule


@settings(max_examples=60, deadline=None, derandomize=True)
@given(payroll_people=_people(6), insured_people=_people(8))
def test_candidate_pairs_match_reference_loops(
    payroll_people: list[dict[str, object]],
    insured_people: list[dict[str, object]],
) -> None:
    payroll, insured = frame(*payroll_people), frame(*insured_people)
    result = candidate_pairs(payroll, insured, DEFAULT_BLOCKING)
    expected = {name: reference_pairs(payroll, insured, name) for name in RULE_NAMES}
    for name in RULE_NAMES:
        assert result.pairs_per_rule[name] == len(expected[name]), name
    union = set().union(*expected.values())
    assert set(zip(result.payroll_pos.tolist(), result.insured_pos.tolist(), strict=True)) == union
    assert sum(result.new_pairs_per_rule.values()) == len(result) == len(union)


def _split_reference(
    payroll: pd.DataFrame, insured: pd.DataFrame, rule: BlockingRule, cap: int
) -> set[tuple[int, int]]:
    """Per row: the rule's pairs, or while over the cap, those of its next refinement that
    leaves the row some record."""
    levels = []
    for depth in range(rule.depth):
        level = rule.refined(depth)
        if level.sort_on is not None:
            assert level.window is not None  # a sorted neighbourhood has its window
            levels.append(_neighbourhood_reference(payroll, insured, level.window))
        else:
            levels.append(_block_reference(payroll, insured, level.on, level.insured_on))
    found = set()
    for row in range(len(payroll)):
        mine = [{pair for pair in pairs if pair[0] == row} for pairs in levels]
        chosen = mine[0]
        for finer in mine[1:]:
            if len(chosen) <= cap or not finer:
                break
            chosen = finer
        found |= chosen
    return found


@settings(max_examples=60, deadline=None, derandomize=True)
@given(payroll_people=_people(6), insured_people=_people(9), cap=st.integers(0, 3))
def test_a_block_over_the_cap_is_split_never_dropped(
    payroll_people: list[dict[str, object]],
    insured_people: list[dict[str, object]],
    cap: int,
) -> None:
    payroll, insured = frame(*payroll_people), frame(*insured_people)
    plan = BlockingPlan(payroll, insured, DEFAULT_BLOCKING, cap=cap)
    per_rule = plan.pairs_per_rule_and_row()
    uncapped = BlockingPlan(payroll, insured, DEFAULT_BLOCKING).pairs_per_rule_and_row()
    for rule, join in zip(plan.rules, plan.joins, strict=True):
        rows = np.arange(len(payroll))
        got = set(zip(*(a.tolist() for a in join.pairs(rows)), strict=True))
        assert got == _split_reference(payroll, insured, rule, cap), rule.name
        assert int(per_rule[rule.name].sum()) == len(got)
        # a row the rule met keeps some record of its block, whatever the cap
        assert ((per_rule[rule.name] > 0) == (uncapped[rule.name] > 0)).all(), rule.name


def test_sorted_neighbourhood_forgets_earlier_runs() -> None:
    # a run on a small table must not shape the next run on a larger one
    small = frame(person(name_sorted="a"), person(name_sorted="b"))
    names = [f"{letter} x" for letter in "klmnopqr"]
    large = frame(*(person(name_sorted=n, born=dt.date(1990, 1, 1)) for n in names))
    candidate_pairs(small, small, DEFAULT_BLOCKING)
    after_small = candidate_pairs(large, large, DEFAULT_BLOCKING)
    name = "sorted_name_neighbourhood"
    assert after_small.pairs_per_rule[name] == len(reference_pairs(large, large, name))


DEFAULT_RULE_TABLE = [
    # (name, block on, sort on, window): the rules the measurements in blocking.py were made on
    ("birth_date+given_name", ("birth_date", "given_ascii"), None, None),
    (
        "birth_date+surname+given_initial",
        ("birth_date", "surname_ascii", "given_initial"),
        None,
        None,
    ),
    ("given_name+employer", ("given_ascii", "employer_root"), None, None),
    ("birth_year+employer", ("block_year", "employer_root"), None, None),
    ("sorted_name_neighbourhood", ("block_year",), "name_sorted", 5),
    # rows without any birth year against every record of the same name; scored, not trained
    ("name+payroll_without_year", ("name_if_no_year",), None, None),
    ("name+insured_without_year", ("name_sorted",), None, None),
]


def test_default_blocking_is_the_measured_rule_set() -> None:
    assert [(r.name, r.on, r.sort_on, r.window) for r in DEFAULT_BLOCKING] == DEFAULT_RULE_TABLE
    assert [r.name for r in DEFAULT_BLOCKING if not r.train] == [
        "name+payroll_without_year",
        "name+insured_without_year",
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # neither columns to block on nor a sort key
        (lambda: BlockingRule("empty"), "nothing to block on"),
        # a rule without a name cannot be counted
        (lambda: BlockingRule("", ("given_ascii",)), "needs a name"),
        # recordlinkage windows are odd: the record itself and as many on each side
        (lambda: BlockingRule("sn", sort_on="name_sorted", window=4), "positive odd integer"),
        (lambda: BlockingRule("sn", sort_on="name_sorted", window=0), "positive odd integer"),
        # a window without a sort key, and a sort key without a window
        (lambda: BlockingRule("b", ("given_ascii",), window=5), "go together"),
        (lambda: BlockingRule("sn", sort_on="name_sorted"), "go together"),
    ],
)
def test_invalid_blocking_rule_raises_config_error(build: Callable[..., Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build()


def test_duplicate_rule_names_raise_config_error() -> None:
    # counts are keyed by rule name: two rules of one name would share a count
    twice = [BlockingRule("same", ("given_ascii",)), BlockingRule("same", ("birth_date",))]
    payroll = frame(person())
    with pytest.raises(ConfigError, match="distinct"):
        candidate_pairs(payroll, payroll, twice)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    codes=hnp.arrays(
        np.int64,
        st.integers(0, 300),
        elements=st.integers(-(2**62), 2**62) | st.integers(-5, 5),
    )
)
def test_distinct_equals_numpy_unique(codes: npt.NDArray[np.int64]) -> None:
    result = distinct(codes)
    np.testing.assert_array_equal(result, np.unique(codes))
    assert result.dtype == np.int64


def test_asymmetric_rule_pairs_a_row_without_year_with_same_name_records() -> None:
    payroll = frame(
        person(born=None, name_sorted="an nguyen"),  # no year anywhere
        person(born=dt.date(1990, 5, 3), name_sorted="an nguyen"),  # has a year
    )
    insured = frame(person(born=dt.date(1975, 1, 2), name_sorted="an nguyen", employer="0202"))
    rule = RULES["name+payroll_without_year"]
    result = candidate_pairs(payroll, insured, [rule])
    assert list(zip(result.payroll_pos, result.insured_pos, strict=True)) == [(0, 0)]
    assert not result.trained.any()


def test_insured_on_must_pair_each_column() -> None:
    with pytest.raises(ConfigError, match="insured_on"):
        BlockingRule("bad", ("a", "b"), insured_on=("c",))


def test_employer_province_comes_from_the_business_registry() -> None:
    frame = pd.DataFrame(
        {"employer_root": pd.array(["0101", "0202", None, "0909"], dtype="string[pyarrow]")}
    )
    businesses = pd.DataFrame(
        {
            "employer_root": ["0101", "0202", "0202"],  # a branch repeats its enterprise
            "province_code": ["01", "79", "79"],
        }
    )
    found = with_employer_province(frame, businesses)["employer_province"]
    assert found.tolist()[:2] == ["01", "79"]
    assert found.isna().tolist()[2:] == [True, True]  # no employer, or not in the registry
