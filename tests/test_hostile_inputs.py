"""Issue 19: odd and hostile files load without silent loss or a crash, and each loss the reader avoids is noted."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.metrics.nps import nps
from cs_logic.read import ingest
from cs_logic.read.csvtext import Dialect
from cs_logic.read.workspace import combine, load_file
from tests import hostilefiles as hf

ROOT = Path(__file__).resolve().parents[1]


def _load(make):
    name, data = make()
    return load_file(name, data)


def _messages(lf) -> str:
    return " | ".join(f"{p.row}:{p.column}:{p.value}:{p.message}:{p.action}" for p in lf.problems)


def test_totals_row_and_export_footer_are_not_accounts():
    """A1 (100) and A2 (200) are the accounts: 2 accounts, revenue 100 + 200 = 300, not 4 and 600."""
    lf = _load(hf.totals_and_footer_csv)
    assert lf.table == "accounts"
    tables, _ = combine([lf])
    accounts = tables["accounts"]
    assert list(accounts["account_id"]) == ["A1", "A2"]
    assert accounts["revenue"].sum() == 300
    rows = {p.row: p for p in lf.problems}
    assert "Exported 2025-10-01" in (rows[6].value or "") and rows[6].action == "left it out"
    assert "Total" in (rows[4].value or "") and "totals" in rows[4].message


def test_footer_is_not_taken_for_a_last_account_with_blanks():
    """A last record after a blank line that fills most columns is data: kept (3 accounts)."""
    data = b"account_id,name,revenue,plan\nA1,Acme,100,pro\nA2,Beta,200,pro\n\nA3,Gamma,,basic\n"
    lf = load_file("a.csv", data)
    assert lf.rows == 3


def test_a_300000_character_field_keeps_every_column_and_the_field_whole():
    """The survey keeps its 4 columns and 2,000 rows; the long comment is read whole."""
    name, data = hf.huge_field_survey_csv()
    assert 256 * 1024 < len(data) < 1024 * 1024
    lf = load_file(name, data)
    assert list(lf.read.frame.columns) == ["response_id", "nps", "date", "comment"]
    assert lf.table == "surveys" and lf.rows == 2000
    assert lf.prepared.frame["comment"].iloc[0] == "x" * hf.HUGE_FIELD


def test_a_pandas_parser_warning_is_retried_with_a_reader_that_keeps_every_column():
    """Told the file is 1 column wide, pandas' C parser warns and drops 3 columns; the retry keeps all 4."""
    source = b"a,b,c,d\n1,2,3,4\n5,6,7,8\n"
    grid, notes = ingest._parse_csv(source, Dialect(","), 1, "w.csv")
    assert grid.shape == (3, 4)
    assert grid.iloc[2].tolist() == ["5", "6", "7", "8"]
    assert len(notes) == 1 and "warned" in notes[0].message


def test_a_blank_header_cell_keeps_the_header_row_and_every_data_row():
    lf = _load(hf.blank_header_cell_csv)
    assert lf.read.header_row == 1
    assert list(lf.read.frame.columns) == ["account_id", "column_2", "revenue"]
    assert lf.table == "accounts" and lf.rows == 3


def test_a_survey_with_four_invalid_nps_values_is_used_and_each_is_reported():
    """10 valid answers: promoters 9,10,9,10,9 (5), detractors 6,0,3 (3): NPS = 100 * (5 - 3) / 10 = 20.
    The invalid 11, -1, "ten", 9.5 sit on file rows 3, 6, 9, 12 and are left out of n."""
    lf = _load(hf.nps_out_of_range_csv)
    assert lf.table == "surveys" and lf.mapping.get("nps") == "nps"
    bad = {(p.row, p.value) for p in lf.problems if p.column == "nps"}
    assert bad == {(3, "11"), (6, "-1"), (9, "ten"), (12, "9.5")}
    result = nps(lf.prepared.frame["nps"])
    assert result.n == 10 and result.nps == pytest.approx(20.0)


def test_formulas_never_calculated_are_reported_not_read_as_silent_blanks():
    lf = _load(hf.uncalculated_formulas_xlsx)
    found = [p for p in lf.problems if "never calculated" in p.message]
    assert len(found) == 1
    assert found[0].column == "revenue" and found[0].row == 2 and found[0].value == "=B2*C2"
    assert "5 cells" in found[0].message


def test_tab_separated_text_with_literal_quotes_keeps_every_row_and_says_how_it_read_them():
    """400 tickets, none merged; the two readings (quotes as quoting or as characters) are named with counts."""
    lf = _load(hf.literal_quotes_tsv)
    assert lf.table == "tickets" and lf.rows == hf.TSV_ROWS
    tables, _ = combine([lf])
    assert set(hf.TSV_QUOTED.values()) <= set(tables["tickets"]["subject"])
    two_ways = [p for p in lf.problems if "two ways" in p.message]
    assert two_ways and "401 records" in two_ways[0].message


def test_backslash_escaped_quotes_are_read_whole():
    lf = _load(hf.backslash_escaped_csv)
    assert list(lf.read.frame.columns) == ["ticket_id", "account_id", "created_at", "subject"]
    assert lf.table == "tickets"
    tables, _ = combine([lf])
    assert (tables["tickets"]["subject"] == 'He said "hi, there" and left').sum() == 4


