"""Charts of a run for analysts: small tables in, PNG bytes out, drawn with matplotlib's Agg.

matplotlib is the optional ``charts`` extra, imported only when a chart is drawn; without it
``require`` raises a ConfigError with the install hint. No pyplot: each chart is a
``Figure`` on its own Agg canvas, so nothing global changes and no window opens. Text is set
in DejaVu Sans, shipped with matplotlib, which has every Vietnamese glyph (a font without
them would draw boxes and warn "Glyph ... missing"). A PNG carries ``Software: linkage`` in
its metadata (instead of matplotlib's name and web address), which is how linkage later
knows a file is its own.
"""

from __future__ import annotations

import io
import math
import struct
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Final

import pandas as pd

from linkage.errors import ConfigError
from linkage.write.files import SOFTWARE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = [
    "INSTALL_HINT",
    "SOFTWARE",
    "Waterfall",
    "available",
    "bars",
    "m_u_levels",
    "png_size",
    "png_software",
    "precision_recall",
    "require",
    "waterfall",
    "weight_histogram",
    "weight_of",
]

INSTALL_HINT: Final = "pip install 'linkage[charts]'"
_DPI: Final = 100
_STYLE: Final = {
    "font.family": ["DejaVu Sans"],  # Vietnamese glyphs; shipped with matplotlib
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
_FOR, _AGAINST, _NEUTRAL, _TOTAL = "#2e7d32", "#c62828", "#757575", "#1565c0"
_REVIEW_LINE, _MATCH_LINE = "#ef6c00", "#6a1b9a"
_PALETTE: Final = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#757575")
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def require() -> ModuleType:
    """matplotlib, imported on first use.

    Raises:
        ConfigError: the ``charts`` extra is not installed.
    """
    try:
        import matplotlib
    except ImportError as e:
        msg = f"charts need matplotlib, which is not installed: {INSTALL_HINT}"
        raise ConfigError(msg) from e
    return matplotlib


def available() -> bool:
    """True when matplotlib can be imported."""
    try:
        require()
    except ConfigError:
        return False
    return True


def weight_of(probability: float) -> float:
    """The match weight (log2 odds) at which a pair reaches ``probability``."""
    return math.log2(probability / (1.0 - probability))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's IHDR chunk.

    Raises:
        ValueError: ``data`` is not a PNG.
    """
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        msg = "not a PNG image"
        raise ValueError(msg)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def png_software(data: bytes) -> str | None:
    """The PNG's tEXt ``Software`` value (None when absent or not a PNG)."""
    if data[:8] != _PNG_SIGNATURE:
        return None
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"tEXt" and body.startswith(b"Software\x00"):
            return body.split(b"\x00", 1)[1].decode("latin-1")
        if kind in (b"IDAT", b"IEND"):  # matplotlib writes text chunks before the image
            return None
        position += 12 + length
    return None


def _text(value: object) -> str:
    """Labels in NFC: decomposed marks would be drawn as separate, misplaced glyphs."""
    return unicodedata.normalize("NFC", str(value))


def _wrapped(label: str, width: int = 14) -> str:
    """A tick label in lines of about ``width`` characters, breaking at underscores too."""
    return "\n".join(
        textwrap.fill(_text(part).replace("_", " "), width) for part in label.split("\n")
    )


def _draw(width: float, height: float, paint: Callable[[Figure], None]) -> bytes:
    """Render ``paint``'s figure of ``width`` x ``height`` inches as PNG bytes."""
    matplotlib = require()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
        FigureCanvasAgg(figure)
        paint(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": SOFTWARE})
    return buffer.getvalue()


def _threshold_lines(axes: Axes, review_weight: float, match_weight: float) -> None:
    axes.axvline(review_weight, color=_REVIEW_LINE, linestyle="--", linewidth=1.2)
    axes.axvline(match_weight, color=_MATCH_LINE, linestyle="--", linewidth=1.2)


@dataclass(frozen=True)
class Waterfall:
    """One payroll row against one candidate: the prior, then each comparison's weight."""

    title: str
    prior: float
    steps: tuple[tuple[str, float], ...]  # (label, weight) per comparison, in model order
    review_weight: float
    match_weight: float

    @property
    def total(self) -> float:
        """The match weight: prior plus every comparison's weight."""
        return self.prior + sum(weight for _, weight in self.steps)


def waterfall(chart: Waterfall) -> bytes:
    """Bars that climb from the prior by each comparison's weight to the total."""

    def paint(figure: Figure) -> None:
        axes = figure.add_subplot()
        labels = ["prior", *(_wrapped(label) for label, _ in chart.steps), "total"]
        bottoms, heights, colors = [0.0], [chart.prior], [_NEUTRAL]
        running = chart.prior
        for _, weight in chart.steps:
            bottoms.append(running)
            heights.append(weight)
            colors.append(_FOR if weight >= 0 else _AGAINST)
            running += weight
        bottoms.append(0.0)
        heights.append(chart.total)
        colors.append(_TOTAL)
        positions = range(len(labels))
        axes.bar(positions, heights, bottom=bottoms, color=colors, width=0.6)
        for x, bottom, height in zip(positions, bottoms, heights, strict=True):
            end = bottom + height  # the label sits past the bar's end, the way it points
            axes.annotate(
                f"{height:+.2f}",
                (x, end),
                xytext=(0, 3 if height >= 0 else -3),
                textcoords="offset points",
                ha="center",
                va="bottom" if height >= 0 else "top",
                fontsize=9,
            )
            if x < len(labels) - 1:  # a dotted step to where the next bar starts
                axes.plot([x + 0.3, x + 0.7], [end, end], color=_NEUTRAL, linestyle=":")
        ends = [b + h for b, h in zip(bottoms, heights, strict=True)]
        low = min(0.0, *ends, *bottoms, chart.review_weight, chart.match_weight)
        high = max(0.0, *ends, *bottoms, chart.review_weight, chart.match_weight)
        pad = 0.12 * (high - low or 1.0)  # room for the labels past the bars' ends
        axes.set_ylim(low - pad, high + pad)
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.axhline(chart.review_weight, color=_REVIEW_LINE, linestyle="--", linewidth=1.2)
        axes.axhline(chart.match_weight, color=_MATCH_LINE, linestyle="--", linewidth=1.2)
        axes.set_xticks(list(positions), labels, fontsize=9)
        axes.set_ylabel("match weight (log2 odds)")
        axes.set_title(_text(chart.title))
        axes.legend(
            handles=_line_handles(chart.review_weight, chart.match_weight),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )

    return _draw(max(8.0, 1.3 * (len(chart.steps) + 2)), 5.0, paint)


def _line_handles(review_weight: float, match_weight: float) -> list[Line2D]:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], color=_REVIEW_LINE, linestyle="--", label=f"review at {review_weight:+.2f}"),
        Line2D([], [], color=_MATCH_LINE, linestyle="--", label=f"match at {match_weight:+.2f}"),
    ]


