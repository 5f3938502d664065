"""Agreement patterns of compared pairs, counted: all EM reads of the blocked pairs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_DENSE_PATTERNS = 1 << 22  # patterns counted by bincount up to this many possible ones


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
