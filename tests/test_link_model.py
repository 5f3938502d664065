"""Fellegi-Sunter model: EM recovers known parameters, scoring is log2(m/u), saving round-trips."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.config import LinkConfig
from linkage.errors import ConfigError
from linkage.link import make_comparisons
from linkage.link.blocking import DEFAULT_BLOCKING, BlockingRule
from linkage.link.comparisons import MISSING, Comparison, Employer, FullName, NationalId
from linkage.link.model import (
    MODEL_FORMAT,
    ComparisonParameters,
    FellegiSunterModel,
    FitReport,
    PatternCounts,
    _log_probabilities,
    _smoothed,
    consistent_prior,
    fit,
)


@dataclass(frozen=True)
class FakeComparison:
    """Just what ``fit`` and ``load`` read from a comparison: name, levels, tf, settings."""

    name: str
    levels: tuple[str, ...]
    tf_levels: dict[int, str] = field(default_factory=dict)
    thresholds: dict[str, object] = field(default_factory=dict)
    given: tuple[str, int] | None = None

    def settings(self) -> dict[str, object]:
        return dict(self.thresholds)


def real(fakes: Iterable[FakeComparison]) -> list[Comparison]:
    """The fakes where ``fit`` and ``load`` take comparisons: they read only what a fake has."""
    return cast("list[Comparison]", list(fakes))


@dataclass(frozen=True)
class Truth:
    """Known generating parameters of one comparison (index = level, weakest first)."""

    comparison: FakeComparison
    m: tuple[float, ...]
    u: tuple[float, ...]


TRUTH = (
    Truth(
        FakeComparison("name", ("different", "similar", "exact")),
        (0.05, 0.15, 0.80),
        (0.90, 0.08, 0.02),
    ),
    Truth(
        FakeComparison("birth", ("different", "year", "exact")),
        (0.04, 0.16, 0.80),
        (0.80, 0.15, 0.05),
    ),
    # A level no true match ever shows: EM drives m to ~0 and the floor must catch it.
    Truth(FakeComparison("sex", ("different", "equal")), (0.0, 1.0), (0.5, 0.5)),
)
COMPARISONS = [t.comparison for t in TRUTH]
DEFAULTS = LinkConfig()


def _draw(
    rng: np.random.Generator, is_match: np.ndarray, missing_rate: float, truths: tuple[Truth, ...]
) -> pd.DataFrame:
    """Gamma patterns drawn level by level, independent given the class, some missing."""
    columns = {}
    for truth in truths:
        size = len(truth.m)
        from_m = rng.choice(size, p=truth.m, size=len(is_match))
        from_u = rng.choice(size, p=truth.u, size=len(is_match))
        gamma = np.where(is_match, from_m, from_u).astype(np.int8)
        gamma[rng.random(len(is_match)) < missing_rate] = MISSING
        columns[truth.comparison.name] = gamma
    return pd.DataFrame(columns)


def _simulate_and_fit(
    seed: int,
    *,
    share: float,
    label_share: float,
    truths: tuple[Truth, ...] = TRUTH,
    max_iterations: int = DEFAULTS.em_max_iterations,
) -> tuple[FellegiSunterModel, float]:
    rng = np.random.default_rng(seed)
    blocked = 40_000
    is_match = rng.random(blocked) < share
    blocked_gammas = _draw(rng, is_match, 0.05, truths)
    random_gammas = _draw(rng, np.zeros(20_000, dtype=bool), 0.05, truths)
    labelled = is_match & (rng.random(blocked) < label_share)
    model = fit(
        comparisons=real(t.comparison for t in truths),
        random_gammas=random_gammas,
        blocked=PatternCounts.of(
            blocked_gammas.to_numpy(), labelled, [len(t.comparison.levels) for t in truths]
        ),
        payroll_rows=15_000,
        insured_rows=12_000,
        max_iterations=max_iterations,
        tolerance=DEFAULTS.em_tolerance,
        blocking_rules=DEFAULT_BLOCKING,
    )
    return model, float(is_match.mean())


@pytest.mark.parametrize(
    ("seed", "share", "label_share"),
    [
        (1, 0.30, 0.3),  # typical: exact-ID links label a third of the matches
        (2, 0.10, 0.3),  # few matches among blocked pairs
        (3, 0.50, 0.0),  # no exact-ID links: EM starts from its default m
        (4, 0.25, 1.0),  # every match labelled
    ],
)
def test_em_recovers_known_parameters(seed: int, share: float, label_share: float) -> None:
    model, true_share = _simulate_and_fit(seed, share=share, label_share=label_share)
    # (convergence is not asserted: with a level no match shows, m of that level creeps
    # towards 0 geometrically and can outlast the default 50 iterations)
    assert 1 <= model.fit.em_iterations <= DEFAULTS.em_max_iterations
    assert model.fit.blocked_pairs == 40_000
    assert model.fit.random_pairs == 20_000
    assert model.fit.blocked_match_share == pytest.approx(true_share, abs=0.01)
    for truth, params in zip(TRUTH, model.comparisons, strict=True):
        assert params.name == truth.comparison.name
        assert params.levels == truth.comparison.levels
        np.testing.assert_allclose(params.m, truth.m, atol=0.02, err_msg=params.name)
        # u comes from the random pairs, not from EM
        np.testing.assert_allclose(params.u, truth.u, atol=0.02, err_msg=params.name)
        assert sum(params.m) == pytest.approx(1.0)
        assert sum(params.u) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_fitted_m_of_a_level_no_match_shows_is_half_a_match(seed: int) -> None:
    model, true_share = _simulate_and_fit(seed, share=0.3, label_share=0.3)
    for params in model.comparisons:
        assert np.isfinite(params.weights()).all(), params.name
        assert min(params.m) > 0, params.name
    # no true match disagrees on sex: about half a match of the ~11k with a sex, not ~0
    # and not a fixed floor far above what 11k matches allow
    matches = 40_000 * true_share * 0.95
    sex = model.comparisons[2]
    assert sex.m[0] == pytest.approx(0.5 / matches, rel=0.2)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    counts=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1.0), st.floats(0.01, 1e6)),
        min_size=2,
        max_size=10,
    )
)
def test_smoothed_is_a_distribution_within_half_a_match_per_level_of_the_counts(
    counts: list[float],
) -> None:
    c = np.asarray(counts)
    m = _smoothed(c)
    assert m.sum() == pytest.approx(1.0)
    assert (m > 0).all()
    np.testing.assert_allclose(m[c == 0], 0.5 / (c.sum() + 0.5 * len(c)))
    if c.sum() > 0:
        np.testing.assert_allclose(m, c / c.sum(), rtol=0, atol=len(c) / (2 * c.sum() + len(c)))
    assert (np.diff(m[np.argsort(c, kind="stable")]) >= -1e-15).all()  # order kept


def test_em_converges_when_every_level_occurs() -> None:
    truths = (*TRUTH[:2], replace(TRUTH[2], m=(0.03, 0.97)))
    model, true_share = _simulate_and_fit(
        10, share=0.2, label_share=0.3, truths=truths, max_iterations=500
    )
    assert model.fit.em_converged
    assert model.fit.em_iterations < 500
    assert model.fit.blocked_match_share == pytest.approx(true_share, abs=0.01)
    np.testing.assert_allclose(model.comparisons[2].m, (0.03, 0.97), atol=0.02)


def test_prior_of_weak_comparisons_is_the_ems_share_over_all_pairs() -> None:
    """Comparisons too weak to explain the blocks: the EM's expected matches stand."""
    model, _ = _simulate_and_fit(8, share=0.3, label_share=0.3)
    expected = model.fit.blocked_match_share * 40_000 / (15_000 * 12_000)
    assert model.prior == pytest.approx(expected, rel=1e-9)
    assert model.prior_weight == pytest.approx(math.log2(expected / (1 - expected)))


