"""Bad input files: a clear message naming the file (and line), never a traceback or a row."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import Result

from linkage.errors import InputError
from linkage.load import SourceMapping, fold, load_mapping, read_source
from linkage.schema import Source
from tests.helpers import assert_user_error, invoke, run_args

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "configs" / "mappings" / "default.toml"
HEADER = "record_id,employer_tax_code,national_id,full_name,period,contract_months,monthly_income"
SECRET_ID = "001090012345"
ROWS = [
    f"R1,0100233488,{SECRET_ID},Nguyễn Văn An,2024,12,9000000",
    "R2,0100233488,,Trần Thị Bình,2024,12,8000000",
    "R3,0100233488,,Lê Văn Cường,2024,12,7000000",
]


LONG_CSV = "\n".join(
    [HEADER] + [f"R{i},0100233488,,Tên {i},2024,12,{i}" for i in range(9000)]
).encode()


@pytest.fixture(scope="module")
def mapping() -> SourceMapping:
    return load_mapping(DEFAULT_MAPPING)


def read(path: Path, mapping: SourceMapping) -> pd.DataFrame:
    frames = list(read_source(path, Source.PAYROLL, mapping, batch_rows=1000))
    return pd.concat(frames) if frames else pd.DataFrame()


def text(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    ("name", "body", "lines"),
    [
        ("cr.csv", "\r".join([HEADER, *ROWS]) + "\r", [2, 3, 4]),  # CR-only line endings
        ("crlf.csv", "\r\n".join([HEADER, *ROWS]) + "\r\n", [2, 3, 4]),  # Windows endings
        (
            "title.csv",
            "\n".join(["DANH SÁCH NGƯỜI LAO ĐỘNG NĂM 2024,,,", "", HEADER, *ROWS]) + "\n",
            [4, 5, 6],
        ),  # a title row above the header, as offices export, is skipped
        ("tabs.tsv", "\n".join(x.replace(",", "\t") for x in [HEADER, *ROWS]) + "\n", [2, 3, 4]),
        ("nofinal.csv", "\n".join([HEADER, *ROWS]), [2, 3, 4]),  # no final newline
    ],
)
def test_layouts_real_exports_use(
    tmp_path: Path, mapping: SourceMapping, name: str, body: str, lines: list[int]
) -> None:
    frame = read(text(tmp_path, name, body), mapping)
    assert frame["record_id"].tolist() == ["R1", "R2", "R3"]
    assert frame["source_line"].tolist() == lines


def test_a_huge_field_is_read_not_fatal(tmp_path: Path, mapping: SourceMapping) -> None:
    body = "\n".join([HEADER, ROWS[0].replace("Nguyễn Văn An", "A" * 200_000), *ROWS[1:]])
    frame = read(text(tmp_path, "big.csv", body + "\n"), mapping)
    assert len(frame) == 3


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("header_only.csv", HEADER),  # no final newline, no data
        ("header_only_nl.csv", HEADER + "\n"),
    ],
)
def test_header_only_files_hold_no_rows(
    tmp_path: Path, mapping: SourceMapping, name: str, body: str
) -> None:
    assert read(text(tmp_path, name, body), mapping).empty


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# Files the reader refuses: how to make one in a folder, and what its message says.
UNREADABLE = [
    (
        lambda d: write_bytes(d, "bad.csv.gz", gzip.compress(LONG_CSV)[:3000]),
        "corrupt or truncated",
    ),  # a gzip cut short
    (
        lambda d: write_bytes(d, "u16.csv", "\n".join([HEADER, *ROWS]).encode("utf-16")),
        "UTF-16",
    ),  # Excel's "Unicode Text"
    (lambda d: Path("/dev/null"), "not a regular file"),  # not blamed on the config
    (lambda d: d, "not a regular file"),  # a folder
    (lambda d: d / "missing.csv", "no such file"),
    (lambda d: write_bytes(d, "empty.csv", b""), "empty"),
    (lambda d: write_bytes(d, "blank.csv", b"\n\n  \n"), "empty"),
    (
        lambda d: text(d, "noheader.csv", "\n".join(ROWS) + "\n"),
        "the first line looks like data, not headers",
    ),  # the header row left out of the export
    (
        lambda d: text(d, "columns.csv", "\n".join([HEADER.replace("period", "kỳ"), *ROWS])),
        "required column 'period' not found",
    ),  # a header the mapping does not know
]


@pytest.mark.parametrize(("make", "message"), UNREADABLE)
def test_unreadable_files_are_named_clearly(
    tmp_path: Path, mapping: SourceMapping, make: Callable[..., Any], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as raised:
        read(path, mapping)
    assert str(path) in str(raised.value)


def stray_quote(folder: Path) -> Path:
    rows = [ROWS[0].replace("Nguyễn Văn An", '"Nguyễn Văn An'), *ROWS[1:]]
    return text(folder, "quote.csv", "\n".join([HEADER, *rows]) + "\n")


def test_a_stray_quote_names_the_line_and_never_the_row(
    tmp_path: Path, mapping: SourceMapping
) -> None:
    path = stray_quote(tmp_path)
    try:
        frame = read(path, mapping)
    except InputError as e:
        message = str(e)
        assert str(path) in message
        assert SECRET_ID not in message
        assert "Nguyễn" not in message
    else:  # read as one quoted field running on: the rows are still accounted for
        assert len(frame) >= 1


# Through the command line: exit codes and messages, never a traceback.


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from linkage.tools.synth import write_sample

    return write_sample(tmp_path_factory.mktemp("bad") / "in", payroll_rows=300, seed=31)


def keep_lines(path: Path, target: Path, count: int) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[: 1 + count]), encoding="utf-8")
    return target


def test_a_registry_of_one_record_runs(sample: dict[str, Path], tmp_path: Path) -> None:
    insured = keep_lines(sample["insured"], tmp_path / "one.csv", 1)
    result = invoke("run", *run_args(sample, insured=insured), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "insured: 1 rows read, 1 used" in result.output


def run_without_registry_rows(sample: dict[str, Path], folder: Path) -> Result:
    insured = keep_lines(sample["insured"], folder / "none.csv", 0)
    return invoke("run", *run_args(sample, insured=insured), "--out", folder / "out")


def test_a_registry_of_no_record_stops_cleanly(sample: dict[str, Path], tmp_path: Path) -> None:
    result = run_without_registry_rows(sample, tmp_path)
    assert_user_error(result, 1)
    assert "no data rows" in result.output
    assert not (tmp_path / "out").exists()


def test_every_status_unknown_is_kept_and_warned(sample: dict[str, Path], tmp_path: Path) -> None:
    with sample["insured"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    status = next(i for i, h in enumerate(rows[0]) if h in ("status", "Trạng thái", "Tình trạng"))
    for row in rows[1:]:
        row[status] = "không rõ"
    insured = tmp_path / "unknown.csv"
    with insured.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = invoke("run", *run_args(sample, insured=insured), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: insured status unusable in 100% of rows" in result.output


def run_with_config(sample: dict[str, Path], folder: Path, edit: Callable[[str], str]) -> Result:
    """A run under the default configuration as ``edit`` changes its text."""
    from linkage.config import DEFAULT_CONFIG

    config = folder / "bad.toml"
    text = edit(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config.write_text(text.replace("../", str(DEFAULT_CONFIG.parent.parent) + "/"), "utf-8")
    return invoke("run", "--config", config, *run_args(sample), "--out", folder / "out")


def with_setting(setting: str) -> Callable[[str], str]:
    """An edit putting ``setting`` in [link], in place of the key's default line."""
    key = setting.split(" =")[0]

    def edit(text: str) -> str:
        text = text.replace("[link]\n", f"[link]\n{setting}\n", 1)
        lines = text.splitlines()
        return "\n".join(
            line for line in lines if not line.startswith(f"{key} ") or line == setting
        )

    return edit


