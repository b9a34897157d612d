"""The bad-input corpus through workspace.load_file and the Data page: every file either loads with every
valid row kept and each bad value located (file, column, row, value), or is refused with one plain line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.read.workspace import IngestError, LoadedFile, load_file
from tests import badfiles

ROOT = Path(__file__).resolve().parents[1]
SURVEY_MAPPING = {"response_id": "response_id", "account_id": "account_id", "date": "date", "nps": "nps",
                  "comment": "comment"}


def located(lf: LoadedFile) -> set[tuple[str | None, int | None, str | None]]:
    """(column, row, value) of every problem that points at a cell."""
    return {(p.column, p.row, p.value) for p in lf.problems if p.column is not None and p.row is not None}


def comments(lf: LoadedFile) -> list[str | None]:
    assert lf.prepared is not None, lf.detection.reason
    return lf.prepared.frame["comment"].tolist()


# (generator, table, rows kept, the bad cells that must be reported as (column, file row, value))
LOADS: list[tuple[Callable[[], tuple[str, bytes]], str, int, set[tuple[str, int, str]]]] = [
    (badfiles.good_survey, "surveys", 5, set()),
    (badfiles.titled_survey, "surveys", 5, {("date", 7, "yesterday")}),
    (badfiles.totals_orders, "orders", 4, set()),
    (badfiles.mixed_dates_survey, "surveys", 6, {("date", 7, "not a date")}),
    (badfiles.text_numbers_orders, "orders", 5, {("amount", 6, "twelve")}),
    (badfiles.header_only, "surveys", 0, set()),
    (badfiles.huge_cell, "surveys", 5, set()),
    (badfiles.rtl_emoji_survey, "surveys", 5, set()),
    (badfiles.markup_survey, "surveys", 5, set()),
    (badfiles.formula_survey, "surveys", 5, set()),
    (badfiles.merged_sheets_xlsx, "surveys", 5, set()),
    (badfiles.xlsx_named_csv, "surveys", 5, set()),
    (badfiles.csv_named_xlsx, "surveys", 5, set()),
]
REFUSED: list[tuple[Callable[[], tuple[str, bytes]], str]] = [
    (badfiles.empty_file, "empty"),
    (badfiles.blank_lines_file, "empty"),
    (badfiles.binary_garbage, "binary"),
    (badfiles.pdf_named_csv, "PDF"),
    (badfiles.docx_named_xlsx, "Word"),
    (badfiles.truncated_xlsx, "damaged"),
    (badfiles.unclosed_quote_csv, "row 4"),
    (badfiles.zip_bomb_xlsx, "zip bomb"),
    (badfiles.billion_laughs_xlsx, "entity"),
    (lambda: badfiles.billion_laughs_xlsx("[Content_Types].xml"), "entity"),
    (lambda: badfiles.billion_laughs_xlsx("xl/workbook.xml"), "entity"),
]


@pytest.mark.parametrize(("make", "table", "rows", "bad"), LOADS, ids=lambda v: getattr(v, "__name__", None))
def test_loadable_bad_file_keeps_every_valid_row_and_locates_each_bad_value(make, table, rows, bad):
    """Rows kept = the file's data rows (totals row excluded); each bad cell named by file, column, row, value."""
    name, data = make()
    lf = load_file(name, data)
    assert (lf.table, lf.rows) == (table, rows), lf.detection.reason
    assert lf.prepared is not None and len(lf.prepared.frame) == rows
    assert bad <= located(lf), lf.problems
    assert {p.file for p in lf.problems} <= {name}


@pytest.mark.parametrize(("make", "words"), REFUSED, ids=lambda v: getattr(v, "__name__", None))
def test_unreadable_file_is_refused_with_one_plain_line(make, words):
    """No traceback text, no exception class names, one line that says what is wrong."""
    name, data = make()
    with pytest.raises(IngestError) as caught:
        load_file(name, data)
    reason = str(caught.value)
    assert badfiles.problems_in_reason(reason) == [], reason
    assert words.lower() in reason.lower()


@pytest.mark.parametrize("encoding", list(badfiles.ENCODED_COMMENTS))
def test_each_encoding_is_decoded_to_the_exact_comment_text(encoding):
    name, data = badfiles.encoded_survey(encoding)
    lf = load_file(name, data)
    assert comments(lf) == list(badfiles.ENCODED_COMMENTS[encoding])
    assert lf.read.encoding.replace("-sig", "") == encoding.replace("-sig", "")
    assert lf.rows == 4


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "bar"])
def test_each_delimiter_splits_five_columns_and_keeps_other_separators_inside_a_comment(delimiter):
    name, data = badfiles.delimited_survey(delimiter)
    lf = load_file(name, data)
    assert lf.read.delimiter == delimiter
    assert [str(c) for c in lf.read.frame.columns] == list(badfiles.SURVEY_HEADER)
    assert comments(lf)[-1] == "a, b; c|d\te"
    assert lf.rows == 5


