"""``linkage review``: a seeded, masked, formula-safe review sheet and its decisions as labels."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import Result
from openpyxl import Workbook, load_workbook

from linkage.analysis.review import DECISIONS, HEADERS, SHEET, strata_windows
from linkage.errors import InputError
from linkage.load.labels import pair_quality, read_labels
from linkage.privacy import mask_citizen_code
from linkage.tools.synth import write_sample
from tests.helpers import assert_user_error, invoke, run_args, source_args

PER_BAND = 4
# Employer names a spreadsheet would run as formulas; names are shown, never linked on.
POISON = ("=HYPERLINK(", "+SUM(", "-1+", "@cmd ")


type Labels = tuple[Path, dict[tuple[str, str], str], str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], Path]:
    root = tmp_path_factory.mktemp("review")
    inputs = write_sample(root / "in", payroll_rows=800, seed=61)
    businesses = pd.read_csv(inputs["businesses"], dtype=str, keep_default_na=False)
    name = businesses.columns[1]  # Tên doanh nghiệp
    businesses[name] = [POISON[i % len(POISON)] + n for i, n in enumerate(businesses[name])]
    businesses.to_csv(inputs["businesses"], index=False)
    out = root / "out"
    result = invoke("run", *run_args(inputs), "--out", out)
    assert result.exit_code == 0, result.output
    return root, inputs, out


def _export(out: Path, target: Path, *extra: str | int) -> Result:
    result = invoke("review", "export", "--run", out, "--out", target, *extra)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sheet(world: tuple[Path, dict[str, Path], Path]) -> Path:
    root, _, out = world
    target = root / "review.xlsx"
    _export(out, target, "--per-band", PER_BAND, "--seed", 3)
    return target


def _rows(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    workbook = load_workbook(path)
    rows = list(workbook[SHEET].iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def _frame(path: Path) -> pd.DataFrame:
    header, rows = _rows(path)
    return pd.DataFrame(rows, columns=header)


def test_sheet_samples_each_stratum_within_its_window(
    world: tuple[Path, dict[str, Path], Path], sheet: Path
) -> None:
    _, _, out = world
    frame = _frame(sheet)
    strata = frame[HEADERS["stratum"]].value_counts()
    assert set(strata.index) <= {"below_review", "review", "above_match"}
    assert (strata <= PER_BAND).all()
    assert strata.get("above_match", 0) == PER_BAND  # the small world has plenty there
    windows = strata_windows(0.2, 0.5)
    for stratum, group in frame.groupby(HEADERS["stratum"]):
        low, high = windows[str(stratum)]
        probabilities = group[HEADERS["match_probability"]]
        assert probabilities.between(low - 1e-4, high).all(), stratum
    # both records side by side, the levels in words, a decision to take
    header = list(frame.columns)
    assert header.index("Họ và tên (BHXH)") == header.index("Họ và tên (thuế)") + 1
    assert "So sánh họ tên" in header
    assert frame[HEADERS["decision"]].isna().all()
    # the export is recorded in the run's manifest
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    recorded = [e for e in manifest["exports"] if e["path"] == str(sheet.resolve())]
    assert recorded[0]["rows"] == len(frame)
    assert sheet.stat().st_mode & 0o077 == 0


def test_decision_column_is_a_drop_down_list(sheet: Path) -> None:
    workbook = load_workbook(sheet)
    validations = workbook[SHEET].data_validations.dataValidation
    assert len(validations) == 1
    rule = validations[0]
    assert rule.type == "list"
    assert rule.formula1 == '"' + ",".join(DECISIONS) + '"'
    rows = workbook[SHEET].max_row
    column = workbook[SHEET].cell(row=1, column=workbook[SHEET].max_column).column_letter
    assert str(rule.sqref) == f"{column}2:{column}{rows}"


def test_sampling_is_seeded(
    world: tuple[Path, dict[str, Path], Path], sheet: Path, tmp_path: Path
) -> None:
    _, _, out = world
    again, other = tmp_path / "again.xlsx", tmp_path / "other.xlsx"
    _export(out, again, "--per-band", PER_BAND, "--seed", 3)
    _export(out, other, "--per-band", PER_BAND, "--seed", 4)
    ids = [HEADERS["record_id"], HEADERS["si_code"]]
    first = _frame(sheet)[ids]
    assert _frame(again)[ids].equals(first)
    assert not _frame(other)[ids].equals(first)


def test_formula_text_stays_text(sheet: Path) -> None:
    workbook = load_workbook(sheet)
    cells = [cell for row in workbook[SHEET].iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [c.value for c in cells if isinstance(c.value, str) and c.value[1:].startswith(POISON)]
    assert names, "the poisoned employer names are shown"
    assert all(name.startswith("'") for name in names)


def test_ids_are_masked(sheet: Path) -> None:
    header, rows = _rows(sheet)
    text = [str(v) for row in rows for v in row if v is not None]
    assert not any(re.search(r"(?<!\d)\d{12}(?!\d)", value) for value in text)
    id_columns = [i for i, h in enumerate(header) if h.startswith("Số CCCD")]
    masked = [row[i] for row in rows for i in id_columns if row[i]]
    assert masked, "the sample shows some citizen IDs"
    # a CCCD as *********345, a 9-digit CMND as ******345: three digits shown at most
    assert all(re.fullmatch(r"\*+\d{3}", value) for value in masked), masked


def _fill(sheet: Path, target: Path, truth: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Decide every row as the truth says, one unsure, one left blank, spellings varied."""
    workbook = load_workbook(sheet)
    rows = workbook[SHEET]
    header = [c.value for c in rows[1]]
    record, code = header.index(HEADERS["record_id"]) + 1, header.index(HEADERS["si_code"]) + 1
    decision = header.index(HEADERS["decision"]) + 1
    expected = {}
    for number in range(2, rows.max_row + 1):
        pair = (rows.cell(number, record).value, rows.cell(number, code).value)
        if number == 2:
            continue  # not reviewed
        if number == 3:
            rows.cell(number, decision).value, expected[pair] = "unsure", "unsure"
            continue
        true = pair in truth
        rows.cell(number, decision).value = " Match " if true else "non-match"
        expected[pair] = "match" if true else "non_match"
    workbook.save(target)
    return expected


