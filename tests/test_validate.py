"""Typing mapped columns and reporting every problem in an upload, with spreadsheet row numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.core.problems import Problem
from cs_logic.read.detect import detect
from cs_logic.read.ingest import read_table
from cs_logic.read.validate import cross_check, prepare, problems_frame

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AS_OF = pd.Timestamp("2025-01-01")


def _data(rel: str) -> Path:
    path = DATA / rel
    if not path.is_file():
        pytest.skip(f"the public test export {rel} is not at {DATA}")
    return path


def _read(text: str, name: str = "upload.csv"):
    return read_table(text.encode("utf-8"), name)


NPS_CSV = "id,nps\nr1,9\nr2,11\nr3,-1\nr4,N/A\nr5,9.5\nr6,\nr7,0\n"


def test_bad_nps_values_are_reported_with_spreadsheet_rows_and_rows_kept() -> None:
    """Header on row 1, so r2's "11" is on row 3; -1 row 4, 9.5 row 6; N/A and blank are blanks, not problems."""
    prepared = prepare(_read(NPS_CSV), "surveys", {"response_id": "id", "nps": "nps"}, "nps.csv")
    found = {(p.row, p.value) for p in prepared.problems if p.column == "nps"}
    assert found == {(3, "11"), (4, "-1"), (6, "9.5")}
    assert prepared.rows == 7
    assert prepared.frame["nps"].tolist()[:1] == [9.0] and prepared.frame["nps"].iloc[6] == 0.0
    assert prepared.frame["nps"].isna().sum() == 5
    assert all(p.file == "nps.csv" for p in prepared.problems)


def test_title_lines_shift_row_numbers() -> None:
    """Two title lines put the header on row 3 and the first data row on row 4, so "11" (2nd data row) is row 5."""
    read = _read("Survey export\nQ1 2024\n" + NPS_CSV)
    assert (read.header_row, read.first_data_row) == (3, 4)
    prepared = prepare(read, "surveys", {"response_id": "id", "nps": "nps"}, "nps.csv")
    assert {p.row for p in prepared.problems if p.value == "11"} == {5}


def test_duplicate_account_ids_are_reported_and_kept() -> None:
    read = _read("account_id,name\nA1,Acme\nA2,Beta\nA1,Acme again\n")
    prepared = prepare(read, "accounts", {"account_id": "account_id", "account_name": "name"}, "a.csv")
    dups = [p for p in prepared.problems if "repeated" in p.message]
    assert [(d.row, d.value, d.column) for d in dups] == [(4, "A1", "account_id")]
    assert prepared.rows == 3


def test_missing_required_field_is_an_error_naming_the_alternatives() -> None:
    prepared = prepare(_read("account_id,colour\nA1,red\n"), "accounts", {"account_id": "account_id"}, "a.csv")
    errors = [p for p in prepared.problems if p.severity == "error"]
    assert len(errors) == 1 and "Churned" in errors[0].message and "Account name" in errors[0].message
    assert prepared.rows == 1


def test_unparseable_dates_are_reported_with_value_and_row() -> None:
    read = _read("ticket_id,opened\nT1,2024-01-05\nT2,yesterday\nT3,2024-02-30\n")
    prepared = prepare(read, "tickets", {"ticket_id": "ticket_id", "created_at": "opened"}, "t.csv")
    bad = {(p.row, p.value) for p in prepared.problems if p.column == "opened"}
    assert bad == {(3, "yesterday"), (4, "2024-02-30")}
    assert prepared.frame["created_at"].dtype == "datetime64[ns]" and prepared.rows == 3


def test_dates_before_1990_and_far_future_are_blanked_and_reported() -> None:
    read = _read("ticket_id,opened\nT1,1900-01-01\nT2,2031-06-01\nT3,2024-06-01\n")
    prepared = prepare(read, "tickets", {"ticket_id": "ticket_id", "created_at": "opened"}, "t.csv", as_of=AS_OF)
    assert {p.row for p in prepared.problems if p.column == "opened"} == {2, 3}
    assert prepared.frame["created_at"].notna().tolist() == [False, False, True]


def test_scores_out_of_range_for_csat_and_ces() -> None:
    """CSAT must be 1-5 and CES 1-7: 0 and 6 are bad CSAT, 8 is bad CES."""
    read = _read("csat,ces\n0,8\n6,7\n5,1\n")
    prepared = prepare(read, "surveys", {"csat": "csat", "ces": "ces"}, "s.csv")
    found = {(p.column, p.row) for p in prepared.problems if p.column}
    assert found == {("csat", 2), ("csat", 3), ("ces", 2)}


