"""Tests for reading uploads: types, encodings, delimiters, headers, totals, hostile files and the real exports."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.read.ingest import (
    IngestError,
    check_zip,
    decode_text,
    is_arrow_text,
    list_sheets,
    object_frame,
    read_table,
    sniff_delimiter,
    sniff_type,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def xlsx_bytes(sheets: dict[str, pd.DataFrame], header: bool = True) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=header)
    return buf.getvalue()


def messages(result) -> str:
    return " / ".join(note.message for note in result.notes)


def assert_clear_sentence(exc: pytest.ExceptionInfo, *words: str) -> None:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text and len(text) < 400
    for word in words:
        assert word in text.lower()


# --- encodings -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        ("name\nCafé\n".encode(), "utf-8", "Café"),
        ("name\nCafé\n".encode("utf-8-sig"), "utf-8-sig", "Café"),
        ("name\nCafé\n".encode("utf-16"), "utf-16", "Café"),
        ("name\nCafé\n".encode("utf-16-le"), "utf-16-le", "Café"),
        ("name\nCafé au lait et crème brûlée\n".encode("cp1252"), "cp1252", "Café au lait et crème brûlée"),
        # Windows-1256 has no Persian yeh (U+06CC), so the sample uses the Arabic yeh that Iranian exports carry
        ("name\nمشتري گرامي\n".encode("cp1256"), "cp1256", "مشتري گرامي"),
        ("city\nSão Paulo\nSan José\n".encode("mac_roman"), "mac_roman", "São Paulo"),
    ],
)
def test_each_encoding_is_decoded_by_the_ladder(data: bytes, encoding: str, expected: str) -> None:
    """BOM first, then UTF-16 without BOM, UTF-8, Windows-1256 for Arabic words, Mac Roman, Windows-1252."""
    text, found = decode_text(data)
    assert found == encoding
    assert expected in text
    result = read_table(data, "f.csv")
    assert result.encoding == encoding and result.frame.iloc[0, 0] == expected
    # Every encoding but plain UTF-8 is stated in a note (UTF-8 is what tools should write).
    assert any(note.value == encoding for note in result.notes) == (encoding != "utf-8")


def test_cp1252_curly_quotes_stay_cp1252() -> None:
    """Smart quotes and an apostrophe in cp1252 are punctuation, not Mac Roman letters (“ ” ’ vs ì î í)."""
    text, encoding = decode_text("note\n“Great” service, didn’t wait – Café\n".encode("cp1252"))
    assert encoding == "cp1252" and "didn’t" in text


# --- delimiters and quoting ------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(delimiter: str) -> None:
    text = "\n".join(delimiter.join(row) for row in [["id", "name", "plan"], ["1", "Ann", "Pro"], ["2", "Bob", "Basic"]])
    assert sniff_delimiter(text) == delimiter
    result = read_table(text.encode(), "f.txt")
    assert result.delimiter == delimiter and list(result.frame.columns) == ["id", "name", "plan"]


def test_semicolon_file_with_decimal_commas_splits_on_semicolons() -> None:
    """ "12,5" must stay one value; the reader notes the decimal comma and leaves parsing to parse.py."""
    data = "Kunde;Umsatz;Anteil\nA;12,5;0,25\nB;1.234,50;0,75\n".encode("cp1252")
    result = read_table(data, "de.csv")
    assert result.delimiter == ";"
    assert result.frame["Umsatz"].tolist() == ["12,5", "1.234,50"]
    assert {n.column for n in result.notes if "decimal comma" in n.message} == {"Umsatz", "Anteil"}


def test_newlines_inside_quotes_stay_in_one_value_and_rows_count_records() -> None:
    data = b'id,comment,score\r\n1,"line one\nline two",5\r\n2,"a ""quoted"" word",4\n3,plain,3\r\n'
    result = read_table(data, "q.csv")
    assert result.frame["comment"].tolist() == ["line one\nline two", 'a "quoted" word', "plain"]
    assert (result.header_row, result.first_data_row, result.row_numbers) == (1, 2, None)


def test_rows_with_too_many_fields_are_kept_and_noted_and_short_rows_padded() -> None:
    rows = ["id,name,plan"] + [f"{i},N{i},Pro" for i in range(1, 10)] + ["10,Acme, Inc,Pro", "11,Short"]
    result = read_table("\n".join(rows).encode(), "f.csv")
    assert len(result.frame) == 11 and list(result.frame.columns) == ["id", "name", "plan"]
    assert result.frame.iloc[9].tolist() == ["10", "Acme", "Inc"]
    assert result.frame.iloc[10].tolist() == ["11", "Short", None]
    note = next(n for n in result.notes if "values but the header" in n.message)
    assert (note.row, note.value) == (11, "Pro") and "kept the row" in note.action


def test_cells_are_trimmed_alike_in_every_chunk_arrow_scans(monkeypatch) -> None:
    """Arrow looks for values to trim a chunk of rows at a time: with chunks of 3 rows, values to trim in
    several chunks (and a blank in the last) come out as with one pass, other values as the same objects."""
    from cs_logic.read import ingest

    monkeypatch.setattr(ingest, "CHUNK_ROWS", 3)
    rows = ["id,name"] + [f"{i}, N{i}\u00a0" if i % 4 == 0 else f"{i},N{i}" for i in range(1, 12)] + ["12,  "]
    frame = read_table("\n".join(rows).encode(), "f.csv").frame
    assert frame["name"].tolist() == [f"N{i}" for i in range(1, 12)] + [None]
    assert frame["id"].tolist() == [str(i) for i in range(1, 13)] and frame["name"].dtype == object


# --- header, values, blank rows, totals ------------------------------------------------------------

def test_title_lines_above_the_header_are_skipped_and_noted() -> None:
    data = b"Monthly report,,\nExported 2024-01-01,,\n,,\nid,name,mrr\n00123,Ann,10\n00456,Bob,20\n"
    result = read_table(data, "t.csv")
    assert (result.header_row, result.first_data_row) == (4, 5)
    assert result.frame["id"].tolist() == ["00123", "00456"]
    note = next(n for n in result.notes if "above the header" in n.message)
    assert "Monthly report" in note.value and "Exported 2024-01-01" in note.value


def test_title_rows_in_xlsx_are_skipped() -> None:
    grid = pd.DataFrame([["Quarterly accounts", None], [None, None], ["account", "mrr"], ["A1", 10], ["A2", 20.5]])
    result = read_table(xlsx_bytes({"Data": grid}, header=False), "t.xlsx")
    assert result.header_row == 3 and result.frame.to_dict("list") == {"account": ["A1", "A2"], "mrr": ["10", "20.5"]}


def test_leading_zeros_padding_and_blank_values() -> None:
    data = b"  id  ,  Customer   Name ,zip\n 00123 ,  Ann  ,02139\n00456,   ,  \n"
    result = read_table(data, "z.csv")
    assert list(result.frame.columns) == ["id", "Customer Name", "zip"]
    assert result.frame.to_dict("list") == {"id": ["00123", "00456"], "Customer Name": ["Ann", None], "zip": ["02139", None]}


def test_duplicate_blank_and_case_duplicate_headers_are_renamed() -> None:
    data = b"Score,,score,Score,x\n1,2,3,4,5\n"
    result = read_table(data, "d.csv")
    assert list(result.frame.columns) == ["Score", "column_2", "score (2)", "Score (3)", "x"]
    assert sum("no header" in n.message for n in result.notes) == 1
    assert sum("more than once" in n.message for n in result.notes) == 2


def test_unicode_replacement_emoji_and_right_to_left_text_are_kept() -> None:
    data = "text\nit\ufffds fine 👍\nخدمة ممتازة\n".encode()
    assert read_table(data, "u.csv").frame["text"].tolist() == ["it\ufffds fine 👍", "خدمة ممتازة"]


def test_inner_blank_rows_are_skipped_with_one_note_and_row_numbers_kept() -> None:
    data = b"id,v\n1,a\n,\n\n2,b\n3,c\n\n\n"
    result = read_table(data, "b.csv")
    assert result.frame["id"].tolist() == ["1", "2", "3"]
    assert result.row_numbers.tolist() == [2, 5, 6]
    blank = [n for n in result.notes if "blank row" in n.message]
    assert len(blank) == 1 and blank[0].message.startswith("2 ")


def test_inner_blank_rows_of_a_large_csv_are_skipped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same file through Arrow's reader (a large CSV): a blank first cell and blank lines inside. The blank
    check wrote into a read-only array there and the whole file was refused."""
    from cs_logic.read import ingest

    monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", 0)
    result = read_table(b"id,v\n1,a\n,\n\n2,b\n,c\n\n\n", "b.csv")
    assert is_arrow_text(result.frame["id"])
    assert object_frame(result.frame).to_numpy().tolist() == [["1", "a"], ["2", "b"], [None, "c"]]
    assert list(result.row_numbers) == [2, 5, 6]
    assert [n.message for n in result.notes if "blank row" in n.message] == ["2 blank row(s) inside the data"]