@pytest.fixture(scope="module")
def labels(world: tuple[Path, dict[str, Path], Path], sheet: Path) -> Labels:
    root, inputs, _ = world
    truth = pd.read_csv(inputs["truth_links"], dtype=str)
    shown = {(r, mask_citizen_code(c)) for r, c in truth.to_numpy()}
    filled = root / "filled.xlsx"
    expected = _fill(sheet, filled, shown)
    out = root / "labels.csv"
    result = invoke("review", "import", filled, "--out", out)
    assert result.exit_code == 0, result.output
    return out, expected, result.output


def test_import_reads_the_decisions_back(labels: Labels) -> None:
    out, expected, output = labels
    read = pd.read_csv(out, dtype=str)
    assert list(read.columns) == ["record_id", "si_code", "label"]
    assert (
        dict(zip(zip(read["record_id"], read["si_code"], strict=True), read["label"], strict=True))
        == expected
    )
    assert "blank 1" in output
    assert {"match", "non_match"} <= set(read["label"])


def test_sweep_and_evaluate_take_the_labels(
    world: tuple[Path, dict[str, Path], Path], labels: Labels, tmp_path: Path
) -> None:
    _, inputs, out = world
    path, expected, _ = labels
    result = invoke(
        "sweep",
        "--run",
        out,
        "--labels",
        path,
        "--thresholds",
        "0.5",
        "--out",
        tmp_path / "s.parquet",
    )
    assert result.exit_code == 0, result.output
    overall = pd.read_parquet(tmp_path / "s.parquet").query("scope == 'overall'").iloc[0]
    decided = [label for label in expected.values() if label != "unsure"]
    assert overall["labelled_pairs"] == len(decided)  # only labelled rows count
    assert overall["labels"] == "review labels"
    # the sheet shows the run's own links: each labelled match is linked or not as it ran
    links = pd.read_parquet(out / "links.parquet").astype(object)
    linked = set(
        zip(
            links.loc[links["band"] == "match", "record_id"],
            links.loc[links["band"] == "match", "si_code"],
            strict=True,
        )
    )
    masked = {(r, mask_citizen_code(c)) for r, c in linked}
    hits = sum(1 for pair, label in expected.items() if label == "match" and pair in masked)
    judged = sum(1 for pair, label in expected.items() if label != "unsure" and pair in masked)
    assert overall["precision"] == pytest.approx(hits / judged)
    sources = source_args(inputs)
    result = invoke("evaluate", *sources, "--out", tmp_path / "e", "--truth", path)
    assert result.exit_code == 0, result.output
    assert f"links against {len(decided)} labelled pairs" in result.output


def test_existing_files_are_never_replaced(
    world: tuple[Path, dict[str, Path], Path], sheet: Path, labels: Labels
) -> None:
    _, _, out = world
    before = sheet.read_bytes()
    assert_user_error(invoke("review", "export", "--run", out, "--out", sheet), 2)
    assert sheet.read_bytes() == before
    path = labels[0]
    assert_user_error(invoke("review", "import", sheet, "--out", path), 2)


def _workbook(path: Path, title: str, rows: Sequence[Sequence[object]]) -> None:
    workbook = Workbook()
    workbook.active.title = title
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


