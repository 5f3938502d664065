"""Fellegi-Sunter model kept as data: m/u per comparison level, a prior, and how it was fitted.

* u-probabilities come from random payroll x insured pairs (almost all non-matches).
* m-probabilities are semi-supervised: the pairs the exact-ID pass linked are known
  matches. With at least ``MIN_LABELLED`` of them, m of every comparison they spread over
  stays at what they show (on a foreign set it equals m measured with the truth, level by
  level); EM over the other blocked pairs fits the rest (the ID comparison itself) and the
  share of matches, with u free inside the blocks because blocked non-matches agree far
  more often than random ones. Left fully free, EM drifted to describe namesakes whenever
  the blocked population changed (a rule more or one stricter: share 0.05 -> 0.18 or 0.35,
  precision 0.997 -> 0.98 or 0.96). Pairs of broad rules (``BlockingRule.train`` false)
  are scored but not fitted on. The labels were chosen by their citizen ID, so m of the
  ID comparison (``Comparison.labels_chosen_by``) is counted instead over the pairs the
  other comparisons alone call sure matches (``_measured_by_others``).
* The prior (probability that two random records match) is the EM's expected number of
  matches among blocked pairs spread over all payroll x insured pairs. A pair's
  probability is its row's (``row_probability``): against the row having no match, at the
  run's share of rows with one (``row_prior``), or another candidate.
* Term-frequency adjustment: on levels that mean "the same name" or "the same employer", u
  is the frequency of that value among insured records, split over the levels keyed on it
  as blocked pairs that the other evidence rules out split (``_split_by_nonmatches``; random
  pairs see a rare level once or never): "Nguyễn Văn Hùng" counts less than a rare name, a
  2,000-worker employer less than a 20-worker one (DOMAIN.md section 2). Measured on the
  foreign set: employer frequencies took links F1 0.9866 -> 0.9873, the split 0.9876.

The fitted model is saved as JSON with the run and can score a later refresh unchanged.
The file records, per comparison, the thresholds that drew its levels (``settings``), and
at top level the blocking rules of the fitting run. Loading refuses a model whose levels or
settings differ from the comparisons it would score with: m and u of a level mean nothing
for a level drawn with another threshold. Blocking rules are recorded for the analyst but not
checked: they choose which pairs get scored, never the score of a pair.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.errors import ConfigError
from linkage.link.blocking import BlockingRule
from linkage.link.comparisons import MISSING, Comparison

MODEL_FORMAT = 2  # 2: comparison settings and blocking rules recorded
_PROBABILITY_FLOOR = 1e-9
MIN_LABELLED = 200  # exact-ID links needed before their m is trusted over EM's
MIN_GIVEN_PAIRS = 100  # random pairs meeting a condition before its u is counted apart
_DENSE_PATTERNS = 1 << 22  # patterns counted by bincount up to this many possible ones


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


def _smoothed(counts: np.ndarray) -> np.ndarray:
    """M of each level from the matches seen there, half a match added to every level.

    The Krichevsky-Trofimov estimate: a level that none of n matches shows gets about
    1/(2n), never zero (EM on generated or very clean data sets the m of a sex or birth-year
    disagreement to ~0, a weight no evidence overcomes, while real registries carry such
    typos), and no larger than n matches allow (a fixed floor of 1/500 overstated a rare
    level forty-fold on 36k matches: two different citizen IDs cost 9 bits, not 15).
    """
    smoothed: np.ndarray = (counts + 0.5) / (counts.sum() + 0.5 * len(counts))
    return smoothed


def level_frequencies(gammas: pd.DataFrame, comparisons: Sequence[Comparison]) -> list[np.ndarray]:
    """Share of each level among non-missing values, smoothed so no level is zero."""
    shares = []
    for comparison in comparisons:
        gamma = gammas[comparison.name].to_numpy()
        counts = np.bincount(gamma[gamma != MISSING], minlength=len(comparison.levels))
        shares.append((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
    return shares


def _log_probabilities(patterns: np.ndarray, parameters: Sequence[np.ndarray]) -> np.ndarray:
    """Sum over comparisons of log P(level | class); missing levels contribute nothing."""
    total = np.zeros(len(patterns))
    for k, probabilities in enumerate(parameters):
        gamma = patterns[:, k]
        present = gamma != MISSING
        total[present] += np.log(probabilities[gamma[present]])
    return total


def _level_counts(
    patterns: np.ndarray, weights: np.ndarray, sizes: Sequence[int]
) -> list[np.ndarray]:
    """Weighted pairs at each level of each comparison; missing values count nowhere."""
    counts = []
    for k, size in enumerate(sizes):
        gamma = patterns[:, k]
        present = gamma != MISSING
        counts.append(np.bincount(gamma[present], weights=weights[present], minlength=size))
    return counts


def _reestimate(
    patterns: np.ndarray, weights: np.ndarray, sizes: Sequence[int]
) -> list[np.ndarray]:
    return [(c + 1e-6) / (c.sum() + 1e-6 * len(c)) for c in _level_counts(patterns, weights, sizes)]


@dataclass(frozen=True)
class PatternCounts:
    """Distinct agreement patterns of blocked pairs, with how many pairs show each.

    All EM needs: it runs over thousands of patterns instead of millions of pairs, and
    counts of chunks (or of a cluster's partitions) add up to those of the whole.
    Patterns are packed into one int64 each (mixed radix, missing shifted to 0).
    """

    sizes: tuple[int, ...]  # levels per comparison
    packed: np.ndarray  # sorted distinct packed patterns
    pairs: np.ndarray  # pairs per pattern
    labelled: np.ndarray  # labelled matches (exact-ID pairs) per pattern

    @classmethod
    def of(cls, gammas: np.ndarray, labelled: np.ndarray, sizes: Sequence[int]) -> PatternCounts:
        """Counts of the rows of ``gammas`` (pairs x comparisons); ``labelled`` marks rows."""
        packed = np.zeros(len(gammas), dtype=np.int64)
        for k, size in enumerate(sizes):
            packed = packed * (size + 1) + (gammas[:, k].astype(np.int64) + 1)
        space = math.prod(size + 1 for size in sizes)
        if space > _DENSE_PATTERNS:  # too many possible patterns to count them densely
            return cls._summed(tuple(sizes), packed, np.ones(len(packed)), labelled.astype(float))
        pairs = np.bincount(packed, minlength=space)
        seen = np.flatnonzero(pairs)
        marked = np.bincount(packed, weights=labelled.astype(float), minlength=space)
        return cls(tuple(sizes), seen, pairs[seen].astype(float), marked[seen])

    @classmethod
    def _summed(
        cls, sizes: tuple[int, ...], packed: np.ndarray, pairs: np.ndarray, labelled: np.ndarray
    ) -> PatternCounts:
        distinct, inverse = np.unique(packed, return_inverse=True)
        return cls(
            sizes=sizes,
            packed=distinct,
            pairs=np.bincount(inverse, weights=pairs, minlength=len(distinct)),
            labelled=np.bincount(inverse, weights=labelled, minlength=len(distinct)),
        )

    def __add__(self, other: PatternCounts) -> PatternCounts:
        return self._summed(
            self.sizes,
            np.concatenate([self.packed, other.packed]),
            np.concatenate([self.pairs, other.pairs]),
            np.concatenate([self.labelled, other.labelled]),
        )

    def patterns(self) -> np.ndarray:
        """The distinct patterns as rows of levels (-1 missing), in ``packed`` order."""
        result = np.empty((len(self.packed), len(self.sizes)), dtype=np.int8)
        rest = self.packed.copy()
        for k in range(len(self.sizes) - 1, -1, -1):
            rest, digit = np.divmod(rest, self.sizes[k] + 1)
            result[:, k] = digit - 1
        return result


def _informative(labelled_m: Sequence[np.ndarray]) -> list[int]:
    """Comparisons whose labelled pairs spread over levels: the labels' m can be trusted.

    A comparison the labels show at one level only (the ID the exact pass matched on) says
    nothing through them about matches found otherwise.
    """
    return [k for k, share in enumerate(labelled_m) if share.max() < 1.0 - 1e-3]


# Per comparison: (index of the conditioning comparison, its level, the conditional u).
Given = tuple[int, int, np.ndarray] | None


def _given(random_gammas: pd.DataFrame, comparisons: Sequence[Comparison]) -> list[Given]:
    """Each comparison's u among random pairs where its ``given`` comparison reaches a level.

    None where a comparison has no condition, or too few random pairs meet it to count.
    """
    names = [c.name for c in comparisons]
    conditions: list[Given] = []
    for comparison in comparisons:
        given = getattr(comparison, "given", None)
        if given is None or given[0] not in names:
            conditions.append(None)
            continue
        rows = random_gammas[given[0]].to_numpy() >= given[1]
        if rows.sum() < MIN_GIVEN_PAIRS:
            conditions.append(None)
            continue
        u = level_frequencies(random_gammas[rows], [comparison])[0]
        conditions.append((names.index(given[0]), given[1], u))
    return conditions


def _log_ratio_terms(
    patterns: np.ndarray,
    m: Sequence[np.ndarray],
    u: Sequence[np.ndarray],
    given: Sequence[Given],
) -> np.ndarray:
    """log(m/u) of each pattern (rows) per comparison (columns) as scoring reads it.

    Missing levels give 0; a comparison's conditional u applies where its condition holds.
    """
    terms = np.zeros(patterns.shape, dtype=np.float64)
    for k, condition in enumerate(given):
        gamma = patterns[:, k]
        present = gamma != MISSING
        ratio = np.log(m[k]) - np.log(u[k])
        terms[present, k] = ratio[gamma[present]]
        if condition is not None:
            index, level, conditional = condition
            rows = present & (patterns[:, index] >= level)
            terms[rows, k] = (np.log(m[k]) - np.log(conditional))[gamma[rows]]
    return terms


def _measured_by_others(
    patterns: np.ndarray,
    counts: np.ndarray,
    labelled_m: Sequence[np.ndarray | None],
    terms: np.ndarray,
    sizes: Sequence[int],
    *,
    prior: float,
) -> dict[int, np.ndarray]:
    """Level counts, for each comparison the labels cannot fix, over pairs the rest call sure.

    The labelled matches were chosen by their citizen ID, so they show the ID comparison
    at "exact" but for the few reached through a tax code: taken as m, a CMND against a
    CCCD (one true match in seven) cost 4 bits, a typo beyond one edit 16. Pairs whose
    other evidence alone (the comparisons the labels fixed) makes them matches at 0.999
    under a prior of one match per row were not chosen by their ID: their ID levels are
    what matches show. Needs ``MIN_LABELLED`` such pairs with the
    level present; without them EM fits the comparison as before.
    """
    fixed = [k for k, m in enumerate(labelled_m) if m is not None]
    if not fixed:
        return {}
    evidence = terms[:, fixed].sum(axis=1) + math.log(prior / (1.0 - prior))
    sure = evidence >= math.log(999.0)
    measured: dict[int, np.ndarray] = {}
    for k, m in enumerate(labelled_m):
        if m is not None:
            continue
        gamma = patterns[:, k]
        rows = sure & (gamma != MISSING)
        level_count = np.bincount(gamma[rows], weights=counts[rows], minlength=sizes[k])
        if level_count.sum() >= MIN_LABELLED:
            measured[k] = level_count
    return measured


def _split_by_nonmatches(
    patterns: np.ndarray,
    counts: np.ndarray,
    terms: np.ndarray,
    comparisons: Sequence[Comparison],
    u: Sequence[np.ndarray],
    *,
    prior: float,
) -> list[np.ndarray]:
    """The u of each comparison, its levels keyed on one value split as non-matches split.

    Scoring takes u of a level keyed on a value (a name, an employer) as the value's
    frequency, split over the levels keyed on it in proportion to their u. Random pairs
    rarely share a name (0.04%), so a rare level among them (Lý/Lí, a name reordered) is
    seen once or never and its share is noise: a name spelt Lý on one side and Lí on the
    other weighed 3 bits more than the same name spelt alike, and reordered names linked at
    a mean probability of 0.96 were right 91% of the time at 1M rows. Blocked pairs that
    the other comparisons call non-matches at 0.999 share names by the thousands: within
    each key, their levels give the split. The key's total u stays the random pairs'.
    """
    others = terms.sum(axis=1)[:, None] - terms + math.log(prior / (1.0 - prior))
    split = [share.copy() for share in u]
    for k, comparison in enumerate(comparisons):
        keys: dict[str, list[int]] = {}
        for level, column in comparison.tf_levels.items():
            keys.setdefault(column, []).append(level)
        gamma = patterns[:, k]
        sure = others[:, k] <= -math.log(999.0)
        for levels in (sorted(ls) for ls in keys.values() if len(ls) > 1):
            rows = sure & np.isin(gamma, levels)
            seen = np.bincount(gamma[rows], weights=counts[rows], minlength=len(u[k]))[levels]
            if seen.sum() >= MIN_LABELLED:
                split[k][levels] = u[k][levels].sum() * _smoothed(seen)
    return split


def consistent_prior(
    counts: np.ndarray,
    log_ratio: np.ndarray,
    *,
    all_pairs: float,
    start: float,
    iterations: int = 200,
) -> float:
    """The prior under which the scoring model expects as many matches as it scores.

    ``log_ratio`` is each blocked pattern's log(m/u) as scoring reads it (``counts`` pairs
    each).

    The prior is the share of matches among all payroll x insured pairs, and scoring
    reads it with the final m and the random-pair u. EM's own share (u free inside the
    blocks) is fitted for another model: inside large blocks its u learnt the matches as
    namesakes, and at a million generated rows it expected 383k matches where there were
    705k (at 50k it was right), moving every decision by a bit. Here the prior is the
    fixed point of one EM step with m and u held at the scored values: the expected
    matches among the blocked pairs (those outside every block are taken as non-matches),
    spread over all pairs. The likelihood is concave in the prior, so it is unique; it is
    above zero only when the comparisons explain why the blocked pairs were drawn (their
    summed likelihood ratio exceeds the pairs outside), as on real tables. When they do
    not, as with weak comparisons, the EM's share (``start``) stands.
    """
    ratio = np.exp(log_ratio)
    if (counts * ratio).sum() <= all_pairs:
        return start
    prior = start
    for _ in range(iterations):
        odds = prior / (1.0 - prior) * ratio
        updated = float(np.clip((counts * odds / (1.0 + odds)).sum() / all_pairs, 1e-12, 0.5))
        if abs(updated - prior) <= 1e-6 * prior:
            return updated
        prior = updated
    return prior


def row_masses(
    payroll_pos: np.ndarray, person: np.ndarray, log2_ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each payroll row's summed likelihood ratio over its candidates: (rows, masses).

    A person's records (one national ID) count once, by the best: a worker with a record
    at each of two employers is one candidate, not two halves of one.
    """
    rows, inverse = np.unique(payroll_pos, return_inverse=True)
    ratio = np.exp2(np.minimum(log2_ratio, 1000.0))
    order = np.argsort(-ratio, kind="stable")
    seen = pd.DataFrame({"row": inverse[order], "person": person[order]}).duplicated()
    repeat = np.zeros(len(ratio), dtype=bool)
    repeat[order] = seen.to_numpy() & (person[order] >= 0)
    kept = ~repeat
    masses = np.bincount(inverse[kept], weights=ratio[kept], minlength=len(rows))
    return rows, masses


