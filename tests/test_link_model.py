"""Fellegi-Sunter model: EM recovers known parameters, scoring is log2(m/u), saving round-trips."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.config import LinkConfig
from linkage.errors import ConfigError
from linkage.link.comparisons import MISSING
from linkage.link.model import (
    M_FLOOR,
    ComparisonParameters,
    FellegiSunterModel,
    FitReport,
    _floored,
    fit,
)


@dataclass(frozen=True)
class FakeComparison:
    """Just what ``fit`` and ``load`` read from a comparison: name, levels, tf_levels."""

    name: str
    levels: tuple[str, ...]
    tf_levels: dict[int, str] = field(default_factory=dict)


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
):
    rng = np.random.default_rng(seed)
    blocked = 40_000
    is_match = rng.random(blocked) < share
    blocked_gammas = _draw(rng, is_match, 0.05, truths)
    random_gammas = _draw(rng, np.zeros(20_000, dtype=bool), 0.05, truths)
    labelled = is_match & (rng.random(blocked) < label_share)
    model = fit(
        comparisons=[t.comparison for t in truths],
        random_gammas=random_gammas,
        blocked_gammas=blocked_gammas,
        labelled_matches=labelled,
        payroll_rows=15_000,
        insured_rows=12_000,
        max_iterations=max_iterations,
        tolerance=DEFAULTS.em_tolerance,
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
def test_em_recovers_known_parameters(seed, share, label_share):
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
def test_fitted_m_held_at_floor_not_zero(seed):
    model, _ = _simulate_and_fit(seed, share=0.3, label_share=0.3)
    for params in model.comparisons:
        assert np.isfinite(params.weights()).all(), params.name
    # the level no true match shows is held at the floor, not at ~0
    sex = model.comparisons[2]
    assert sex.m[0] == pytest.approx(M_FLOOR)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_fitted_m_never_below_floor(seed):
    model, _ = _simulate_and_fit(seed, share=0.3, label_share=0.3)
    for params in model.comparisons:
        assert min(params.m) >= M_FLOOR, params.name


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    counts=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1.0), st.floats(0.01, 1000.0)),
        min_size=2,
        max_size=8,
    ).filter(lambda c: sum(c) > 0)
)
def test_floored_is_a_distribution_with_floored_levels_at_the_floor(counts):
    m = np.asarray(counts) / sum(counts)
    result = _floored(m)
    assert result.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(result[m < M_FLOOR], M_FLOOR)
    assert (result[m >= M_FLOOR] <= m[m >= M_FLOOR] + 1e-12).all()  # only ever scaled down


def test_floored_level_just_above_floor_stays_above():
    result = _floored(np.array([0.0, 0.002, 0.998]))
    assert result.min() >= M_FLOOR


def test_em_converges_when_every_level_occurs():
    truths = (*TRUTH[:2], replace(TRUTH[2], m=(0.03, 0.97)))
    model, true_share = _simulate_and_fit(
        10, share=0.2, label_share=0.3, truths=truths, max_iterations=500
    )
    assert model.fit.em_converged
    assert model.fit.em_iterations < 500
    assert model.fit.blocked_match_share == pytest.approx(true_share, abs=0.01)
    np.testing.assert_allclose(model.comparisons[2].m, (0.03, 0.97), atol=0.02)


def test_prior_spreads_expected_blocked_matches_over_all_pairs():
    model, _ = _simulate_and_fit(8, share=0.3, label_share=0.3)
    expected = model.fit.blocked_match_share * 40_000 / (15_000 * 12_000)
    assert model.prior == pytest.approx(expected, rel=1e-9)
    assert model.prior_weight == pytest.approx(math.log2(expected / (1 - expected)))


# --- scoring ---------------------------------------------------------------------------

NAME = ComparisonParameters(
    name="name",
    levels=("different", "similar", "exact"),
    m=(0.1, 0.2, 0.7),
    u=(0.8, 0.15, 0.05),
    tf_levels={2: "name_sorted"},  # an exact name counts by how common it is
)
SEX = ComparisonParameters(name="sex", levels=("different", "equal"), m=(0.05, 0.95), u=(0.5, 0.5))
FIT = FitReport(
    random_pairs=10, blocked_pairs=20, em_iterations=3, em_converged=True, blocked_match_share=0.2
)
MODEL = FellegiSunterModel(comparisons=(NAME, SEX), prior=1e-4, fit=FIT)
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
def test_score_table(gamma_name, gamma_sex, tf, w_name, w_sex):
    gammas = pd.DataFrame(
        {"name": np.array([gamma_name], np.int8), "sex": np.array([gamma_sex], np.int8)}
    )
    scores = MODEL.score(gammas, {"name_sorted": np.array([tf])})
    assert scores["weight_name"].iloc[0] == pytest.approx(w_name)
    assert scores["weight_sex"].iloc[0] == pytest.approx(w_sex)
    total = PRIOR_WEIGHT + w_name + w_sex
    assert scores["match_weight"].iloc[0] == pytest.approx(total)
    assert scores["match_probability"].iloc[0] == pytest.approx(1 / (1 + 2**-total))


def test_score_keeps_index_and_columns():
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


def test_weights_are_log2_m_over_u():
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
def test_score_matches_reference_loop(rows):
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


def test_match_probability_rises_with_weight():
    gammas = pd.DataFrame(
        {"name": np.array([0, 1, 2, 2], np.int8), "sex": np.array([0, 1, 1, 1], np.int8)}
    )
    scores = MODEL.score(gammas, {"name_sorted": np.array([0.5, 0.5, 0.1, 0.001])})
    assert scores["match_weight"].is_monotonic_increasing
    assert scores["match_probability"].is_monotonic_increasing


# --- saving and loading ------------------------------------------------------------------

LOADED_COMPARISONS = [
    FakeComparison("name", NAME.levels, {2: "name_sorted"}),
    FakeComparison("sex", SEX.levels),
]


def test_save_load_round_trip_scores_identically(tmp_path):
    path = tmp_path / "model.json"
    MODEL.save(path)
    loaded = FellegiSunterModel.load(path, LOADED_COMPARISONS)
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


def test_fitted_model_round_trips(tmp_path):
    model, _ = _simulate_and_fit(9, share=0.3, label_share=0.3)
    path = tmp_path / "model.json"
    model.save(path)
    assert FellegiSunterModel.load(path, COMPARISONS) == model


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
def test_load_refuses_model_for_other_comparisons(tmp_path, comparisons):
    path = tmp_path / "model.json"
    MODEL.save(path)
    with pytest.raises(ConfigError, match="other comparisons") as raised:
        FellegiSunterModel.load(path, comparisons)
    assert str(path) in str(raised.value)


def test_load_refuses_other_format(tmp_path):
    path = tmp_path / "model.json"
    replace(MODEL, format=99).save(path)
    with pytest.raises(ConfigError, match="format 99"):
        FellegiSunterModel.load(path, LOADED_COMPARISONS)


def _document() -> dict:
    return json.loads(MODEL.to_json())


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
    # fit report with an unknown field
    json.dumps({**_document(), "fit": {**_document()["fit"], "extra": 1}}),
    # prior that is not a number
    json.dumps({**_document(), "prior": "high"}),
]


@pytest.mark.parametrize("text", CORRUPT_FILES)
def test_load_corrupt_file_raises_config_error(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not a linkage model file") as raised:
        FellegiSunterModel.load(path, LOADED_COMPARISONS)
    assert str(path) in str(raised.value)


def test_load_missing_file_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read model"):
        FellegiSunterModel.load(tmp_path / "absent.json", LOADED_COMPARISONS)


def test_load_binary_garbage_raises_config_error(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        FellegiSunterModel.load(path, LOADED_COMPARISONS)


def _with_name_params(**changes) -> str:
    document = _document()
    document["comparisons"][0].update(changes)
    return json.dumps(document)


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
def test_load_rejects_parameters_that_are_not_probabilities(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="not probabilities") as raised:
        FellegiSunterModel.load(path, LOADED_COMPARISONS)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "m",
    [
        "abc",  # tuple("abc") has the right length
        ["0.1", "0.2", "0.7"],  # numbers quoted by a hand edit
    ],
)
def test_load_rejects_non_numeric_m(tmp_path, m):
    path = tmp_path / "model.json"
    path.write_text(_with_name_params(m=m), encoding="utf-8")
    with pytest.raises(ConfigError):
        FellegiSunterModel.load(path, LOADED_COMPARISONS)
