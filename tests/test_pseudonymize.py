"""Pseudonymized files: keyed, kind-preserving, and linking exactly as the originals do."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from linkage.errors import ConfigError
from linkage.load import load_mapping
from linkage.normalize import normalize_payroll, pseudonym_kinds
from linkage.privacy import KEY_ENV, pseudonyms, shared_key
from linkage.tools.synth import write_sample
from tests.helpers import assert_user_error, invoke, run_args

KEY = "a shared key of the two agencies"
ROOT = Path(__file__).resolve().parents[1]
CCCD = "001090012345"  # Hà Nội, male, born 1990


def test_shared_key_comes_from_the_environment_or_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=KEY_ENV):
        shared_key(None)  # no random fallback: files under different keys never link
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    from_file = shared_key(key_file)
    monkeypatch.setenv(KEY_ENV, KEY)
    assert shared_key(None) == from_file  # the same key, however it is handed over
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(ConfigError, match="16 bytes"):
        shared_key(None)


def test_pseudonyms_are_keyed_and_keep_their_kind() -> None:
    values = pd.Series([CCCD, None, CCCD], dtype=pd.ArrowDtype(pa.string()))
    first = pseudonyms(values, "cccd", b"k" * 32)
    assert first[0] == first[2]
    assert pd.isna(first[1])
    assert re.fullmatch(r"cccd:[0-9a-f]{32}", first[0])
    assert CCCD not in first[0]
    assert pseudonyms(values, "cccd", b"j" * 32)[0] != first[0]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("cccd:" + "0" * 32, "cccd"),
        (" cmnd:" + "ab" * 16 + " ", "cmnd"),
        ("mst:" + "f" * 32, "mst"),
        ("cccd:" + "0" * 31, None),  # too short
        ("CCCD:" + "0" * 32, None),  # pseudonyms are written lower case
        ("sha:" + "0" * 32, None),  # no such kind
        (CCCD, None),
        (None, None),
    ],
)
def test_pseudonym_kinds(value: str | None, kind: str | None) -> None:
    (got,) = pseudonym_kinds(pd.Series([value], dtype=pd.ArrowDtype(pa.string())))
    assert (None if pd.isna(got) else got) == kind


def test_a_pseudonymized_row_keeps_its_id_kind_year_and_sex() -> None:
    token = "cccd:" + "1" * 32
    raw = pd.DataFrame(
        {
            "record_id": ["R1"],
            "employer_tax_code": ["0100109106"],
            "full_name": ["Nguyễn Văn An"],
            "period": ["2024"],
            "contract_months": ["12"],
            "monthly_income": ["9000000"],
            "person_tax_code": [token],
            "national_id": [token],
            "birth_date": [None],
            "gender": [None],
            "nationality": [None],
            "id_birth_year": ["1990"],
            "id_gender": ["M"],
            "contract_type": [None],
            "source_file": ["p.csv"],
            "source_line": [2],
        }
    )
    vocabularies = load_mapping(ROOT / "configs" / "mappings" / "default.toml").vocabularies
    table, rejects, nulled = normalize_payroll(raw, vocabularies)
    assert rejects.empty
    row = table.iloc[0]
    assert (row["national_id"], row["national_id_kind"]) == (token, "cccd")
    assert (row["id_birth_year"], row["id_gender"]) == (1990, "M")
    assert row["person_tax_code"] == token
    assert not nulled.get("national_id")
    assert not nulled.get("person_tax_code")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("pseudonyms")
    inputs = write_sample(root / "in", payroll_rows=800, seed=11)
    return root, inputs


def _pseudonymize(
    world: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch, suffix: str = ".csv"
) -> dict[str, Path]:
    root, inputs = world
    monkeypatch.setenv(KEY_ENV, KEY)
    folder = root / f"shared{suffix}"
    folder.mkdir(exist_ok=True)
    copies = dict(inputs)
    for source in ("payroll", "insured"):
        copies[source] = folder / f"{source}{suffix}"
        if not copies[source].exists():
            result = invoke(
                "pseudonymize",
                "--source",
                source,
                "--input",
                inputs[source],
                "--output",
                copies[source],
            )
            assert result.exit_code == 0, result.output
            assert "pseudonymized" in result.output
    return copies


def _exact_links(out: Path) -> dict[str, set[tuple[str, str]]]:
    links = pd.read_parquet(out / "links.parquet")
    return {
        method: set(zip(group["record_id"], group["si_code"], strict=True))
        for method, group in links.groupby(links["method"].astype(str))
        if method in ("national_id", "tax_id")
    }


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_pseudonymized_files_give_the_same_exact_links(
    world: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    root, inputs = world
    copies = _pseudonymize(world, monkeypatch, suffix)
    raw_out, copy_out = root / f"raw{suffix}", root / f"copy{suffix}"
    for files, out in ((inputs, raw_out), (copies, copy_out)):
        result = invoke("run", *run_args(files), "--out", out, "--no-mask-ids")
        assert result.exit_code == 0, result.output
    raw, copied = _exact_links(raw_out), _exact_links(copy_out)
    key = shared_key(None)

    def pseudonymous(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """SI codes that are citizen IDs are pseudonymized too."""
        return {
            (record, pseudonyms(pd.Series([code]), "cccd", key)[0] if len(code) == 12 else code)
            for record, code in pairs
        }

    assert set(raw) == set(copied) == {"national_id", "tax_id"}
    for method in raw:
        assert len(raw[method]) > 10
        assert pseudonymous(raw[method]) == copied[method], method


def test_no_citizen_id_or_personal_tax_code_is_left_in_a_copy(
    world: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = _pseudonymize(world, monkeypatch)
    for source, columns in (
        ("payroll", ["national_id", "person_tax_code"]),
        ("insured", ["national_id", "si_code"]),
    ):
        copy = pd.read_csv(copies[source], dtype=str)
        for column in columns:
            values = copy[column].dropna()
            readable = values[~values.str.fullmatch(r"(cccd|cmnd|mst):[0-9a-f]{32}")]
            if column == "si_code":  # VSS's own 10-digit code stays
                assert readable.str.fullmatch(r"\d{10}").all()
            else:
                assert readable.empty, readable.head()
        assert copy["id_birth_year"].dropna().str.fullmatch(r"(19|20)\d\d").all()


def test_a_copy_pseudonymized_again_is_unchanged(
    world: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = world
    copies = _pseudonymize(world, monkeypatch)
    for source in ("payroll", "insured"):
        again = root / f"again-{source}.csv"
        args = ["--source", source, "--input", copies[source], "--output", again]
        result = invoke("pseudonymize", *args)
        assert result.exit_code == 0, result.output
        assert re.findall(r"([\d,]+) unusable left blank", result.output) == ["0", "0"]
        pd.testing.assert_frame_equal(
            pd.read_csv(again, dtype=str), pd.read_csv(copies[source], dtype=str)
        )


def test_pseudonymize_refuses_an_existing_output_and_a_missing_key(
    world: tuple[Path, dict[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, inputs = world
    existing = root / "mine.csv"
    existing.write_text("the user's own file\n")
    monkeypatch.setenv(KEY_ENV, KEY)
    args: list[str | Path] = ["pseudonymize", "--source", "payroll", "--input", inputs["payroll"]]
    assert_user_error(invoke(*args, "--output", existing), 2)
    assert existing.read_text() == "the user's own file\n"
    assert_user_error(invoke(*args, "--output", root / "copy.xlsx"), 2)
    monkeypatch.delenv(KEY_ENV)
    result = invoke(*args, "--output", root / "new.csv")
    assert_user_error(result, 2)
    assert KEY_ENV in result.output
    assert not (root / "new.csv").exists()
    assert not list(root.glob(".new.csv.partial-*"))