def test_negative_durations_are_reported_and_blanked() -> None:
    read = _read("ticket_id,created,resolution_time_hours\nT1,2024-01-01,5\nT2,2024-01-02,-3\n")
    mapping = {"ticket_id": "ticket_id", "created_at": "created", "resolution_hours": "resolution_time_hours"}
    prepared = prepare(read, "tickets", mapping, "t.csv")
    assert [(p.row, p.value) for p in prepared.problems if "negative" in p.message] == [(3, "-3")]
    assert prepared.frame["resolution_hours"].tolist()[0] == 5.0 and np.isnan(prepared.frame["resolution_hours"][1])


def test_timestamps_in_a_duration_field_are_reported_and_left_blank() -> None:
    read = _read("ticket_id,First Response Time\nT1,2023-06-01 12:15\nT2,2023-06-01 13:00\n")
    prepared = prepare(read, "tickets", {"ticket_id": "ticket_id", "first_response_hours": "First Response Time"}, "t.csv")
    assert any("timestamps" in p.message for p in prepared.problems)
    assert prepared.frame["first_response_hours"].isna().all()


def test_more_than_200_bad_cells_end_with_one_summary() -> None:
    body = "\n".join(f"R{i},x{i}" for i in range(250))
    prepared = prepare(_read("id,nps\n" + body + "\n"), "surveys", {"response_id": "id", "nps": "nps"}, "s.csv")
    on_nps = [p for p in prepared.problems if p.column == "nps"]
    assert len(on_nps) == 201 and on_nps[-1].message.startswith("and 50 more") and on_nps[-1].row is None


def test_entirely_blank_column_is_reported() -> None:
    prepared = prepare(_read("id,nps,notes\nR1,5,\nR2,7,\n"), "surveys", {"response_id": "id", "nps": "nps"}, "s.csv")
    assert any(p.column == "notes" and "entirely blank" in p.message for p in prepared.problems)


def test_extra_columns_are_kept_and_typed() -> None:
    prepared = prepare(_read("account_id,churn,Seats,Since\nA1,Yes,3,2024-01-01\nA2,No,5,2024-02-01\n"),
                       "accounts", {"account_id": "account_id", "churned": "churn"}, "a.csv")
    frame = prepared.frame
    assert list(frame.columns) == ["account_id", "churned", "Seats", "Since"]
    assert frame["Seats"].dtype == "float64" and frame["Since"].dtype == "datetime64[ns]"
    assert str(frame["churned"].dtype) == "boolean" and prepared.churn_values == ("Yes",)


def test_cross_check_reports_ticket_ids_with_no_account() -> None:
    accounts = pd.DataFrame({"account_id": ["A1", "A2"]})
    tickets = pd.DataFrame({"ticket_id": ["T1", "T2", "T3"], "account_id": ["A1", "Z9", "Z9"]})
    found = cross_check({"accounts": accounts, "tickets": tickets}, {"accounts": "a.csv", "tickets": "t.csv"})
    assert len(found) == 1 and found[0].file == "t.csv" and found[0].value == "Z9"
    assert found[0].message.startswith("2 rows (1 distinct")


def test_cross_check_links_usage_through_subscriptions() -> None:
    accounts = pd.DataFrame({"account_id": ["A1"]})
    subs = pd.DataFrame({"subscription_id": ["S1"], "account_id": ["A1"]})
    usage = pd.DataFrame({"subscription_id": ["S1", "S9"], "date": pd.to_datetime(["2024-01-01"] * 2)})
    found = cross_check({"accounts": accounts, "subscriptions": subs, "usage": usage},
                        {"accounts": "a", "subscriptions": "s", "usage": "u"})
    assert [(p.file, p.value) for p in found] == [("u", "S9")]


def test_problems_frame_has_the_report_columns() -> None:
    frame = problems_frame([Problem("not a date", "Date", 3, "x", file="f.csv"), Problem("file level")])
    assert list(frame.columns) == ["file", "column", "row", "value", "message", "action", "severity"]
    assert frame["row"].tolist()[0] == 3 and frame["row"].isna().tolist() == [False, True]


# ---- real exports ------------------------------------------------------------------------------------------

def _detected(rel: str):
    """(table, Prepared) for a shared export, recognised and mapped without manual changes."""
    path = _data(rel)
    read = read_table(path.read_bytes(), path.name)
    found = detect(read.frame, path.name)
    return found.table, prepare(read, found.table, found.mapping, path.name, as_of=AS_OF)


def _prepared(rel: str):
    return _detected(rel)[1]


def test_nps_verbatims_keeps_every_row_and_counts_blank_scores() -> None:
    """2,385 rows; 32 NPS_SCORE fields are empty (counted here with the csv module), none of them a problem."""
    path = _data("nps_verbatims/nps_verbatims.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8", errors="replace"))))
    blank = sum(1 for r in rows if not r["NPS_SCORE"].strip())
    prepared = _prepared("nps_verbatims/nps_verbatims.csv")
    assert prepared.rows == len(rows) == 2385
    assert int(prepared.frame["nps"].isna().sum()) == blank == 32
    assert any("32 of 2385" in n for n in prepared.notes)
    assert any("day-first" in n for n in prepared.notes)
    assert not [p for p in prepared.problems if p.column == "NPS_SCORE"]