@pytest.mark.parametrize("make", [hf.over_2_53_csv, hf.over_2_53_ids_csv])
def test_whole_numbers_above_2_53_exit_0_on_the_command_line_with_a_note(make, tmp_path):
    name, data = make()
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "cs_logic", "inspect", str(path), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["rows"] == 3


def test_a_revenue_above_2_53_is_read_and_its_rounding_noted():
    """9007199254740993 has no exact float64: it is read as 9007199254740992 and the note says so."""
    lf = _load(hf.over_2_53_csv)
    assert lf.prepared.frame["revenue"].tolist() == [9007199254740992.0, 200.0, 300.0]
    assert any("2^53" in n for n in lf.prepared.notes)


def test_ids_above_2_53_are_kept_exactly_as_text():
    lf = _load(hf.over_2_53_ids_csv)
    assert lf.prepared.frame["account_id"].tolist() == ["9007199254740993", "9007199254740995", "9007199254740997"]


def test_feedback_page_runs_with_surveys_without_comments_and_no_tickets():
    """The FAQ section had no source to choose and raised; now it says why there is nothing to group."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    name, data = hf.nps_out_of_range_csv()
    at.file_uploader(key="data_upload").set_value([(name, data, "text/csv")]).run()
    at.switch_page("pages/feedback.py").run()
    assert not at.exception
    assert any("no comment column" in i.value for i in at.info)


def test_a_huge_cell_in_a_frame_is_kept_whole_by_the_python_fallback():
    """The fallback reader has no field limit: a 300,000-character field with a 1-column hint stays whole."""
    source = ("a,b\n" + "1," + "y" * hf.HUGE_FIELD + "\n").encode()
    grid, _ = ingest._parse_csv(source, Dialect(","), 1, "h.csv")
    assert isinstance(grid, pd.DataFrame) and len(grid.iloc[1, 1]) == hf.HUGE_FIELD


# ---- export safety and bidirectional controls --------------------------------------------------------------

LOOK_ALIKES = ("\uff1d1+1", "\ufe661+1", "\uff0bcmd|' /C calc'!A0", "\uff20SUM(1+1)", "\u2212cmd|' /C calc'!A0",
               " =HYPERLINK(\"http://evil.example\")", "\u200b=1+1", "\u202e=1+1", "\u3000=1+1")


@pytest.mark.parametrize("payload", LOOK_ALIKES)
def test_look_alike_and_hidden_formula_starts_are_neutralised(payload):
    """Full-width ＝ (U+FF1D), small ﹦, ＋, ＠, the minus sign −, and = after spaces or invisible marks."""
    from cs_logic.output.exports import neutralise, to_csv_bytes

    assert neutralise(payload) == "'" + payload
    written = to_csv_bytes(pd.DataFrame({"comment": [payload]})).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(written, newline="")))[1] == ["'" + payload]


def test_plain_text_numbers_and_persian_are_not_prefixed():
    from cs_logic.output.exports import neutralise

    assert [neutralise(v) for v in ("Great", "سلام", "é", "  ", 5, -3.5)] == ["Great", "سلام", "é", "  ", 5, -3.5]


def test_streamlit_raw_table_download_is_off_so_only_the_safe_export_remains():
    """client.disableDataExport hides st.dataframe's own CSV download (raw cells) on every table."""
    import tomllib

    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["disableDataExport"] is True
    assert "client.disableDataExport" in config._config_options_template


def test_bidi_override_in_a_name_is_shown_as_its_code():
    r"""U+202E made "gnp\u202e.exe" show as "exe.png": the grid and the report show \u202E instead."""
    from cs_logic.core.escape import show_controls, shown_frame
    from cs_logic.output.report import table_html

    name = "gnp\u202eexe.png"
    assert show_controls(name) == "gnp\\u202Eexe.png"
    shown = shown_frame(pd.DataFrame({"account_name": [name, "Acme"], "revenue": [1, 2]}))
    assert shown["account_name"].tolist() == ["gnp\\u202Eexe.png", "Acme"]
    html = table_html(pd.DataFrame({"account_name": [name]}))
    assert "\u202e" not in html and "gnp\\u202Eexe.png" in html


def test_a_frame_without_controls_is_shown_as_it_is():
    from cs_logic.core.escape import shown_frame

    frame = pd.DataFrame({"comment": ["خیلی خوب بود", "ok\u200c"], "n": [1, 2]})
    assert shown_frame(frame) is frame


def test_data_page_preview_shows_a_bidi_override_as_its_code():
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()
    data = "account_id,account_name,revenue\nA1,gnp\u202eexe.png,100\nA2,Acme,200\n".encode()
    at.file_uploader(key="data_upload").set_value([("names.csv", data, "text/csv")]).run()
    assert not at.exception
    cells = {v for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()}
    assert "gnp\\u202Eexe.png" in cells and not any("\u202e" in c for c in cells)


def test_data_page_loads_a_revenue_above_2_53_without_an_error_box():
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()
    name, data = hf.over_2_53_csv()
    at.file_uploader(key="data_upload").set_value([(name, data, "text/csv")]).run()
    assert not at.exception and not at.error
    assert any(name in e.label.replace("\\", "") and "3 rows" in e.label for e in at.expander)  # labels escape Markdown
