"""Tests of the synthetic data generator: determinism, validity, truth and noise rates."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from stdnum.vn import mst
from vietnam_provinces.legacy import District, Province, Ward

from linkage.synth import SCENARIO_MIX, SyntheticData, generate, write_sample
from linkage.synth.ids import mst_check_digit
from linkage.synth.name_noise import ascii_caps, telex
from linkage.synth.scenarios import Scenario
from linkage.synth.sources import INSURED_HEADERS, PAYROLL_HEADERS

P = PAYROLL_HEADERS
I = INSURED_HEADERS  # noqa: E741


@pytest.fixture(scope="module")
def noisy() -> SyntheticData:
    return generate(20_000, seed=3)


@pytest.fixture(scope="module")
def clean() -> SyntheticData:
    return generate(5_000, seed=3, noise=0.0)


def compact(codes: pd.Series) -> pd.Series:
    return codes.str.replace(r"[\s.\-]", "", regex=True)


def test_same_seed_gives_identical_frames():
    a, b = generate(1_500, seed=11), generate(1_500, seed=11)
    for name in ("businesses", "payroll", "insured", "truth_links", "truth_candidates", "persons"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.noise_counts == b.noise_counts


def test_different_seed_gives_different_frames():
    a, b = generate(1_500, seed=11), generate(1_500, seed=12)
    assert not a.payroll.equals(b.payroll)
    assert not a.insured.equals(b.insured)


@pytest.mark.parametrize("rows", [1, 37, 2_500])
def test_payroll_has_exactly_the_requested_rows(rows):
    data = generate(rows, seed=5)
    assert len(data.payroll) == rows
    assert data.payroll[P["record_id"]].is_unique
    assert list(data.truth_candidates["record_id"]) == list(data.payroll[P["record_id"]])


def test_insured_registry_is_larger_than_payroll_population(noisy):
    payroll_people = noisy.truth_candidates["person_id"].nunique()
    assert 1.3 * payroll_people < len(noisy.insured) < 1.7 * payroll_people
    assert noisy.insured[I["si_code"]].is_unique


def test_every_value_is_text_and_headers_are_vietnamese(noisy):
    assert list(noisy.payroll.columns) == list(PAYROLL_HEADERS.values())
    assert list(noisy.insured.columns) == list(INSURED_HEADERS.values())
    for frame in (noisy.payroll, noisy.insured, noisy.businesses):
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_cccd_matches_sex_birth_year_and_province(noisy):
    persons = noisy.persons[noisy.persons["cccd"] != ""]
    cccd = persons["cccd"]
    assert cccd.str.fullmatch(r"0\d{11}").all()
    assert cccd.is_unique
    year = persons["birth_date"].dt.year
    century_sex = (year // 100 - 19) * 2 + (persons["sex"] == "F").astype(int)
    assert (cccd.str[3].astype(int) == century_sex).all()
    assert (cccd.str[4:6].astype(int) == year % 100).all()
    provinces = {int(p.code) for p in Province.iter_all()}
    assert set(cccd.str[1:3].astype(int)) <= provinces
    cmnd = noisy.persons.loc[noisy.persons["cmnd"] != "", "cmnd"]
    assert cmnd.str.fullmatch(r"\d{9}").all()
    assert cmnd.is_unique
    foreign = noisy.persons["nationality"] != "Việt Nam"
    assert (noisy.persons.loc[foreign, "cccd"] == "").all()


def test_tax_codes_are_valid(noisy):
    codes = compact(noisy.businesses["Mã số thuế"])
    assert codes.map(mst.is_valid).all()
    assert codes.is_unique
    roots = set(codes[codes.str.len() == 10])
    assert set(codes[codes.str.len() == 13].str[:10]) <= roots
    personal = noisy.persons.loc[noisy.persons["personal_tax_code"] != "", "personal_tax_code"]
    assert personal.map(mst.is_valid).all()
    truth = noisy.truth_candidates
    usable = truth["reason"] != "invalid_tax_code"
    employers = compact(noisy.payroll[P["employer_tax_code"]])
    assert employers[usable].map(mst.is_valid).all()
    assert not employers[~usable].map(mst.is_valid).any()
    assert (employers[usable] == truth.loc[usable, "employer_tax_code"]).all()


def test_mst_check_digit_agrees_with_stdnum():
    bodies = np.random.default_rng(0).integers(10**7, 10**9, size=2_000, dtype=np.int64)
    for body, check in zip(bodies.tolist(), mst_check_digit(bodies).tolist(), strict=True):
        assert mst.is_valid(f"{body:09d}{check}") == (check < 10)
        if check < 10:
            assert mst.calc_check_digit(f"{body:09d}") == str(check)


def test_administrative_units_are_real_and_consistent(noisy):
    b = noisy.businesses
    for province, district, ward in b[["Mã tỉnh", "Mã huyện", "Mã xã"]].itertuples(index=False):
        d = District.from_code(int(district))
        assert int(d.province_code) == int(province)
        assert len(province) == 2
        assert len(district) == 3
        if ward:
            assert int(Ward.from_code(int(ward)).district_code) == int(district)


def test_truth_covers_every_row_and_links_point_at_real_records(noisy):
    truth, links = noisy.truth_candidates, noisy.truth_links
    assert truth["record_id"].is_unique
    assert set(truth["disposition"]) <= {"insured_ok", "candidate", "excluded", "rejected"}
    assert links["record_id"].is_unique
    assert set(links["record_id"]) <= set(noisy.payroll[P["record_id"]])
    assert set(links["si_code"]) <= set(noisy.insured[I["si_code"]])
    linked = truth["record_id"].isin(links["record_id"])
    covered = (truth["disposition"] == "insured_ok") | truth["reason"].isin(
        ["lapsed", "under_declared"]
    )
    assert (linked == covered).all()


def test_truth_is_clear_cut(noisy):
    """Each scenario sits far from any rule's edge, so the truth cannot be disputed."""
    truth = noisy.truth_candidates.set_index("record_id")
    payroll = noisy.payroll.set_index(P["record_id"])
    rows = truth[truth["disposition"] != "rejected"].join(payroll)
    rows = rows.join(noisy.persons.set_index("person_id"), on="person_id")
    contract = rows[P["contract_months"]].astype(int)
    income = rows[P["monthly_income"]].astype(int)
    age = (pd.Timestamp("2026-01-01") - rows["birth_date"]).dt.days / 365.2425
    reason = rows["reason"]
    assert (contract[reason == "short_contract"] == 0).all()
    assert (contract[reason != "short_contract"] >= 1).all()
    assert age[reason == "under_age"].between(13, 14.01).all()
    old = reason == "over_retirement_age"
    assert (age[old & (rows["sex"] == "M")] >= 66).all()
    assert (age[old & (rows["sex"] == "F")] >= 63).all()
    working = ~reason.isin(["under_age", "over_retirement_age"])
    assert age[working].between(18, 59).all()
    assert (age[working & (rows["sex"] == "F")] < 54).all()
    status = dict(
        zip(
            compact(noisy.businesses["Mã số thuế"]),
            noisy.businesses["Tình trạng hoạt động"],
            strict=True,
        )
    )
    employer_status = rows["employer_tax_code"].map(status)
    assert (employer_status[reason == "employer_closed"] == "Ngừng hoạt động").all()
    assert (employer_status[reason != "employer_closed"] == "Đang hoạt động").all()

    insured = noisy.insured.set_index(I["si_code"])
    linked = noisy.truth_links.join(insured, on="si_code").set_index("record_id")
    linked = linked.join(rows[["reason", "disposition", "employer_tax_code"]], how="inner")
    linked["income"] = income
    salary = linked[I["contribution_salary"]].astype(int)
    ok = linked["disposition"] == "insured_ok"
    assert (linked.loc[ok, I["status"]] == "Đang tham gia").all()
    assert (salary[ok] >= 5_310_000).all()
    assert (salary[ok] >= 0.6 * linked.loc[ok, "income"]).all()
    under = linked["reason"] == "under_declared"
    assert ((salary[under] < 3_700_000) | (salary[under] < 0.4 * linked.loc[under, "income"])).all()
    lapsed = linked["reason"] == "lapsed"
    assert not (linked.loc[lapsed, I["status"]] == "Đang tham gia").any()
    same_employer = compact(linked[I["employer_tax_code"]]) == linked["employer_tax_code"]
    assert same_employer[ok | under].all()