M_STRONG = [np.array([0.001, 0.999]), np.array([0.001, 0.999])]
U_STRONG = [np.array([0.9999, 0.0001]), np.array([0.9999, 0.0001])]
PATTERNS = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [MISSING, 1]])
LOG_RATIO = _log_probabilities(PATTERNS, M_STRONG) - _log_probabilities(PATTERNS, U_STRONG)


@pytest.mark.parametrize("start", [1e-9, 1e-6, 0.4])
def test_consistent_prior_is_the_fixed_point_of_its_scores(start: float) -> None:
    """Scored with m, u and the prior, the blocked pairs expect prior x all pairs matches."""
    counts = np.array([50_000.0, 8_000.0, 4_000.0, 3_000.0, 500.0])
    all_pairs = 1e8
    prior = consistent_prior(counts, LOG_RATIO, all_pairs=all_pairs, start=start)
    odds = prior / (1 - prior) * np.exp(LOG_RATIO)
    assert (counts * odds / (1 + odds)).sum() == pytest.approx(prior * all_pairs, rel=1e-4)
    # the [1, 1] pairs are the convincing ones; the rest add a few hundred at most
    assert 2_900 < prior * all_pairs < 3_600


def test_consistent_prior_does_not_follow_a_collapsed_em() -> None:
    """EM's share far too low (its u learnt the matches): the scores' own count wins."""
    counts = np.array([50_000.0, 8_000.0, 4_000.0, 3_000.0, 500.0])
    prior = consistent_prior(counts, LOG_RATIO, all_pairs=1e8, start=1e-12)
    assert 2_900 < prior * 1e8 < 3_600


