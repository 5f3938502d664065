"""Tests of the synthetic data generator: determinism, validity, truth and noise rates."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.vn import mst
from vietnam_provinces.legacy import District, DistrictCode, Province, Ward, WardCode

from linkage.tools.synth import SCENARIO_MIX, SyntheticData, generate, write_sample
from linkage.tools.synth.ids import mst_check_digit
from linkage.tools.synth.name_noise import ascii_caps, telex
from linkage.tools.synth.scenarios import Scenario
from linkage.tools.synth.sources import INSURED_HEADERS, PAYROLL_HEADERS

P = PAYROLL_HEADERS
I = INSURED_HEADERS  # noqa: E741


@pytest.fixture(scope="module")
def noisy() -> SyntheticData:
    return generate(20_000, seed=3)


@pytest.fixture(scope="module")
def clean() -> SyntheticData:
    return generate(5_000, seed=3, noise=0.0)


def compact(codes: pd.Series) -> pd.Series:
    """Tax codes without separators, a root that lost its leading zero padded back."""
    bare = codes.str.replace(r"[\s.\-]", "", regex=True)
    return bare.str.replace(r"^(\d{9})$", r"0\1", regex=True)


def test_same_seed_gives_identical_frames() -> None:
    a, b = generate(1_500, seed=11), generate(1_500, seed=11)
    for name in ("businesses", "payroll", "insured", "truth_links", "truth_candidates", "persons"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.noise_counts == b.noise_counts


def test_different_seed_gives_different_frames() -> None:
    a, b = generate(1_500, seed=11), generate(1_500, seed=12)
    assert not a.payroll.equals(b.payroll)
    assert not a.insured.equals(b.insured)


@pytest.mark.parametrize("rows", [1, 37, 2_500])
@pytest.mark.parametrize("periods", ["annual", "monthly"])
def test_payroll_has_exactly_the_requested_rows(rows: int, periods: str) -> None:
    data = generate(rows, seed=5, periods=periods)
    assert len(data.payroll) == rows
    record_id = data.payroll[P["record_id"]]
    # A repeated record_id is a verbatim copy of its row; the truth lists it once.
    repeated = record_id.duplicated(keep=False)
    assert len(data.payroll[repeated].drop_duplicates()) == record_id[repeated].nunique()
    assert list(data.truth_candidates["record_id"]) == list(record_id.drop_duplicates())


def test_insured_registry_is_larger_than_payroll_population(noisy: SyntheticData) -> None:
    payroll_people = noisy.truth_candidates["person_id"].nunique()
    assert 1.3 * payroll_people < len(noisy.insured) < 1.7 * payroll_people
    assert noisy.insured[I["si_code"]].is_unique


def test_registry_holds_one_record_per_person(noisy: SyntheticData) -> None:
    """All rows of a person link to the same record; other jobs link to it from elsewhere."""
    truth = noisy.truth_candidates.merge(noisy.truth_links, on="record_id")
    assert (truth.groupby("person_id")["si_code"].nunique() == 1).all()
    assert truth.groupby("si_code")["person_id"].nunique().max() == 1
    record_employer = compact(noisy.insured.set_index(I["si_code"])[I["employer_tax_code"]])
    at_record = truth["si_code"].map(record_employer) == truth["employer_tax_code"]
    elsewhere = truth["scenario"] == "insured_elsewhere"
    assert elsewhere.sum() > 100
    assert not at_record[elsewhere].any()
    assert at_record[truth["scenario"].isin(["insured_ok", "under_declared"])].all()


def test_people_work_for_one_to_three_employers(noisy: SyntheticData) -> None:
    """The validation set has 9.8 % of persons on two rows and 0.9 % on three."""
    truth = noisy.truth_candidates
    usable = truth[truth["disposition"] != "rejected"]
    employers = usable.groupby("person_id")["employer_tax_code"].nunique()
    assert 0.10 <= (employers >= 2).mean() <= 0.14
    assert 0.006 <= (employers >= 3).mean() <= 0.02
    # One personal tax code per person: their rows never disagree on it.
    rows = usable.join(
        noisy.payroll.drop_duplicates(P["record_id"]).set_index(P["record_id"]), on="record_id"
    )
    written = rows[rows[P["person_tax_code"]] != ""]
    assert (written.groupby("person_id")[P["person_tax_code"]].nunique() == 1).all()


def test_every_value_is_text_and_headers_are_vietnamese(noisy: SyntheticData) -> None:
    assert list(noisy.payroll.columns) == list(PAYROLL_HEADERS.values())
    assert list(noisy.insured.columns) == list(INSURED_HEADERS.values())
    for frame in (noisy.payroll, noisy.insured, noisy.businesses):
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_cccd_matches_sex_birth_year_and_province(noisy: SyntheticData) -> None:
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


def test_tax_codes_are_valid(noisy: SyntheticData) -> None:
    codes = compact(noisy.businesses["Mã số thuế"])
    assert codes.map(mst.is_valid).all()
    assert codes.is_unique
    roots = set(codes[codes.str.len() == 10])
    assert set(codes[codes.str.len() == 13].str[:10]) <= roots
    personal = noisy.persons.loc[noisy.persons["personal_tax_code"] != "", "personal_tax_code"]
    assert personal.map(mst.is_valid).all()
    written = noisy.payroll[P["person_tax_code"]]
    assert written[written.str.len() == 10].map(mst.is_valid).all()
    assert set(written[written.str.len() == 12]) <= set(noisy.persons["cccd"])
    truth = noisy.truth_candidates
    usable = truth["defect"] != "invalid_tax_code"
    payroll = noisy.payroll.drop_duplicates(P["record_id"]).reset_index(drop=True)
    employers = compact(payroll[P["employer_tax_code"]])
    assert employers[usable].map(mst.is_valid).all()
    assert not employers[~usable].map(mst.is_valid).any()
    assert (employers[usable] == truth.loc[usable, "employer_tax_code"]).all()


def test_mst_check_digit_agrees_with_stdnum() -> None:
    bodies = np.random.default_rng(0).integers(10**7, 10**9, size=2_000, dtype=np.int64)
    for body, check in zip(bodies.tolist(), mst_check_digit(bodies).tolist(), strict=True):
        assert mst.is_valid(f"{body:09d}{check}") == (check < 10)
        if check < 10:
            assert mst.calc_check_digit(f"{body:09d}") == str(check)


def test_administrative_units_are_real_and_consistent(noisy: SyntheticData) -> None:
    b = noisy.businesses
    for province, district, ward in b[["Mã tỉnh", "Mã huyện", "Mã xã"]].itertuples(index=False):
        d = District.from_code(DistrictCode(int(district)))
        assert int(d.province_code) == int(province)
        assert len(province) == 2
        assert len(district) == 3
        if ward:
            assert int(Ward.from_code(WardCode(int(ward))).district_code) == int(district)


def test_truth_covers_every_row_and_links_point_at_real_records(noisy: SyntheticData) -> None:
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
    listed_once = truth["reason"] != "duplicate_entry"  # their listed sibling tells
    assert (linked == covered)[listed_once].all()


def test_truth_is_clear_cut(noisy: SyntheticData) -> None:
    """Each scenario sits far from any rule's edge, so the truth cannot be disputed."""
    truth = noisy.truth_candidates.set_index("record_id")
    payroll = noisy.payroll.drop_duplicates(P["record_id"]).set_index(P["record_id"])
    rows = truth[(truth["defect"] == "") & (truth["reason"] != "duplicate_entry")].join(payroll)
    rows = rows.join(noisy.persons.set_index("person_id"), on="person_id")
    contract = rows[P["contract_months"]].astype(int)
    income = rows[P["monthly_income"]].astype(int)
    age = (pd.Timestamp("2026-01-01") - rows["birth_date"]).dt.days / 365.2425
    reason = rows["reason"]
    assert (contract[reason == "short_contract"] == 0).all()
    assert (contract[reason != "short_contract"] >= 1).all()
    old = (reason == "review") & (age >= 60)  # past retirement age: a pension? a clerk checks
    under_age = (reason == "review") & ~old  # else a contract at 13 or 14
    assert under_age.any()
    assert age[under_age].between(13, 14.01).all()
    assert (age[old & (rows["sex"] == "M")] >= 66).all()
    assert (age[old & (rows["sex"] == "F")] >= 63).all()
    working = ~under_age & ~old
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
    linked = linked.join(
        rows[["reason", "disposition", "employer_tax_code", "scenario"]], how="inner"
    )
    linked["income"] = income
    salary = linked[I["contribution_salary"]].astype(int)
    ok = linked["scenario"] == "insured_ok"
    elsewhere = linked["scenario"] == "insured_elsewhere"
    assert (linked.loc[ok | elsewhere, "disposition"] == "insured_ok").all()
    assert (linked.loc[elsewhere, I["status"]] == "Đang tham gia").all()
    assert (linked.loc[ok, I["status"]] == "Đang tham gia").all()
    assert (salary[ok] >= 5_310_000).all()
    assert (salary[ok] >= 0.6 * linked.loc[ok, "income"]).all()
    under = linked["reason"] == "under_declared"
    assert ((salary[under] < 3_700_000) | (salary[under] < 0.4 * linked.loc[under, "income"])).all()
    lapsed = linked["reason"] == "lapsed"
    assert not (linked.loc[lapsed, I["status"]] == "Đang tham gia").any()
    same_employer = compact(linked[I["employer_tax_code"]]) == linked["employer_tax_code"]
    assert same_employer[ok | under].all()