def weight_histogram(counts: pd.DataFrame, *, review_weight: float, match_weight: float) -> bytes:
    """Links per match-weight bin, one outlined histogram per method, with the thresholds.

    Methods are overlaid, not stacked: on the log count scale a stack would misstate them.

    Args:
        counts: ``bin_start``, ``bin_end``, then one column of counts per link method.
        review_weight: weight of the review threshold.
        match_weight: weight of the match threshold.
    """

    def paint(figure: Figure) -> None:
        axes = figure.add_subplot()
        edges = [*counts["bin_start"], counts["bin_end"].iloc[-1]]
        methods = [c for c in counts.columns if c not in ("bin_start", "bin_end")]
        for method, color in zip(methods, _PALETTE, strict=False):
            values = counts[method].to_numpy()
            axes.stairs(values, edges, fill=True, color=color, alpha=0.25)
            axes.stairs(values, edges, color=color, linewidth=1.5, label=_text(method))
        _threshold_lines(axes, review_weight, match_weight)
        axes.set_yscale("symlog", linthresh=10)  # thin tails stay visible beside the peaks
        axes.set_ylim(bottom=0)
        axes.set_xlabel("match weight (log2 odds)")
        axes.set_ylabel("links per bin (log scale above 10)")
        axes.set_title("Best link per payroll row, by match weight and method")
        handles = [*axes.get_legend_handles_labels()[0]]
        axes.legend(
            handles=[*handles, *_line_handles(review_weight, match_weight)],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )

    return _draw(10.0, 4.5, paint)


