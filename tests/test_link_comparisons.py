"""Comparison levels on hand-built pairs: each row of a table is one case."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
import recordlinkage as rl
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from linkage.errors import ConfigError
from linkage.link.comparisons import (
    MISSING,
    BirthDate,
    Comparison,
    Employer,
    FullName,
    NationalId,
    Sex,
    comparable,
    compare,
)


def _name(display: str, toneless: str, ascii_: str) -> dict[str, object]:
    tokens = ascii_.split()
    return {
        "name_exact": display.lower(),
        "name_toneless": toneless,
        "name_ascii": ascii_,
        "name_sorted": " ".join(sorted(tokens)),
        "surname_ascii": tokens[0],
        "given_ascii": tokens[-1],
    }


def _levels(
    comparison: Comparison,
    left: Sequence[Mapping[str, object]],
    right: Sequence[Mapping[str, object]],
) -> list[int]:
    pairs = pd.MultiIndex.from_arrays([np.arange(len(left)), np.arange(len(right))])
    gammas = compare(pairs, pd.DataFrame(left), pd.DataFrame(right), comparisons=[comparison])
    return [int(g) for g in gammas[comparison.name]]


HUNG = _name("Nguyễn Văn Hùng", "nguyen văn hung", "nguyen van hung")
NAME_CASES = [
    # identical with diacritics
    (HUNG, HUNG, "exact"),
    # diacritics differ only by tone (Hùng vs Hưng would differ in the toneless key)
    (HUNG, {**HUNG, "name_exact": "nguyễn văn hụng"}, "exact_toneless"),
    # written without any diacritics: exact as far as that side writes it
    (
        HUNG,
        {**HUNG, "name_exact": "nguyen van hung", "name_toneless": "nguyen van hung"},
        "exact",
    ),
    # written without tone marks only: exact as far as that side writes it
    (HUNG, {**HUNG, "name_exact": "nguyen văn hung"}, "exact"),
    # both accented, marks beyond tones differ (Hùng / Hưng)
    (
        HUNG,
        {**HUNG, "name_exact": "nguyễn văn hưng", "name_toneless": "nguyen văn hưng"},
        "exact_ascii",
    ),
    # given name first
    (HUNG, _name("Hùng Nguyễn Văn", "hung nguyen văn", "hung nguyen van"), "same_tokens_reordered"),
    # the spelling reform's i for y (Lý / Lí): one person written both ways
    (
        _name("Lý Thuý Chi", "ly thuy chi", "ly thuy chi"),
        _name("Lí Thúy Chi", "li thuy chi", "li thuy chi"),
        "i_y_spelling",
    ),
    # y inside a syllable (Thuý) is not the reform's: no variant
    (
        _name("Lê Thuý", "lê thuy", "le thuy"),
        _name("Lê Thui", "lê thui", "le thui"),
        "typo",
    ),
    # dropped middle name
    (HUNG, _name("Nguyễn Hùng", "nguyen hung", "nguyen hung"), "surname_given_equal"),
    # one-letter typo in the given name
    (HUNG, _name("Nguyễn Văn Hunh", "nguyen văn hunh", "nguyen van hunh"), "typo"),
    # a short given name with its first letter lost or mistyped: Jaro-Winkler sees no
    # match in "mai" / "ai" or "hai" / "tai", one edit of the whole name does
    (
        _name("Phạm Hồng Mai", "pham hông mai", "pham hong mai"),
        _name("Phạm Hồng ai", "pham hông ai", "pham hong ai"),
        "one_edit",
    ),
    (
        _name("Lưu Văn Hải", "lưu văn hai", "luu van hai"),
        _name("Lưu Văn Tải", "lưu văn tai", "luu van tai"),
        "one_edit",
    ),
    # two edits apart is no typo level
    (
        _name("Lưu Văn Hải", "lưu văn hai", "luu van hai"),
        _name("Lưu Văn Tú", "lưu văn tu", "luu van tu"),
        "different",
    ),
    # a different person
    (HUNG, _name("Trần Thị Mai", "trân thi mai", "tran thi mai"), "different"),
]


@pytest.mark.parametrize(("left", "right", "expected"), NAME_CASES)
def test_full_name_levels(left: dict[str, str], right: dict[str, str], expected: str) -> None:
    comparison = FullName(workers=1)
    (level,) = _levels(comparison, [left], [right])
    assert comparison.level_label(level) == expected


def test_missing_name_is_its_own_level() -> None:
    left = {k: None for k in HUNG}
    assert _levels(FullName(workers=1), [left], [HUNG]) == [MISSING]


def _birth(year: int | None, month: int | None = None, day: int | None = None) -> dict[str, object]:
    precision = "day" if day is not None else ("year" if year is not None else None)
    return {
        "birth_year": year,
        "birth_month": month,
        "birth_day": day,
        "birth_precision": precision,
    }


BIRTH_CASES = [
    (_birth(1990, 5, 3), _birth(1990, 5, 3), "exact"),
    (_birth(1990, 5, 3), _birth(1990, 3, 5), "day_month_swapped"),  # export bug
    (_birth(1990, 5, 3), _birth(1990, 5, 9), "same_year_month"),
    (_birth(1990, 5, 3), _birth(1990), "year_only"),
    (_birth(1990, 5, 3), _birth(1990, 1, 1), "year_only"),  # 01/01 placeholder
    (_birth(1990, 5, 3), _birth(1990, 11, 20), "same_year"),
    (_birth(1990, 5, 3), _birth(1991, 5, 3), "same_day_month_other_year"),  # year digit typo
    (_birth(1990, 5, 3), _birth(1909, 5, 3), "same_day_month_other_year"),  # transposed
    (_birth(1990, 5, 3), _birth(1991, 7, 9), "year_off_by_one"),
    (_birth(1990, 5, 3), _birth(1991), "year_off_by_one"),  # year only, off by one
    (_birth(1990, 1, 1), _birth(1975, 1, 1), "different"),  # placeholders carry no day
    (_birth(1990, 5, 3), _birth(1975, 8, 3), "different"),
    (_birth(1990, 5, 3), _birth(None), "missing"),
]


@pytest.mark.parametrize(("left", "right", "expected"), BIRTH_CASES)
def test_birth_date_levels(
    left: dict[str, object], right: dict[str, object], expected: str
) -> None:
    comparison = BirthDate(workers=1)

    def frame(row: dict[str, object]) -> pd.DataFrame:
        return pd.DataFrame([row]).astype(
            {"birth_year": "Int16", "birth_month": "Int8", "birth_day": "Int8"}
        )

    pairs = pd.MultiIndex.from_arrays([np.arange(1), np.arange(1)])
    (level,) = compare(pairs, frame(left), frame(right), comparisons=[comparison])["birth_date"]
    assert comparison.level_label(int(level)) == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (("001090012345", "cccd"), ("001090012345", "cccd"), "exact"),
        (("001090012345", "cccd"), ("001090012346", "cccd"), "one_edit"),  # typo
        (("001090012345", "cccd"), ("001090021345", "cccd"), "one_edit"),  # transposition
        (("001090012345", "cccd"), ("123456789", "cmnd"), "cmnd_vs_cccd"),
        (("001090012345", "cccd"), ("079185000001", "cccd"), "different"),
        ((None, None), ("079185000001", "cccd"), "missing"),
    ],
)
def test_national_id_levels(
    left: tuple[str | None, str | None], right: tuple[str, str], expected: str
) -> None:
    comparison = NationalId(workers=1)

    def row(v: tuple[str | None, str | None]) -> dict[str, object]:
        return {"national_id": v[0], "national_id_kind": v[1]}

    (level,) = _levels(comparison, [row(left)], [row(right)])
    assert comparison.level_label(level) == expected


@st.composite
def _id_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A citizen ID and a copy with a few typos, transpositions, or a pseudonym's letters."""
    digits = draw(
        st.text("0123456789", min_size=9, max_size=12).filter(lambda t: len(t) in (9, 12))
    )
    other = list(digits)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(other) - 2))
        if draw(st.booleans()):
            other[at], other[at + 1] = other[at + 1], other[at]
        else:
            other[at] = draw(st.sampled_from("0123456789x"))  # x: not digits, as a pseudonym
    return digits, "".join(other)


