"""Tests for cs_logic.output.exports: formula neutralising, CSV and XLSX downloads, offline chart images."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import altair as alt
import numpy as np
import pandas as pd
import pytest

from cs_logic.output.exports import (
    EXCEL_MAX_CELL,
    EXCEL_MAX_DATA_ROWS,
    chart_png,
    chart_svg,
    neutralise,
    neutralise_frame,
    sheet_names,
    to_csv_bytes,
    to_xlsx_bytes,
)

HYPERLINK = '=HYPERLINK("http://x","y")'
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        (-1, -1),
        (2.5, 2.5),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("normal text", "normal text"),
        ("a = b", "a = b"),
        ("مشتری راضی است", "مشتری راضی است"),
        ("a\x00b\x07c", "abc"),
        ("\x00=cmd", "'=cmd"),
        (None, None),
    ],
)
def test_neutralise_prefixes_formula_starts_and_leaves_numbers_and_text_alone(value, expected):
    assert neutralise(value) == expected


def test_neutralise_cuts_cells_longer_than_excel_allows():
    cut = neutralise("x" * (EXCEL_MAX_CELL + 10))
    assert len(cut) == EXCEL_MAX_CELL and cut.endswith("…")
    assert neutralise("x" * EXCEL_MAX_CELL) == "x" * EXCEL_MAX_CELL


def test_neutralise_frame_changes_text_cells_and_headers_only():
    frame = pd.DataFrame({"=head": ["=1", "ok"], "n": [-1, 2], "when": pd.to_datetime(["2024-01-01", None])})
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=head", "n", "when"]
    assert out["'=head"].tolist() == ["'=1", "ok"] and out["n"].tolist() == [-1, 2]
    assert out["n"].dtype == frame["n"].dtype and frame["=head"].tolist() == ["=1", "ok"]


def test_csv_starts_with_a_bom_and_keeps_persian_text():
    data = to_csv_bytes(pd.DataFrame({"comment": ["خیلی خوب", "=2+2"], "score": [9, -1]}))
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["comment"].tolist() == ["خیلی خوب", "'=2+2"] and back["score"].tolist() == [9, -1]


def xlsx_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_xlsx_stores_a_hyperlink_formula_comment_as_text():
    frame = pd.DataFrame({"comment": [HYPERLINK, "see http://example.com"], "score": [1, -1]})
    data = to_xlsx_bytes({"Comments": frame})
    back = pd.read_excel(io.BytesIO(data), engine="calamine")
    assert back["comment"].tolist() == ["'" + HYPERLINK, "see http://example.com"]
    assert back["score"].tolist() == [1, -1]
    parts = xlsx_parts(data)
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert "<f>" not in sheet and "<f " not in sheet and "<hyperlink" not in sheet
    strings = [t.text for t in ElementTree.fromstring(parts["xl/sharedStrings.xml"]).iter(f"{MAIN_NS}t")]
    assert "'" + HYPERLINK in strings
    assert not any(name.endswith(".rels") and "hyperlink" in text for name, text in parts.items())


def test_xlsx_drops_nul_characters_and_keeps_unicode():
    data = to_xlsx_bytes({"s": pd.DataFrame({"c": ["a\x00b", "نظر مشتری"], "v": [1.5, np.nan]})})
    back = pd.read_excel(io.BytesIO(data), engine="calamine")
    assert back["c"].tolist() == ["ab", "نظر مشتری"]


def test_sheet_names_are_made_valid_and_distinct():
    names = sheet_names(["Q1/Q2 [draft]*?", "q1q2 draft", "", "'quoted'", "History", "n" * 40])
    assert names == ["Q1Q2 draft", "q1q2 draft (2)", "Sheet", "quoted", "Sheet (2)", "n" * 31]
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)


def test_xlsx_workbook_has_one_sheet_per_frame_with_valid_names():
    data = to_xlsx_bytes({"Deals: won/lost": pd.DataFrame({"a": [1]}), "Owners": pd.DataFrame({"b": ["x"]})})
    sheets = pd.read_excel(io.BytesIO(data), engine="calamine", sheet_name=None)
    assert list(sheets) == ["Deals wonlost", "Owners"]


def test_xlsx_refuses_a_table_longer_than_a_sheet_with_a_clear_message():
    frame = pd.DataFrame({"a": np.zeros(EXCEL_MAX_DATA_ROWS + 1, dtype="int8")})
    with pytest.raises(ValueError, match="CSV instead"):
        to_xlsx_bytes({"big": frame})


def small_chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"stage": ["Lead", "Won"], "n": [4, 1]})).mark_bar().encode(
        x=alt.X("n:Q", title="Deals"), y=alt.Y("stage:N", title="Stage"), tooltip=["stage:N", "n:Q"])


def test_chart_png_and_svg_are_rendered_locally():
    assert chart_png(small_chart()).startswith(b"\x89PNG\r\n\x1a\n")
    svg = chart_svg(small_chart())
    assert svg.startswith("<svg") and "Lead" in svg


def test_chart_with_url_data_is_refused_rather_than_fetched():
    chart = alt.Chart(alt.Data(url="http://example.com/data.csv")).mark_bar().encode(x="a:Q")
    with pytest.raises(ValueError, match="URL"):
        chart_svg(chart)


def test_labelled_downloads_carry_the_headers_the_pages_show_and_stay_formula_safe():
    """A page's download reads as its grid (p_won -> "Chance of winning", usage_active_days_30d -> "Active days,
    last 30"), values untouched; a header that looks like a formula is still neutralised after labelling, and
    unlabelled exports (a user's own file) keep their headers."""
    frame = pd.DataFrame({"p_won": [0.5], "usage_active_days_30d": [12], "=cmd|' /C calc'!A0": ["=1+1"]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame, labelled=True)), encoding="utf-8-sig")
    assert list(back.columns) == ["Chance of winning", "Active days, last 30", "'=cmd|' /C calc'!A0"]
    assert back.iloc[0].tolist() == [0.5, 12, "'=1+1"]
    sheet = pd.read_excel(io.BytesIO(to_xlsx_bytes({"Deals": frame}, labelled=True)), engine="calamine")
    assert list(sheet.columns) == list(back.columns) and sheet.iloc[0].tolist() == [0.5, 12, "'=1+1"]
    assert "<f>" not in xlsx_parts(to_xlsx_bytes({"Deals": frame}, labelled=True))["xl/worksheets/sheet1.xml"]
    plain = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig")
    assert list(plain.columns) == ["p_won", "usage_active_days_30d", "'=cmd|' /C calc'!A0"]