def m_u_levels(levels: pd.DataFrame) -> bytes:
    """Per comparison, m and u of every level on a log scale, the weight log2(m/u) beside.

    One axes for every comparison (a heading row above each one's levels): a grid of
    log-scaled subplots drew four times slower.

    Args:
        levels: ``comparison``, ``level`` (name), ``m``, ``u``, ``term_frequency`` (u is
            an average over values: marked "tf"), in model order, weakest level first.
    """
    labels: list[str] = []
    headings: list[bool] = []
    bars: list[tuple[int, float, float]] = []  # row, m, u
    for name, group in levels.groupby("comparison", sort=False):
        labels.append(_text(name))
        headings.append(True)
        for level, m, u, tf in zip(
            group["level"], group["m"], group["u"], group["term_frequency"], strict=True
        ):
            bars.append((len(labels), float(m), float(u)))
            labels.append(f"{_text(level)} (tf)" if tf else _text(level))
            headings.append(False)
    top = len(labels) - 1  # row k is drawn at y = top - k: the first row on top

    def paint(figure: Figure) -> None:
        from matplotlib.ticker import NullLocator

        axes = figure.add_subplot()
        at = [top - row for row, _, _ in bars]
        axes.barh([y + 0.2 for y in at], [m for _, m, _ in bars], height=0.4, color=_FOR, label="m")
        axes.barh(
            [y - 0.2 for y in at], [u for _, _, u in bars], height=0.4, color=_NEUTRAL, label="u"
        )
        for y, (_, m, u) in zip(at, bars, strict=True):
            axes.annotate(
                f"{math.log2(max(m, 1e-12) / max(u, 1e-12)):+.1f}",
                (1.5, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                annotation_clip=False,
            )
        axes.set_xscale("log")
        axes.set_xlim(1e-7, 1.5)
        axes.xaxis.set_minor_locator(NullLocator())
        axes.set_ylim(-0.7, top + 0.7)
        axes.set_yticks([top - row for row in range(len(labels))], labels, fontsize=8)
        for row, (tick, heading) in enumerate(zip(axes.get_yticklabels(), headings, strict=True)):
            if heading:
                tick.set_fontweight("bold")
                tick.set_fontsize(10)
                if row:
                    axes.axhline(top - row + 0.5, color=_NEUTRAL, linewidth=0.8)
        axes.grid(axis="y", visible=False)
        axes.legend(loc="upper left", bbox_to_anchor=(1.06, 1.0))
        axes.set_xlabel("probability (log scale); weight log2(m/u) at right")
        axes.set_title("m and u per comparison level")

    return _draw(10.0, 1.0 + 0.22 * len(labels), paint)


def precision_recall(
    curve: pd.DataFrame,
    *,
    marks: Mapping[str, tuple[float, float]],
    review_weight: float,
    match_weight: float,
) -> bytes:
    """Left: precision against recall near the run's point. Right: F1 over the threshold.

    Args:
        curve: ``match_weight`` (threshold), ``recall``, ``precision``, ``f1``, one row
            per threshold.
        marks: label -> (recall, precision) of points to mark (the thresholds, the run).
        review_weight: weight of the review threshold.
        match_weight: weight of the match threshold.
    """
    # Zoom where the thresholds act: the curve's long flat start says little.
    low_recall = max(0.0, min(recall for recall, _ in marks.values()) - 0.1)
    shown = curve[curve["recall"] >= low_recall]
    lowest = shown["match_weight"].min()
    window = curve[curve["match_weight"] <= match_weight + 20.0]

    def paint(figure: Figure) -> None:
        left, right = figure.subplots(1, 2)
        left.plot(shown["recall"], shown["precision"], color=_TOTAL, linewidth=1.5)
        for (label, (recall, precision)), color in zip(
            marks.items(), (_REVIEW_LINE, _MATCH_LINE, _FOR), strict=False
        ):
            left.plot([recall], [precision], "o", color=color, label=_text(label))
        left.set_xlabel("recall (share of true links found)")
        left.set_ylabel("precision (share of links that are true)")
        left.set_title("Precision against recall")
        left.legend(loc="lower left")
        right.plot(window["match_weight"], window["f1"], color=_TOTAL, linewidth=1.5)
        _threshold_lines(right, review_weight, match_weight)
        right.set_xlim(min(lowest, review_weight) - 1.0, match_weight + 20.0)
        right.set_xlabel("accept links at or above this match weight")
        right.set_ylabel("F1")
        right.set_title("F1 over the threshold")
        right.legend(handles=_line_handles(review_weight, match_weight), loc="lower left")

    return _draw(11.0, 4.8, paint)


def bars(counts: pd.DataFrame, *, title: str, xlabel: str) -> bytes:
    """Horizontal bars, largest on top, stacked by column (one colour per column).

    Args:
        counts: index = bar labels (first drawn on top), columns = stacked categories.
        title: chart title.
        xlabel: what the counts are.
    """
    labels: Sequence[str] = [_text(label) for label in counts.index]

    def paint(figure: Figure) -> None:
        axes = figure.add_subplot()
        y = list(range(len(labels)))[::-1]
        left = pd.Series(0, index=counts.index)
        for category, color in zip(counts.columns, _PALETTE, strict=False):
            axes.barh(
                y,
                counts[category].to_numpy(),
                left=left.to_numpy(),
                color=color,
                label=_text(category),
            )
            left = left + counts[category]
        for position, total in zip(y, left, strict=True):
            axes.annotate(
                f"{int(total):,}",
                (float(total), position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        axes.set_yticks(y, labels, fontsize=9)
        axes.set_xlabel(_text(xlabel))
        axes.set_title(_text(title))
        axes.grid(axis="y", visible=False)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))

    return _draw(10.0, max(2.2, 1.4 + 0.28 * len(labels)), paint)