def test_scenario_mix_is_roughly_as_configured(noisy: SyntheticData) -> None:
    """SCENARIO_MIX is per person (their primary job); further jobs follow the registry."""
    truth = noisy.truth_candidates
    jobs = truth[truth["disposition"] != "rejected"]
    primary = jobs[jobs["scenario"] != "insured_elsewhere"].drop_duplicates("person_id")
    shares = primary["scenario"].value_counts(normalize=True)
    for scenario, share in SCENARIO_MIX.items():
        name = Scenario(scenario).name.lower()
        assert shares.get(name, 0.0) == pytest.approx(share, abs=0.03), name
    per_person = jobs.groupby("person_id")["scenario"].agg(lambda s: frozenset(s))  # type: ignore[type-var]  # stubs: agg returns no sets
    # A person's scenarios agree: uninsured and lapsed on every job, or insured at one.
    mixed = per_person[per_person.map(len) > 1]
    assert set(mixed.map(lambda s: "insured_elsewhere" in s)) == {True}
    assert mixed.map(lambda s: len(s - {"insured_elsewhere"}) == 1).all()


def test_names_look_vietnamese(noisy: SyntheticData) -> None:
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


def test_noise_rates_at_default_scale(noisy: SyntheticData) -> None:
    counts, n = noisy.noise_counts, len(noisy.payroll)
    expected = {
        "payroll.name_ascii_caps": 0.05,
        "payroll.name_ascii": 0.17,
        "payroll.name_upper": 0.21,
        "payroll.name_nfd": 0.05,
        "payroll.name_typo": 0.035,
        "payroll.name_dropped_middle": 0.04,
        "payroll.date_missing": 0.065,
        "payroll.date_placeholder": 0.02,
        "payroll.id_missing": 0.31,
        "payroll.duplicate": 0.01,
        "payroll.exact_duplicate": 0.003,
        "payroll.gender_missing": 0.21,
    }
    for key, rate in expected.items():
        assert counts[key] / n == pytest.approx(rate, rel=0.25), key
    assert counts["insured.id_missing"] / len(noisy.insured) == pytest.approx(0.105, rel=0.25)
    assert counts["payroll.period_iso"] == 0  # annual periods have one form
    truth = noisy.truth_candidates
    rejected = truth["disposition"] == "rejected"
    assert 1 <= rejected.sum() <= 20
    assert set(truth.loc[rejected, "reason"]) == {"no_identity"}
    assert counts["payroll.invalid_tax_code"] >= 1
    assert counts["payroll.invalid_number"] >= 1
    dupes = truth[~rejected].duplicated(["person_id", "employer_tax_code"])
    assert dupes.mean() == pytest.approx(0.01, abs=0.004)
    # one outreach entry per worker and employer: a declaration filed twice is listed once
    listed = truth[truth["disposition"] == "candidate"]
    assert not listed.duplicated(["person_id", "employer_tax_code"]).any()
    repeated = truth[truth["reason"] == "duplicate_entry"]
    assert len(repeated) > 0
    pairs = ["person_id", "employer_tax_code"]
    assert repeated.set_index(pairs).index.isin(listed.set_index(pairs).index).all()
    copies = noisy.payroll.duplicated()
    assert copies.sum() == counts["payroll.exact_duplicate"]
    assert (noisy.payroll[P["record_id"]].duplicated() == copies).all()


