"""Realistic corruption of Vietnamese names, as seen in tax and insurance files.

Each corruption is drawn independently per row with a base rate scaled by ``scale`` (the
``noise`` argument of ``generate``) and reported as a boolean mask, so tests and the sample
metadata can state how many rows carry each kind (DOMAIN.md section 2 lists the variants).
Per-row Python runs only over the rows a corruption selects.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkage.tools.synth.names_data import SPELLING_VARIANTS

StrArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

# Base rates at noise = 1.0 (fraction of rows), payroll. Each is at least the rate an
# independent validation set shows: its payroll writes 20 % of names without diacritics
# (16 % in mixed case, "Pham Thi Huyen"), 24 % in capitals, 4 % decomposed, 2.9 % as Telex.
NAME_RATES: Final = {
    "name_dropped_middle": 0.04,
    "name_given_first": 0.02,
    "name_spelling_variant": 0.03,  # i/y (Lý/Lí), old/new tone placement
    "name_typo": 0.035,
    # Writing styles, one per row at most: capitals without diacritics, mixed case without
    # diacritics, capitals with diacritics, NFD, Telex.
    "name_ascii_caps": 0.05,
    "name_ascii": 0.17,
    "name_upper": 0.21,
    "name_nfd": 0.05,
    "name_telex": 0.03,
    "name_whitespace": 0.03,
}
# The registry writes names in capitals (validation: 79 %, 16.5 % of all without diacritics).
INSURED_NAME_RATES: Final = NAME_RATES | {
    "name_ascii_caps": 0.17,
    "name_ascii": 0.06,
    "name_upper": 0.62,
    "name_nfd": 0.04,
    "name_telex": 0.015,
    "name_whitespace": 0.02,
}
_STYLES: Final = ("name_ascii_caps", "name_ascii", "name_upper", "name_nfd", "name_telex")

# Telex keystrokes: tone marks go to the end of the syllable, vowel marks double or add w.
_TONE_KEYS: Final = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_VOWEL_KEYS: Final = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # None: repeat letter
_TYPO_LETTERS: Final = "aeiounhtcgmdl"


def scaled(base: float, scale: float) -> float:
    """A base rate times the noise scale, clipped to a probability."""
    return float(min(1.0, max(0.0, base * scale)))


def targeted(rng: np.random.Generator, eligible: BoolArray, rate: float) -> BoolArray:
    """Select about ``rate * len(eligible)`` rows, drawn only among eligible rows."""
    n_eligible = int(eligible.sum())
    if n_eligible == 0 or rate <= 0:
        return np.zeros(eligible.size, dtype=bool)
    p = min(1.0, rate * eligible.size / n_eligible)
    return eligible & (rng.random(eligible.size) < p)


# NFD splits every Vietnamese letter into a base letter and combining marks U+0300-U+036F;
# deleting those leaves ASCII except đ/Đ, mapped explicitly.
_FOLD: Final = {c: None for c in range(0x300, 0x370)} | {ord("đ"): "d", ord("Đ"): "D"}


def ascii_fold(name: str) -> str:
    """Drop every diacritic, keeping case: "Phạm Thị Huyền" -> "Pham Thi Huyen"."""
    return unicodedata.normalize("NFD", name).translate(_FOLD)


def ascii_caps(name: str) -> str:
    """Fold to upper-case ASCII as legacy systems do: "Nguyễn Văn Đức" -> "NGUYEN VAN DUC"."""
    return ascii_fold(name).upper()


def telex(name: str) -> str:
    """Render a name as raw Telex keystrokes: "Nguyễn Văn Hùng" -> "Nguyeenx Vawn Hungf"."""
    words = []
    for word in name.split(" "):
        out: list[str] = []
        tone = ""
        for char in unicodedata.normalize("NFD", word):
            if char in _TONE_KEYS:
                tone = _TONE_KEYS[char]
            elif char in _VOWEL_KEYS:
                key = _VOWEL_KEYS[char]
                out.append(out[-1].lower() if key is None else key)
            elif char in "đĐ":
                out.append("Dd" if char == "Đ" else "dd")
            else:
                out.append(char)
        words.append("".join(out) + tone)
    return " ".join(words)


def spelling_variant(name: str) -> str:
    """Swap i/y and old/new tone placement in the words that allow it (Lý -> Lí)."""
    return " ".join(SPELLING_VARIANTS.get(word, word) for word in name.split(" "))


def typo(name: str, where: float, what: float) -> str:
    """One keyboard slip: substitute, delete, transpose or double one character."""
    letters = [i for i, c in enumerate(name) if c != " "]
    i = letters[int(where * len(letters))]
    kind = int(what * 4)
    if kind == 0 or len(letters) < 4:
        replacement = _TYPO_LETTERS[int(what * 997) % len(_TYPO_LETTERS)]
        if replacement == name[i].lower():
            replacement = "x"
        if name[i].isupper():
            replacement = replacement.upper()
        return name[:i] + replacement + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2 and i + 1 < len(name) and name[i + 1] != " ":
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i] + name[i:]


def extra_whitespace(name: str, where: float) -> str:
    """Double a space, or pad the name, as copy-paste from spreadsheets does."""
    spaces = [i for i, c in enumerate(name) if c == " "]
    if not spaces or where < 0.3:
        return f" {name}  " if where < 0.15 else f"{name} "
    i = spaces[int(where * len(spaces))]
    return name[:i] + "  " + name[i + 1 :]


def apply_rows(
    func: Callable[..., str], values: StrArray, mask: BoolArray, *args: npt.NDArray[np.float64]
) -> None:
    """Replace ``values[mask]`` in place by ``func(value, *args_at_row)``.

    Without per-row arguments the function runs once per distinct value (names repeat).
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    if not args:
        codes, uniques = pd.factorize(values[rows])
        values[rows] = np.array([func(v) for v in uniques], dtype=object)[codes]
        return
    columns = [a[rows].tolist() for a in args]
    current = values[rows].tolist()
    values[rows] = [func(v, *(c[k] for c in columns)) for k, v in enumerate(current)]


