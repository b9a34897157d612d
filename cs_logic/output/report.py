"""A self-contained, printable HTML report: inline SVG charts, escaped tables, a methodology appendix."""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
from altair.utils.schemapi import SchemaValidationError

from cs_logic.core.escape import show_controls
from cs_logic.output.exports import chart_svg

MAX_TABLE_ROWS = 500
# Anything in a chart's SVG that could run code or fetch a resource (xmlns namespaces are fine).
_UNSAFE_SVG = re.compile(r"<script|<foreignobject|\bon\w+\s*=|(?:href|src)\s*=\s*[\"'](?!#)", re.IGNORECASE)

CSS = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Tahoma, sans-serif;
       font-size: 16px; line-height: 1.45; color: #111; background: #fff; max-width: 1280px;
       margin: 0 auto; padding: 24px 32px; }
h1 { font-size: 30px; margin: 0 0 4px; } h2 { font-size: 24px; margin: 28px 0 8px; border-bottom: 2px solid #333; }
h3 { font-size: 18px; margin: 16px 0 6px; }
.meta { color: #555; font-size: 14px; }
figure { margin: 12px 0; break-inside: avoid; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 14px; break-inside: auto; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border-bottom: 1px solid #bbb; padding: 4px 10px; text-align: start; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 10px; font-size: 13px; }
.note { color: #555; font-style: italic; }
@media print { body { padding: 0; max-width: none; } section { break-before: page; }
  section:first-of-type { break-before: auto; } }
"""


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading, paragraphs of plain text, charts and tables (all escaped)."""

    heading: str
    paragraphs: Sequence[str] = ()
    charts: Sequence[alt.TopLevelMixin] = ()
    tables: Sequence[pd.DataFrame] = field(default_factory=tuple)


def _cell(value: Any) -> tuple[str, bool]:
    """(escaped text, is a number) for one table cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip("."), True
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return html.escape(value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()), False
    return _text(value), False


def _text(value: Any) -> str:
    """Text from a file for the report: bidirectional controls shown as their codes (U+202E in a name made
    "gnp.exe" read as "exe.png"), then HTML-escaped."""
    return html.escape(show_controls(str(value)))


def table_html(df: pd.DataFrame, max_rows: int = MAX_TABLE_ROWS) -> str:
    """A DataFrame as an HTML table with every header and cell escaped; long tables are cut with a note.

    >>> table_html(pd.DataFrame({"c": ["<b>"]}))
    '<table><thead><tr><th>c</th></tr></thead><tbody><tr><td dir="auto">&lt;b&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{_text(c)}</th>" for c in df.columns)
    rows = []
    for record in df.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for value in record:
            text, numeric = _cell(value.item() if hasattr(value, "item") and not isinstance(value, str) else value)
            cells.append(f'<td class="num">{text}</td>' if numeric else f'<td dir="auto">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">First {max_rows:,} of {len(df):,} rows.</p>' if len(df) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def _prefix_ids(svg: str, prefix: str) -> str:
    """Give the SVG's ids (clip paths, gradients) a prefix, so several charts on one page do not share them."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


def chart_html(chart: alt.TopLevelMixin, prefix: str = "c0-") -> str:
    """The chart as inline SVG in a figure; a note instead when it cannot be drawn safely offline.

    ``prefix`` makes the SVG's internal ids unique within the page."""
    try:
        svg = chart_svg(chart)
    except (ValueError, SchemaValidationError) as exc:  # vl-convert and chart_spec raise ValueError; altair its own
        return f'<p class="note">Chart not included: {html.escape(str(exc)[:200])}</p>'
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg.strip())
    if not svg.startswith("<svg") or _UNSAFE_SVG.search(svg):
        return '<p class="note">Chart not included: its drawing referred to outside content.</p>'
    return f"<figure>{_prefix_ids(svg, prefix)}</figure>"


def _section_html(section: Section, number: int) -> str:
    parts = [f"<section><h2>{_text(section.heading)}</h2>"]
    parts += [f'<p dir="auto">{_text(p)}</p>' for p in section.paragraphs]
    parts += [chart_html(c, f"s{number}c{i}-") for i, c in enumerate(section.charts)]
    parts += [table_html(t) for t in section.tables]
    return "".join(parts) + "</section>"


def _pre(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"


def methodology_html(settings: Mapping[str, Any], definitions: Mapping[str, str]) -> str:
    """The appendix: column mapping per table, the scorecard as JSON, the definitions used, other settings.

    ``settings["mapping"]`` is ``{table: {canonical field: column in the file}}``; ``settings["scorecard"]``
    the scorecard dict (METRICS.md file format); any other keys are shown as JSON.

    >>> "tenure" in methodology_html({"mapping": {"accounts": {"tenure": "Tenure (m)"}}}, {})
    True
    """
    parts = ["<section><h2>Methodology</h2>"]
    for table, mapping in dict(settings.get("mapping") or {}).items():
        frame = pd.DataFrame(list(dict(mapping).items()), columns=["Field", "Column in the file"])
        parts.append(f"<h3>Columns used: {html.escape(str(table))}</h3>{table_html(frame)}")
    if settings.get("scorecard") is not None:
        parts.append(f"<h3>Scorecard</h3>{_pre(settings['scorecard'])}")
    if definitions:
        items = "".join(f"<dt><strong>{html.escape(str(k))}</strong></dt><dd>{html.escape(str(v))}</dd>"
                        for k, v in definitions.items())
        parts.append(f"<h3>Definitions used</h3><dl>{items}</dl>")
    rest = {k: v for k, v in settings.items() if k not in ("mapping", "scorecard")}
    if rest:
        parts.append(f"<h3>Other settings</h3>{_pre(rest)}")
    return "".join(parts) + "</section>"


def html_report(
    title: str,
    sections: Sequence[Section],
    settings: Mapping[str, Any] | None = None,
    definitions: Mapping[str, str] | None = None,
    generated: str | None = None,
) -> str:
    """A complete HTML document: no scripts, nothing fetched, text escaped, printable in landscape.

    ``generated`` is a caption such as the as-of date (no hidden clock). The methodology appendix
    is added when ``settings`` or ``definitions`` are given.

    >>> page = html_report("Q3 <review>", [Section("Funnel", ["Win rate 63%."])])
    >>> "<script" in page, "Q3 &lt;review&gt;" in page
    (False, True)
    """
    body = [f"<h1>{html.escape(title)}</h1>"]
    if generated:
        body.append(f'<p class="meta">{html.escape(generated)}</p>')
    body += [_section_html(s, i) for i, s in enumerate(sections)]
    if settings or definitions:
        body.append(methodology_html(settings or {}, definitions or {}))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
