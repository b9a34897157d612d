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

# Printed on the reader's paper (A4 or Letter, portrait): no fixed @page size, and a layout that fits the
# narrower and shorter of the two (Letter: 216 x 279 mm; A4: 210 x 297 mm) inside 12 mm margins.
CSS = """
@page { size: auto; margin: 12mm 12mm 14mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Tahoma, sans-serif;
       font-size: 15px; line-height: 1.4; color: #111; background: #fff; max-width: 980px;
       margin: 0 auto; padding: 24px 32px; }
h1 { font-size: 26px; margin: 0 0 2px; } h2 { font-size: 19px; margin: 22px 0 6px; border-bottom: 2px solid #333; }
h3 { font-size: 15px; margin: 12px 0 4px; }
.meta { color: #555; font-size: 13px; margin: 0 0 6px; }
figure { margin: 8px 0; break-inside: avoid; } figure svg { width: 100%; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; break-inside: auto; width: 100%; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border-bottom: 1px solid #bbb; padding: 3px 8px; text-align: start; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
ul.summary { margin: 4px 0 8px; padding-inline-start: 20px; } ul.summary li { margin: 2px 0; }
td.status { font-weight: 600; white-space: nowrap; text-align: center; }
td.ahead { background: #d8f0d8; color: #145214; } td.behind { background: #f8d7d7; color: #7a1010; }
td.on-target { background: #e3ecf8; color: #123a6b; } td.no-target { color: #777; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 10px; font-size: 12px; }
dl.defs dt { font-weight: 600; margin-top: 4px; } dl.defs dd { margin: 0 0 2px 14px; }
.appendix { font-size: 12px; } .appendix table { font-size: 11px; }
.note { color: #555; font-style: italic; }
@media print { body { padding: 0; max-width: none; font-size: 11.5px; } h1 { font-size: 20px; }
  h2 { font-size: 15px; margin: 12px 0 4px; } table { font-size: 10.5px; } th, td { padding: 2px 6px; }
  figure svg { max-height: 70mm; } section.appendix { font-size: 10px; }
  .appendix table { font-size: 9.5px; } td.status { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading, paragraphs of plain text, charts and tables (all escaped)."""

    heading: str
    paragraphs: Sequence[str] = ()
    charts: Sequence[alt.TopLevelMixin] = ()
    tables: Sequence[pd.DataFrame] = field(default_factory=tuple)
    bullets: Sequence[str] = ()
    status_tables: Sequence[StatusTable] = ()


@dataclass(frozen=True)
class StatusTable:
    """A table of text cells already formatted, with a status per row ("ahead", "behind", "on target" or
    None) that colours its ``Status`` cell; ``numeric`` names the columns aligned right; ``values`` the raw
    number behind a column's cells (written as data-value, so a reader or a test can compare exactly)."""

    frame: pd.DataFrame
    status: Sequence[str | None]
    numeric: Sequence[str] = ()
    values: Mapping[str, Sequence[float | None]] = field(default_factory=dict)
    css_class: str = ""