def two_problems(text: str) -> str:
    text = text.replace("u_sample_pairs = 1000000", "u_sample_pairs = -5")
    return text.replace("tie_margin = 3.0", "tie_margin = -1.0")


NUMERIC_SETTINGS = [
    ("u_sample_pairs = -5", "u_sample_pairs"),
    ("em_max_iterations = 0", "em_max_iterations"),
    ("em_tolerance = -1.0", "em_tolerance"),
    ("seed = -1", "seed"),
]


@pytest.mark.parametrize(("setting", "name"), NUMERIC_SETTINGS)
def test_numeric_settings_out_of_range_are_config_errors(
    sample: dict[str, Path], tmp_path: Path, setting: str, name: str
) -> None:
    result = run_with_config(sample, tmp_path, with_setting(setting))
    assert_user_error(result, 2)
    assert name in result.output


def test_all_config_problems_are_reported_at_once(sample: dict[str, Path], tmp_path: Path) -> None:
    result = run_with_config(sample, tmp_path, two_problems)
    assert_user_error(result, 2)
    assert "u_sample_pairs" in result.output
    assert "tie_margin" in result.output


# A payroll exported without its header row: refused, naming the line, never its values.

PERSONAL_COLUMNS = ("record_id", "person_tax_code", "national_id", "full_name", "birth_date")
PRIVATE_COLUMNS = ("full_name", "name", "monthly_income", "contribution_salary")  # and IDs
NINE_DIGITS = re.compile(r"\d{9,}")  # a CMND, a CCCD, a tax or social-insurance code


def values_of(
    lines: list[str], source: Source, mapping: SourceMapping, columns: tuple[str, ...]
) -> list[str]:
    """The non-blank values of ``columns`` in CSV ``lines`` (a header line first)."""
    header, *rows = csv.reader(lines)
    lookup = mapping.header_lookup(source)
    wanted = [i for i, h in enumerate(header) if lookup.get(fold(h)) in columns]
    return [row[i].strip() for row in rows for i in wanted if i < len(row) and row[i].strip()]