def noise_names(
    rng: np.random.Generator,
    full_name: StrArray,
    surname: StrArray,
    middle: StrArray,
    given: StrArray,
    vietnamese: BoolArray,
    *,
    scale: float,
    rates: Mapping[str, float] = NAME_RATES,
) -> tuple[StrArray, dict[str, BoolArray]]:
    """Corrupt names as a source would write them.

    Args:
        rng: the random generator.
        full_name: clean full names, as the person table composes them.
        surname: clean family names.
        middle: clean middle names ("" when none).
        given: clean given names.
        vietnamese: rows whose name follows the Vietnamese family-first structure; only
            these get structural corruptions (dropped middle name, given name first).
        scale: the noise scale (0 = clean).
        rates: base rate of each corruption (keys of ``NAME_RATES``); writing styles that
            add up to more than 1 at this scale are shrunk in proportion.

    Returns:
        The written names and one mask per corruption kind (keys of ``NAME_RATES``).
    """
    n = full_name.size
    rate = {k: scaled(v, scale) for k, v in rates.items()}
    style_total = sum(rate[k] for k in _STYLES)
    if style_total > 1.0:
        rate |= {k: rate[k] / style_total for k in _STYLES}
    masks: dict[str, BoolArray] = {}
    masks["name_dropped_middle"] = targeted(
        rng, vietnamese & (middle != ""), rate["name_dropped_middle"]
    )
    masks["name_given_first"] = vietnamese & (rng.random(n) < rate["name_given_first"])
    names = full_name.copy()
    restructured = np.flatnonzero(masks["name_dropped_middle"] | masks["name_given_first"])
    drop = masks["name_dropped_middle"][restructured].tolist()
    swap = masks["name_given_first"][restructured].tolist()
    names[restructured] = [
        " ".join(w for w in ((g, s, "" if d else m) if f else (s, "" if d else m, g)) if w)
        for s, m, g, d, f in zip(
            surname[restructured].tolist(),
            middle[restructured].tolist(),
            given[restructured].tolist(),
            drop,
            swap,
            strict=True,
        )
    ]

    words = list(SPELLING_VARIANTS)
    eligible = vietnamese & (
        pd.Series(given).isin(words).to_numpy()
        | pd.Series(surname).isin(words).to_numpy()
        | pd.Series(middle).isin(words).to_numpy()
    )
    masks["name_spelling_variant"] = targeted(rng, eligible, rate["name_spelling_variant"])
    apply_rows(spelling_variant, names, masks["name_spelling_variant"])
    masks["name_typo"] = rng.random(n) < rate["name_typo"]
    apply_rows(typo, names, masks["name_typo"], rng.random(n), rng.random(n))

    style = rng.random(n)
    ends = np.cumsum([rate[k] for k in _STYLES])
    starts = ends - [rate[k] for k in _STYLES]
    for key, start, end in zip(_STYLES, starts.tolist(), ends.tolist(), strict=True):
        masks[key] = (style >= start) & (style < end)
    masks["name_telex"] &= vietnamese
    apply_rows(ascii_caps, names, masks["name_ascii_caps"])
    apply_rows(ascii_fold, names, masks["name_ascii"])
    apply_rows(str.upper, names, masks["name_upper"])
    apply_rows(lambda s: unicodedata.normalize("NFD", s), names, masks["name_nfd"])
    apply_rows(telex, names, masks["name_telex"])
    masks["name_whitespace"] = rng.random(n) < rate["name_whitespace"]
    apply_rows(extra_whitespace, names, masks["name_whitespace"], rng.random(n))
    return names, masks