def test_scenario_mix_is_roughly_as_configured(noisy):
    truth = noisy.truth_candidates
    jobs = truth[truth["disposition"] != "rejected"].drop_duplicates(
        ["person_id", "employer_tax_code"]
    )
    shares = jobs["reason"].replace("", "insured_ok").value_counts(normalize=True)
    for scenario, share in SCENARIO_MIX.items():
        name = Scenario(scenario).name.lower()
        assert shares.get(name, 0.0) == pytest.approx(share, abs=0.03), name


def test_names_look_vietnamese(noisy):
    vietnamese = noisy.persons[noisy.persons["nationality"] == "Việt Nam"]
    nguyen = (vietnamese["surname"] == "Nguyễn").mean()
    assert 0.30 <= nguyen <= 0.45
    assert vietnamese["full_name"].map(lambda s: unicodedata.is_normalized("NFC", s)).all()
    men = vietnamese[vietnamese["sex"] == "M"]
    assert (men["middle"].str.split().str[0] == "Văn").mean() > 0.25
    assert "Tôn Nữ" not in set(men["surname"])
    namesakes = vietnamese.groupby(["full_name", vietnamese["birth_date"].dt.year]).size()
    assert namesakes.max() >= 5
    assert (namesakes >= 2).sum() > 100


def test_noise_rates_at_default_scale(noisy):
    counts, n = noisy.noise_counts, len(noisy.payroll)
    expected = {
        "payroll.name_ascii_caps": 0.10,
        "payroll.name_nfd": 0.10,
        "payroll.name_typo": 0.03,
        "payroll.name_dropped_middle": 0.04,
        "payroll.date_missing": 0.03,
        "payroll.date_placeholder": 0.02,
        "payroll.id_missing": 0.15,
        "payroll.duplicate": 0.01,
        "payroll.gender_missing": 0.03,
    }
    for key, rate in expected.items():
        assert counts[key] / n == pytest.approx(rate, rel=0.25), key
    assert counts["insured.id_missing"] / len(noisy.insured) == pytest.approx(0.05, rel=0.25)
    names = noisy.payroll[P["full_name"]]
    ascii_upper = names.map(lambda s: s.isascii() and s == s.upper() and s.strip() != "")
    assert ascii_upper.mean() == pytest.approx(0.10, abs=0.03)
    nfd = names.map(lambda s: not unicodedata.is_normalized("NFC", s))
    assert nfd.mean() == pytest.approx(0.10, abs=0.03)
    assert (noisy.payroll[P["national_id"]] == "").mean() == pytest.approx(0.16, abs=0.03)
    assert (noisy.payroll[P["birth_date"]] == "").mean() == pytest.approx(0.03, abs=0.01)
    truth = noisy.truth_candidates
    rejected = truth["disposition"] == "rejected"
    assert 3 <= rejected.sum() <= 60
    assert set(truth.loc[rejected, "reason"]) == {
        "missing_name",
        "invalid_tax_code",
        "invalid_number",
    }
    dupes = truth.assign(
        period=noisy.payroll[P["period"]].str.replace(r"^(\d{4})-(\d\d)$", r"\2/\1", regex=True)
    )
    dupes = dupes[~rejected].duplicated(["person_id", "employer_tax_code", "period"])
    assert dupes.mean() == pytest.approx(0.01, abs=0.004)