# --- scoring ---------------------------------------------------------------------------

NAME = ComparisonParameters(
    name="name",
    levels=("different", "similar", "exact"),
    m=(0.1, 0.2, 0.7),
    u=(0.8, 0.15, 0.05),
    tf_levels={2: "name_sorted"},  # an exact name counts by how common it is
    settings={"similar_from": 0.9, "band": [0.5, 1.0]},
)
SEX = ComparisonParameters(name="sex", levels=("different", "equal"), m=(0.05, 0.95), u=(0.5, 0.5))
FIT = FitReport(
    random_pairs=10, blocked_pairs=20, em_iterations=3, em_converged=True, blocked_match_share=0.2
)
MODEL = FellegiSunterModel(
    comparisons=(NAME, SEX), prior=1e-4, fit=FIT, blocking_rules=DEFAULT_BLOCKING
)
PRIOR_WEIGHT = math.log2(1e-4 / (1 - 1e-4))


def _reference_weight(params: ComparisonParameters, gamma: int, tf: float) -> float:
    """Plain per-pair rule: missing 0, TF level log2(m / max(tf, 1e-9)), else log2(m/u)."""
    if gamma == MISSING:
        return 0.0
    if gamma in params.tf_levels:
        return math.log2(params.m[gamma] / max(tf, 1e-9))
    return math.log2(params.m[gamma] / params.u[gamma])


SCORE_CASES = [
    # both disagree: two negative weights
    (0, 0, 0.5, math.log2(0.1 / 0.8), math.log2(0.05 / 0.5)),
    # non-TF name level uses u, whatever the frequency column says
    (1, 1, 0.5, math.log2(0.2 / 0.15), math.log2(0.95 / 0.5)),
    # TF level: a rare exact name (1 in 10,000) is strong evidence ...
    (2, 1, 1e-4, math.log2(0.7 / 1e-4), math.log2(0.95 / 0.5)),
    # ... a very common one much weaker than log2(m/u) = log2(14)
    (2, 1, 0.2, math.log2(0.7 / 0.2), math.log2(0.95 / 0.5)),
    # frequency 0 is floored at 1e-9, never a division by zero
    (2, 1, 0.0, math.log2(0.7 / 1e-9), math.log2(0.95 / 0.5)),
    # missing name: weight 0, not the "different" weight
    (MISSING, 0, 0.5, 0.0, math.log2(0.05 / 0.5)),
    # everything missing: only the prior is left
    (MISSING, MISSING, 0.5, 0.0, 0.0),
]


@pytest.mark.parametrize(("gamma_name", "gamma_sex", "tf", "w_name", "w_sex"), SCORE_CASES)
def test_score_table(
    gamma_name: int, gamma_sex: int, tf: float, w_name: float, w_sex: float
) -> None:
    gammas = pd.DataFrame(
        {"name": np.array([gamma_name], np.int8), "sex": np.array([gamma_sex], np.int8)}
    )
    scores = MODEL.score(gammas, {"name_sorted": np.array([tf])})
    assert scores["weight_name"].iloc[0] == pytest.approx(w_name)
    assert scores["weight_sex"].iloc[0] == pytest.approx(w_sex)
    total = PRIOR_WEIGHT + w_name + w_sex
    assert scores["match_weight"].iloc[0] == pytest.approx(total)
    assert scores["match_probability"].iloc[0] == pytest.approx(1 / (1 + 2**-total))


