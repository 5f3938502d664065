"""Pair labels: a truth file, or a clerk's decisions from ``linkage review import``.

A *truth file* (``record_id, si_code``) lists every true pair: any other link is false. A
*labels file* (``record_id, si_code, label``) labels only the pairs a clerk looked at, each
``match``, ``non_match`` or ``unsure``; quality is then measured on the labelled pairs
alone and ``unsure`` ones count nowhere. Labels from a review sheet carry SI codes masked
as the sheet showed them (``*********345`` for citizen-ID codes): such a label is compared
with the masked code of a link, so two records of one payroll row would have to share
their last three digits to be confused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from linkage.errors import InputError
from linkage.privacy import mask_citizen_codes
from linkage.schema import Band

LABEL_COLUMNS = ("record_id", "si_code", "label")
MASK = "*"


class Label(StrEnum):
    """A clerk's decision on one pair."""

    MATCH = "match"
    NON_MATCH = "non_match"
    UNSURE = "unsure"


# What a clerk may type for each label (compared case-insensitively, trimmed).
SPELLINGS: dict[str, Label] = {
    "match": Label.MATCH,
    "non-match": Label.NON_MATCH,
    "non_match": Label.NON_MATCH,
    "nonmatch": Label.NON_MATCH,
    "unsure": Label.UNSURE,
}


def parse_label(text: object) -> Label | None:
    """The label a cell or field spells, or None when it spells none."""
    if not isinstance(text, str):
        return None
    return SPELLINGS.get(text.strip().lower())


@dataclass(frozen=True)
class Labels:
    """Labelled pairs: ``record_id``, ``si_code``, ``label`` (a ``Label`` value)."""

    pairs: pd.DataFrame
    complete: bool  # a truth file: every true pair listed, every other pair false
    source: Path

    @property
    def kind(self) -> str:
        """``truth`` or ``review labels``, for reports."""
        return "truth" if self.complete else "review labels"


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file with every column as text (None where empty).

    Raises:
        InputError: the file cannot be read as a table.
    """
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path).astype(object)
            return frame.where(frame.notna(), None)
        return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    except (OSError, ValueError) as e:
        msg = f"{path}: cannot read it as a CSV or Parquet table ({type(e).__name__})"
        raise InputError(msg) from e


def read_labels(path: Path) -> Labels:
    """A truth file or a labels file, validated; every problem reported at once.

    Raises:
        InputError: a required column is missing, or rows lack a record id, an SI code or a
            valid label (the message names their lines, never their values).
    """
    frame = read_table(path)
    missing = [c for c in ("record_id", "si_code") if c not in frame.columns]
    if missing:
        msg = (
            f"{path}: no column {', '.join(missing)}; a truth file has record_id and si_code, "
            "a labels file (linkage review import) also label"
        )
        raise InputError(msg)
    complete = "label" not in frame.columns
    if complete:  # a truth row without an SI code says the record has no true link
        frame = frame.dropna(subset=["record_id", "si_code"]).reset_index(drop=True)
    labels = (
        pd.Series(Label.MATCH.value, index=frame.index)
        if complete
        else frame["label"].map(parse_label)
    )
    problems = []
    for column, bad in (
        ("record_id", frame["record_id"].isna()),
        ("si_code", frame["si_code"].isna()),
        ("label", labels.isna()),
    ):
        if bad.any():
            lines = ", ".join(str(i + 2) for i in frame.index[bad][:10])  # header = line 1
            more = f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
            problems.append(f"{path}: {column} empty or invalid on lines {lines}{more}")
    if problems:
        problems.append(f"labels are one of {', '.join(v.value for v in Label)}")
        raise InputError("\n".join(problems))
    pairs = pd.DataFrame(
        {
            "record_id": frame["record_id"].astype(str).str.strip(),
            "si_code": frame["si_code"].astype(str).str.strip(),
            "label": labels.astype(str).to_numpy(),
        }
    ).drop_duplicates(["record_id", "si_code"], keep="last")
    return Labels(pairs=pairs.reset_index(drop=True), complete=complete, source=path)


@dataclass(frozen=True)
class PairQuality:
    """Automatic links (match band) judged against labels."""

    true_positives: int
    false_positives: int
    false_negatives: int
    labelled: int  # pairs that count: true pairs (truth), match/non-match labels (review)

    @property
    def precision(self) -> float:
        """Share of judged automatic links that are true; NaN when none is judged."""
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else math.nan

    @property
    def recall(self) -> float:
        """Share of true pairs linked automatically; NaN when no pair is true."""
        true = self.true_positives + self.false_negatives
        return self.true_positives / true if true else math.nan

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (NaN when either is)."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _keys(record_id: pd.Series, si_code: pd.Series) -> pd.Series:
    return record_id.astype(str).str.cat(si_code.astype(str), sep="\x1f")


def pair_quality(links: pd.DataFrame, labels: Labels) -> PairQuality:
    """Precision and recall of ``links`` (record_id, si_code, band) against ``labels``."""
    linked = links[(links["band"] == Band.MATCH.value).to_numpy(dtype=bool, na_value=False)]
    record = linked["record_id"].astype(object).astype(str).reset_index(drop=True)
    code = linked["si_code"].astype(object).astype(str).reset_index(drop=True)
    exact = _keys(record, code)
    masked = _keys(record, mask_citizen_codes(code.astype("string")).astype(str))
    pairs = labels.pairs
    keys = _keys(pairs["record_id"], pairs["si_code"])
    shown_masked = pairs["si_code"].str.contains(MASK, regex=False).to_numpy(dtype=bool)
    predicted = (keys.isin(exact) & ~shown_masked) | (keys.isin(masked) & shown_masked)
    positive = (pairs["label"] == Label.MATCH.value).to_numpy(dtype=bool)
    negative = (pairs["label"] == Label.NON_MATCH.value).to_numpy(dtype=bool)
    hits = int((predicted & positive).sum())
    if labels.complete:
        # Every automatic link not in the truth is false, labelled or not.
        unique_true = int(keys.nunique())
        return PairQuality(hits, len(linked) - hits, unique_true - hits, unique_true)
    return PairQuality(
        true_positives=hits,
        false_positives=int((predicted & negative).sum()),
        false_negatives=int((~predicted & positive).sum()),
        labelled=int((positive | negative).sum()),
    )