def test_title_rows_are_skipped_and_reported_with_their_text():
    """Header on row 4 under two title lines and a blank; the note on row 1 quotes the title."""
    lf = load_file(*badfiles.titled_survey())
    assert lf.read.header_row == 4
    title = [p for p in lf.problems if p.row == 1]
    assert title and "Customer survey export" in (title[0].value or "")
    assert lf.prepared.frame["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5"]


def test_totals_row_is_left_out_so_the_amount_is_not_counted_twice():
    """100.50 + 200.25 + 50 + 49.25 = 400; with the "Total" row counted it would be 800."""
    lf = load_file(*badfiles.totals_orders())
    assert lf.prepared.frame["amount"].sum() == pytest.approx(400.0)
    assert any(p.row == 6 and "total" in p.message for p in lf.problems)


def test_mixed_date_formats_decide_day_first_once_for_the_column():
    """15/01 and 31/12 can only be day-first, so 03/04/2024 is 3 April, not 4 March."""
    lf = load_file(*badfiles.mixed_dates_survey())
    got = lf.prepared.frame["date"].tolist()
    want = [pd.Timestamp(d) for d in ("2024-01-15", "2024-01-15", "2024-12-31", "2024-04-03", "2024-03-05")]
    assert got[:5] == want and pd.isna(got[5])


def test_numbers_typed_as_text_are_read_as_numbers():
    lf = load_file(*badfiles.text_numbers_orders())
    assert lf.prepared.frame["amount"].tolist()[:4] == [1234.5, 42.0, 1000.0, 0.5]


def test_nps_11_minus_1_and_9_5_are_reported_by_row_and_na_is_blank():
    """survey.csv: 11 on row 5, -1 on row 6, N/A on row 7 (a blank, not a problem), 9.5 on row 8."""
    lf = load_file(*badfiles.nps_edge_survey())
    assert lf.table == "surveys", lf.detection.reason
    assert {("nps", 5, "11"), ("nps", 6, "-1"), ("nps", 8, "9.5")} <= located(lf)
    assert not any(p.row == 7 for p in lf.problems)
    assert lf.rows == 7


def test_nps_out_of_range_values_are_reported_by_row_when_the_manager_maps_the_column():
    """With the mapping chosen: the 3 bad scores are blanked and reported; every row is kept."""
    name, data = badfiles.nps_edge_survey()
    lf = load_file(name, data, table="surveys", mapping=SURVEY_MAPPING)
    bad = [p for p in lf.problems if p.column == "nps"]
    assert {(p.file, p.row, p.value) for p in bad} == {(name, 5, "11"), (name, 6, "-1"), (name, 8, "9.5")}
    assert lf.prepared.frame["nps"].tolist()[:3] == [9.0, 10.0, 0.0]
    assert lf.prepared.frame["nps"].iloc[3:].isna().all() and lf.rows == 7


def test_header_only_file_loads_no_rows_and_says_so():
    name, data = badfiles.header_only()
    lf = load_file(name, data)
    assert any(p.file == name and p.row == 1 and "no data rows" in p.message for p in lf.problems)


def test_two_thousand_columns_load_with_every_column_and_row():
    """3 rows x 2,000 columns: every column and row kept; past 200 unmapped columns they stay text, and a
    note says so (typing each costs ~10 ms; bench/ measures load times, tests do not)."""
    name, data = badfiles.wide_csv(2000)
    lf = load_file(name, data)
    assert any("kept as text" in note for note in lf.prepared.notes)
    assert (lf.table, lf.rows, lf.prepared.frame.shape) == ("surveys", 3, (3, 2000))
    # Columns past the first 200 unmapped ones may stay text (validate says so in a note): value, not type.
    assert [float(v) for v in lf.prepared.frame["q2000"]] == [float((i + 2000) % 5 + 1) for i in (1, 2, 3)]


def test_one_megabyte_cell_is_kept_whole_and_clipped_in_problem_values():
    lf = load_file(*badfiles.huge_cell())
    assert len(comments(lf)[1]) == 1024 * 1024
    assert all(p.value is None or len(p.value) <= 200 for p in lf.problems)


def test_right_to_left_text_emoji_and_bidi_controls_are_kept_verbatim():
    lf = load_file(*badfiles.rtl_emoji_survey())
    assert comments(lf) == list(badfiles.RTL_COMMENTS)