def status_table_html(t: StatusTable) -> str:
    """A :class:`StatusTable` as HTML: every cell escaped (direction controls shown), the status cell coloured.

    >>> status_table_html(StatusTable(pd.DataFrame({"KPI": ["NPS"], "Value": ["+31.8"]}), ["behind"], ["Value"]))
    '<table><thead><tr><th>KPI</th><th>Value</th><th>Status</th></tr></thead><tbody><tr><td dir="auto">NPS</td><td class="num">+31.8</td><td class="status behind">behind</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{_text(c)}</th>" for c in t.frame.columns) + "<th>Status</th>"
    rows = []
    for i, record in enumerate(t.frame.itertuples(index=False, name=None)):
        cells = []
        for col, value in zip(t.frame.columns, record, strict=True):
            text = "" if value is None else _text(value)
            raw = t.values.get(col)
            number = None if raw is None else raw[i]
            data = "" if number is None else f' data-value="{float(number)!r}"'
            cells.append(f'<td class="num"{data}>{text}</td>' if col in t.numeric else f'<td dir="auto"{data}>{text}</td>')
        state = t.status[i]
        css = "no-target" if state is None else state.replace(" ", "-")
        cells.append(f'<td class="status {css}">{html.escape(state or "–")}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = f' class="{html.escape(t.css_class)}"' if t.css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


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


def _sized(chart: alt.TopLevelMixin, width: int, height: int) -> alt.TopLevelMixin:
    """The chart drawn ``width`` x ``height`` px (a page's width, not Vega-Lite's small default or a
    "container" width that has no container in a file); charts that cannot take a size stay as built."""
    try:
        return chart.properties(width=width, height=height)
    except (ValueError, SchemaValidationError, AttributeError):
        return chart


def chart_html(chart: alt.TopLevelMixin, prefix: str = "c0-", size: tuple[int, int] | None = None) -> str:
    """The chart as inline SVG in a figure; a note instead when it cannot be drawn safely offline.

    ``prefix`` makes the SVG's internal ids unique within the page; ``size`` (width, height in px) redraws
    the chart at that size."""
    try:
        svg = chart_svg(_sized(chart, *size) if size else chart)
    except (ValueError, SchemaValidationError) as exc:  # vl-convert and chart_spec raise ValueError; altair its own
        return f'<p class="note">Chart not included: {html.escape(str(exc)[:200])}</p>'
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg.strip())
    if not svg.startswith("<svg") or _UNSAFE_SVG.search(svg):
        return '<p class="note">Chart not included: its drawing referred to outside content.</p>'
    return f"<figure>{_prefix_ids(svg, prefix)}</figure>"


CHART_SIZE = (640, 170)  # px: the width of a portrait page's text at print scale, a third of its height


def _section_html(section: Section, number: int) -> str:
    parts = [f"<section><h2>{_text(section.heading)}</h2>"]
    if section.bullets:
        parts.append('<ul class="summary">' + "".join(f'<li dir="auto">{_text(b)}</li>'
                                                      for b in section.bullets) + "</ul>")
    parts += [status_table_html(t) for t in section.status_tables]
    parts += [f'<p dir="auto">{_text(p)}</p>' for p in section.paragraphs]
    parts += [chart_html(c, f"s{number}c{i}-", CHART_SIZE) for i, c in enumerate(section.charts)]
    parts += [table_html(t) for t in section.tables]
    return "".join(parts) + "</section>"


def _plain(value: Any) -> str:
    """A setting in words: "key: value" pairs and list items joined, not JSON."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return "; ".join(_plain(v) for v in value) or "none"
    return str(value)


def _pre(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"


def methodology_html(settings: Mapping[str, Any], definitions: Mapping[str, str]) -> str:
    """The appendix: column mapping per table, the scorecard as JSON, the definitions used, other settings.

    ``settings["mapping"]`` is ``{table: {canonical field: column in the file}}``; ``settings["scorecard"]``
    the scorecard dict (METRICS.md file format); any other keys are shown as JSON.

    >>> "tenure" in methodology_html({"mapping": {"accounts": {"tenure": "Tenure (m)"}}}, {})
    True
    """
    parts = ['<section class="appendix"><h2>Methodology</h2>']
    if definitions:
        items = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                        for k, v in definitions.items())
        parts.append(f'<h3>Definitions used</h3><dl class="defs">{items}</dl>')
    mapping = dict(settings.get("mapping") or {})
    if mapping:  # one row per file: a short appendix, not a table per file
        frame = pd.DataFrame({"File": list(mapping), "Columns used (field: column in the file)": [
            "; ".join(f"{k}: {v}" for k, v in dict(m).items()) for m in mapping.values()]})
        parts.append(f"<h3>Columns used</h3>{table_html(frame)}")
    if settings.get("scorecard") is not None:
        card = settings["scorecard"]
        parts.append("<h3>Scorecard</h3>" + (table_html(card) if isinstance(card, pd.DataFrame) else _pre(card)))
    rest = {k: v for k, v in settings.items() if k not in ("mapping", "scorecard")}
    if rest:
        parts.append("<h3>Other settings</h3>" + "".join(
            f"<p><strong>{html.escape(str(k))}</strong>: {html.escape(_plain(v))}</p>" for k, v in rest.items()))
    return "".join(parts) + "</section>"


def html_report(
    title: str,
    sections: Sequence[Section],
    settings: Mapping[str, Any] | None = None,
    definitions: Mapping[str, str] | None = None,
    generated: str | None = None,
) -> str:
    """A complete HTML document: no scripts, nothing fetched, text escaped, printable on A4 or Letter.

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