@settings(max_examples=300)
@given(pairs=st.lists(_id_pairs(), min_size=1, max_size=20), max_edits=st.integers(1, 3))
# two edits shift a run of digits: many differ, yet OSA is 2
@example(pairs=[("000010101000", "000001010000")], max_edits=2)
def test_national_id_edits_match_osa_on_strings(
    pairs: list[tuple[str, str]], max_edits: int
) -> None:
    """Counting differing digits decides what it can; the levels are those of OSA itself."""
    comparison = NationalId(workers=1, max_edits=max_edits)

    def kind(t: str) -> str:
        return "cccd" if len(t) == 12 else "cmnd"

    sides = zip(*pairs, strict=True)
    rows: list[list[dict[str, object]]] = [
        [{"national_id": t, "national_id_kind": kind(t)} for t in side] for side in sides
    ]
    expected = [
        "exact" if a == b else "one_edit" if OSA.distance(a, b) <= max_edits else "different"
        for a, b in pairs
    ]
    assert [comparison.level_label(g) for g in _levels(comparison, *rows)] == expected


@pytest.mark.parametrize(
    ("comparison", "column", "left", "right", "expected"),
    [
        (Sex(workers=1), "gender", "M", "M", "equal"),
        (Sex(workers=1), "gender", "M", "F", "different"),
        (Sex(workers=1), "gender", None, "F", "missing"),
    ],
)
def test_simple_levels(
    comparison: Sex, column: str, left: str | None, right: str, expected: str
) -> None:
    (level,) = _levels(comparison, [{column: left}], [{column: right}])
    assert comparison.level_label(level) == expected