def test_formula_payloads_are_kept_as_text_never_evaluated():
    """=HYPERLINK, +cmd, @SUM, -2+3 come back exactly as typed (exports add the ' prefix, not ingest)."""
    lf = load_file(*badfiles.formula_survey())
    assert comments(lf) == list(badfiles.FORMULA_COMMENTS)


def test_script_tags_and_markdown_in_comments_are_kept_verbatim():
    lf = load_file(*badfiles.markup_survey())
    assert comments(lf) == list(badfiles.MARKUP_COMMENTS)


def test_xlsx_named_csv_and_csv_named_xlsx_are_read_by_their_bytes():
    as_csv, as_xlsx = load_file(*badfiles.xlsx_named_csv()), load_file(*badfiles.csv_named_xlsx())
    assert (as_csv.read.file_type, as_xlsx.read.file_type) == ("xlsx", "csv")
    assert comments(as_csv) == comments(as_xlsx) == [row[4] for row in badfiles.GOOD_ROWS]


def test_workbook_with_several_sheets_reads_the_first_with_data_and_names_them_all():
    name, data = badfiles.merged_sheets_xlsx()
    lf = load_file(name, data)
    assert (lf.read.sheet, lf.read.sheets, lf.read.header_row) == ("Survey", ("Survey", "Notes"), 2)
    assert any(p.file == name and "Notes" in p.message for p in lf.problems)
    assert lf.prepared.frame["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5"]


def test_a_cell_merged_down_two_rows_gives_both_rows_its_value_or_a_located_problem():
    lf = load_file(*badfiles.merged_sheets_xlsx())
    filled = lf.prepared.frame["touchpoint"].tolist()[:2] == ["Onboarding", "Onboarding"]
    assert filled or any(p.column == "touchpoint" and p.row == 4 for p in lf.problems)


def test_file_over_the_size_limit_is_refused_before_reading():
    with pytest.raises(IngestError) as caught:
        load_file("big.csv", b"id,name\n" + b"1234,abcdefghij\n" * 128, max_bytes=1000)
    assert badfiles.problems_in_reason(str(caught.value)) == []


def test_file_over_the_size_limit_is_refused_naming_both_sizes():
    """2,072 bytes (about 2 KB) against a 1,000-byte limit: both figures must be readable in the message."""
    import re

    data = b"id,name\n" + b"1234,abcdefghij\n" * 129
    with pytest.raises(IngestError) as caught:
        load_file("big.csv", data, max_bytes=1000)
    units = {"bytes": 1, "byte": 1, "b": 1, "kb": 1024, "kib": 1024, "mb": 1024**2, "mib": 1024**2}
    sizes = [float(n.replace(",", "")) * units[u.lower()]
             for n, u in re.findall(r"(\d[\d,]*(?:\.\d+)?)[\s-]*(bytes?|KiB|KB|MiB|MB|B)\b", str(caught.value), re.IGNORECASE)]
    assert any(abs(s - len(data)) <= 0.1 * len(data) for s in sizes), str(caught.value)
    assert any(abs(s - 1000) <= 100 for s in sizes), str(caught.value)


# ---- the Data page (AppTest) -------------------------------------------------------------------------------

def _data_page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=30).run()


def test_data_page_shows_a_bad_file_as_an_error_and_loads_the_good_one_beside_it():
    at = _data_page()
    garbage, good = badfiles.binary_garbage(), badfiles.good_survey()
    at.file_uploader(key="data_upload").set_value([(*garbage, "text/csv"), (*good, "text/csv")]).run()
    assert not at.exception
    errors = [badfiles.shown(e.value) for e in at.error]
    assert len(errors) == 1 and "garbage.csv" in errors[0] and "binary" in errors[0]
    assert badfiles.problems_in_reason(errors[0]) == []
    labels = [badfiles.shown(e.label) for e in at.expander]
    assert any("good_survey.csv" in label and "5 rows" in label for label in labels), labels


def test_data_page_survives_the_whole_corpus_uploaded_at_once():
    """Every refused file is an error line naming it; every readable one gets its expander; nothing raises.
    (The page keeps one copy of identical bytes, so the CSV renamed .xlsx, the same bytes as the good
    survey, is left out here.)"""
    loads = [make() for make, *_ in LOADS if make is not badfiles.csv_named_xlsx]
    refused = [make() for make, _ in REFUSED]
    uploads = [(f"{i}_{name}", data, "application/octet-stream") for i, (name, data) in enumerate(loads + refused)]
    at = _data_page()
    at.file_uploader(key="data_upload").set_value(uploads).run()
    assert not at.exception
    errors = " ".join(badfiles.shown(e.value) for e in at.error)
    labels = " ".join(badfiles.shown(e.label) for e in at.expander)
    for name, _, _ in uploads[len(loads):]:
        assert name in errors
    for name, _, _ in uploads[: len(loads)]:
        assert name in labels
