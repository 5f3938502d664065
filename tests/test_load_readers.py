"""read_source: CSV, Excel and Parquet into raw batches of the data contract."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import logging
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.errors import EncodingError, InputError
from linkage.load import load_mapping, read_source
from linkage.load.mapping import SourceMapping
from linkage.load.readers import SourceReader
from linkage.schema import Source, raw_schema

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "configs" / "mappings" / "default.toml"
PAYROLL_HEADER = (
    "Mã bản ghi,MST đơn vị trả thu nhập,Họ và tên,Kỳ tính thuế,"
    "Thời hạn HĐLĐ (tháng),Thu nhập chịu thuế"
)


@pytest.fixture(scope="module")
def mapping() -> SourceMapping:
    return load_mapping(DEFAULT_MAPPING)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_all(
    path: Path, source: Source, mapping: SourceMapping, *, batch_rows: int = 250_000
) -> tuple[SourceReader, list[pd.DataFrame], pd.DataFrame]:
    reader = read_source(path, source, mapping, batch_rows=batch_rows)
    frames = list(reader)
    assert frames, f"no batch read from {path}"  # every caller reads the rows
    return reader, frames, pd.concat(frames, ignore_index=True)


def values(series: pd.Series) -> list[object]:
    """Column values with pandas' NA as None."""
    return [None if pd.isna(v) else v for v in series]


def payroll_rows(n: int) -> str:
    rows = [f"R{i},0101234567,Nguyễn Văn {chr(65 + i)},2025-07,12,{i}000000" for i in range(n)]
    return "\n".join([PAYROLL_HEADER, *rows]) + "\n"


@pytest.mark.parametrize(
    "header",
    [
        PAYROLL_HEADER,  # as the generator writes it
        PAYROLL_HEADER.upper(),  # capitals
        "ma ban ghi,mst don vi tra thu nhap,ho va ten,ky tinh thue,thoi han hdld thang,"
        "thu nhap chiu thue",  # accents dropped, punctuation dropped
        "record_id,employer_tax_code,full_name,period,contract_months,monthly_income",
        "ID;MST đơn vị;Họ tên;Kỳ kê khai;Thời hạn hợp đồng (tháng);Tổng thu nhập chịu thuế",
    ],
)
def test_header_variants(tmp_path: Path, mapping: SourceMapping, header: str) -> None:
    delimiter = ";" if ";" in header else ","
    row = delimiter.join(["R1", "0101234567", "Trần Thị Hương", "2025-07", "12", "9000000"])
    path = write(tmp_path / "payroll.csv", f"{header}\n{row}\n")
    _, _, frame = read_all(path, Source.PAYROLL, mapping)
    assert frame["full_name"].tolist() == ["Trần Thị Hương"]
    assert frame["employer_tax_code"].tolist() == ["0101234567"]


def test_contract_columns_and_types(tmp_path: Path, mapping: SourceMapping) -> None:
    path = write(tmp_path / "payroll.csv", payroll_rows(3))
    reader, _, frame = read_all(path, Source.PAYROLL, mapping)
    schema = raw_schema(Source.PAYROLL)
    assert list(frame.columns) == schema.names
    assert all(str(t) == "string[pyarrow]" for t in frame.dtypes.iloc[:-1])
    # optional columns absent from the file are added as null
    assert frame["national_id"].isna().all()
    assert frame["source_file"].unique().tolist() == ["payroll.csv"]
    assert reader.stats.rows_read == 3
    assert reader.stats.encoding == "utf-8"


def test_missing_required_column(tmp_path: Path, mapping: SourceMapping) -> None:
    path = write(tmp_path / "payroll.csv", "Mã bản ghi,Họ và tên,Ghi chú\nR1,An,x\n")
    with pytest.raises(InputError) as info:
        read_source(path, Source.PAYROLL, mapping)
    message = str(info.value)
    assert str(path) in message
    assert "required column 'employer_tax_code' not found" in message
    assert "'MST đơn vị trả thu nhập'" in message  # an accepted spelling
    assert "Headers found: ['Mã bản ghi', 'Họ và tên', 'Ghi chú']" in message
    assert "'period'" in message  # every missing column at once
    assert "An" not in message.split("Headers found")[1]  # no data values


