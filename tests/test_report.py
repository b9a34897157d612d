"""Tests for cs_logic.output.report: a self-contained HTML report with inline SVG and escaped text."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from cs_logic.charts.funnel import funnel_chart
from cs_logic.metrics import funnel
from cs_logic.output.report import Section, html_report, table_html

NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report() -> str:
    deals = pd.DataFrame({"stage": ["Lead", "Demo", "Won", "Lost"], "owner": ["A", "B", "A", "B"]})
    order = ["Lead", "Demo", "Won"]
    section = Section(
        heading="Sales funnel",
        paragraphs=[funnel.ASSUMPTION, "A <b>bold</b> claim & more"],
        charts=[funnel_chart(funnel.funnel_table(deals, order))],
        tables=[funnel.by_dim(deals, "owner", order), pd.DataFrame({"comment": [XSS], "nps": [9]})],
    )
    settings = {
        "mapping": {"deals": {"stage": "deal_stage", "owner": "sales_agent"}},
        "scorecard": {"name": "Default", "bands": {"red_below": 50, "green_from": 75}, "measures": []},
        "as_of": "2017-12-31",
    }
    definitions = {"Win rate": "won / (won + lost), closed deals only.", "NPS": "100 * (promoters - detractors) / n"}
    return html_report("Pipeline <review>", [section], settings, definitions, generated="As of 2017-12-31")


def test_report_embeds_charts_as_inline_svg(report):
    assert "<svg" in report and "<figure><svg" in report


def test_report_has_no_script_and_fetches_nothing(report):
    """The only URLs allowed are the SVG namespace names, which are identifiers, not requests."""
    assert "<script" not in report.casefold()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", report, re.IGNORECASE)
    assert "@import" not in report and not re.search(r"url\((?!#)", report)
    for match in re.finditer(r"https?://[^\s\"'<>]+", report):
        assert match.group(0) in NAMESPACES
        assert re.search(r"xmlns(?::\w+)?=\"$", report[: match.start()])


def test_report_escapes_user_text_in_tables_paragraphs_and_title(report):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report and XSS not in report
    assert "A &lt;b&gt;bold&lt;/b&gt; claim &amp; more" in report
    assert "<title>Pipeline &lt;review&gt;</title>" in report


def test_report_methodology_lists_mapping_scorecard_and_definitions(report):
    appendix = report[report.index("<h2>Methodology</h2>"):]
    assert "sales_agent" in appendix and "deal_stage" in appendix
    assert "&quot;red_below&quot;: 50" in appendix
    assert "Win rate" in appendix and "won / (won + lost)" in appendix and "2017-12-31" in appendix


def test_report_is_printable_on_a4_or_letter(report):
    """Issue 17: the report prints on the reader's paper, A4 or Letter (it was fixed to A4 landscape)."""
    assert "@page" in report and "size: auto" in report and "@media print" in report


def test_table_cells_escape_headers_and_format_numbers():
    html = table_html(pd.DataFrame({"<h>": ["x"], "n": [1234], "r": [0.5], "blank": [None]}))
    assert "<th>&lt;h&gt;</th>" in html and '<td class="num">1,234</td>' in html
    assert '<td class="num">0.5</td>' in html and '<td dir="auto"></td>' in html


def test_long_tables_are_cut_with_a_note():
    html = table_html(pd.DataFrame({"n": range(600)}), max_rows=500)
    assert html.count("<tr>") == 501 and "First 500 of 600 rows." in html


def test_chart_with_remote_data_becomes_a_note_not_a_request():
    chart = alt.Chart(alt.Data(url="http://example.com/d.csv")).mark_bar().encode(x="a:Q")
    page = html_report("r", [Section("s", charts=[chart])])
    assert "Chart not included" in page and "example.com" not in page


def test_two_charts_with_clip_paths_get_distinct_svg_ids():
    data = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    chart = alt.Chart(data).mark_line(clip=True).encode(x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1.5])), y="y:Q")
    page = html_report("r", [Section("one", charts=[chart, chart]), Section("two", charts=[chart])])
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert set(re.findall(r"url\(#([^)]+)\)", page)) == set(ids)
