"""Charts drawn for real from a small generated run: PNG bytes, pixel sizes, Vietnamese text."""

from __future__ import annotations

import io
import json
import sys
import unicodedata
import warnings
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from linkage.analysis import charts
from linkage.analysis.report.series import (
    district_sizes,
    model_levels,
    precision_recall,
    reject_counts,
    truth_pairs,
    weight_bins,
)
from linkage.errors import ConfigError
from linkage.load.labels import read_labels
from linkage.privacy import mask_id
from tests.helpers import assert_png, sample_run

VIETNAMESE = "Nguyễn Thị Hường, Đà Nẵng, Quận Hải Châu"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Path]:
    root = tmp_path_factory.mktemp("charts")
    inputs, out = sample_run(root, rows=500, seed=43)
    return inputs, out


def test_weight_histogram(run: tuple[dict[str, Path], Path]) -> None:
    _, out = run
    links = pd.read_parquet(out / "links.parquet")
    bins = weight_bins(links)
    # every link in exactly one bin of width 2, per method and in total
    assert int(bins["total"].sum()) == len(links)
    assert ((bins["bin_end"] - bins["bin_start"]) == 2.0).all()
    for method, count in links["method"].astype(str).value_counts().items():
        assert int(bins[method].sum()) == count
    png = charts.weight_histogram(
        bins.drop(columns=["total"]), review_weight=-2.0, match_weight=0.0
    )
    assert_png(png, (1000, 450))


def test_m_u_levels(run: tuple[dict[str, Path], Path]) -> None:
    _, out = run
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    levels = model_levels(model)
    assert len(levels) == sum(len(c["levels"]) for c in model["comparisons"])
    assert np.allclose(levels["weight"], np.log2(levels["m"] / levels["u"]))
    rows = len(levels) + len(model["comparisons"])  # a heading row per comparison
    assert_png(charts.m_u_levels(levels), (1000, round(100 * (1.0 + 0.22 * rows))))


def test_precision_recall(run: tuple[dict[str, Path], Path]) -> None:
    inputs, out = run
    links = pd.read_parquet(out / "links.parquet")
    truth = truth_pairs(read_labels(inputs["truth_links"]), masked=True)
    result = precision_recall(links, truth, thresholds=[-2.0, 0.0, 10.0])
    marks = {
        "review threshold": (result.table["recall"][0], result.table["precision"][0]),
        "the run's links": (result.run_point[1], result.run_point[0]),
    }
    png = charts.precision_recall(result.curve, marks=marks, review_weight=-2.0, match_weight=0.0)
    assert_png(png, (1100, 480))
    assert result.run_point[0] > 0.95  # precision of the match band on generated data


def test_district_and_reject_bars_draw_real_vietnamese_names(
    run: tuple[dict[str, Path], Path],
) -> None:
    _, out = run
    candidates = pd.read_parquet(out / "candidates")
    sizes, districts = district_sizes(candidates, top=5)
    assert len(sizes) == min(5, districts)
    assert sizes["total"].is_monotonic_decreasing
    assert int(sizes["total"].iloc[0]) == candidates.groupby("district_code").size().max()
    named = sizes.set_axis(sizes["district_name"]).drop(
        columns=["province_code", "district_code", "district_name", "total"]
    )
    assert_png(charts.bars(named, title=VIETNAMESE, xlabel="candidates"), (1000, 280))
    rejects = reject_counts(pd.DataFrame({"source": ["payroll"] * 3, "reason": ["a", "a", "b"]}))
    assert rejects.to_dict("list") == {"reason": ["a", "b"], "payroll": [2, 1], "total": [2, 1]}
    assert_png(charts.bars(rejects.set_index("reason"), title="r", xlabel="rows"), (1000, 220))


@pytest.mark.parametrize(
    "title",
    [
        VIETNAMESE,  # precomposed (NFC), as names are after loading
        unicodedata.normalize("NFD", VIETNAMESE),  # decomposed: drawn after NFC
        "ĐẶNG VĂN ĐỨC / Huyện Bắc Tân Uyên",  # capitals and đ/Đ
    ],
)
def test_vietnamese_text_has_every_glyph(title: str) -> None:
    chart = charts.Waterfall(
        title=title,
        prior=-16.0,
        steps=(("full_name\nexact", 12.0), ("birth_date\ndifferent", -8.8)),
        review_weight=-2.0,
        match_weight=0.0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.waterfall(chart)
    assert not [w for w in caught if "Glyph" in str(w.message)], caught
    assert_png(png, (800, 500))


def test_a_font_without_vietnamese_would_be_caught() -> None:
    # The control for the test above: the same title in Computer Modern warns, so a
    # missing glyph cannot pass unseen (filterwarnings=error turns it into a failure).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["cmr10"]}):
        figure = Figure()
        FigureCanvasAgg(figure)
        figure.suptitle(VIETNAMESE)
        with pytest.warns(UserWarning, match="Glyph .* missing"):
            figure.savefig(io.BytesIO(), format="png")


def test_truth_pairs_mask_citizen_id_codes_as_the_run_does(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    pd.DataFrame(
        {
            "record_id": ["R1", "R2", "R3"],
            "si_code": ["079123456789", "0123456789", "0123456780"],
            "label": ["match", "match", "non-match"],
        }
    ).to_csv(path, index=False)
    labels = read_labels(path)
    assert truth_pairs(labels, masked=True) == {
        ("R1", mask_id("079123456789")),
        ("R2", "0123456789"),
    }
    assert truth_pairs(labels, masked=False) == {("R1", "079123456789"), ("R2", "0123456789")}


def test_precision_recall_against_a_plain_loop() -> None:
    rng = np.random.default_rng(5)
    links = pd.DataFrame(
        {
            "record_id": [f"R{k}" for k in range(200)],
            "si_code": [f"S{k}" for k in range(200)],
            "match_weight": rng.integers(-5, 30, 200).astype(float),  # ties on purpose
            "band": rng.choice(["match", "review"], 200),
        }
    )
    truth = {(f"R{k}", f"S{k}") for k in range(0, 200, 3)} | {("R999", "S999")}
    thresholds = [-6.0, -2.0, 0.0, 7.0, 29.0, 31.0]
    table = precision_recall(links, truth, thresholds=thresholds).table
    for threshold, row in zip(thresholds, table.to_dict("records"), strict=True):
        kept = [
            (r, s)
            for r, s, w in links[["record_id", "si_code", "match_weight"]].itertuples(index=False)
            if w >= threshold
        ]
        found = sum(pair in truth for pair in kept)
        assert row["links"] == len(kept)
        assert row["true_links"] == found
        assert row["recall"] == pytest.approx(found / len(truth))
        assert row["precision"] == pytest.approx(found / len(kept) if kept else 0.0)


def test_png_size_refuses_other_bytes() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        charts.png_size(b"GIF89a" + bytes(30))
    assert charts.png_software(b"<html>") is None


def test_missing_matplotlib_is_a_config_error_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ConfigError, match=r"pip install 'linkage\[charts\]'"):
        charts.require()
    assert not charts.available()