def test_two_headers_for_one_column(tmp_path: Path, mapping: SourceMapping) -> None:
    path = write(tmp_path / "payroll.csv", PAYROLL_HEADER + ",Họ tên\n")
    with pytest.raises(InputError, match=r"all mean column 'full_name'"):
        read_source(path, Source.PAYROLL, mapping)


def test_ignored_headers_are_logged(
    tmp_path: Path, mapping: SourceMapping, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "p.csv", PAYROLL_HEADER + ",Ghi chú,Phòng ban\nR1,1,A,2,3,4,x,y\n")
    with caplog.at_level(logging.DEBUG, logger="linkage.load.readers"):
        reader = read_source(path, Source.PAYROLL, mapping)
    assert reader.stats.ignored_headers == ("Ghi chú", "Phòng ban")
    assert caplog.messages == ["p.csv: ignoring 2 unmapped headers: ['Ghi chú', 'Phòng ban']"]


def test_batches_keep_line_numbers(tmp_path: Path, mapping: SourceMapping) -> None:
    path = write(tmp_path / "payroll.csv", payroll_rows(5))
    _, frames, frame = read_all(path, Source.PAYROLL, mapping, batch_rows=2)
    assert [len(f) for f in frames] == [2, 2, 1]
    assert frame["source_line"].tolist() == [2, 3, 4, 5, 6]
    assert frame["record_id"].tolist() == [f"R{i}" for i in range(5)]


def test_blank_rows_skipped_and_counted(tmp_path: Path, mapping: SourceMapping) -> None:
    text = PAYROLL_HEADER + '\nR1,1,A,2,3,4\n\n,,,,,\n , ,"",,,\nR2,1,"B\nC",2,3,4\nR3,1,D,2,3,4\n'
    path = write(tmp_path / "payroll.csv", text)
    reader, _, frame = read_all(path, Source.PAYROLL, mapping, batch_rows=3)
    assert reader.stats.blank_rows == 3
    assert reader.stats.rows_read == 3
    # physical lines: the quoted line break in R2 pushes R3 to line 8
    assert frame["source_line"].tolist() == [2, 6, 8]
    assert frame["full_name"].tolist() == ["A", "B\nC", "D"]


def test_leading_zeros_kept(tmp_path: Path, mapping: SourceMapping) -> None:
    text = "Mã số thuế,Tên doanh nghiệp,Mã tỉnh,Mã huyện,Tình trạng hoạt động\n"
    text += "0101234567,Công ty TNHH An Bình,01,001,Đang hoạt động\n"
    path = write(tmp_path / "businesses.csv", text)
    _, _, frame = read_all(path, Source.BUSINESSES, mapping)
    row = frame.iloc[0]
    assert (row["tax_code"], row["province_code"], row["district_code"]) == (
        "0101234567",
        "01",
        "001",
    )


def test_utf8_bom_and_gzip(tmp_path: Path, mapping: SourceMapping) -> None:
    path = tmp_path / "payroll.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + payroll_rows(2).encode()))
    reader, _, frame = read_all(path, Source.PAYROLL, mapping)
    assert reader.stats.encoding == "utf-8-sig"
    assert frame["record_id"].tolist() == ["R0", "R1"]


def test_cp1258_file_is_read_as_nfc(tmp_path: Path, mapping: SourceMapping) -> None:
    from tests.helpers import cp1258_bytes

    text = payroll_rows(2).replace("Nguyễn Văn", "Đặng Thị Thuỷ Nguyễn")
    path = tmp_path / "payroll.csv"
    path.write_bytes(cp1258_bytes(text))
    reader, _, frame = read_all(path, Source.PAYROLL, mapping)
    assert reader.stats.encoding == "cp1258"
    assert frame["full_name"].tolist() == ["Đặng Thị Thuỷ Nguyễn A", "Đặng Thị Thuỷ Nguyễn B"]


def test_nfd_utf8_is_normalized(tmp_path: Path, mapping: SourceMapping) -> None:
    import unicodedata

    path = write(tmp_path / "p.csv", unicodedata.normalize("NFD", payroll_rows(1)))
    _, _, frame = read_all(path, Source.PAYROLL, mapping)
    assert frame["full_name"].tolist() == ["Nguyễn Văn A"]