def test_zero_noise_writes_clean_sources(clean):
    assert all(v == 0 for v in clean.noise_counts.values())
    truth = clean.truth_candidates
    assert (truth["disposition"] != "rejected").all()
    rows = truth.join(clean.persons.set_index("person_id"), on="person_id")
    payroll = clean.payroll
    assert (payroll[P["full_name"]].to_numpy() == rows["full_name"].to_numpy()).all()
    assert (payroll[P["birth_date"]] == rows["birth_date"].dt.strftime("%d/%m/%Y").to_numpy()).all()
    assert (payroll[P["national_id"]].to_numpy() == rows["cccd"].to_numpy()).all()
    assert payroll[P["period"]].str.fullmatch(r"0[1-6]/2026").all()
    assert payroll[P["gender"]].isin(["Nam", "Nữ"]).all()
    codes = payroll[P["employer_tax_code"]]
    assert codes.str.fullmatch(r"\d{10}(-\d{3})?").all()
    keys = truth.assign(period=payroll[P["period"]].to_numpy())
    assert not keys.duplicated(["person_id", "employer_tax_code", "period"]).any()
    insured_names = clean.insured[I["full_name"]]
    assert insured_names.map(lambda s: unicodedata.is_normalized("NFC", s)).all()
    assert not insured_names.str.contains("  ").any()