def test_score_keeps_index_and_columns() -> None:
    gammas = pd.DataFrame({"name": np.array([0, 2], np.int8), "sex": np.array([1, 1], np.int8)})
    gammas.index = [7, 3]
    scores = MODEL.score(gammas, {"name_sorted": np.array([0.1, 0.1])})
    assert list(scores.index) == [7, 3]
    assert list(scores.columns) == [
        "weight_name",
        "weight_sex",
        "match_weight",
        "match_probability",
    ]


SEX_GIVEN_NAME = replace(
    SEX, given={"comparison": "name", "from_level": 2, "u": [0.005, 0.995]}
)
GIVEN_MODEL = replace(MODEL, comparisons=(NAME, SEX_GIVEN_NAME))


@pytest.mark.parametrize(
    ("gamma_name", "gamma_sex", "w_sex"),
    [
        # the same name: an equal sex says nothing more, a different one says much
        (2, 1, math.log2(0.95 / 0.995)),
        (2, 0, math.log2(0.05 / 0.005)),
        # names not the same: the sex counts on its own
        (1, 1, math.log2(0.95 / 0.5)),
        (0, 0, math.log2(0.05 / 0.5)),
        # a missing name meets no condition; a missing sex still weighs nothing
        (MISSING, 1, math.log2(0.95 / 0.5)),
        (2, MISSING, 0.0),
    ],
)
def test_a_conditional_u_applies_where_its_condition_holds(
    gamma_name: int, gamma_sex: int, w_sex: float
) -> None:
    gammas = pd.DataFrame(
        {"name": np.array([gamma_name], np.int8), "sex": np.array([gamma_sex], np.int8)}
    )
    scores = GIVEN_MODEL.score(gammas, {"name_sorted": np.array([0.01])})
    assert scores["weight_sex"].iloc[0] == pytest.approx(w_sex)


def test_fit_counts_a_conditional_u_among_random_pairs_meeting_it() -> None:
    """Random pairs with the same name share a sex 99% of the time, others half."""
    rng = np.random.default_rng(5)
    name = rng.choice([0, 1, 2], size=20_000, p=[0.9, 0.05, 0.05]).astype(np.int8)
    same_sex = np.where(name == 2, rng.random(20_000) < 0.99, rng.random(20_000) < 0.5)
    random_gammas = pd.DataFrame({"name": name, "sex": same_sex.astype(np.int8)})
    comparisons = [
        FakeComparison("name", ("different", "similar", "exact")),
        replace(FakeComparison("sex", ("different", "equal")), given=("name", 2)),
    ]
    blocked = random_gammas.to_numpy()[:1000]
    model = fit(
        comparisons=real(comparisons),
        random_gammas=random_gammas,
        blocked=PatternCounts.of(blocked, np.ones(1000, bool), [3, 2]),
        payroll_rows=100,
        insured_rows=200,
        max_iterations=5,
        tolerance=1e-5,
        blocking_rules=DEFAULT_BLOCKING,
    )
    sex = model.comparisons[1]
    assert sex.given["comparison"] == "name"
    assert sex.given["from_level"] == 2
    assert sex.given["u"][1] == pytest.approx(0.99, abs=0.01)
    assert sex.u[1] == pytest.approx(0.5, abs=0.03)
    assert model.comparisons[0].given == {}


