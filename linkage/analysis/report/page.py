"""One offline HTML page of sections (caption, PNG, data table), and owner-only files.

The page is self-contained: charts are base64 ``data:`` URIs, the style sheet is inline, and
no address outside the file appears in it, so it opens the same on a machine with no
network. Files are written as the pipeline publishes outputs: a temporary file beside the
target, owner-only (0600), fsynced, then renamed over it; an existing file is replaced only
when linkage wrote it (an HTML page with linkage's ``generator`` meta, or a PNG whose
``Software`` is linkage).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from linkage._version import __version__
from linkage.analysis.charts import SOFTWARE, png_size, png_software
from linkage.errors import ConfigError
from linkage.write.files import is_linkage_page, owned_file

GENERATOR: Final = f'<meta name="generator" content="{SOFTWARE} {__version__}">'
_STYLE: Final = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; margin: 2em auto;
       max-width: 1000px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.caption { background: #f5f5f5; padding: 0.6em 0.9em; border-left: 4px solid #1565c0; }
.note { color: #8a4b00; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: right; }
th { background: #eee; } td.text { text-align: left; }
img { max-width: 100%; height: auto; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
"""


@dataclass(frozen=True)
class Section:
    """One chart of the page: a heading, what to look at, the PNG, and its numbers."""

    anchor: str
    heading: str
    caption: str
    png: bytes | None = None
    alt: str = ""
    table: pd.DataFrame | None = None
    note: str | None = None  # why there is no chart, or a caveat


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3e}"
        return f"{value:.6g}"  # 0.99998 stays itself, not a rounded 1
    return html.escape(str(value))


def table_html(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table: text left, numbers right, every value escaped."""
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            item = value.item() if hasattr(value, "item") else value  # numpy scalars
            kind = ' class="text"' if isinstance(item, str) else ""
            cells.append(f"<td{kind}>{_cell(item)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _image(png: bytes, alt: str) -> str:
    width, height = png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
        f'alt="{html.escape(alt)}">'
    )


def _section(section: Section) -> str:
    parts = [
        f'<section id="{section.anchor}">',
        f"<h2>{html.escape(section.heading)}</h2>",
        f'<p class="caption">{html.escape(section.caption)}</p>',
    ]
    if section.note:
        parts.append(f'<p class="note">{html.escape(section.note)}</p>')
    if section.png is not None:
        parts.append(_image(section.png, section.alt or section.heading))
    if section.table is not None and not section.table.empty:
        parts.append(f"<details open><summary>The numbers</summary>{table_html(section.table)}")
        parts.append("</details>")
    parts.append("</section>")
    return "\n".join(parts)


def page(
    title: str, facts: Mapping[str, str], sections: Sequence[Section], *, run_id: str = ""
) -> bytes:
    """The whole HTML document, UTF-8."""
    listed = "".join(
        f"<dt>{html.escape(key)}</dt><dd>{html.escape(value)}</dd>" for key, value in facts.items()
    )
    contents = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.heading)}</a></li>' for s in sections
    )
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            GENERATOR,
            f'<meta name="linkage-run" content="{html.escape(run_id)}">',
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<dl class="facts">{listed}</dl>' if listed else "",
            f"<ul>{contents}</ul>" if len(sections) > 1 else "",
            *(_section(section) for section in sections),
            "</body></html>",
        ]
    )
    return document.encode("utf-8")


def written_by_linkage(path: Path) -> bool:
    """True when the file at ``path`` is a page or chart linkage wrote."""
    if path.suffix != ".png":
        return is_linkage_page(path)
    try:
        with path.open("rb") as handle:
            return png_software(handle.read(4096)) == SOFTWARE
    except OSError:
        return False


def check_target(path: Path, option: str, suffixes: tuple[str, ...]) -> None:
    """Refuse a target of another kind, or an existing file linkage did not write.

    Raises:
        ConfigError: naming the option, the path and what to give instead.
    """
    if path.suffix.lower() not in suffixes:
        msg = f"{option} {path}: give a file ending in {' or '.join(suffixes)}"
        raise ConfigError(msg)
    if path.is_dir() or ((path.exists() or path.is_symlink()) and not written_by_linkage(path)):
        msg = (
            f"{option} {path}: exists and was not written by linkage; linkage never replaces "
            "files it did not write. Give a new file"
        )
        raise ConfigError(msg)
    if not path.parent.is_dir():
        msg = f"{option} {path}: the folder {path.parent} does not exist"
        raise ConfigError(msg)


def write_owned(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` owner-only and atomically (temp file, fsync, rename).

    Raises:
        ConfigError: the file cannot be written there (the previous one is left as it was).
    """
    try:
        with owned_file(path) as temporary:
            temporary.write_bytes(data)
    except OSError as e:
        msg = f"{path}: cannot write ({e.strerror}); the previous file, if any, is unchanged"
        raise ConfigError(msg) from e