@pytest.mark.parametrize(
    ("name", "as_telex", "as_ascii"),
    [
        ("Nguyễn Văn Hùng", "Nguyeenx Vawn Hungf", "NGUYEN VAN HUNG"),  # circumflex + tone
        ("Đặng Thị Ngọc", "Ddawngj Thij Ngocj", "DANG THI NGOC"),  # đ, breve, dot below
        ("Trương Thủy", "Truwowng Thuyr", "TRUONG THUY"),  # horn on two vowels, hook
    ],
)
def test_name_encodings(name, as_telex, as_ascii):
    assert telex(name) == as_telex
    assert ascii_caps(name) == as_ascii


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_write_sample(tmp_path, fmt):
    paths = write_sample(tmp_path / "out", payroll_rows=300, seed=2, fmt=fmt)
    assert set(paths) == {
        "businesses",
        "payroll",
        "insured",
        "truth_links",
        "truth_candidates",
        "meta",
    }
    assert all(p.exists() for p in paths.values())
    if fmt == "csv":
        payroll = pd.read_csv(paths["payroll"], dtype=str, keep_default_na=False)
    elif fmt == "parquet":
        payroll = pd.read_parquet(paths["payroll"])
    else:
        payroll = pd.read_excel(paths["payroll"], dtype=str)
    assert len(payroll) == 300
    assert list(payroll.columns) == list(PAYROLL_HEADERS.values())
    ids = payroll[P["national_id"]].dropna()
    ids = ids[ids != ""]
    assert (ids.str.startswith("0")).mean() > 0.8  # leading zeros survive
    truth = pd.read_csv(paths["truth_candidates"], dtype=str, keep_default_na=False)
    assert list(truth.columns) == [
        "record_id",
        "person_id",
        "employer_tax_code",
        "disposition",
        "reason",
    ]
    meta = json.loads(paths["meta"].read_text(encoding="utf-8"))
    assert meta["seed"] == 2
    assert meta["rows"]["payroll"] == 300
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["generator_version"])


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="payroll_rows"):
        generate(0, seed=1)
    with pytest.raises(ValueError, match="noise"):
        generate(10, seed=1, noise=-1)
    with pytest.raises(ValueError, match="fmt"):
        write_sample(tmp_path, payroll_rows=10, seed=1, fmt="json")


def test_first_row_of_every_entry_is_usable(noisy):
    """Evaluation keeps the first row per (person, employer); it must not be a reject."""
    first = noisy.truth_candidates.groupby(["person_id", "employer_tax_code"]).first()
    assert (first["disposition"] != "rejected").all()