def test_weights_are_log2_m_over_u() -> None:
    np.testing.assert_allclose(NAME.weights(), np.log2(np.array(NAME.m) / np.array(NAME.u)))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(MISSING, 2), st.integers(MISSING, 1), st.floats(0.0, 1.0, allow_nan=False)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_score_matches_reference_loop(rows: list[tuple[int, int, float]]) -> None:
    gamma_name, gamma_sex, tf = (list(c) for c in zip(*rows, strict=True))
    gammas = pd.DataFrame(
        {"name": np.array(gamma_name, np.int8), "sex": np.array(gamma_sex, np.int8)}
    )
    scores = MODEL.score(gammas, {"name_sorted": np.array(tf, dtype=float)})
    for i, (g_name, g_sex, frequency) in enumerate(rows):
        expected = (
            PRIOR_WEIGHT
            + _reference_weight(NAME, g_name, frequency)
            + _reference_weight(SEX, g_sex, frequency)
        )
        assert scores["match_weight"].iloc[i] == pytest.approx(expected)
        assert scores["match_probability"].iloc[i] == pytest.approx(1 / (1 + 2**-expected))


def test_match_probability_rises_with_weight() -> None:
    gammas = pd.DataFrame(
        {"name": np.array([0, 1, 2, 2], np.int8), "sex": np.array([0, 1, 1, 1], np.int8)}
    )
    scores = MODEL.score(gammas, {"name_sorted": np.array([0.5, 0.5, 0.1, 0.001])})
    assert scores["match_weight"].is_monotonic_increasing
    assert scores["match_probability"].is_monotonic_increasing


# --- saving and loading ------------------------------------------------------------------

LOADED_COMPARISONS = [
    FakeComparison(
        "name", NAME.levels, {2: "name_sorted"}, {"similar_from": 0.9, "band": (0.5, 1.0)}
    ),
    FakeComparison("sex", SEX.levels),
]


def test_save_load_round_trip_scores_identically(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MODEL.save(path)
    loaded = FellegiSunterModel.load(path, real(LOADED_COMPARISONS))
    assert loaded == MODEL
    assert loaded.comparisons[0].tf_levels == {2: "name_sorted"}  # int keys survive JSON
    rng = np.random.default_rng(12)
    gammas = pd.DataFrame(
        {
            "name": rng.integers(MISSING, 3, size=500).astype(np.int8),
            "sex": rng.integers(MISSING, 2, size=500).astype(np.int8),
        }
    )
    tf = {"name_sorted": rng.random(500)}
    pd.testing.assert_frame_equal(loaded.score(gammas, tf), MODEL.score(gammas, tf))


def test_fitted_model_round_trips(tmp_path: Path) -> None:
    model, _ = _simulate_and_fit(9, share=0.3, label_share=0.3)
    path = tmp_path / "model.json"
    model.save(path)
    assert FellegiSunterModel.load(path, real(COMPARISONS)) == model


MISMATCHED_COMPARISONS = [
    # a comparison the model does not know
    [*LOADED_COMPARISONS, FakeComparison("employer", ("different", "same"))],
    # a comparison the code no longer computes
    LOADED_COMPARISONS[:1],
    # same names, a level added
    [FakeComparison("name", (*NAME.levels, "typo")), LOADED_COMPARISONS[1]],
    # same names, levels renamed
    [LOADED_COMPARISONS[0], FakeComparison("sex", ("differs", "equal"))],
]


@pytest.mark.parametrize("comparisons", MISMATCHED_COMPARISONS)
def test_load_refuses_model_for_other_comparisons(
    tmp_path: Path, comparisons: list[FakeComparison]
) -> None:
    path = tmp_path / "model.json"
    MODEL.save(path)
    with pytest.raises(ConfigError, match="other comparisons") as raised:
        FellegiSunterModel.load(path, real(comparisons))
    assert str(path) in str(raised.value)


def test_load_refuses_other_format(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    replace(MODEL, format=99).save(path)
    with pytest.raises(ConfigError, match="format 99"):
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MODEL.to_json())
    return document


def _with_name_params(**changes: object) -> str:
    document = _document()
    document["comparisons"][0].update(changes)
    return json.dumps(document)


def _with_name_params_removed(key: str) -> str:
    document = _document()
    del document["comparisons"][0][key]
    return json.dumps(document)


def _with_rule(**changes: object) -> str:
    document = _document()
    document["blocking_rules"][0].update(changes)
    return json.dumps(document)


CORRUPT_FILES = [
    # truncated write
    MODEL.to_json()[:40],
    # not JSON at all
    "model = 1\n",
    # valid JSON, wrong top-level shape
    "[1, 2, 3]",
    "null",
    # a required key missing
    json.dumps({k: v for k, v in _document().items() if k != "prior"}),
    json.dumps({k: v for k, v in _document().items() if k != "blocking_rules"}),
    # no format at all
    json.dumps({k: v for k, v in _document().items() if k != "format"}),
    # fit report with an unknown field
    json.dumps({**_document(), "fit": {**_document()["fit"], "extra": 1}}),
    # prior that is not a number
    json.dumps({**_document(), "prior": "high"}),
    # format 2 without the settings of a comparison, or with settings that are no object
    _with_name_params_removed("settings"),
    _with_name_params(settings=[0.9]),
    # a blocking rule whose columns are one string, or with an unknown field
    _with_rule(on="given_ascii"),
    _with_rule(extra=1),
]


@pytest.mark.parametrize("text", CORRUPT_FILES)
def test_load_corrupt_file_raises_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not a linkage model file") as raised:
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))
    assert str(path) in str(raised.value)


