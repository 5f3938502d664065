"""Assignment: which scored pair each payroll row links to, and in which band."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.config import LinkConfig
from linkage.link.assign import assign
from linkage.link.comparisons import Employer

# match 0.99 (weight ~6.6), review 0.80 (weight 2), tie margin 3
SETTINGS = LinkConfig(match_probability=0.99, review_probability=0.80)
SAME_EMPLOYER, OTHER_EMPLOYER = Employer.levels.index("same_enterprise"), 0


def pair(
    payroll_pos: int,
    si_code: str,
    *,
    weight: float,
    person: str | None = None,
    method: str | None = None,
    employer: int = OTHER_EMPLOYER,
    name_weight: float = 0.0,
    id_weight: float = 0.0,
) -> dict[str, object]:
    """One scored candidate pair; match_probability follows from match_weight.

    Records are ``S<n>`` (insured position n) and persons ``P<n>`` or digits (code n).
    """
    return {
        "payroll_pos": payroll_pos,
        "insured_pos": int(si_code.removeprefix("S")),
        "insured_person": -1 if person is None else int(person.removeprefix("P")),
        "method": method,
        "match_weight": weight,
        "match_probability": 1.0 / (1.0 + 2.0**-weight),
        "gamma_employer": employer,
        "weight_employer": 0.0,
        "gamma_full_name": 7,
        "weight_full_name": name_weight,
        "gamma_national_id": 3 if id_weight else -1,
        "weight_national_id": id_weight,
    }


def weight_at(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def links_of(pairs: list[dict[str, object]]) -> dict[int, tuple[str, str]]:
    chosen = assign(pd.DataFrame(pairs), SETTINGS)
    rows: list[Any] = list(chosen.itertuples(index=False))  # namedtuples of the columns
    return {int(row.payroll_pos): (f"S{row.insured_pos}", row.band) for row in rows}


ASSIGN_CASES = [
    pytest.param(
        # exact national ID, name agrees: match whatever the probability
        [
            pair(
                0, "S1", weight=4.0, person="001", method="national_id", id_weight=12, name_weight=5
            )
        ],
        {0: ("S1", "match")},
        id="exact-id-agreeing",
    ),
    pytest.param(
        # exact ID whose other evidence sums below 0 (name says another person): review,
        # even though the ID weight makes the total heavy
        [
            pair(
                0,
                "S1",
                weight=15.0,
                person="001",
                method="national_id",
                id_weight=20,
                name_weight=-5,
            )
        ],
        {0: ("S1", "review")},
        id="exact-id-conflict",
    ),
    pytest.param(
        # exact ID whose other evidence sums to exactly 0: not a conflict
        [pair(0, "S1", weight=3.0, person="001", method="tax_id", id_weight=12, name_weight=0.0)],
        {0: ("S1", "match")},
        id="exact-id-neutral",
    ),
    pytest.param(
        # probabilistic pair above match_probability
        [pair(0, "S1", weight=10.0, name_weight=8)],
        {0: ("S1", "match")},
        id="probabilistic-match",
    ),
    pytest.param(
        # exactly at match_probability counts as a match (>=)
        [pair(0, "S1", weight=weight_at(0.99), name_weight=8)],
        {0: ("S1", "match")},
        id="probabilistic-at-match-threshold",
    ),
    pytest.param(
        # between review_probability and match_probability: review
        [pair(0, "S1", weight=4.0, name_weight=4)],
        {0: ("S1", "review")},
        id="probabilistic-review",
    ),
    pytest.param(
        # exactly at review_probability: review (>=)
        [pair(0, "S1", weight=weight_at(0.80), name_weight=2)],
        {0: ("S1", "review")},
        id="probabilistic-at-review-threshold",
    ),
    pytest.param(
        # below review_probability: no link at all
        [pair(0, "S1", weight=1.0, name_weight=1)],
        {},
        id="probabilistic-below-review",
    ),
    pytest.param(
        # two acceptable candidates 1 log2 unit apart, both at another employer: review
        [pair(0, "S1", weight=12.0, person="001"), pair(0, "S2", weight=11.0, person="002")],
        {0: ("S1", "review")},
        id="near-tie-other-employer",
    ),
    pytest.param(
        # two acceptable candidates within the margin, both at the payroll row's employer
        [
            pair(0, "S1", weight=12.0, person="001", employer=SAME_EMPLOYER),
            pair(0, "S2", weight=10.0, person="002", employer=SAME_EMPLOYER),
        ],
        {0: ("S1", "review")},
        id="near-tie-same-employer",
    ),
    pytest.param(
        # the ID-sharing pair is chosen, but a different person scoring as high sends it
        # to review
        [
            pair(0, "S1", weight=12.0, person="001", method="national_id", id_weight=10),
            pair(0, "S2", weight=13.0, person="002"),
        ],
        {0: ("S1", "review")},
        id="near-tie-with-exact-id",
    ),
    pytest.param(
        # runner-up exactly tie_margin behind: not a tie (margin < tie_margin)
        [pair(0, "S1", weight=12.0, person="001"), pair(0, "S2", weight=9.0, person="002")],
        {0: ("S1", "match")},
        id="runner-up-at-margin",
    ),
    pytest.param(
        # runner-up within the margin but not acceptable (below match_probability): no rival
        [pair(0, "S1", weight=7.0, person="001"), pair(0, "S2", weight=5.0, person="002")],
        {0: ("S1", "match")},
        id="runner-up-not-acceptable",
    ),
    pytest.param(
        # runner-up is the same person (same insured national ID, another SI record): no rival
        [pair(0, "S1", weight=12.0, person="001"), pair(0, "S2", weight=11.5, person="001")],
        {0: ("S1", "match")},
        id="runner-up-same-person",
    ),
    pytest.param(
        # runner-ups without a national ID are never "the same person" as each other
        [pair(0, "S1", weight=12.0), pair(0, "S2", weight=11.5)],
        {0: ("S1", "review")},
        id="runner-up-no-national-id",
    ),
    pytest.param(
        # acceptable at the same employer beats a heavier acceptable pair elsewhere, and the
        # employer difference keeps it out of review
        [
            pair(0, "S1", weight=20.0, person="001", employer=OTHER_EMPLOYER),
            pair(0, "S2", weight=10.0, person="002", employer=SAME_EMPLOYER),
        ],
        {0: ("S2", "match")},
        id="same-employer-preferred",
    ),
    pytest.param(
        # the employer preference applies among acceptable pairs only: a same-employer pair
        # in the review band does not displace an acceptable pair at another employer
        [
            pair(0, "S1", weight=10.0, person="001", employer=OTHER_EMPLOYER),
            pair(0, "S2", weight=4.0, person="002", employer=SAME_EMPLOYER),
        ],
        {0: ("S1", "match")},
        id="same-employer-not-acceptable",
    ),
    pytest.param(
        # one link per payroll row; one insured record may serve several payroll rows
        [
            pair(0, "S1", weight=12.0, person="001"),
            pair(0, "S2", weight=2.5, person="002"),
            pair(1, "S1", weight=11.0, person="001"),
            pair(2, "S3", weight=4.0),
            pair(2, "S4", weight=1.0),
            pair(3, "S5", weight=-3.0),
        ],
        {0: ("S1", "match"), 1: ("S1", "match"), 2: ("S3", "review")},
        id="one-link-per-row",
    ),
]


@pytest.mark.parametrize(("pairs", "expected"), ASSIGN_CASES)
def test_assign_table(pairs: list[dict[str, object]], expected: dict[int, tuple[str, str]]) -> None:
    assert links_of(pairs) == expected


def test_method_and_runner_up_columns() -> None:
    chosen = assign(
        pd.DataFrame(
            [
                pair(0, "S1", weight=12.0, person="001", method="national_id", id_weight=10),
                pair(0, "S2", weight=4.0, person="002"),
                pair(1, "S3", weight=10.0),
            ]
        ),
        SETTINGS,
    ).set_index("payroll_pos")
    assert chosen.loc[0, "method"] == "national_id"
    assert chosen.loc[0, "runner_up_pos"] == 2
    assert chosen.loc[0, "runner_up_margin"] == pytest.approx(8.0)
    assert chosen.loc[1, "method"] == "probabilistic"
    assert chosen.loc[1, "runner_up_pos"] == -1
    assert pd.isna(chosen["runner_up_margin"].loc[1])
    # per-comparison detail travels with the link; helper columns do not
    assert {"gamma_employer", "weight_full_name", "weight_national_id"} <= set(chosen.columns)
    assert not {"exact", "conflict", "acceptable", "insured_person"} & set(chosen.columns)


def test_employer_preference_gives_negative_margin() -> None:
    chosen = assign(
        pd.DataFrame(
            [
                pair(0, "S1", weight=20.0, person="001"),
                pair(0, "S2", weight=10.0, person="002", employer=SAME_EMPLOYER),
            ]
        ),
        SETTINGS,
    )
    assert chosen["runner_up_margin"].iloc[0] == pytest.approx(-10.0)


def test_conflicted_exact_id_stays_in_review_beside_a_weak_probabilistic_pair() -> None:
    pairs = [
        # same citizen ID, but name, birth date and employer all disagree
        pair(
            0, "S1", weight=-8.0, person="001", method="national_id", id_weight=14, name_weight=-6
        ),
        # a namesake at the same employer, far below the review threshold
        pair(0, "S2", weight=0.0, person="002", employer=SAME_EMPLOYER),
    ]
    assert links_of(pairs) == {0: ("S1", "review")}


# --- properties over random scored frames ----------------------------------------------

# payroll_pos, insured record, exact-ID pair, match_weight, non-ID evidence, employer level
type ScoredRow = tuple[int, int, bool, float, float, int]

scored_pairs = st.lists(
    st.tuples(
        st.integers(0, 5),  # payroll_pos
        st.integers(0, 8),  # insured record: si_code S<n>, person P<n // 2> unless n % 3 == 0
        st.booleans(),  # exact-ID pair
        st.floats(-20, 25, allow_nan=False),  # match_weight
        st.floats(-8, 8, allow_nan=False),  # non-ID evidence
        st.sampled_from([OTHER_EMPLOYER, SAME_EMPLOYER]),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda t: (t[0], t[1]),
)


def _frame(rows: list[ScoredRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            pair(
                pos,
                f"S{record}",
                weight=weight,
                person=f"P{record // 2}" if record % 3 else None,
                method="national_id" if exact else None,
                employer=employer,
                name_weight=other,
                id_weight=10.0 if exact else 0.0,
            )
            for pos, record, exact, weight, other, employer in rows
        ]
    )


@settings(max_examples=100, deadline=None, derandomize=True)
@given(rows=scored_pairs)
def test_assign_invariants(rows: list[ScoredRow]) -> None:
    scored = _frame(rows)
    chosen = assign(scored, SETTINGS)
    # at most one link per payroll row, always one of that row's own pairs
    assert chosen["payroll_pos"].is_unique
    own = set(zip(scored["payroll_pos"], scored["insured_pos"], strict=True))
    assert set(zip(chosen["payroll_pos"], chosen["insured_pos"], strict=True)) <= own
    assert set(chosen["band"]) <= {"match", "review"}
    # a row with an acceptable pair (clean exact ID, or probability >= match) is linked
    exact = scored["method"].notna()
    acceptable = (exact & (scored["weight_full_name"] >= 0)) | (
        scored["match_probability"] >= SETTINGS.match_probability
    )
    assert set(scored.loc[acceptable, "payroll_pos"]) <= set(chosen["payroll_pos"])
    # a runner-up is never the same person as the link
    person = scored.set_index("insured_pos")["insured_person"].groupby(level=0).first()
    row: Any  # a namedtuple of the columns
    for row in chosen.itertuples(index=False):
        if row.runner_up_pos >= 0 and person[row.insured_pos] >= 0:
            assert person[row.insured_pos] != person[row.runner_up_pos]
        if row.method == "probabilistic":
            assert row.match_probability >= SETTINGS.review_probability
            if row.match_probability < SETTINGS.match_probability:
                assert row.band == "review"


@settings(max_examples=50, deadline=None, derandomize=True)
@given(rows=scored_pairs)
def test_assign_ignores_row_order(rows: list[ScoredRow]) -> None:
    scored = _frame(rows)
    # hypothesis floats can tie on weight; ties may legitimately resolve either way
    if scored.duplicated(["payroll_pos", "match_weight"]).any():
        return
    shuffled = scored.sample(frac=1.0, random_state=np.random.default_rng(0))
    columns = ["payroll_pos", "insured_pos", "band", "runner_up_pos"]
    first = assign(scored, SETTINGS)[columns].sort_values("payroll_pos")
    second = assign(shuffled, SETTINGS)[columns].sort_values("payroll_pos")
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second.reset_index(drop=True))


def test_empty_scored_frame_gives_no_links() -> None:
    empty = pd.DataFrame([pair(0, "S1", weight=0.0)]).iloc[:0]
    assert assign(empty, SETTINGS).empty