SHAPES = {
    "blank": lambda s: s == "",
    "nine_digits": lambda s: s.str.fullmatch(r"\d{9}"),
    "eleven_digits": lambda s: s.str.fullmatch(r"\d{11}"),
    "year_only": lambda s: s.str.fullmatch(r"\d{4}"),
    "iso": lambda s: s.str.fullmatch(r"\d{4}-\d\d-\d\d"),
    "letter": lambda s: s.isin(["M", "F"]),
    "ascii": lambda s: (s != "") & s.map(str.isascii),
    "upper": lambda s: (s != "") & (s == s.str.upper()),
    "nfd": lambda s: ~s.map(lambda v: unicodedata.is_normalized("NFC", v)),
    "padded": lambda s: s.str.contains(r"^\s|\s$|\s\s"),
    "separated": lambda s: s.str.contains(r"\d[.\s]\d"),
}


@pytest.mark.parametrize(
    ("source", "column", "shape", "validation"),
    [
        # Shares measured on the independent validation set; ours must be at least these.
        ("payroll", "person_tax_code", "blank", 0.233),
        ("payroll", "national_id", "blank", 0.298),
        ("payroll", "national_id", "nine_digits", 0.080),  # old CMND
        ("payroll", "national_id", "eleven_digits", 0.0177),  # CCCD that lost its zero
        ("payroll", "birth_date", "blank", 0.063),
        ("payroll", "birth_date", "year_only", 0.0887),
        ("payroll", "birth_date", "iso", 0.213),
        ("payroll", "gender", "blank", 0.197),
        ("payroll", "gender", "letter", 0.301),  # M / F instead of Nam / Nữ
        ("payroll", "full_name", "ascii", 0.202),  # no diacritics
        ("payroll", "full_name", "upper", 0.244),
        ("payroll", "full_name", "nfd", 0.040),
        ("payroll", "full_name", "padded", 0.019),
        ("payroll", "employer_tax_code", "nine_digits", 0.0098),  # MST that lost its zero
        ("payroll", "employer_tax_code", "separated", 0.077),  # 03.12.827.469, 0312 827 469
        ("insured", "national_id", "blank", 0.0999),
        ("insured", "national_id", "nine_digits", 0.0353),
        ("insured", "national_id", "eleven_digits", 0.0077),
        ("insured", "birth_date", "blank", 0.0199),
        ("insured", "birth_date", "year_only", 0.120),
        ("insured", "gender", "blank", 0.0498),
        ("insured", "full_name", "ascii", 0.218),
        ("insured", "full_name", "upper", 0.788),
        ("insured", "employer_tax_code", "nine_digits", 0.0106),
    ],
)
def test_noise_is_at_least_the_validation_sets(
    noisy: SyntheticData, source: str, column: str, shape: str, validation: float
) -> None:
    headers = PAYROLL_HEADERS if source == "payroll" else INSURED_HEADERS
    values = getattr(noisy, source)[headers[column]]
    # 3 % slack for sampling noise on 20,000 rows; the rates are set above the validation's.
    assert SHAPES[shape](values).mean() >= 0.97 * validation