def test_blank_lines_at_the_end_are_cut_off_without_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """An export's last line breaks are blank rows after the data: left out silently, by slicing (a 5M-row
    usage file with two of them was copied whole: 820 MB peak instead of 450)."""
    import pyarrow as pa

    from cs_logic.read import ingest, tableshape

    monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", 0)
    result = read_table(b"id,v\n1,a\n2,b\n\n\n", "b.csv")
    assert object_frame(result.frame).to_numpy().tolist() == [["1", "a"], ["2", "b"]]
    assert result.row_numbers is None and result.first_data_row == 2
    assert not [n for n in result.notes if "blank" in n.message]
    body = pd.DataFrame({0: pd.arrays.ArrowExtensionArray(pa.array(["x", "y", None, None]))})
    kept, rows, notes = tableshape._drop_blank_rows(body, range(2, 6), "b.csv")
    assert kept[0].tolist() == ["x", "y"] and rows == range(2, 4) and notes == []
    assert pa.array(kept[0]).buffers()[2].address == pa.array(body[0]).buffers()[2].address  # the same text


@pytest.mark.parametrize("label", ["Total", "Grand total:", "Summe", "Итого", "مجموع"])
def test_labelled_totals_row_in_csv_is_left_out(label: str) -> None:
    data = f"region,sales\nEast,10\nWest,20\n{label},30\n".encode()
    result = read_table(data, "t.csv")
    assert result.frame["region"].tolist() == ["East", "West"]
    note = next(n for n in result.notes if "totals row" in n.message)
    assert note.row == 4 and "sales=30" in note.value