def test_load_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read model"):
        FellegiSunterModel.load(tmp_path / "absent.json", real(LOADED_COMPARISONS))


def test_load_binary_garbage_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))


SEMANTICALLY_CORRUPT = [
    # m list shorter than the levels: scoring would index past its end
    _with_name_params(m=[0.1, 0.9]),
    # a negative probability: log2 of a negative number
    _with_name_params(u=[-0.5, 1.0, 0.5]),
    # a zero m: a weight of minus infinity
    _with_name_params(m=[0.0, 0.3, 0.7]),
    # m that does not sum to 1
    _with_name_params(m=[0.5, 0.5, 0.5]),
    # prior outside (0, 1): its log-odds are undefined
    json.dumps({**_document(), "prior": 0.0}),
    json.dumps({**_document(), "prior": 1.5}),
]


@pytest.mark.parametrize("text", SEMANTICALLY_CORRUPT)
def test_load_rejects_parameters_that_are_not_probabilities(tmp_path: Path, text: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not probabilities") as raised:
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "m",
    [
        "abc",  # tuple("abc") has the right length
        ["0.1", "0.2", "0.7"],  # numbers quoted by a hand edit
    ],
)
def test_load_rejects_non_numeric_m(tmp_path: Path, m: list[str] | str) -> None:
    path = tmp_path / "model.json"
    path.write_text(_with_name_params(m=m), encoding="utf-8")
    with pytest.raises(ConfigError):
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))


# --- settings recorded and checked ---------------------------------------------------------


def _fit_real(comparisons: Sequence[Comparison]) -> FellegiSunterModel:
    """A model over the real comparisons, fitted on random levels: only its shape matters."""
    rng = np.random.default_rng(3)

    def gammas(rows: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                c.name: rng.integers(MISSING, len(c.levels), size=rows).astype(np.int8)
                for c in comparisons
            }
        )

    return fit(
        comparisons=comparisons,
        random_gammas=gammas(2_000),
        blocked=PatternCounts.of(
            gammas(4_000).to_numpy(), np.zeros(4_000, bool), [len(c.levels) for c in comparisons]
        ),
        payroll_rows=100,
        insured_rows=100,
        max_iterations=5,
        tolerance=DEFAULTS.em_tolerance,
        blocking_rules=DEFAULT_BLOCKING,
    )


def _with(comparison: Comparison) -> list[Comparison]:
    """The default comparisons with one replaced by ``comparison`` (same name)."""
    return [comparison if c.name == comparison.name else c for c in make_comparisons(DEFAULTS)]


def test_model_json_records_settings_and_blocking_rules(tmp_path: Path) -> None:
    comparisons = make_comparisons(DEFAULTS)
    path = tmp_path / "model.json"
    _fit_real(comparisons).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == MODEL_FORMAT
    settings_by_name = {c["name"]: c["settings"] for c in document["comparisons"]}
    assert settings_by_name == {c.name: c.settings() for c in comparisons}
    rules = {rule["name"]: rule for rule in document["blocking_rules"]}
    assert rules["sorted_name_neighbourhood"] == {
        "name": "sorted_name_neighbourhood",
        "on": ["block_year"],
        "sort_on": "name_sorted",
        "window": 5,
        "insured_on": [],
        "train": True,
        "refine": ["block_gender", "employer_province", "birth_month"],
    }
    assert rules["name+payroll_without_year"]["insured_on"] == ["name_sorted"]
    assert rules["name+payroll_without_year"]["train"] is False