def test_linked_pairs_agree_no_more_often_than_the_validation_sets(noisy: SyntheticData) -> None:
    """Exact ID agreement is the easy path: no more common than on the validation set."""
    payroll = noisy.payroll.drop_duplicates(P["record_id"]).set_index(P["record_id"])
    insured = noisy.insured.set_index(I["si_code"])
    pairs = noisy.truth_links.join(payroll, on="record_id").join(
        insured, on="si_code", rsuffix=" (insured)"
    )
    payroll_id, insured_id = pairs[P["national_id"]], pairs[I["national_id"]]
    same_id = (payroll_id != "") & (payroll_id == insured_id)
    assert same_id.mean() <= 0.51  # validation: 63 % of pairs carry both IDs, 81 % of those agree
    same_name = pairs[P["full_name"]] == pairs[I["full_name"]]
    assert same_name.mean() <= 0.21  # validation: 20.9 % written identically


def test_zero_noise_writes_clean_sources(clean: SyntheticData) -> None:
    assert all(v == 0 for v in clean.noise_counts.values())
    truth = clean.truth_candidates
    assert (truth["disposition"] != "rejected").all()
    rows = truth.join(clean.persons.set_index("person_id"), on="person_id")
    payroll = clean.payroll
    assert (payroll[P["full_name"]].to_numpy() == rows["full_name"].to_numpy()).all()
    assert (payroll[P["birth_date"]] == rows["birth_date"].dt.strftime("%d/%m/%Y").to_numpy()).all()
    assert (payroll[P["national_id"]].to_numpy() == rows["cccd"].to_numpy()).all()
    assert (payroll[P["period"]] == "2026").all()
    assert payroll[P["gender"]].isin(["Nam", "Nữ"]).all()
    codes = payroll[P["employer_tax_code"]]
    assert codes.str.fullmatch(r"\d{10}(-\d{3})?").all()
    keys = truth.assign(period=payroll[P["period"]].to_numpy())
    assert not keys.duplicated(["person_id", "employer_tax_code", "period"]).any()
    insured_names = clean.insured[I["full_name"]]
    assert insured_names.map(lambda s: unicodedata.is_normalized("NFC", s)).all()
    assert not insured_names.str.contains("  ").any()
    assert (clean.insured[I["birth_date"]] != "").all()
    assert clean.insured[I["gender"]].isin(["Nam", "Nữ"]).all()