HEADER = [HEADERS["record_id"], HEADERS["si_code"], HEADERS["decision"]]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        # not a workbook at all
        (lambda p: p.write_text("record_id,decision\n", encoding="utf-8"), "not an Excel"),
        # a workbook without the review sheet
        (lambda p: _workbook(p, "Sheet1", [HEADER]), "no sheet 'review'"),
        # the decision column's header edited away
        (lambda p: _workbook(p, SHEET, [HEADER[:2], ["R1", "1234567890"]]), "lacks the columns"),
        # a decision outside the list, named by its row
        (
            lambda p: _workbook(p, SHEET, [HEADER, ["R1", "1", "match"], ["R2", "2", "yes"]]),
            "row 3: decision 'yes'",
        ),
        # a decided row whose ids were deleted
        (lambda p: _workbook(p, SHEET, [HEADER, [None, None, "match"]]), "ids were deleted"),
    ],
)
def test_bad_sheets_are_clear_errors(
    tmp_path: Path, make: Callable[..., Any], fragment: str
) -> None:
    path = tmp_path / "bad.xlsx"
    make(path)
    result = invoke("review", "import", path, "--out", tmp_path / "labels.csv")
    assert_user_error(result, 1)
    assert fragment in result.output
    assert not (tmp_path / "labels.csv").exists()


LINKS = pd.DataFrame(
    {
        "record_id": ["R1", "R2", "R3", "R4"],
        "si_code": ["079123456789", "1234567890", "2222222222", "3333333333"],
        "band": ["match", "match", "review", "match"],
    }
)


@pytest.mark.parametrize(
    ("rows", "counts"),
    [
        # a citizen-ID SI code as the sheet showed it, masked: judged against the masked link
        ([("R1", "*********789", "match")], (1, 0, 0, 1)),
        # masked alike but another record's digits: not the link, a missed match
        ([("R1", "*********000", "match")], (0, 0, 1, 1)),
        # a linked pair the clerk rejected; a review-band pair the clerk accepted
        ([("R2", "1234567890", "non_match"), ("R3", "2222222222", "match")], (0, 1, 1, 2)),
        # unsure counts nowhere; an unlinked labelled match is missed
        ([("R4", "3333333333", "unsure"), ("R5", "5555555555", "match")], (0, 0, 1, 1)),
    ],
)
def test_pair_quality_counts_only_labelled_pairs(
    tmp_path: Path, rows: list[tuple[str, str, str]], counts: tuple[int, int, int, int]
) -> None:
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["record_id", "si_code", "label"]).to_csv(path, index=False)
    quality = pair_quality(LINKS, read_labels(path))
    found = (
        quality.true_positives,
        quality.false_positives,
        quality.false_negatives,
        quality.labelled,
    )
    assert found == counts


def test_a_truth_file_makes_every_other_link_false(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    truth = [("R1", "079123456789"), ("R3", "2222222222"), ("R9", "")]  # R9: no true link
    pd.DataFrame(truth, columns=["record_id", "si_code"]).to_csv(path, index=False)
    quality = pair_quality(LINKS, read_labels(path))
    assert (quality.true_positives, quality.false_positives, quality.false_negatives) == (1, 2, 1)
    assert quality.precision == pytest.approx(1 / 3)
    assert quality.recall == pytest.approx(1 / 2)


def test_a_bad_label_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("record_id,si_code,label\nR1,1,match\nR2,2,yes\n", encoding="utf-8")
    with pytest.raises(InputError, match="label empty or invalid on lines 3"):
        read_labels(path)


def test_run_with_labels_trains_m_on_the_clerks_matches(
    world: tuple[Path, dict[str, Path], Path], tmp_path: Path
) -> None:
    _, inputs, out = world
    from linkage.write.tables import mask_citizen_codes

    truth = pd.read_csv(inputs["truth_links"], dtype=str)
    truth["si_code"] = mask_citizen_codes(truth["si_code"]).astype(str)  # as the run shows it
    links = pd.read_parquet(out / "links.parquet")
    scored = links[links["method"] == "probabilistic"]  # the pairs a clerk would be shown
    review = scored.merge(truth, on="record_id", suffixes=("", "_t"))
    labelled = review.assign(
        label=(review["si_code"] == review["si_code_t"]).map({True: "match", False: "non-match"})
    )[["record_id", "si_code", "label"]]
    assert (labelled["label"] == "match").sum() >= 20
    path = tmp_path / "labels.csv"
    labelled.to_csv(path, index=False)  # SI codes as the run wrote them: masked
    trained = tmp_path / "trained"
    result = invoke("run", *run_args(inputs), "--out", trained, "--labels", path)
    assert result.exit_code == 0, result.output
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["link"]["labels"]["path"] == str(path.resolve())
    assert manifest["link"]["labelled_pairs"] == (labelled["label"] == "match").sum()
    before = json.loads((out / "model.json").read_text(encoding="utf-8"))
    after = json.loads((trained / "model.json").read_text(encoding="utf-8"))
    assert before["comparisons"] != after["comparisons"]  # m moved with the known matches
    refused = invoke(
        "run",
        *run_args(inputs),
        "--out",
        tmp_path / "x",
        "--labels",
        path,
        "--model",
        out / "model.json",
    )
    assert_user_error(refused, 2)
    assert "labels train a model fitted in this run" in refused.output
