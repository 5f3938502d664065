"""Candidate pairs: blocking rules as equi-joins on shared key codes, unioned, counted per rule.

The rules are data (``blocking_rules``); the joins are this module's own, so a chunk of
payroll rows gets exactly the pairs the whole table gives it. ``block_year`` is the birth
year, or failing that the year a CCCD encodes, so a payroll row without a birth date still
meets its insured record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage._vector import pair_codes, pair_keys
from linkage.errors import ConfigError
from linkage.link.blocking_rules import DEFAULT_BLOCKING, BlockingRule

__all__ = [
    "DEFAULT_BLOCKING",
    "BlockingPlan",
    "BlockingResult",
    "BlockingRule",
    "candidate_pairs",
    "combined_codes",
    "distinct",
    "encoded_birth",
    "with_blocking_keys",
    "with_employer_province",
]


@dataclass(frozen=True)
class BlockingResult:
    """Positional candidate pairs and what each rule contributed."""

    payroll_pos: np.ndarray  # int64 positions into the payroll table
    insured_pos: np.ndarray  # int64 positions into the insured table
    pairs_per_rule: dict[str, int]  # pairs each rule produced on its own
    new_pairs_per_rule: dict[str, int]  # pairs not produced by an earlier rule
    trained: np.ndarray  # bool per pair: produced by a rule that trains the model

    def __len__(self) -> int:
        return len(self.payroll_pos)


def distinct(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct values; numpy 2.5's hash-based ``np.unique`` is ~20x slower here."""
    ordered = np.sort(codes)
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def encoded_birth(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The birth year and sex a row states, or failing that, those its CCCD encodes.

    Linking reads both from here, so a CCCD's year counts once, as the birth year it is,
    and never beside a stated year it would only repeat.
    """
    return {
        "birth_year": frame["birth_year"].fillna(frame["id_birth_year"]),
        "gender": frame["gender"].fillna(frame["id_gender"]),
    }


def with_employer_province(frame: pd.DataFrame, businesses: pd.DataFrame) -> pd.DataFrame:
    """Add ``employer_province``: the province of the row's employer in the business registry.

    A refinement key only: a namesake-heavy block with no more personal key to split on
    (a common name without a birth date) is split by where the person works or last
    worked; missing where the employer is not in the registry.
    """
    registry = businesses.dropna(subset=["employer_root"]).drop_duplicates("employer_root")
    roots = pd.Index(registry["employer_root"].astype(object))
    at = roots.get_indexer(frame["employer_root"].astype(object))
    province = registry["province_code"].to_numpy(dtype=object)
    found = np.where(at >= 0, province[np.maximum(at, 0)], None)
    return frame.assign(employer_province=pd.array(found, dtype="string[pyarrow]"))


def with_blocking_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``block_year``, ``block_gender``, the name initials and ``name_if_no_year``.

    ``block_year`` and ``block_gender`` are the ``encoded_birth`` year and sex;
    ``name_if_no_year`` the order-free name of a row with no year at all, for the
    asymmetric rules.
    """
    birth = encoded_birth(frame)
    block_year = birth["birth_year"]
    if "employer_province" not in frame.columns:  # tables not joined to the registry
        frame = frame.assign(employer_province=pd.array([None] * len(frame), "string[pyarrow]"))
    return frame.assign(
        block_year=block_year,
        block_gender=birth["gender"],
        surname_initial=frame["surname_ascii"].str.slice(0, 1),
        given_initial=frame["given_ascii"].str.slice(0, 1),
        name_if_no_year=frame["name_sorted"].where(block_year.isna()),
    )


def _encoded_keys(
    payroll: pd.DataFrame, insured: pd.DataFrame, keys: Sequence[tuple[str, str, str]]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Blocking keys as int64 codes shared by both sides (-1 = missing), order-preserving.

    Joins and sorts on small numbers are several times faster than on Arrow strings and
    dates, and the sorted codes keep the sorted-neighbourhood order.
    """
    left, right = {}, {}
    for key, payroll_column, insured_column in keys:
        both = pd.concat([payroll[payroll_column], insured[insured_column]], ignore_index=True)
        codes = pd.factorize(both, sort=True)[0].astype(np.int64)
        left[key], right[key] = codes[: len(payroll)], codes[len(payroll) :]
    return left, right


def combined_codes(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One dense int64 code per row for a tuple of codes (-1 where any part is missing)."""
    combined = parts[0].copy()
    for part in parts[1:]:
        usable = (combined >= 0) & (part >= 0)
        joint = pair_codes(combined[usable], part[usable])
        combined = np.full(len(part), -1, dtype=np.int64)
        combined[usable] = joint
    return combined


class _RuleJoin:
    """One rule as equi-joins of payroll keys against the sorted insured keys.

    A block rule is one join on the combined key. A sorted-neighbourhood rule ranks the
    distinct sort values of both sides' usable rows (recordlinkage's semantics) and joins
    once per offset within the window, so pairs depend on the whole tables only: a payroll
    chunk gets exactly the pairs the whole table would give its rows.
    """

    def __init__(self, key: np.ndarray, n_left: int, offsets: list[int]) -> None:
        """Join on ``key``: one code per payroll then insured row (-1: unusable)."""
        self.key, self.offsets = key, offsets
        self.left_key = key[:n_left]
        right_key = key[n_left:]
        usable_right = np.flatnonzero(right_key >= 0)
        order = np.argsort(right_key[usable_right], kind="stable")
        self.right_pos = usable_right[order]
        self.right_sorted = right_key[self.right_pos]

    @classmethod
    def of(
        cls, rule: BlockingRule, left: dict[str, np.ndarray], right: dict[str, np.ndarray]
    ) -> _RuleJoin:
        """The rule's join over both tables' encoded keys."""
        names = [key for key, _, _ in rule.join_keys]
        both = [np.concatenate([left[name], right[name]]) for name in names]
        if rule.sort_on is None:
            return cls(combined_codes(both), len(left[names[0]]), [0])
        block = combined_codes(both[:-1]) if len(both) > 1 else np.zeros_like(both[-1])
        usable = (block >= 0) & (both[-1] >= 0)
        values = distinct(both[-1][usable])
        rank = np.searchsorted(values, both[-1])
        half = (rule.window or 1) // 2
        span = len(values) + 2 * half + 1
        if block.max(initial=0) * span >= 2**62:
            msg = f"blocking rule {rule.name!r}: too many distinct keys to sort on"
            raise ConfigError(msg)
        key = np.where(usable, block * span + rank + half, -1)
        return cls(key, len(left[names[0]]), list(range(-half, half + 1)))

    def finer(self, extra: np.ndarray | None, rows: np.ndarray) -> _RuleJoin:
        """This join split by one more key (None: a neighbourhood narrowed to its value).

        Only payroll positions ``rows`` are keyed: no other row asks this level.
        """
        n_left = len(self.left_key)
        part = np.concatenate([rows, np.arange(n_left, len(self.key))])
        key = np.full(len(self.key), -1, dtype=np.int64)
        key[part] = (
            self.key[part] if extra is None else combined_codes([self.key[part], extra[part]])
        )
        return _RuleJoin(key, n_left, [0])

    def _ranges(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per offset, where each row's records start and how many."""
        key = self.left_key[rows]
        usable = key >= 0
        ranges = []
        for offset in self.offsets:
            lo = np.searchsorted(self.right_sorted, key + offset, side="left")
            hi = np.searchsorted(self.right_sorted, key + offset, side="right")
            ranges.append((lo, np.where(usable, hi - lo, 0)))
        return ranges

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Pairs the rule gives each of the payroll positions ``rows``."""
        return sum((count for _, count in self._ranges(rows)), np.zeros(len(rows), np.int64))

    def pairs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(payroll_pos, insured_pos) of the rule's pairs for payroll positions ``rows``."""
        left_parts, right_parts = [], []
        for lo, count in self._ranges(rows):
            total = int(count.sum())
            starts = np.repeat(lo - (np.cumsum(count) - count), count)
            left_parts.append(np.repeat(rows, count))
            right_parts.append(self.right_pos[starts + np.arange(total)])
        return np.concatenate(left_parts), np.concatenate(right_parts)


class _SplitJoin:
    """A rule whose blocks over the cap are split by its refinements, never dropped.

    Each payroll row takes its pairs from the first level (the rule, then each
    ``BlockingRule.refined`` level) that meets at most ``cap`` records; a row whose next
    level would leave it no record (its key missing, or met by no record), or that is
    over the cap at the last level, keeps the pairs of the level it reached. So no row
    loses its block to the cap. A level is built only when some row needs it.
    """

    def __init__(
        self,
        rule: BlockingRule,
        left: dict[str, np.ndarray],
        right: dict[str, np.ndarray],
        cap: int | None,
    ) -> None:
        join = _RuleJoin.of(rule, left, right)
        self.levels = [join]
        counts = join.counts(np.arange(len(join.left_key)))
        self.level = np.zeros(len(counts), np.int8)
        pending = np.flatnonzero(counts > cap) if cap is not None else np.empty(0, np.int64)
        self.split = len(pending)
        # Each level joins on the previous level's key and one more (``rule.refined``).
        extras: list[str | None] = [None] if rule.sort_on else []
        for depth, extra in enumerate([*extras, *rule.refine], start=1):
            if not len(pending):
                break
            both = None if extra is None else np.concatenate([left[extra], right[extra]])
            join = join.finer(both, pending)
            finer = join.counts(pending)
            taken = (join.left_key[pending] >= 0) & (finer > 0)
            self.level[pending[taken]] = depth
            counts[pending[taken]] = finer[taken]
            pending = pending[taken & (finer > (cap or 0))]
            self.levels.append(join)
        for level in self.levels:
            del level.key  # only the next level reads it
        self.counts = counts
        # still over the cap at the deepest level they have a key for
        self.over = int((counts > cap).sum()) if cap is not None else 0

    def pairs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(payroll_pos, insured_pos) of the rule's pairs for payroll positions ``rows``."""
        if len(self.levels) == 1:
            return self.levels[0].pairs(rows)
        level = self.level[rows]
        parts = [join.pairs(rows[level == depth]) for depth, join in enumerate(self.levels)]
        return np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])


class BlockingPlan:
    """The rules' joins over two tables, to draw pairs for any payroll chunk.

    ``pairs_per_rule_and_row`` counts every pair before any is made, so a run can size its
    chunks (and refuse a rule whose blocks explode) before comparing anything.

    With ``cap``, a row whose key meets more than ``cap`` records is split by the rule's
    refinements (``_SplitJoin``) instead of skipped: a key that common (a frequent name in
    a birth year, a frequent name with no year at all) does not tell its records apart,
    and its pairs grow with the square of the tables (at a million generated rows, four
    rules gave 67M pairs, 15 times their 250k count), but skipping it lost exactly the
    common names and large employers that grow with the data. ``rows_split`` says how many
    rows each rule split, ``rows_over_cap`` how many stayed over the cap at their deepest
    level (compared all the same), ``rows_not_compared`` how many met no record at all.
    """

    def __init__(
        self,
        payroll: pd.DataFrame,
        insured: pd.DataFrame,
        rules: Sequence[BlockingRule],
        *,
        cap: int | None = None,
    ) -> None:
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            msg = f"blocking rule names must be distinct, got {names!r}"
            raise ConfigError(msg)
        keys = list(dict.fromkeys(key for rule in rules for key in rule.keys))
        left, right = _encoded_keys(payroll, insured, keys)
        self.rules = tuple(rules)
        self.joins = [_SplitJoin(rule, left, right, cap) for rule in rules]
        self.payroll_rows, self.insured_rows = len(payroll), len(insured)

    def pairs_per_rule_and_row(self) -> dict[str, np.ndarray]:
        """Per rule, the pairs it gives each payroll row (an upper bound on the union)."""
        return {rule.name: join.counts for rule, join in zip(self.rules, self.joins, strict=True)}

    def rows_split(self) -> dict[str, int]:
        """Per rule, the payroll rows whose block was over the cap and split further."""
        return {rule.name: join.split for rule, join in zip(self.rules, self.joins, strict=True)}

    def rows_over_cap(self) -> dict[str, int]:
        """Per rule, the rows still over the cap at their deepest level (compared anyway)."""
        return {rule.name: join.over for rule, join in zip(self.rules, self.joins, strict=True)}

    def pairs(self, rows: np.ndarray) -> BlockingResult:
        """The union of the rules' pairs for payroll positions ``rows`` (sorted, distinct)."""
        width = max(self.insured_rows, 1)
        base = int(rows.min(initial=0))
        count = len(self.rules)
        # One sort for the whole union: each pair's chunk-local code (a chunk's rows times
        # the registry, never the whole product) carries its rule's index in its low digits,
        # so a pair's first entry after sorting names the earliest rule that drew it.
        tagged = [
            pair_keys(pair_keys(left_pos - base, right_pos, width), index, count)
            for index, (left_pos, right_pos) in enumerate(join.pairs(rows) for join in self.joins)
        ]
        entries = distinct(np.concatenate(tagged)) if tagged else np.empty(0, np.int64)
        codes, rule = np.divmod(entries, count)
        first = np.ones(len(codes), dtype=bool)
        np.not_equal(codes[1:], codes[:-1], out=first[1:])
        per_rule = np.bincount(rule, minlength=count)
        new_per_rule = np.bincount(rule[first], minlength=count)
        trains = np.array([r.train for r in self.rules], dtype=bool)
        starts = np.flatnonzero(first)
        seen = codes[starts]
        # A pair trains the model when any rule that drew it does.
        trained = (
            np.maximum.reduceat(trains[rule], starts) if len(starts) else np.zeros(0, dtype=bool)
        )
        names = [r.name for r in self.rules]
        return BlockingResult(
            payroll_pos=seen // width + base,
            insured_pos=seen % width,
            pairs_per_rule=dict(zip(names, per_rule.tolist(), strict=True)),
            new_pairs_per_rule=dict(zip(names, new_per_rule.tolist(), strict=True)),
            trained=trained,
        )


def candidate_pairs(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    rules: Sequence[BlockingRule],
) -> BlockingResult:
    """Union of the rules' pairs between payroll and insured, counted per rule name."""
    return BlockingPlan(payroll, insured, rules).pairs(np.arange(len(payroll)))
