"""Fellegi-Sunter model kept as data: m/u per comparison level, a prior, and how it was fitted.

``fit`` builds one from the estimates of ``estimation``; ``score`` weighs pairs with it, u
of a term-frequency level replaced by the frequency of the agreeing value.

The fitted model is saved as JSON with the run and can score a later refresh unchanged.
The file records, per comparison, the thresholds that drew its levels (``settings``), and
at top level the blocking rules of the fitting run. Loading refuses a model whose levels or
settings differ from the comparisons it would score with: m and u of a level mean nothing
for a level drawn with another threshold. Blocking rules are recorded for the analyst but not
checked: they choose which pairs get scored, never the score of a pair.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.errors import ConfigError
from linkage.link.blocking_rules import BlockingRule
from linkage.link.comparison_base import Comparison
from linkage.link.estimation import Given, consistent_prior, estimate

# Tests read these three through this module, where they lived before ``estimation``.
from linkage.link.estimation import _log_probabilities as _log_probabilities
from linkage.link.estimation import _smoothed as _smoothed
from linkage.link.estimation import _split_by_nonmatches as _split_by_nonmatches
from linkage.link.patterns import PatternCounts
from linkage.link.row_model import row_masses, row_prior, row_probability

__all__ = [
    "MODEL_FORMAT",
    "ComparisonParameters",
    "FellegiSunterModel",
    "FitReport",
    "PatternCounts",
    "consistent_prior",
    "fit",
    "row_masses",
    "row_prior",
    "row_probability",
]

MODEL_FORMAT = 2  # 2: comparison settings and blocking rules recorded
_PROBABILITY_FLOOR = 1e-9


@dataclass(frozen=True)
class ComparisonParameters:
    """m and u for each level of one comparison (index = level, weakest first)."""

    name: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]
    tf_levels: dict[int, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # Comparison.settings() as JSON
    # Where another comparison is at ``from_level`` or above, u is ``u`` here instead:
    # {"comparison": name, "from_level": level, "u": [...]} (Comparison.given).
    given: dict[str, Any] = field(default_factory=dict)

    def weights(self) -> np.ndarray:
        """log2(m/u) per level: the evidence an agreement level gives."""
        weights: np.ndarray = np.log2(np.asarray(self.m) / np.asarray(self.u))
        return weights

    def given_rows(self, gammas: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Pairs whose conditioning comparison reaches its level (None: no condition)."""
        if not self.given:
            return None
        condition = np.asarray(gammas[self.given["comparison"]])
        return condition >= int(self.given["from_level"])


@dataclass(frozen=True)
class FitReport:
    """How the model was fitted: enough to judge whether to trust it."""

    random_pairs: int
    blocked_pairs: int
    em_iterations: int
    em_converged: bool
    blocked_match_share: float  # EM's estimate of matches among blocked pairs