def test_unlabelled_row_equal_to_the_column_sums_is_a_totals_row() -> None:
    """10 + 20 + 5 = 35 and 1.5 + 2.5 + 1 = 5: the last row only repeats the sums."""
    data = b"id,mrr,seats\nA,10,1.5\nB,20,2.5\nC,5,1\n,35,5\n"
    result = read_table(data, "t.csv")
    assert result.frame["id"].tolist() == ["A", "B", "C"]


def test_last_row_that_is_not_a_total_is_kept() -> None:
    data = b"name,mrr\nTotal Wine,10\nAcme,20\nBeta,7\n"
    assert len(read_table(data, "k.csv").frame) == 3


def test_totals_row_in_xlsx_is_left_out() -> None:
    frame = pd.DataFrame({"agent": ["Ann", "Bob", "Total"], "calls": [3, 4, 7]})
    result = read_table(xlsx_bytes({"S": frame}), "t.xlsx")
    assert result.frame["agent"].tolist() == ["Ann", "Bob"]
    assert any(n.row == 4 and "totals" in n.message for n in result.notes)


# --- spreadsheets ----------------------------------------------------------------------------------

def test_xlsx_cells_become_text_as_a_person_reads_them() -> None:
    import datetime as dt

    frame = pd.DataFrame({
        "when": [dt.datetime(2021, 1, 1), "2021-01-02"], "at": [dt.datetime(2021, 1, 1, 9, 30), None],
        "n": [123.0, 0.1 + 0.2], "ok": [True, False], "id": ["00123", "7"],
    })
    result = read_table(xlsx_bytes({"S": frame}), "c.xlsx")
    assert result.frame.to_dict("list") == {
        "when": ["2021-01-01", "2021-01-02"], "at": ["2021-01-01 09:30:00", None],
        "n": ["123", "0.3"], "ok": ["TRUE", "FALSE"], "id": ["00123", "7"],
    }
    assert result.encoding is None and result.delimiter is None