@pytest.mark.parametrize(
    "comparison",
    [
        FullName(workers=1),  # the defaults
        FullName(workers=1, typo_given_name=0.85),  # tuples and non-defaults survive JSON
        Employer(workers=1, wage_near=(0.92, 1.02)),
        NationalId(workers=1, max_edits=2),
    ],
)
def test_settings_round_trip(tmp_path: Path, comparison: Employer | FullName | NationalId) -> None:
    comparisons = _with(comparison)
    model = _fit_real(comparisons)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = FellegiSunterModel.load(path, _with(comparison))
    assert loaded == model
    assert loaded.blocking_rules == DEFAULT_BLOCKING
    (params,) = (c for c in loaded.comparisons if c.name == comparison.name)
    assert params.settings == json.loads(json.dumps(comparison.settings()))


OTHER_SETTINGS = [
    # (fitted with, scored with, the setting the refusal names)
    (FullName(workers=1), FullName(workers=1, typo_given_name=0.85), "typo_given_name"),
    (FullName(workers=1, close_any_order=0.9), FullName(workers=1), "close_any_order"),
    (Employer(workers=1), Employer(workers=1, wage_near=(0.92, 1.02)), "wage_near"),
    (NationalId(workers=1), NationalId(workers=1, max_edits=2), "max_edits"),
]


@pytest.mark.parametrize(("fitted_with", "scored_with", "setting"), OTHER_SETTINGS)
def test_load_refuses_other_settings(
    tmp_path: Path,
    fitted_with: Employer | FullName | NationalId,
    scored_with: Employer | FullName | NationalId,
    setting: str,
) -> None:
    path = tmp_path / "model.json"
    _fit_real(_with(fitted_with)).save(path)
    with pytest.raises(ConfigError) as raised:
        FellegiSunterModel.load(path, _with(scored_with))
    (problem,) = raised.value.problems
    assert str(path) in problem
    assert f"{scored_with.name!r}" in problem
    assert setting in problem
    assert "refit without [link].model" in problem
    fitted_value = fitted_with.settings()[setting]
    assert repr(json.loads(json.dumps(fitted_value))) in problem


def test_load_names_a_setting_only_one_side_has(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MODEL.save(path)
    comparisons = [replace(LOADED_COMPARISONS[0], thresholds={}), LOADED_COMPARISONS[1]]
    with pytest.raises(
        ConfigError, match=r"similar_from = 0.9, this run uses similar_from = \(not set\)"
    ) as raised:
        FellegiSunterModel.load(path, real(comparisons))
    assert len(raised.value.problems) == 2  # similar_from and band, at once


def test_load_refuses_format_1_model_without_settings(tmp_path: Path) -> None:
    document = _document()
    document["format"] = 1
    del document["blocking_rules"]
    for comparison in document["comparisons"]:
        del comparison["settings"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"format 1.*refit without \[link\]\.model") as raised:
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))
    assert str(path) in str(raised.value)


def test_blocking_rules_are_recorded_not_checked(tmp_path: Path) -> None:
    # rules choose which pairs are scored, never a pair's score: other rules still load
    path = tmp_path / "model.json"
    other = (BlockingRule("given_name", ("given_ascii",)),)
    replace(MODEL, blocking_rules=other).save(path)
    assert FellegiSunterModel.load(path, real(LOADED_COMPARISONS)).blocking_rules == other