MST_A, MST_B = "0101234567", "0309876543"


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ((MST_A, 10_000_000), (MST_A, 9_500_000), "same_enterprise_wage_near"),  # 95% of income
        ((MST_A, 10_000_000), (MST_A, 8_000_000), "same_enterprise_wage_close"),  # allowances
        ((MST_A, 10_000_000), (MST_A, 4_960_000), "same_enterprise"),  # wage unrelated
        ((MST_A, 10_000_000), (MST_A, None), "same_enterprise"),  # no wage: no wage level
        ((MST_A, 0), (MST_A, 5_000_000), "same_enterprise"),  # no income to compare with
        ((MST_A, 10_000_000), (MST_B, 10_000_000), "different"),  # the wage of another job
        ((MST_A, 10_000_000), (MST_B, 10_000_000, 1.0), "different_record_left"),  # a job left
        ((MST_A, 10_000_000), (MST_A, 10_000_000, 1.0), "same_enterprise_wage_near"),
        ((None, 10_000_000), (MST_B, 10_000_000), "missing"),  # unknown employer
    ],
)
def test_employer_levels(
    left: tuple[str | None, int], right: tuple[float | int | str | None, ...], expected: str
) -> None:
    comparison = Employer(workers=1)
    (level,) = _levels(
        comparison,
        [{"employer_root": left[0], "declared_wage": left[1], "record_left": np.nan}],
        [{"employer_root": right[0], "declared_wage": right[1], "record_left": (*right, 0.0)[2]}],
    )
    assert comparison.level_label(level) == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), min_size=1, max_size=20))
def test_full_name_vectorized_equals_pairwise(pairs: list[tuple[str, str]]) -> None:
    """Scoring a batch gives each pair the level it gets alone."""
    rows = [(_name(a, a, a.strip() or "x"), _name(b, b, b.strip() or "y")) for a, b in pairs]
    comparison = FullName(workers=1)
    batch = _levels(comparison, [r[0] for r in rows], [r[1] for r in rows])
    alone = [_levels(comparison, [r[0]], [r[1]])[0] for r in rows]
    assert batch == alone


def test_recordlinkage_compare_gives_the_same_levels() -> None:
    """The comparisons stay recordlinkage features: its Compare, aligning by label, agrees."""
    hung, hunh = _name("Nguyễn Văn Hùng", "nguyen văn hung", "nguyen van hung"), HUNH
    names = [hung, hung, {**hung, "name_exact": "nguyễn văn hụng"}, hunh]
    births = [(1990, 5, 3), (1990, 3, 5), (1991, 5, 3), (None, None, None)]
    rows = [
        {**n, "birth_year": y, "birth_month": m, "birth_day": d, "birth_precision": "day"}
        for n, (y, m, d) in zip(names, births, strict=True)
    ]
    left, right = pd.DataFrame(rows[:1] * 4), pd.DataFrame(rows)
    comparisons = [FullName(workers=1), BirthDate(workers=1)]
    pairs = pd.MultiIndex.from_arrays([[0, 1, 2, 3], [0, 1, 2, 3]])
    ours = compare(pairs, left, right, comparisons=comparisons)
    assert [FullName.levels[g] for g in ours["full_name"]] == [
        "exact", "exact", "exact_toneless", "typo"
    ]  # fmt: skip
    assert [BirthDate(workers=1).level_label(g) for g in ours["birth_date"]] == [
        "exact", "day_month_swapped", "same_day_month_other_year", "missing"
    ]  # fmt: skip

    sides = comparable(left, right, comparisons)
    vocabulary = pd.CategoricalDtype(pd.Index(sides[0].words, dtype=object))
    frames = [
        pd.DataFrame(
            {
                c: pd.Categorical.from_codes(v, dtype=vocabulary) if v.dtype.kind == "i" else v
                for c, v in side.items()
            }
        )
        for side in sides
    ]
    theirs = rl.Compare(features=comparisons).compute(pairs, *frames)
    pd.testing.assert_frame_equal(ours, theirs.astype(np.int8), check_names=False)


# --- thresholds as data ------------------------------------------------------------------

HUNH = _name("Nguyễn Văn Hunh", "nguyen văn hunh", "nguyen van hunh")
EMPLOYED = {"employer_root": MST_A, "declared_wage": 10_000_000, "record_left": 0.0}
CCCD, CCCD_TWO_EDITS = "001090012345", "001090012399"