def test_tcvn3_and_vni_files_are_refused(tmp_path: Path, mapping: SourceMapping) -> None:
    from tests.test_load_encoding import TCVN3, VNI

    for name, table in (("tcvn3.csv", TCVN3), ("vni.csv", VNI)):
        rows = [b"record_id,employer_tax_code,full_name,period,contract_months,monthly_income"]
        rows += [b"R1,0101234567," + raw + b",2025-07,12,1" for raw in table.values()]
        path = tmp_path / name
        path.write_bytes(b"\n".join(rows) + b"\n")
        with pytest.raises(EncodingError, match=r"TCVN3|VNI"):
            read_source(path, Source.PAYROLL, mapping)


def test_mojibake_after_the_sample_is_caught(
    tmp_path: Path, mapping: SourceMapping, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkage.load import _csv

    monkeypatch.setattr(_csv, "HEAD_BYTES", 200)  # only the clean first rows are sampled
    late = "\n".join(f"R9,1,NguyÔn V¨n {c},2,3,4" for c in "ABCDEF")
    path = write(tmp_path / "p.csv", payroll_rows(5) + late + "\n")
    reader = read_source(path, Source.PAYROLL, mapping, batch_rows=4)
    with pytest.raises(EncodingError, match=r"column 'full_name'.*TCVN3"):
        list(reader)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("absent.csv", None, "no such file"),
        ("payroll.xls", b"x", "unsupported file type '.xls'"),
        ("empty.csv", b"", "empty"),
        ("broken.xlsx", b"not a zip", "cannot open it as an Excel"),
        ("broken.parquet", b"not parquet", "cannot read it as Parquet"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, mapping: SourceMapping, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        list(read_source(path, Source.PAYROLL, mapping))


def test_malformed_row_names_its_line(tmp_path: Path, mapping: SourceMapping) -> None:
    text = payroll_rows(3) + "R9,0101234567,Lê Thị Bí Mật,2025-07\n"
    path = write(tmp_path / "payroll.csv", text)
    with pytest.raises(InputError) as info:
        list(read_source(path, Source.PAYROLL, mapping))
    message = str(info.value)
    assert f"{path}:5: malformed CSV: expected 6 fields" in message
    assert "found 4" in message
    assert "Bí Mật" not in message


def test_xlsx_numbers_and_dates(tmp_path: Path, mapping: SourceMapping) -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Ghi chú"
    notes.append(["Danh sách lao động tham gia BHXH"])
    sheet = workbook.create_sheet("Dữ liệu")
    sheet.append(["BÁO CÁO THÁNG 7/2025"])  # a title row above the headers
    sheet.append(
        [
            *("Mã số BHXH", "Họ tên", "Ngày tháng năm sinh", "Giới tính", "Mã số thuế đơn vị"),
            *("Trạng thái", "Mức lương đóng BHXH", "Số CCCD"),
        ]
    )
    sheet.append(
        [
            *(123456789, "Phạm Minh Tuấn", dt.datetime(1990, 5, 1), "Nam", 101234567),
            *("Đang tham gia", 5310000.0, "001090012345"),
        ]
    )
    sheet.append([])  # blank row
    sheet.append([2, "Lê Thị Thuỷ", dt.date(2001, 12, 31), "Nữ", "0101234567", "Tạm dừng", 4.5])
    path = tmp_path / "insured.xlsx"
    workbook.save(path)

    reader, _, frame = read_all(path, Source.INSURED, mapping)
    assert reader.stats.sheet == "Dữ liệu"
    assert reader.stats.header_row == 2
    assert reader.stats.blank_rows == 1
    assert frame["si_code"].tolist() == ["123456789", "2"]  # digits, no ".0"
    assert frame["birth_date"].tolist() == ["1990-05-01", "2001-12-31"]
    assert frame["employer_tax_code"].tolist() == ["101234567", "0101234567"]
    assert frame["contribution_salary"].tolist() == ["5310000", "4.5"]
    assert values(frame["national_id"]) == ["001090012345", None]
    assert frame["source_line"].tolist() == [3, 5]


def test_xlsx_without_headers_reports_missing_columns(
    tmp_path: Path, mapping: SourceMapping
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Cột A", "Cột B"])
    path = tmp_path / "insured.xlsx"
    workbook.save(path)
    with pytest.raises(InputError, match="required column 'si_code' not found"):
        read_source(path, Source.INSURED, mapping)


def test_parquet_typed_columns(tmp_path: Path, mapping: SourceMapping) -> None:
    table = pa.table(
        {
            "Mã số thuế": pa.array([101234567, 312345678], pa.int64()),
            "Tên doanh nghiệp": pa.array(["Công ty A", None]).dictionary_encode(),
            "Mã tỉnh": ["01", "79"],
            "Mã huyện": pa.array([1.0, 760.0]),
            "Tình trạng hoạt động": ["Đang hoạt động", "Ngừng hoạt động"],
            "Ngày cấp": pa.array([dt.date(2010, 1, 2), None], pa.date32()),
            "Vốn điều lệ": pa.array([1.5, 2.0]),
        }
    )
    path = tmp_path / "businesses.parquet"
    pq.write_table(table, path)
    reader, _, frame = read_all(path, Source.BUSINESSES, mapping, batch_rows=1)
    assert frame["tax_code"].tolist() == ["101234567", "312345678"]
    assert frame["district_code"].tolist() == ["1", "760"]
    assert values(frame["registered_on"]) == ["2010-01-02", None]
    assert frame["source_line"].tolist() == [1, 2]
    assert values(frame["name"]) == ["Công ty A", None]
    assert reader.stats.ignored_headers == ("Vốn điều lệ",)
    assert reader.stats.blank_rows == 0


# Printable Vietnamese text: real syllables in any case, joined by the delimiter, quotes,
# line breaks and other punctuation. (Random letter soup is refused as mojibake on purpose.)
SYLLABLES = [
    *("nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi"),
    *("đỗ", "hồ", "ngô", "dương", "lý", "văn", "thị", "hữu", "đức", "minh", "hương"),
    *("thuỷ", "thúy", "quỳnh", "khuê", "ánh", "tuấn", "người", "giữa", "khuya", "xoong"),
    *("thuở", "yến", "ươm", "công", "ty", "tnhh", "phường", "xã", "quận", "huyện", "tỉnh"),
    *("đang", "hoạt", "động", "tạm", "ngừng", "0101234567", "an", "bình"),
]
SEPARATORS = [" ", ", ", ";", '"', "\n", " - ", ". ", "/", "  "]
word = st.builds(
    lambda w, case, sep: case(w) + sep,
    st.sampled_from(SYLLABLES),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.sampled_from(SEPARATORS),
)
cell = st.lists(word, max_size=5).map("".join)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8))
def test_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    mapping: SourceMapping,
    rows: list[tuple[str, str, str]],
) -> None:
    path = tmp_path_factory.mktemp("rt") / "payroll.csv"
    header = ["record_id", "employer_tax_code", "full_name", "period"]
    header += ["contract_months", "monthly_income"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([(a, "0101234567", b, c, "1", "2") for a, b, c in rows])
    _, _, frame = read_all(path, Source.PAYROLL, mapping, batch_rows=3)

    def expected(value: str) -> str | None:  # empty and whitespace-only cells read as null
        return value if value.strip() else None

    assert values(frame["record_id"]) == [expected(a) for a, _, _ in rows]
    assert values(frame["full_name"]) == [expected(b) for _, b, _ in rows]
    assert values(frame["period"]) == [expected(c) for _, _, c in rows]


# Errors name the exact line (issue 21, item 6). Each file holds 30k payroll rows, so a
# problem at row 25,000 lies past the first MiB the encoding is sniffed from.
_SECRET_NAME = "Bí Mật"


def _damaged(rows: int, line: int, *, ending: bytes = b"\n", byte: bytes = b"") -> bytes:
    """A payroll file whose physical ``line`` holds a stray quote, or ``byte`` if given."""
    text = payroll_rows(rows - 1).replace("Nguyễn Văn", _SECRET_NAME, 1)
    lines = text.encode("utf-8").split(b"\n")[:-1]
    name = "Nguyễn".encode()
    target = lines[line - 1]
    lines[line - 1] = (
        target.replace(name, name[:1] + byte + name[1:], 1)
        if byte
        else (target.replace(name, b'"' + name, 1))
    )
    return ending.join(lines) + ending


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        # a quote opened on line 51 runs to the end: named where it opened, not at line 200
        ("quote.csv", _damaged(200, 51), ":51: malformed CSV: a quote opened on this line"),
        # the same past the sniffed first MiB
        ("late_quote.csv", _damaged(30_000, 25_001), ":25001: malformed CSV: a quote opened"),
        # one invalid byte in line 151 of a UTF-8 file: the line and the offsets
        ("byte.csv", _damaged(200, 151, byte=b"\xff"), ":151: byte 18 of the line (byte "),
        # a byte cp1258 cannot decode either: once "neither UTF-8 nor Windows-1258"
        ("cp.csv", _damaged(200, 151, byte=b"\x81"), ":151: byte 18 of the line"),
        # past the first MiB, read by pyarrow: found by decoding the file again
        ("late.csv", _damaged(30_000, 25_001, byte=b"\xff"), ":25001: byte 20 of the line"),
        # Windows and old-Mac line ends count lines alike
        (
            "crlf.csv",
            _damaged(30_000, 25_001, ending=b"\r\n", byte=b"\xff"),
            ":25001: byte 20 of the line",
        ),
        ("cr.csv", _damaged(30_000, 25_001, ending=b"\r", byte=b"\xff"), ":25001: byte 20"),
    ],
)
def test_errors_name_the_exact_line(
    tmp_path: Path, mapping: SourceMapping, name: str, data: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        list(read_source(path, Source.PAYROLL, mapping))
    message = str(info.value)
    assert f"{path}{expected}" in message
    assert _SECRET_NAME not in message
    assert "Nguyễn" not in message


def test_undecodable_byte_in_a_gzip_file_names_its_line(
    tmp_path: Path, mapping: SourceMapping
) -> None:
    path = tmp_path / "payroll.csv.gz"
    path.write_bytes(gzip.compress(_damaged(30_000, 25_001, byte=b"\xff")))
    with pytest.raises(InputError, match=r"\.gz:25001: byte 20 of the line"):
        list(read_source(path, Source.PAYROLL, mapping))


def _payroll_workbook(path: Path, incomes: Sequence[object]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(PAYROLL_HEADER.split(","))
    for i, income in enumerate(incomes):
        sheet.append([f"R{i}", "0101234567", f"Nguyễn Văn {chr(65 + i)}", "2025-07", 12, income])
    workbook.save(path)  # openpyxl saves formulas without a computed value, as scripts do
    return path


@pytest.mark.parametrize(
    ("incomes", "counted"),
    [
        # two formulas never computed: blank values, counted for the manifest, warned
        (
            ["=5000000*2", 7_000_000, "=F2+1", None],
            {"formula_without_value": {"monthly_income": 2}},
        ),
        # plain values and a blank cell: nothing to count (the sheet has no formula)
        ([5_000_000, None, 7_000_000], {}),
    ],
)
def test_xlsx_formulas_without_values_are_counted_and_warned(
    tmp_path: Path,
    mapping: SourceMapping,
    caplog: pytest.LogCaptureFixture,
    incomes: list[int | str | None],
    counted: dict[str, dict[str, int]],
) -> None:
    path = _payroll_workbook(tmp_path / "payroll.xlsx", incomes)
    with caplog.at_level(logging.WARNING):
        reader, _, frame = read_all(path, Source.PAYROLL, mapping, batch_rows=2)
    assert reader.stats.nulled_invalid == counted
    expected = [None if isinstance(v, str) or v is None else str(v) for v in incomes]
    assert values(frame["monthly_income"]) == expected
    warned = [r.getMessage() for r in caplog.records if "formula cells" in r.getMessage()]
    if counted:
        assert warned == [
            "payroll.xlsx: 2 formula cells have no saved value and read as blank "
            "(monthly_income 2); open the workbook in Excel and save it so the values are "
            "stored, or export it as CSV UTF-8"
        ]
    else:
        assert not warned


def test_formulas_without_values_reach_the_manifest_counts(
    tmp_path: Path, mapping: SourceMapping
) -> None:
    """The loaded source's input record carries them beside the values nulled as invalid."""
    from linkage.pipeline import load_sources

    path = _payroll_workbook(tmp_path / "payroll.xlsx", ["=5000000*2", 7_000_000, "=F2+1"])
    table = load_sources({Source.PAYROLL: path}, mapping, batch_rows=2)[Source.PAYROLL]
    assert table.input_file.nulled_invalid["monthly_income:formula_without_value"] == 2