def test_monthly_periods() -> None:
    """The monthly variant: 1-3 months per job, MM/YYYY or YYYY-MM, spelling kept per job."""
    data = generate(5_000, seed=8, periods="monthly")
    period = data.payroll[P["period"]]
    assert period.str.fullmatch(r"0[1-6]/2026|2026-0[1-6]").all()
    assert period.str.fullmatch(r"2026-0[1-6]").mean() == pytest.approx(0.2, abs=0.04)
    truth = data.truth_candidates
    usable = truth[truth["disposition"] != "rejected"]
    rows_per_job = usable.groupby(["person_id", "employer_tax_code"]).size()
    assert (rows_per_job >= 2).mean() > 0.5
    clean = generate(1_000, seed=8, noise=0.0, periods="monthly")
    assert clean.payroll[P["period"]].str.fullmatch(r"0[1-6]/2026").all()


@pytest.mark.parametrize(
    ("name", "as_telex", "as_ascii"),
    [
        ("Nguyễn Văn Hùng", "Nguyeenx Vawn Hungf", "NGUYEN VAN HUNG"),  # circumflex + tone
        ("Đặng Thị Ngọc", "Ddawngj Thij Ngocj", "DANG THI NGOC"),  # đ, breve, dot below
        ("Trương Thủy", "Truwowng Thuyr", "TRUONG THUY"),  # horn on two vowels, hook
    ],
)
def test_name_encodings(name: str, as_telex: str, as_ascii: str) -> None:
    assert telex(name) == as_telex
    assert ascii_caps(name) == as_ascii


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_write_sample(tmp_path: Path, fmt: str) -> None:
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
    ids = ids[ids.str.len() == 12]
    assert (ids.str.startswith("0")).mean() > 0.97  # leading zeros survive (typos aside)
    truth = pd.read_csv(paths["truth_candidates"], dtype=str, keep_default_na=False)
    assert list(truth.columns) == [
        "record_id",
        "person_id",
        "employer_tax_code",
        "disposition",
        "reason",
        "scenario",
        "defect",
    ]
    meta = json.loads(paths["meta"].read_text(encoding="utf-8"))
    assert meta["seed"] == 2
    assert meta["rows"]["payroll"] == 300
    assert meta["periods"] == "annual"
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["generator_version"])


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="payroll_rows"):
        generate(0, seed=1)
    with pytest.raises(ValueError, match="noise"):
        generate(10, seed=1, noise=-1)
    with pytest.raises(ValueError, match="fmt"):
        write_sample(tmp_path, payroll_rows=10, seed=1, fmt="json")
    with pytest.raises(ValueError, match="periods"):
        generate(10, seed=1, periods="weekly")


def test_first_row_of_every_entry_is_usable(noisy: SyntheticData) -> None:
    """Evaluation keeps the first row per (person, employer); it must not be a reject."""
    first = noisy.truth_candidates.groupby(["person_id", "employer_tax_code"]).first()
    assert (first["disposition"] != "rejected").all()