THRESHOLD_CASES = [
    # whole name 0.973, given name 0.883: "typo" at the defaults ...
    (FullName(workers=1), HUNG, HUNH, "typo"),
    # ... not when the given name must reach 0.90; still close (given 0.883, surname 1.0)
    (FullName(workers=1, typo_given_name=0.90), HUNG, HUNH, "close_given_and_surname"),
    # ... and only the one-edit level when neither band reaches (order-free key 0.952
    # below 0.96): that level has no threshold
    (
        FullName(workers=1, typo_given_name=0.90, close_given_name=0.90, close_any_order=0.96),
        HUNG,
        HUNH,
        "one_edit",
    ),
    # SI wage 95% of income: near at the defaults, close when near starts at 96%
    (
        Employer(workers=1),
        EMPLOYED,
        {**EMPLOYED, "declared_wage": 9_500_000},
        "same_enterprise_wage_near",
    ),
    (
        Employer(workers=1, wage_near=(0.96, 1.02)),
        EMPLOYED,
        {**EMPLOYED, "declared_wage": 9_500_000},
        "same_enterprise_wage_close",
    ),
    # SI wage 80% of income: close at the defaults, plain same enterprise from 85%
    (
        Employer(workers=1, wage_close=(0.85, 1.10)),
        EMPLOYED,
        {**EMPLOYED, "declared_wage": 8_000_000},
        "same_enterprise",
    ),
    # two digits apart: different at the defaults, within two edits when allowed
    (
        NationalId(workers=1),
        {"national_id": CCCD, "national_id_kind": "cccd"},
        {"national_id": CCCD_TWO_EDITS, "national_id_kind": "cccd"},
        "different",
    ),
    (
        NationalId(workers=1, max_edits=2),
        {"national_id": CCCD, "national_id_kind": "cccd"},
        {"national_id": CCCD_TWO_EDITS, "national_id_kind": "cccd"},
        "one_edit",
    ),
]


@pytest.mark.parametrize(("comparison", "left", "right", "expected"), THRESHOLD_CASES)
def test_thresholds_move_levels(
    comparison: Employer | FullName | NationalId,
    left: dict[str, float | int | str],
    right: dict[str, float | int | str],
    expected: str,
) -> None:
    (level,) = _levels(comparison, [left], [right])
    assert comparison.level_label(level) == expected


DEFAULT_SETTINGS = [
    # today's thresholds, as model.json records them
    (
        FullName(),
        {
            "typo_whole_name": 0.92,
            "typo_given_name": 0.80,
            "close_given_name": 0.88,
            "close_surname": 0.80,
            "close_any_order": 0.92,
        },
    ),
    (Employer(), {"wage_near": [0.90, 1.02], "wage_close": [0.75, 1.10]}),
    (NationalId(), {"max_edits": 1}),
    # no thresholds: levels are exact comparisons
    (BirthDate(), {}),
    (Sex(), {}),
]


@pytest.mark.parametrize(("comparison", "expected"), DEFAULT_SETTINGS)
def test_default_settings(
    comparison: BirthDate | Employer | FullName | NationalId | Sex,
    expected: dict[str, float | int | list[float]],
) -> None:
    assert comparison.settings() == expected
    assert json.loads(json.dumps(comparison.settings())) == expected  # JSON data


INVALID_THRESHOLDS = [
    # a Jaro-Winkler similarity lies in [0, 1]
    (lambda: FullName(typo_given_name=1.5), "typo_given_name"),
    (lambda: FullName(close_surname=-0.1), "close_surname"),
    (lambda: FullName(close_any_order=float("nan")), "close_any_order"),
    # a quoted number from a hand edit
    (lambda: FullName(typo_whole_name="0.92"), "typo_whole_name"),  # type: ignore[arg-type]  # wrong on purpose
    # bounds upside down, one bound, a negative ratio
    (lambda: Employer(wage_near=(1.02, 0.90)), "wage_near"),
    (lambda: Employer(wage_close=(0.75,)), "wage_close"),  # type: ignore[arg-type]  # on purpose
    (lambda: Employer(wage_close=(-0.1, 1.10)), "wage_close"),
    # the weaker close band must contain the near band
    (lambda: Employer(wage_near=(0.70, 1.02)), "must contain"),
    # an ID level of zero edits is the exact level
    (lambda: NationalId(max_edits=0), "max_edits"),
    (lambda: NationalId(max_edits=1.5), "max_edits"),  # type: ignore[arg-type]  # on purpose
]


@pytest.mark.parametrize(("build", "setting"), INVALID_THRESHOLDS)
def test_invalid_threshold_raises_config_error(build: Callable[..., Any], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        build()


def test_every_invalid_threshold_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        FullName(typo_given_name=1.5, close_surname=2.0)
    assert len(raised.value.problems) == 2
    assert all("'full_name'" in problem for problem in raised.value.problems)


def test_thresholds_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        FullName(1, 0.9)  # type: ignore[call-arg]  # read by name, never by position