def test_telco_total_charges_blank_spaces_become_blank_numbers() -> None:
    """TotalCharges (an extra column) has 11 single-space values: a number column with 11 blanks."""
    prepared = _prepared("telco_churn/Telco-Customer-Churn.csv")
    total = prepared.frame["TotalCharges"]
    assert total.dtype == "float64" and int(total.isna().sum()) == 11
    assert prepared.churn_values == ("Yes",) and int(prepared.frame["churned"].sum()) == 1869


def test_saas_usage_cross_check_reports_the_churn_disagreement() -> None:
    """352 accounts have churn events, 110 are flagged (figures from SOURCE.txt, recounted with the csv module)."""
    tables, files = {}, {}
    for name in ("accounts", "subscriptions", "feature_usage", "support_tickets", "churn_events"):
        rel = f"saas_usage/ravenstack_{name}.csv"
        table, prepared = _detected(rel)
        tables[table], files[table] = prepared.frame, Path(rel).name
    accounts = list(csv.DictReader(_data("saas_usage/ravenstack_accounts.csv").open(encoding="utf-8")))
    events = list(csv.DictReader(_data("saas_usage/ravenstack_churn_events.csv").open(encoding="utf-8")))
    flagged = sum(1 for r in accounts if r["churn_flag"] == "TRUE")
    with_events = len({r["account_id"] for r in events})
    found = [p for p in cross_check(tables, files) if p.column == "churned"]
    assert (with_events, flagged) == (352, 110)
    assert any(f"{with_events} accounts have churn events but only {flagged} are flagged" in p.message for p in found)


def _large_usage(monkeypatch: pytest.MonkeyPatch, parallel_rows: int):
    """20,000 usage rows read as a large CSV is (Arrow-backed text), typed two at a time from ``parallel_rows``."""
    from cs_logic.read import ingest, validate

    monkeypatch.setattr(ingest, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(validate, "PARALLEL_ROWS", parallel_rows)
    lines = "".join(f"A{i % 50},2025-01-{1 + i % 28:02d},{i % 7}\n" for i in range(20_000))
    return read_table(("account_id,date,events\n" + lines).encode(), "usage.csv")


def test_prepare_lets_each_text_column_go_once_it_is_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file's raw text is as big as its typed table: with no reference kept by the caller (load_file
    hands the read over), the text of a typed column is freed before the next column is typed. Arrow's pool
    holds the text, so what it has allocated when each column is typed is the text still held."""
    import pyarrow as pa

    from cs_logic.read import validate

    read = _large_usage(monkeypatch, parallel_rows=10**12)  # one column after the other, in mapping order
    text = {str(c): pa.array(read.frame[c]).nbytes for c in read.frame.columns}
    held: dict[str, int] = {}
    typed = validate._typed

    def spy(field, raw, src, rows, as_of, decision=None):
        held[src] = pa.total_allocated_bytes()
        return typed(field, raw, src, rows, as_of, decision)

    monkeypatch.setattr(validate, "_typed", spy)
    handed = [read]
    del read
    start = pa.total_allocated_bytes()
    prepared = prepare(handed.pop(), "usage", {"account_id": "account_id", "date": "date", "events": "events"},
                       "usage.csv")
    slack = 16_384
    assert held["account_id"] >= start - slack
    assert held["date"] <= start - text["account_id"] + slack
    assert held["events"] <= start - text["account_id"] - text["date"] + slack
    assert prepared.frame["events"].sum() == sum(i % 7 for i in range(20_000))


def test_a_long_tables_largest_column_is_typed_first_and_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """With two threads, the column with the most text is typed before any other starts (all the text is held
    until then, so two working copies on top of it set the peak); the rest two at a time; the frame keeps the
    mapping's order."""
    import threading

    from cs_logic.read import validate

    read = _large_usage(monkeypatch, parallel_rows=1)
    typed = validate._typed
    lock, running, log = threading.Lock(), set(), []

    def spy(field, raw, src, rows, as_of, decision=None):
        with lock:
            log.append((src, frozenset(running)))
            running.add(src)
        try:
            return typed(field, raw, src, rows, as_of, decision)
        finally:
            with lock:
                running.discard(src)

    monkeypatch.setattr(validate, "_typed", spy)
    prepared = prepare(read, "usage", {"account_id": "account_id", "events": "events", "date": "date"}, "usage.csv")
    assert log[0] == ("date", frozenset())  # ten characters a row: the most text
    assert all("date" not in others for _, others in log[1:])
    assert list(prepared.frame.columns) == ["account_id", "events", "date"]
