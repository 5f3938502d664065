"""Encoding detection: UTF-8 and cp1258 accepted, TCVN3 / VNI / double-encoded UTF-8 refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.errors import EncodingError
from linkage.load.encoding import (
    BadByte,
    check_text,
    decode_tcvn3,
    decode_vni,
    detect_encoding,
    first_bad_byte,
    implausible_words,
)
from tests.helpers import cp1258_bytes

# Bytes produced with glibc: printf 'Nguyễn Văn Đức' | iconv -f UTF-8 -t TCVN5712-1
TCVN3 = {
    "Họ và tên": b"H\xe4 v\xb5 t\xaan",
    "Nguyễn Văn Đức": b"Nguy\xd4n V\xa8n \xa7\xf8c",
    "Trần Thị Hương": b"Tr\xc7n Th\xde H\xad\xacng",
    "Đặng Quốc Bảo": b"\xa7\xc6ng Qu\xe8c B\xb6o",
    "Lê Thị Thuỷ": b"L\xaa Th\xde Thu\xfb",
    "Phạm Minh Tuấn": b"Ph\xb9m Minh Tu\xcan",
}
# VNI Windows: base letter + modifier byte ("Nguyeãn" when shown as Latin-1).
VNI = {
    "Họ và tên": b"Ho\xef va\xf8 te\xe2n",
    "Nguyễn Văn Đức": b"Nguye\xe3n Va\xean \xd1\xf6\xf9c",
    "Trần Thị Hương": b"Tra\xe0n Th\xf2 H\xf6\xf4ng",
    "Đặng Quốc Bảo": b"\xd1a\xebng Quo\xe1c Ba\xfbo",
    "Lê Thị Thuỷ": b"Le\xe2 Th\xf2 Thuy\xfb",
    "Phạm Minh Tuấn": b"Pha\xefm Minh Tua\xe1n",
}
NAMES = list(TCVN3)


def csv_of(lines: list[str]) -> str:
    return "\n".join(["Họ và tên,Mã số BHXH", *(f"{n},0101234567" for n in lines)]) + "\n"


@pytest.mark.parametrize(("text", "raw"), TCVN3.items())
def test_decode_tcvn3(text: str, raw: bytes) -> None:
    assert decode_tcvn3(raw) == text


@pytest.mark.parametrize(("text", "raw"), VNI.items())
def test_decode_vni(text: str, raw: bytes) -> None:
    assert decode_vni(raw) == text


@pytest.mark.parametrize(
    "text",
    [
        *NAMES,
        "NGUYỄN VĂN ĐỨC",  # all caps
        "Hoà Thuý Quỳnh Khuyến Người Giữa Xoong Khuỷu Thuở",  # rare rhymes, old tone placement
        "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "Đang tham gia; Tạm ngừng kinh doanh; Đã đóng MST",
    ],
)
def test_real_vietnamese_is_plausible(text: str) -> None:
    assert implausible_words([text])[0] == 0


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (csv_of(NAMES).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + csv_of(NAMES).encode("utf-8"), "utf-8-sig"),
        (csv_of(NAMES).encode("utf-8")[:-5] + "ễ".encode()[:2], "utf-8"),  # cut mid-letter
        (cp1258_bytes(csv_of(NAMES)), "cp1258"),
        (b"record_id,full_name\nR1,John Smith\n", "utf-8"),  # ASCII only
        ("Họ tên\n王小明\n김민준\nSmith\n".encode(), "utf-8"),  # other scripts are fine
    ],
)
def test_accepted_encodings(data: bytes, codec: str) -> None:
    assert detect_encoding(data, "f.csv") == codec


def test_cp1258_round_trip() -> None:
    text = csv_of(NAMES)
    raw = cp1258_bytes(text)
    codec = detect_encoding(raw, "f.csv")
    assert unicodedata.normalize("NFC", raw.decode(codec)) == text


def header_and_names(table: dict[str, bytes]) -> bytes:
    rows = [table["Họ và tên"] + b",Ma so BHXH"]
    rows += [raw + b",0101234567" for text, raw in table.items() if text != "Họ và tên"]
    return b"\r\n".join(rows) + b"\r\n"


@pytest.mark.parametrize(
    ("data", "detected", "fix"),
    [
        (header_and_names(TCVN3), "TCVN3", "iconv -f TCVN5712-1 -t UTF-8"),
        (header_and_names(VNI), "VNI Windows", "UniKey"),
        # TCVN3 bytes once read as Windows-1252 and saved as UTF-8 ("NguyÔn")
        (header_and_names(TCVN3).decode("cp1252").encode("utf-8"), "TCVN3", "WINDOWS-1252"),
        # VNI text saved as UTF-8 ("Nguyeãn")
        (header_and_names(VNI).decode("latin-1").encode("utf-8"), "VNI Windows", "UniKey"),
        # UTF-8 read as Latin-1 and saved again ("Nguyá»…n")
        (csv_of(NAMES).encode("utf-8").decode("latin-1").encode("utf-8"), "double", "iconv"),
    ],
)
def test_legacy_encodings_are_refused(data: bytes, detected: str, fix: str) -> None:
    with pytest.raises(EncodingError) as info:
        detect_encoding(data, "payroll.csv")
    message = str(info.value)
    assert message.startswith("payroll.csv: ")
    assert detected in message or (detected == "double" and "read as Windows-1252" in message)
    assert fix in message
    assert "Ngu" not in message  # no personal data


def test_single_tcvn3_name_is_enough() -> None:
    with pytest.raises(EncodingError, match="TCVN3"):
        check_text([TCVN3["Nguyễn Văn Đức"].decode("cp1252")], "f.xlsx")


def test_unknown_8bit_garbage_is_refused() -> None:
    # cp1258 decodes these bytes, but into words that are not Vietnamese
    words = [bytes([b, 0xA5, b]) for b in range(0xC0, 0x100) if b not in (0xCC, 0xD2, 0xDE)]
    with pytest.raises(EncodingError, match="does not read as Vietnamese"):
        detect_encoding(b"h\n" + b" ".join(words) + b"\n", "f.csv")


def test_undecodable_bytes_are_refused() -> None:
    with pytest.raises(EncodingError, match="neither UTF-8 nor Windows-1258"):
        detect_encoding(b"name\n\x81\x8a\x8d\n", "f.csv")


@given(
    lines=st.lists(st.text(st.characters(exclude_characters="\r\n"), max_size=12), min_size=1),
    data=st.data(),
    ending=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    chunk=st.integers(1, 9),
)
def test_first_bad_byte_is_located_across_chunks(
    lines: list[str], data: st.DataObject, ending: bytes, chunk: int
) -> None:
    # one invalid byte anywhere, the file cut into chunks of any size (CR LF split too)
    encoded = [line.encode("utf-8", "surrogatepass") for line in lines]
    encoded = [line.decode("utf-8", "replace").encode("utf-8") for line in encoded]
    line = data.draw(st.integers(0, len(encoded) - 1))
    cut = data.draw(st.sampled_from(_boundaries(encoded[line])))
    encoded[line] = encoded[line][:cut] + b"\xff" + encoded[line][cut:]
    file = ending.join(encoded) + ending
    offset = sum(len(x) + len(ending) for x in encoded[:line]) + cut
    chunks = [file[i : i + chunk] for i in range(0, len(file), chunk)]
    assert first_bad_byte(chunks, "utf-8") == BadByte(line + 1, cut + 1, offset + 1)


def _boundaries(line: bytes) -> list[int]:
    """Byte positions between characters of a UTF-8 line."""
    text = line.decode("utf-8")
    return [len(text[:i].encode("utf-8")) for i in range(len(text) + 1)]


def test_a_damaged_line_in_a_utf8_file_is_named_not_taken_for_cp1258() -> None:
    good = "Nguyễn Văn Đức,Trần Thị Hương\n".encode() * 20
    head = b"h\n" + good + "Lê Thị".encode() + b"\xff\n" + good
    with pytest.raises(EncodingError, match=r"^f\.csv:22: byte 10 of the line \(byte \d+ of the"):
        detect_encoding(head, "f.csv")