def test_load_rejects_invalid_recorded_blocking_rule(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(_with_rule(window=4), encoding="utf-8")
    with pytest.raises(ConfigError, match="positive odd integer") as raised:
        FellegiSunterModel.load(path, real(LOADED_COMPARISONS))
    assert str(path) in str(raised.value)


def test_a_frequency_shared_by_levels_splits_as_their_u() -> None:
    """Two levels keyed on one value: u = frequency x the level's share of their u."""
    employer = ComparisonParameters(
        name="employer",
        levels=("different", "same", "same_wage_near"),
        m=(0.2, 0.4, 0.4),
        u=(0.99, 0.008, 0.002),  # same-employer pairs: 80% plain, 20% wage near
        tf_levels={1: "employer_root", 2: "employer_root"},
    )
    model = FellegiSunterModel(
        comparisons=(employer,), prior=1e-4, fit=FIT, blocking_rules=DEFAULT_BLOCKING
    )
    gammas = pd.DataFrame({"employer": np.array([1, 2, 1], dtype=np.int8)})
    frequency = np.array([0.001, 0.001, 0.0001])  # the third pair's employer is 10x smaller
    weights = model.score(gammas, {"employer_root": frequency})["weight_employer"].to_numpy()
    assert weights[0] == pytest.approx(math.log2(0.4 / (0.001 * 0.8)))
    assert weights[1] == pytest.approx(math.log2(0.4 / (0.001 * 0.2)))
    assert weights[2] == pytest.approx(weights[0] + math.log2(10))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(st.integers(-1, 2), st.integers(-1, 1), st.booleans()), min_size=0, max_size=40
    ),
    cut=st.integers(0, 40),
)
def test_pattern_counts_of_parts_add_up_to_the_whole(
    rows: list[tuple[int, int, bool]], cut: int
) -> None:
    sizes = (3, 2)
    gammas = np.array([r[:2] for r in rows], dtype=np.int8).reshape(-1, 2)
    labelled = np.array([r[2] for r in rows], dtype=bool)
    whole = PatternCounts.of(gammas, labelled, sizes)
    parts = PatternCounts.of(gammas[:cut], labelled[:cut], sizes) + PatternCounts.of(
        gammas[cut:], labelled[cut:], sizes
    )
    assert parts.packed.tolist() == whole.packed.tolist()
    assert parts.pairs.tolist() == whole.pairs.tolist()
    assert parts.labelled.tolist() == whole.labelled.tolist()
    # every distinct row once, decoded back to its levels, with its count
    decoded = {tuple(p): n for p, n in zip(whole.patterns().tolist(), whole.pairs, strict=True)}
    expected: dict[tuple[int, ...], int] = {}
    for row in gammas.tolist():
        expected[tuple(row)] = expected.get(tuple(row), 0) + 1
    assert decoded == expected


ID_TRUTH = Truth(
    FakeComparison("id", ("different", "other_kind", "exact")), (0.01, 0.19, 0.80), (0.8, 0.2, 0.0)
)


@pytest.mark.parametrize("chosen_by_id", [True, False])
def test_m_of_the_comparison_labels_are_chosen_by_comes_from_the_other_evidence(
    chosen_by_id: bool,
) -> None:
    """Labels are exact-ID links: they show the ID at "exact", but for the few reached by a
    tax code (a CMND against a CCCD in 1% of them, not 19%); taken as m, the other kind's
    weight fell by 4 bits on the generator. Pairs the other comparisons call sure show the
    ID as matches do."""
    id_comparison = replace(ID_TRUTH.comparison)
    object.__setattr__(id_comparison, "labels_chosen_by", chosen_by_id)
    truths = (*TRUTH[:2], replace(ID_TRUTH, comparison=id_comparison))
    rng = np.random.default_rng(8)
    is_match = rng.random(40_000) < 0.3
    blocked = _draw(rng, is_match, 0.05, truths)
    draw = rng.random(40_000)
    labelled = is_match & (((blocked["id"].to_numpy() == 2) & (draw < 0.5)) | (draw > 0.98))
    model = fit(
        comparisons=real(t.comparison for t in truths),
        random_gammas=_draw(rng, np.zeros(20_000, dtype=bool), 0.05, truths),
        blocked=PatternCounts.of(blocked.to_numpy(), labelled, [3, 3, 3]),
        payroll_rows=15_000,
        insured_rows=12_000,
        max_iterations=DEFAULTS.em_max_iterations,
        tolerance=DEFAULTS.em_tolerance,
        blocking_rules=DEFAULT_BLOCKING,
    )
    other_kind = model.comparisons[2].m[1]
    if chosen_by_id:
        assert other_kind == pytest.approx(0.19, abs=0.02)
    else:  # the labels' own view: biased far below the truth
        assert other_kind < 0.12