def test_several_sheets_are_listed_and_a_chosen_sheet_is_read() -> None:
    data = xlsx_bytes({"Empty": pd.DataFrame(), "Jan": pd.DataFrame({"a": [1]}), "Feb": pd.DataFrame({"b": [2, 3]})})
    assert list_sheets(data) == ("Empty", "Jan", "Feb")
    first = read_table(data, "w.xlsx")
    assert (first.sheet, first.sheets, list(first.frame.columns)) == ("Jan", ("Empty", "Jan", "Feb"), ["a"])
    chosen = read_table(data, "w.xlsx", sheet="Feb")
    assert chosen.sheet == "Feb" and chosen.frame["b"].tolist() == ["2", "3"]
    with pytest.raises(IngestError) as exc:
        read_table(data, "w.xlsx", sheet="Mar")
    assert_clear_sentence(exc, "no sheet named", "jan")


def test_xlsx_renamed_csv_is_read_as_xlsx_and_csv_renamed_xlsx_as_csv() -> None:
    data = xlsx_bytes({"S": pd.DataFrame({"a": [1, 2]})})
    assert sniff_type(data) == "xlsx" and read_table(data, "looks.csv").file_type == "xlsx"
    result = read_table(b"a,b\n1,2\n", "looks.xlsx")
    assert result.file_type == "csv" and result.frame.shape == (1, 2)


