"""Bad input files: a clear message naming the file (and line), never a traceback or a row."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from test_cli import assert_user_error, invoke, source_args

from linkage.errors import InputError
from linkage.load import load_mapping, read_source
from linkage.schema import Source

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "configs" / "mappings" / "default.toml"
HEADER = "record_id,employer_tax_code,national_id,full_name,period,contract_months,monthly_income"
SECRET_ID = "001090012345"
ROWS = [
    f"R1,0100233488,{SECRET_ID},Nguyễn Văn An,2024,12,9000000",
    "R2,0100233488,,Trần Thị Bình,2024,12,8000000",
    "R3,0100233488,,Lê Văn Cường,2024,12,7000000",
]


LONG_CSV = "\n".join([HEADER] + [f"R{i},0100233488,,Tên {i},2024,12,{i}" for i in range(9000)])
LONG_CSV = LONG_CSV.encode()


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(DEFAULT_MAPPING)


def read(path: Path, mapping) -> pd.DataFrame:
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
def test_layouts_real_exports_use(tmp_path, mapping, name, body, lines):
    frame = read(text(tmp_path, name, body), mapping)
    assert frame["record_id"].tolist() == ["R1", "R2", "R3"]
    assert frame["source_line"].tolist() == lines


def test_a_huge_field_is_read_not_fatal(tmp_path, mapping):
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
def test_header_only_files_hold_no_rows(tmp_path, mapping, name, body):
    assert read(text(tmp_path, name, body), mapping).empty


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
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
    ],
)
def test_unreadable_files_are_named_clearly(tmp_path, mapping, make, message):
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as raised:
        read(path, mapping)
    assert str(path) in str(raised.value)


def test_a_stray_quote_names_the_line_and_never_the_row(tmp_path, mapping):
    rows = [ROWS[0].replace("Nguyễn Văn An", '"Nguyễn Văn An'), *ROWS[1:]]
    path = text(tmp_path, "quote.csv", "\n".join([HEADER, *rows]) + "\n")
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
def sample(tmp_path_factory):
    from linkage.synth import write_sample

    return write_sample(tmp_path_factory.mktemp("bad") / "in", payroll_rows=300, seed=31)


def keep_lines(path: Path, target: Path, count: int) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[: 1 + count]), encoding="utf-8")
    return target


def test_a_registry_of_one_record_runs(sample, tmp_path):
    insured = keep_lines(sample["insured"], tmp_path / "one.csv", 1)
    result = invoke("run", *source_args(sample, insured=insured), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "insured: 1 rows read, 1 used" in result.output


def test_a_registry_of_no_record_stops_cleanly(sample, tmp_path):
    insured = keep_lines(sample["insured"], tmp_path / "none.csv", 0)
    result = invoke("run", *source_args(sample, insured=insured), "--out", tmp_path / "out")
    assert_user_error(result, 1)
    assert "no data rows" in result.output
    assert not (tmp_path / "out").exists()


def test_every_status_unknown_is_kept_and_warned(sample, tmp_path):
    import csv

    with sample["insured"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    status = next(i for i, h in enumerate(rows[0]) if h in ("status", "Trạng thái", "Tình trạng"))
    for row in rows[1:]:
        row[status] = "không rõ"
    insured = tmp_path / "unknown.csv"
    with insured.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = invoke("run", *source_args(sample, insured=insured), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: insured status unusable in 100% of rows" in result.output


@pytest.mark.parametrize(
    ("setting", "name"),
    [
        ("u_sample_pairs = -5", "u_sample_pairs"),
        ("em_max_iterations = 0", "em_max_iterations"),
        ("em_tolerance = -1.0", "em_tolerance"),
        ("seed = -1", "seed"),
    ],
)
def test_numeric_settings_out_of_range_are_config_errors(sample, tmp_path, setting, name):
    from linkage.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[link]\n", f"[link]\n{setting}\n", 1)
    key = setting.split(" =")[0]
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(f"{key} ") or line == setting
    )
    config = tmp_path / "bad.toml"
    config.write_text(text.replace("../", str(DEFAULT_CONFIG.parent.parent) + "/"), "utf-8")
    result = invoke("run", "--config", config, *source_args(sample), "--out", tmp_path / "out")
    assert_user_error(result, 2)
    assert name in result.output


def test_all_config_problems_are_reported_at_once(sample, tmp_path):
    from linkage.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("u_sample_pairs = 1000000", "u_sample_pairs = -5")
    text = text.replace("tie_margin = 3.0", "tie_margin = -1.0")
    config = tmp_path / "bad.toml"
    config.write_text(text.replace("../", str(DEFAULT_CONFIG.parent.parent) + "/"), "utf-8")
    result = invoke("run", "--config", config, *source_args(sample), "--out", tmp_path / "out")
    assert_user_error(result, 2)
    assert "u_sample_pairs" in result.output
    assert "tie_margin" in result.output