@dataclass(frozen=True)
class FellegiSunterModel:
    """A fitted model: parameters per comparison plus the prior match probability."""

    comparisons: tuple[ComparisonParameters, ...]
    prior: float
    fit: FitReport
    blocking_rules: tuple[BlockingRule, ...] = ()  # of the fitting run; recorded, not checked
    format: int = MODEL_FORMAT

    @property
    def prior_weight(self) -> float:
        """log2 prior odds that two random records match."""
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def score(self, gammas: pd.DataFrame, tf_u: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """Weight of every comparison for every pair, plus match_weight and match_probability.

        Args:
            gammas: one int8 level column per comparison (-1 = missing).
            tf_u: per tf column (e.g. ``name_sorted``), the per-pair frequency of the agreeing
                value among insured records.
        """
        out: dict[str, np.ndarray] = {}
        total = np.full(len(gammas), self.prior_weight)
        for params in self.comparisons:
            gamma = gammas[params.name].to_numpy()
            m, u = np.asarray(params.m), np.asarray(params.u)
            # Each level's weight, then 0 for a missing level: read by gamma, -1 the last.
            weight = np.append(np.log2(m / u), 0.0)[gamma]
            given = params.given_rows({c: gammas[c].to_numpy() for c in gammas.columns})
            if given is not None:
                conditional = np.append(np.log2(m / np.asarray(params.given["u"])), 0.0)
                weight[given] = conditional[gamma[given]]
            for level, column in params.tf_levels.items():
                at_level = gamma == level
                # The value's frequency, split over the levels keyed on it as u splits:
                # agreeing on a rare value counts more, and each level keeps its own share.
                same_key = [lv for lv, c in params.tf_levels.items() if c == column]
                share = u[level] / u[same_key].sum()
                u_tf = np.maximum(tf_u[column][at_level] * share, _PROBABILITY_FLOOR)
                weight[at_level] = np.log2(m[level] / u_tf)
            out[f"weight_{params.name}"] = weight
            total = total + weight
        out["match_weight"] = total
        out["match_probability"] = 1.0 / (1.0 + np.exp2(-total))
        return pd.DataFrame(out, index=gammas.index)

    def to_json(self) -> str:
        """Serialize for saving with a run."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def save(self, path: Path) -> None:
        """Write the model as JSON."""
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, comparisons: Sequence[Comparison]) -> FellegiSunterModel:
        """Read a saved model and check it fits the comparisons it will score with."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            msg = f"{path}: cannot read model ({e.strerror})"
            raise ConfigError(msg) from e
        except ValueError as e:
            msg = f"{path}: not a linkage model file ({e!r})"
            raise ConfigError(msg) from e
        if not isinstance(document, dict) or "format" not in document:
            msg = f"{path}: not a linkage model file (no format in {type(document).__name__})"
            raise ConfigError(msg)
        if document["format"] != MODEL_FORMAT:
            msg = (
                f"{path}: model format {document['format']!r}, this version reads format "
                f"{MODEL_FORMAT} (which records comparison settings); refit without "
                "[link].model"
            )
            raise ConfigError(msg)
        try:
            model = _parse(document)
        except (ValueError, KeyError, TypeError) as e:
            msg = f"{path}: not a linkage model file ({e!r})"
            raise ConfigError(msg) from e
        except ConfigError as e:
            raise ConfigError([f"{path}: {problem}" for problem in e.problems]) from e
        problems = [
            c.name
            for c in model.comparisons
            if not (len(c.m) == len(c.u) == len(c.levels))
            or not all(0.0 < p <= 1.0 for p in (*c.m, *c.u))
            or not (abs(sum(c.m) - 1.0) < 1e-6 and abs(sum(c.u) - 1.0) < 1e-6)
            or not 0.0 < model.prior < 1.0
        ]
        if problems:
            msg = (
                f"{path}: m/u of {problems!r} are not probabilities over their levels "
                "(or the prior is not in (0, 1)); refit without [link].model"
            )
            raise ConfigError(msg)
        expected = {c.name: c.levels for c in comparisons}
        found = {c.name: c.levels for c in model.comparisons}
        if expected != found:
            msg = (
                f"{path}: model was fitted for other comparisons "
                f"(comparisons {sorted(found)!r}); refit without [link].model"
            )
            raise ConfigError(msg)
        differences = _setting_differences(model, comparisons)
        if differences:
            raise ConfigError([f"{path}: {d}; refit without [link].model" for d in differences])
        return model


def _setting_differences(model: FellegiSunterModel, comparisons: Sequence[Comparison]) -> list[str]:
    """Each setting a comparison scores with that differs from the one the model was fitted with."""
    fitted = {c.name: c.settings for c in model.comparisons}
    differences = []
    for comparison in comparisons:
        wanted, found = _settings_data(comparison), fitted[comparison.name]
        for key in sorted(set(wanted) | set(found)):
            if wanted.get(key) != found.get(key):
                differences.append(
                    f"comparison {comparison.name!r} was fitted with {key} = "
                    f"{_shown(found, key)}, this run uses {key} = {_shown(wanted, key)}"
                )
    return differences


def _shown(settings: Mapping[str, Any], key: str) -> str:
    return repr(settings[key]) if key in settings else "(not set)"


def _given_data(comparisons: Sequence[Comparison], given: Given) -> dict[str, Any]:
    if given is None:
        return {}
    index, level, u = given
    return {"comparison": comparisons[index].name, "from_level": level, "u": u.tolist()}


def _settings_data(comparison: Comparison) -> dict[str, Any]:
    """A comparison's settings exactly as model.json holds them (tuples become lists)."""
    data: dict[str, Any] = json.loads(json.dumps(comparison.settings()))
    return data


def _parse(document: dict[str, Any]) -> FellegiSunterModel:
    """The model a format-``MODEL_FORMAT`` document describes; malformed parts raise."""
    return FellegiSunterModel(
        comparisons=tuple(
            ComparisonParameters(
                name=c["name"],
                levels=tuple(c["levels"]),
                m=_numbers(c["m"]),
                u=_numbers(c["u"]),
                tf_levels={int(k): v for k, v in c["tf_levels"].items()},
                settings=_object(c["settings"]),
                given=_object(c.get("given", {})),
            )
            for c in document["comparisons"]
        ),
        prior=float(document["prior"]),
        fit=FitReport(**document["fit"]),
        blocking_rules=tuple(
            BlockingRule(
                **{
                    **_object(rule),
                    "on": _strings(_object(rule)["on"]),
                    "insured_on": _strings(_object(rule).get("insured_on", [])),
                    "train": bool(_object(rule).get("train", True)),
                    "refine": _strings(_object(rule).get("refine", [])),
                }
            )
            for rule in document["blocking_rules"]
        ),
        format=int(document["format"]),
    )


def _strings(values: Any) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; anything else is a TypeError."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        msg = f"expected a list of strings, got {values!r}"
        raise TypeError(msg)
    return tuple(values)


def _object(value: Any) -> dict[str, Any]:
    """A JSON object; anything else is a TypeError."""
    if not isinstance(value, dict):
        msg = f"expected an object, got {value!r}"
        raise TypeError(msg)
    return value


def _numbers(values: Any) -> tuple[float, ...]:
    """A JSON list of numbers as floats; anything else is a TypeError."""
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        msg = f"expected a list of numbers, got {values!r}"
        raise TypeError(msg)
    return tuple(float(v) for v in values)


def fit(
    *,
    comparisons: Sequence[Comparison],
    random_gammas: pd.DataFrame,
    blocked: PatternCounts,
    payroll_rows: int,
    insured_rows: int,
    max_iterations: int,
    tolerance: float,
    blocking_rules: Sequence[BlockingRule],
) -> FellegiSunterModel:
    """Fit m by EM on blocked pairs and u on random pairs.

    Args:
        comparisons: the comparisons that produced the gamma columns.
        random_gammas: levels of random pairs (for u).
        blocked: agreement patterns of the blocked candidate pairs that train the model
            (for m), with those known to match (exact-ID links).
        payroll_rows: size of the payroll side, for the prior.
        insured_rows: size of the insured side, for the prior.
        max_iterations: EM iteration cap.
        tolerance: stop when no m moves more than this.
        blocking_rules: the rules that made the blocked pairs, recorded with the model.
    """
    found = estimate(
        comparisons=comparisons,
        random_gammas=random_gammas,
        blocked=blocked,
        payroll_rows=payroll_rows,
        insured_rows=insured_rows,
        max_iterations=max_iterations,
        tolerance=tolerance,
    )
    return FellegiSunterModel(
        comparisons=tuple(
            ComparisonParameters(
                name=c.name,
                levels=c.levels,
                m=tuple(float(x) for x in found.m[k]),
                u=tuple(float(x) for x in found.u[k]),
                tf_levels=dict(c.tf_levels),
                settings=_settings_data(c),
                given=_given_data(comparisons, found.given[k]),
            )
            for k, c in enumerate(comparisons)
        ),
        prior=found.prior,
        fit=FitReport(
            random_pairs=len(random_gammas),
            blocked_pairs=int(blocked.pairs.sum()),
            em_iterations=found.em_iterations,
            em_converged=found.em_converged,
            blocked_match_share=found.blocked_match_share,
        ),
        blocking_rules=tuple(blocking_rules),
    )