def test_parquet_is_read_as_text() -> None:
    buf = io.BytesIO()
    pd.DataFrame({"id": [1, 2], "d": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01 10:00")], "x": [1.5, None]}).to_parquet(buf)
    result = read_table(buf.getvalue(), "p.parquet")
    assert result.file_type == "parquet"
    assert result.frame.to_dict("list") == {"id": ["1", "2"], "d": ["2024-01-01", "2024-02-01 10:00:00"], "x": ["1.5", None]}


# --- refusals --------------------------------------------------------------------------------------

def test_parquet_over_the_row_limit_is_refused_from_its_metadata_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1,000-row file against a 999-row limit: refused with its rows and size named, and the file never read.

    (The L benchmark's 90 MB usage.parquet holds 50 million rows and ran out of 16 GB instead.)
    """
    from cs_logic.read import spreadsheet

    buf = io.BytesIO()
    pd.DataFrame({"account_id": ["A1"] * 1000, "events": range(1000)}).to_parquet(buf)
    monkeypatch.setattr(spreadsheet, "MAX_PARQUET_ROWS", 999)
    monkeypatch.setattr(spreadsheet.pq, "read_table", lambda *a, **k: pytest.fail("the file was read"))
    with pytest.raises(IngestError) as exc:
        read_table(buf.getvalue(), "usage.parquet")
    assert_clear_sentence(exc, "1,000 rows")
    assert "999 rows" in str(exc.value) and " MB once expanded" in str(exc.value)


def test_parquet_over_the_expanded_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from cs_logic.read import spreadsheet

    buf = io.BytesIO()
    pd.DataFrame({"text": [f"{i:04d}" * 250 for i in range(50)]}).to_parquet(buf)  # 50 KB of distinct text
    monkeypatch.setattr(spreadsheet, "MAX_PARQUET_EXPANDED_BYTES", 1024)
    with pytest.raises(IngestError) as exc:
        read_table(buf.getvalue(), "big.parquet")
    assert_clear_sentence(exc, "once expanded")


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\xef\xbb\xbf\r\n", b"\xff\xfe"])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(IngestError) as exc:
        read_table(data, "e.csv")
    assert_clear_sentence(exc, "empty")


def test_header_only_file_loads_with_no_rows_and_a_note() -> None:
    result = read_table(b"id,name,mrr\r\n", "h.csv")
    assert list(result.frame.columns) == ["id", "name", "mrr"] and len(result.frame) == 0
    assert "the file has a header but no data rows" in messages(result)


def test_binary_garbage_is_refused() -> None:
    garbage = bytes((i * 7919 + 13) % 256 for i in range(5000)) + b"\x00\x01\x02" * 50
    with pytest.raises(IngestError) as exc:
        read_table(garbage, "g.csv")
    assert_clear_sentence(exc, "binary")


def test_file_over_the_size_limit_is_refused_naming_size_and_limit() -> None:
    with pytest.raises(IngestError) as exc:
        read_table(b"a,b\n" + b"1,2\n" * 600_000, "big.csv", max_bytes=1024 * 1024)
    assert_clear_sentence(exc, "2.3 mb", "1.0 mb limit")


def test_zip_bomb_is_refused_before_it_is_expanded() -> None:
    """50 MB of zeros compress to about 50 KB: a 1000x member ratio, refused from the zip's directory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    with pytest.raises(IngestError) as exc:
        read_table(buf.getvalue(), "bomb.xlsx")
    assert_clear_sentence(exc, "zip bomb")


def test_workbook_declaring_xml_entities_is_refused() -> None:
    data = xlsx_bytes({"S": pd.DataFrame({"a": [1]})})
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = laughs.encode() if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, body)
    with pytest.raises(IngestError) as exc:
        check_zip(out.getvalue())
    assert_clear_sentence(exc, "entity")
    with pytest.raises(IngestError):
        read_table(out.getvalue(), "laughs.xlsx")


def test_corrupt_zip_is_refused() -> None:
    data = xlsx_bytes({"S": pd.DataFrame({"a": range(200)})})
    broken = data[:200] + os.urandom(400) + data[600:-200]
    with pytest.raises(IngestError) as exc:
        read_table(broken, "broken.xlsx")
    assert_clear_sentence(exc, "damaged")


def test_word_document_is_named_in_the_refusal() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(IngestError) as exc:
        read_table(buf.getvalue(), "notes.xlsx")
    assert_clear_sentence(exc, "word document")


def test_unclosed_quote_or_parser_failure_never_escapes_as_a_traceback() -> None:
    cases = [b'a,b\n1,"never closed\n2,3\n', b"a,b\n" + b"\x00" * 3 + b"1,2\n", b"\xef\xbb\xbfa\n\xff\xfe\n"]
    for data in cases:
        try:
            read_table(data, "odd.csv")
        except IngestError as exc:
            assert "\n" not in str(exc)


# --- real exports ----------------------------------------------------------------------------------

REAL_FILES = {
    "telco_churn/Telco-Customer-Churn.csv": (7043, 21),
    "nps_verbatims/nps_verbatims.csv": (2385, 6),
    "olist_sample/olist_order_reviews_dataset.csv": (3986, 7),
    "olist_sample/olist_customers_dataset.csv": (4000, 5),
    "olist_sample/olist_orders_dataset.csv": (4000, 8),
    "olist_sample/olist_order_payments_dataset.csv": (4161, 5),
    "support_tickets/customer_support_tickets.csv": (8469, 17),
    "support_tickets/variant_Mumtaj1012_excel_resaved.csv": (8469, 17),
    "saas_sales/saas_sales.csv": (9994, 19),
    "call_center/call_center.xlsx": (5000, 10),
    "maven_crm_sales_opportunities/sales_pipeline.csv": (8800, 8),
    "maven_crm_sales_opportunities/accounts.csv": (85, 7),
    "maven_crm_sales_opportunities/products.csv": (7, 3),
    "maven_crm_sales_opportunities/sales_teams.csv": (35, 3),
    "saas_usage/ravenstack_accounts.csv": (500, 10),
    "saas_usage/ravenstack_subscriptions.csv": (5000, 14),
    "saas_usage/ravenstack_feature_usage.csv": (25000, 8),
    "saas_usage/ravenstack_support_tickets.csv": (2000, 9),
    "saas_usage/ravenstack_churn_events.csv": (600, 9),
    "bank_churn/Churn_Modelling.csv": (10000, 14),
    "bank_churn/Churn_Modelling.xlsx": (10000, 14),
    "bank_churn/variant_acarey5_space_padded.csv": (10000, 14),
}
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared test data folder {DATA} is absent")


@needs_data
def test_every_real_export_is_covered() -> None:
    present = {str(p.relative_to(DATA)) for p in DATA.glob("*/*") if p.suffix in (".csv", ".xlsx")}
    assert present <= set(REAL_FILES), f"add check figures for {present - set(REAL_FILES)}"


@needs_data
@pytest.mark.parametrize("relative", sorted(REAL_FILES))
def test_real_export_has_the_rows_and_columns_of_its_source(relative: str) -> None:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in the shared data")
    result = read_table(path.read_bytes(), path.name)
    assert result.frame.shape == REAL_FILES[relative]
    assert result.header_row == 1 and result.row_numbers is None
    assert not any("totals" in n.message or "blank row" in n.message for n in result.notes)


@needs_data
def test_csv_values_match_an_independent_csv_module_read() -> None:
    """Every cell equals the csv module's value, trimmed, with '' as None (support tickets: multi-line text)."""
    path = DATA / "support_tickets" / "customer_support_tickets.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    expected = pd.DataFrame([[v.strip() or None for v in row] for row in rows], columns=header, dtype=object)
    result = read_table(path.read_bytes(), path.name)
    assert is_arrow_text(result.frame.iloc[:, 0])  # over ARROW_MIN_BYTES: Arrow's reader took it
    assert object_frame(result.frame).equals(expected)


@needs_data
def test_saas_sales_is_read_as_mac_roman() -> None:
    result = read_table((DATA / "saas_sales" / "saas_sales.csv").read_bytes(), "saas_sales.csv")
    assert result.encoding == "mac_roman"
    assert "San José" in set(result.frame["City"]) and "São Paulo" in set(result.frame["City"])


@needs_data
def test_call_center_mixed_date_column_comes_out_as_one_iso_text() -> None:
    """4,989 text dates and 11 real Excel dates all read as YYYY-MM-DD; times as HH:MM:SS."""
    frame = read_table((DATA / "call_center" / "call_center.xlsx").read_bytes(), "call_center.xlsx").frame
    assert frame["Date"].str.fullmatch(r"2021-0[1-3]-\d\d").all()
    assert (frame["Date"].min(), frame["Date"].max()) == ("2021-01-01", "2021-03-31")
    assert frame["AvgTalkDuration"].dropna().str.fullmatch(r"\d\d:\d\d:\d\d").all()
    assert frame["AvgTalkDuration"].isna().sum() == 946


@needs_data
def test_space_padded_bank_variant_matches_the_original() -> None:
    padded = read_table((DATA / "bank_churn" / "variant_acarey5_space_padded.csv").read_bytes(), "p.csv").frame
    plain = pd.read_csv(DATA / "bank_churn" / "Churn_Modelling.csv", dtype=str, keep_default_na=False)
    assert list(padded.columns) == list(plain.columns)
    assert (padded["Geography"] == plain["Geography"]).all() and (padded["Surname"] == plain["Surname"]).all()


def test_a_survey_exports_question_text_and_import_id_rows_are_not_answers():
    """Qualtrics writes three header rows: ids, question text, then {"ImportId": ...} per column. Two answers
    follow: 2 rows, the first on file row 4, Q1 = 9 and 3 (the question-text row was read as a third row)."""
    text = ('ResponseId,Q1,Q2\nResponse ID,How likely are you to recommend us?,Why?\n'
            '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"\n'
            'R_1,9,Great\nR_2,3,Slow\n')
    result = read_table(text.encode(), "survey.csv")
    assert result.frame["Q1"].tolist() == ["9", "3"] and result.first_data_row == 4 and result.header_row == 1
    assert any("describe the columns" in n.message for n in result.notes)