@pytest.fixture(scope="module")
def headerless(
    sample: dict[str, Path], mapping: SourceMapping, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    """The sample payroll without its header row, a row with a CCCD first; that row's values."""
    header, *rows = sample["payroll"].read_text(encoding="utf-8").splitlines()
    lookup = mapping.header_lookup(Source.PAYROLL)
    national_id = next(
        i for i, h in enumerate(next(csv.reader([header]))) if lookup.get(fold(h)) == "national_id"
    )
    first = next(row for row in rows if len(next(csv.reader([row]))[national_id]) == 12)
    path = tmp_path_factory.mktemp("headerless") / "payroll.csv"
    path.write_text("\n".join([first, *(row for row in rows if row != first)]) + "\n", "utf-8")
    personal = values_of(
        [header, first], Source.PAYROLL, mapping, PERSONAL_COLUMNS + PRIVATE_COLUMNS
    )
    return path, personal


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize(
    "command",
    [
        lambda sample, payroll, out: ["run", *run_args(sample, payroll=payroll), "--out", out],
        lambda sample, payroll, out: [
            *("pseudonymize", "--source", "payroll", "--input", payroll),
            *("--output", out / "copy.csv"),
        ],
    ],
    ids=["run", "pseudonymize"],
)
def test_a_payroll_without_header_row_is_refused_without_its_values(
    sample: dict[str, Path],
    headerless: tuple[Path, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: Callable[..., Any],
    log_format: str,
) -> None:
    from linkage.privacy import KEY_ENV

    monkeypatch.setenv(KEY_ENV, "a shared key of the two agencies")
    payroll, personal = headerless
    result = invoke("--log-format", log_format, *command(sample, payroll, tmp_path))
    assert_user_error(result, 1)
    refused = f"{payroll}: cannot read it as payroll data: the first line looks like data"
    assert f"{refused}, not headers (line 1;" in result.output
    assert "Add the header row above the data" in result.output
    assert "Headers found" not in result.output
    assert not NINE_DIGITS.search(result.output)  # the CCCD, the tax codes
    assert len(personal) >= 5  # record id, CCCD, name, birth date, income at least
    assert [v for v in personal if v in result.output] == []


# Every error message of the battery above, scanned for the data of its input files.

LONG_CSV_NAMES = re.compile(r"Tên \d")


def read_error(make: Callable[[Path], Path]) -> Callable[..., str]:
    def provoke(folder: Path, mapping: SourceMapping, sample: dict[str, Path]) -> str:
        with pytest.raises(InputError) as raised:
            read(make(folder), mapping)
        return str(raised.value)

    return provoke


def stray_quote_error(folder: Path, mapping: SourceMapping, sample: dict[str, Path]) -> str:
    try:
        read(stray_quote(folder), mapping)
    except InputError as e:
        return str(e)
    return ""  # read as one long quoted field: no message


def config_error(edit: Callable[[str], str]) -> Callable[..., str]:
    def provoke(folder: Path, mapping: SourceMapping, sample: dict[str, Path]) -> str:
        return run_with_config(sample, folder, edit).output

    return provoke


ERROR_CASES = [
    *(pytest.param(read_error(make), id=f"file-{i}") for i, (make, _) in enumerate(UNREADABLE)),
    pytest.param(stray_quote_error, id="stray-quote"),
    pytest.param(lambda d, m, s: run_without_registry_rows(s, d).output, id="no-registry-rows"),
    *(pytest.param(config_error(with_setting(s)), id=name) for s, name in NUMERIC_SETTINGS),
    pytest.param(config_error(two_problems), id="two-config-problems"),
]


@pytest.fixture(scope="module")
def inputs_text(sample: dict[str, Path]) -> str:
    """Every input file of the battery, as one text (where a long number may come from)."""
    files = [sample[source.value].read_text(encoding="utf-8") for source in Source]
    return "\n".join([*files, HEADER, *ROWS, LONG_CSV.decode()])


@pytest.fixture(scope="module")
def input_values(sample: dict[str, Path], mapping: SourceMapping) -> set[str]:
    """Names and amounts of every input file of the battery."""
    values = set(values_of([HEADER, *ROWS], Source.PAYROLL, mapping, PRIVATE_COLUMNS))
    for source in Source:
        lines = sample[source.value].read_text(encoding="utf-8").splitlines()
        values.update(values_of(lines, source, mapping, PRIVATE_COLUMNS))
    return values


@pytest.mark.parametrize("provoke", ERROR_CASES)
def test_no_error_message_holds_a_data_value(
    tmp_path: Path,
    mapping: SourceMapping,
    sample: dict[str, Path],
    inputs_text: str,
    input_values: set[str],
    provoke: Callable[..., Any],
) -> None:
    message = provoke(tmp_path, mapping, sample)
    # A long number of the configuration (a seed's range up to 2**32 - 1) is no data.
    assert [n for n in NINE_DIGITS.findall(message) if n in inputs_text] == [], message
    assert not LONG_CSV_NAMES.search(message), message
    assert sorted(v for v in input_values if v in message) == []