def row_prior(masses: np.ndarray, *, payroll_rows: int, insured_rows: int, start: float) -> float:
    """The share of payroll rows with a match among their candidates (EM on the rows).

    ``masses`` are ``row_masses`` of the rows with candidates; the others have none. Row
    i has a match with probability rho, then at any insured record alike (1/M each):
    P(match | row) = rho S_i / (1 - rho + rho S_i) with S_i its mass over M. The
    log-likelihood is concave in rho, so the fixed point is unique.
    """
    share = masses / max(insured_rows, 1)
    rho = float(np.clip(start, 1e-9, 1 - 1e-9))
    for _ in range(500):
        found = rho * share
        updated = float(np.clip((found / (1.0 - rho + found)).sum() / payroll_rows, 1e-9, 1 - 1e-9))
        if abs(updated - rho) <= 1e-7:
            return updated
        rho = updated
    return rho


def row_probability(
    log2_ratio: np.ndarray, masses: np.ndarray, *, rho: float, insured_rows: int
) -> np.ndarray:
    """P(this record is the row's match): its odds against the row having none or another.

    ``masses`` is the row's ``row_masses`` for each pair. Pairwise Fellegi-Sunter weighs a
    lone candidate against "not this record" at 1, as if the row were as likely as not to
    have no match, and ignores its rivals: on the generator its pairs at 0.5-0.65 were
    right 84% of the time. Here a lone candidate competes only with the row having no match
    (1 - rho), and two namesakes of one birth date share the row's probability.
    """
    scale = rho / max(insured_rows, 1)
    ratio = np.exp2(np.minimum(log2_ratio, 1000.0))
    probability: np.ndarray = np.minimum(scale * ratio / (1.0 - rho + scale * masses), 1.0)
    return probability


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
    sizes = [len(c.levels) for c in comparisons]
    u_random = level_frequencies(random_gammas, comparisons)

    patterns, counts, labelled = blocked.patterns(), blocked.pairs, blocked.labelled
    if labelled.any():
        m = _reestimate(patterns, labelled, sizes)
    else:
        m = [np.linspace(1.0, float(size), size) / (size * (size + 1) / 2) for size in sizes]
    # Semi-supervised: with enough exact-ID links, m of every comparison they say something
    # about stays at what they show (on a foreign set it equals m measured with the truth,
    # level by level). EM then fits only the rest (the ID comparison itself, which the
    # labels show all "exact") and the share. Free, EM drifted to describe namesakes once
    # a blocking rule changed (match share 0.05 -> 0.18, precision 0.997 -> 0.983).
    fixed = [
        k
        for k in (_informative(m) if labelled.sum() >= MIN_LABELLED else [])
        if not getattr(comparisons[k], "labels_chosen_by", False)
    ]
    given = _given(random_gammas, comparisons)
    by_others = _measured_by_others(
        patterns,
        counts,
        [m[k] if k in fixed else None for k in range(len(sizes))],
        _log_ratio_terms(patterns, m, u_random, given),
        sizes,
        prior=1.0 / max(payroll_rows, insured_rows, 1),
    )
    for k, level_count in by_others.items():
        m[k] = _smoothed(level_count)
    fixed += list(by_others)
    unlabelled = counts - labelled
    u = [share.copy() for share in u_random]
    # EM runs over the unlabelled pairs: the labelled ones are matches, known.
    rest = max(payroll_rows - labelled.sum(), 1.0) / max(unlabelled.sum(), 1.0)
    share_rest = max(min(rest, 0.5), 1e-4)

    iterations, converged = 0, False
    # Without a blocked pair (a registry of one record, say) there is nothing to learn
    # from: m keeps its starting values and no pair will be scored with it anyway.
    rounds = max_iterations if unlabelled.sum() > 0 else 0
    matched = labelled.astype(np.float64)  # pairs counted as matches, labelled or found
    for iterations in range(1, rounds + 1):  # noqa: B007 - reported after the loop
        log_match = np.log(share_rest) + _log_probabilities(patterns, m)
        log_other = np.log1p(-share_rest) + _log_probabilities(patterns, u)
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_other - log_match, -700, 700)))
        found = posterior * unlabelled
        matched = found + labelled
        new_m = _reestimate(patterns, matched, sizes)
        for k in fixed:
            new_m[k] = m[k]
        u = _reestimate(patterns, unlabelled - found, sizes)
        previous, share_rest = (
            share_rest,
            float(np.clip(found.sum() / unlabelled.sum(), 1e-6, 1 - 1e-6)),
        )
        change = max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True))
        change = max(change, abs(share_rest - previous))  # fixed m alone would stop at once
        m = new_m
        if change < tolerance:
            converged = True
            break
    matches = labelled.sum() + (share_rest * unlabelled.sum() if rounds else 0.0)
    # The final m: each comparison's level counts over the pairs that fixed it.
    by_labels = _level_counts(patterns, labelled.astype(np.float64), sizes)
    level_counts = [
        by_others.get(k, by_labels[k] if k in fixed else c)
        for k, c in enumerate(_level_counts(patterns, matched, sizes))
    ]
    share = float(matches / max(counts.sum(), 1.0))
    final_m = [_smoothed(c) for c in level_counts]
    u_final = _split_by_nonmatches(
        patterns,
        unlabelled,
        _log_ratio_terms(patterns, final_m, u_random, given),
        comparisons,
        u_random,
        prior=1.0 / max(payroll_rows, insured_rows, 1),
    )
    prior = consistent_prior(
        counts,
        _log_ratio_terms(patterns, final_m, u_final, given).sum(axis=1),
        all_pairs=float(payroll_rows) * insured_rows,
        start=float(np.clip(matches / max(float(payroll_rows) * insured_rows, 1.0), 1e-12, 0.5)),
    )
    return FellegiSunterModel(
        comparisons=tuple(
            ComparisonParameters(
                name=c.name,
                levels=c.levels,
                m=tuple(float(x) for x in final_m[k]),
                u=tuple(float(x) for x in u_final[k]),
                tf_levels=dict(c.tf_levels),
                settings=_settings_data(c),
                given=_given_data(comparisons, given[k]),
            )
            for k, c in enumerate(comparisons)
        ),
        prior=prior,
        fit=FitReport(
            random_pairs=len(random_gammas),
            blocked_pairs=int(counts.sum()),
            em_iterations=iterations,
            em_converged=converged,
            blocked_match_share=share,
        ),
        blocking_rules=tuple(blocking_rules),
    )
