"""Units and meanings recognised by headers and values, stated as decisions, changeable, and applied (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cs_logic.core.settings import FileMapping, Settings, dumps, loads
from cs_logic.metrics import funnel, support
from cs_logic.read.meanings import churn_split, decide
from cs_logic.read.parse import parse_durations
from cs_logic.read.workspace import load_file
from cs_logic.views.data_view import decisions_frame, with_choice
from cs_logic.views.summary import summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _shared(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    return path


def _load(name: str, text: str, **kw: object):
    return load_file(name, text.encode(), **kw)


# ------------------------------------------------------------------------------------------- call centre
@pytest.fixture(scope="module")
def calls():
    path = _shared("call_center/call_center.xlsx")
    return load_file(path.name, path.read_bytes())


def test_call_centre_talk_time_is_handle_time_never_resolution(calls):
    """AvgTalkDuration (h:mm:ss talk time, also on unresolved calls) is a handle time; no resolution time."""
    assert calls.mapping["handle_hours"] == "AvgTalkDuration"
    assert "resolution_hours" not in calls.mapping
    assert support.support_summary(calls.prepared.frame)["median_resolution_hours"] is None


def test_call_centre_first_response_is_the_speed_of_answer_in_seconds(calls):
    """Speed of answer in seconds: median 68 s of 4,054 answered calls (pandas on the same column) = 68/3600 h,
    shown as "1 min 8 s", not "0.0 h"."""
    s = support.support_summary(calls.prepared.frame)
    assert s["n_first_response"] == 4054
    assert s["median_first_response_hours"] == pytest.approx(68 / 3600)
    assert support.format_hours(s["median_first_response_hours"]) == "1 min 8 s"
    unit = next(d for d in calls.decisions if d.field == "first_response_hours")
    assert unit.choice == ("seconds",) and "header" in unit.why


def test_call_centre_backlog_is_the_calls_not_resolved(calls):
    """SOURCE.txt: Resolved Y 3646 / N 1354 -> backlog 1,354 on 2021-03-31 (was 5,000: every call)."""
    open_ = support.backlog(calls.prepared.frame, pd.Timestamp("2021-03-31 23:59"))
    assert len(open_) == 1354
    assert "resolved flag" in open_.attrs["method"]


def test_backlog_is_unknown_when_nothing_says_a_ticket_is_resolved():
    """Two tickets with only a creation date: no resolved date, status or flag -> None, not 2."""
    t = pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    assert support.backlog(t, pd.Timestamp("2024-02-01")) is None


# --------------------------------------------------------------------------------------------- bank churn
@pytest.fixture(scope="module")
def bank():
    path = _shared("bank_churn/Churn_Modelling.xlsx")
    return load_file(path.name, path.read_bytes())


def test_bank_tenure_in_years_is_stated_and_converted_to_months(bank):
    """Tenure 0-10, no unit in the header: years (a monthly tenure passes 12), so the max 10 y = 120 months."""
    d = next(d for d in bank.decisions if d.field == "tenure")
    assert d.choice == ("years",) and "0 to 10" in d.why
    assert bank.prepared.frame["tenure"].max() == 120


def test_bank_blank_churn_flags_are_reported_and_left_unknown(bank):
    """The xlsx has 3 blank Exited cells (pandas: data rows 190-192 -> file rows 192-194); 2,036 churned."""
    blank = [p for p in bank.problems if p.column == "Exited" and p.message == "no churn value"]
    assert [p.row for p in blank] == [192, 193, 194]
    assert all("unknown" in p.action for p in blank)
    assert int(bank.prepared.frame["churned"].sum()) == 2036
    assert int(bank.prepared.frame["churned"].isna().sum()) == 3


def test_a_manager_saying_months_is_saved_and_applied_on_the_next_read(bank):
    """Choosing months: saved in the settings as choices, the tenure read again is 10 at most."""
    path = _shared("bank_churn/Churn_Modelling.xlsx")
    settings = loads(dumps(with_choice(Settings(), bank, "tenure", ["months"])))
    again = load_file(path.name, path.read_bytes(), settings=settings)
    assert again.prepared.frame["tenure"].max() == 10
    assert next(d for d in again.decisions if d.field == "tenure").why.startswith("your choice")


def test_an_old_settings_file_without_choices_still_loads():
    """A mapping saved before choices existed has none; a new one round-trips them."""
    old = '{"version": 1, "mappings": [{"file": "a.csv", "columns": ["id"], "table": "accounts", "mapping": {}}]}'
    assert loads(old).mappings[0].choices == ()
    fm = FileMapping("a.csv", ("id",), "accounts", (), None, (("churned", ("Gone", "Ex")),))
    assert loads(dumps(Settings((fm,)))).mappings[0].choices == (("churned", ("Gone", "Ex")),)


# -------------------------------------------------------------------------------------------------- churn
STATUS_ACCOUNTS = "id,Plan,Status\na1,Pro,Active\na2,Pro, CHURNED \na3,Basic,cancelled\na4,Basic,Paused\n" \
                  "a5,Pro,Former customer\na6,Pro,\na7,Basic,active\n"


def test_churn_from_a_status_column_in_any_case_padded_and_paused_is_not_churn():
    """7 accounts: CHURNED, cancelled, Former customer -> 3 churned; Active, Paused, active -> 3 not; 1 blank."""
    lf = _load("crm.csv", STATUS_ACCOUNTS)
    assert lf.mapping["churned"] == "Status"
    flags = lf.prepared.frame["churned"]
    assert (int(flags.sum()), int((~flags.dropna().astype(bool)).sum()), int(flags.isna().sum())) == (3, 3, 1)
    d = next(d for d in lf.decisions if d.field == "churned")
    assert set(d.choice) == {"CHURNED", "cancelled", "Former customer"}
    assert "Paused" in d.decided.split("not churned = ")[1]
    assert [p.row for p in lf.problems if p.message == "no churn value"] == [7]


def test_the_manager_can_count_paused_as_churn():
    """Choosing churned = CHURNED, cancelled, Former customer, Paused -> 4 churned of 6 known."""
    lf = _load("crm.csv", STATUS_ACCOUNTS)
    settings = with_choice(Settings(), lf, "churned", ["CHURNED", "cancelled", "Former customer", "Paused"])
    again = _load("crm.csv", STATUS_ACCOUNTS, settings=settings)
    assert int(again.prepared.frame["churned"].sum()) == 4


@pytest.mark.parametrize("header", ["Churned?", "Is churned", "Exited", "Cancelled"])
def test_churn_flags_with_any_header_spelling(header):
    """A yes/no column under any of these headers is the churn flag: Yes, No, Yes -> 2 churned."""
    lf = _load("accounts.csv", f"Customer ID,Plan,{header}\nc1,Pro,Yes\nc2,Pro,No\nc3,Basic,Yes\n")
    assert lf.mapping["churned"] == header
    assert int(lf.prepared.frame["churned"].sum()) == 2


def test_an_active_flag_is_churn_inverted():
    """Salesforce-style Active = Yes/No: No means churned; 1 No of 3 -> 1 churned."""
    lf = _load("accounts.csv", "Account ID,Account Name,Active\nA1,One,Yes\nA2,Two,No\nA3,Three,Yes\n")
    assert lf.mapping["churned"] == "Active"
    assert lf.prepared.frame["churned"].tolist() == [False, True, False]
    assert "active" in next(d for d in lf.decisions if d.field == "churned").why


def test_churn_split_keeps_a_flags_unknown_values_unknown():
    """Yes / No / maybe: maybe is neither churned nor kept."""
    assert churn_split(["Yes", "No", "maybe"]) == (["Yes"], ["No"])


# ---------------------------------------------------------------------------------------------- durations
@pytest.mark.parametrize(("header", "values", "hours"), [
    ("Wait time in minutes", ["30", "90"], [0.5, 1.5]),
    ("Handle time (hrs)", ["2", "0.5"], [2.0, 0.5]),
    ("talk sec", ["3600", "90"], [1.0, 0.025]),
    ("Time to answer", ["1:30:00", "0:02:24"], [1.5, 0.04]),
    ("Talk time (mm:ss)", ["02:24", "90:00"], [0.04, 1.5]),
])
def test_duration_units_from_the_header_or_the_values(header, values, hours):
    """30 min = 0.5 h; 3600 s = 1 h, 90 s = 0.025 h; 1:30:00 = 1.5 h; 02:24 as mm:ss = 144 s = 0.04 h."""
    frame = pd.DataFrame({"Ticket ID": ["t1", "t2"], header: values})
    decisions, _ = decide(frame, "tickets", {"ticket_id": "Ticket ID", "first_response_hours": header}, "t.csv")
    unit = decisions[0].choice[0]
    assert parse_durations(frame[header], unit).values.tolist() == pytest.approx(hours)


def test_a_duration_without_a_unit_takes_its_sibling_columns_unit():
    """Zendesk-style: "First reply time in minutes" beside "Agent wait time" (no unit) -> minutes for both."""
    frame = pd.DataFrame({"Id": ["1"], "First reply time in minutes": ["30"], "Full resolution time": ["240"]})
    mapping = {"ticket_id": "Id", "first_response_hours": "First reply time in minutes",
               "resolution_hours": "Full resolution time"}
    decisions, _ = decide(frame, "tickets", mapping, "z.csv")
    res = next(d for d in decisions if d.field == "resolution_hours")
    assert res.choice == ("minutes",) and "First reply time in minutes" in res.why


def test_wait_and_talk_time_headers_map_to_first_response_and_handle_time():
    """A call log: wait time is the first response, talk time a handle time, neither a resolution."""
    lf = _load("calls.csv", "call_id,agent,start_at,talk_time,wait_time\n"
               "c1,Ann,2024-05-06 09:00,310,60\nc2,Bob,2024-05-06 10:00,95,420\n")
    assert lf.mapping.get("first_response_hours") == "wait_time"
    assert lf.mapping.get("handle_hours") == "talk_time"
    assert "resolution_hours" not in lf.mapping


# -------------------------------------------------------------------------------------------------- deals
@pytest.fixture(scope="module")
def maven():
    path = _shared("maven_crm_sales_opportunities/sales_pipeline.csv")
    return load_file(path.name, path.read_bytes())


def test_maven_lost_deals_reach_engaging_by_their_engage_date(maven):
    """Every lost deal has an engage date, so it reached Engaging: P(won | Engaging) = 4238 / (4238 + 2473)
    = 0.6315, not 1.0; reached Engaging = 4238 won + 1589 open + 2473 lost = 8300."""
    deals = maven.prepared.frame
    order = funnel.stage_order(deals)
    assert order == ["Prospecting", "Engaging", "Won"]
    p = funnel.win_probability_by_stage(deals, order).set_index("stage")["p_won"]
    assert p["Engaging"] == pytest.approx(4238 / (4238 + 2473))
    assert funnel.funnel_table(deals, order)["reached"].tolist() == [8800, 8300, 4238]
    assert any(d.kind == "stage_date" and d.column == "engage_date" for d in maven.decisions)


def test_maven_pipeline_value_is_unknown_and_the_forecast_says_it_rests_on_imputed_amounts(maven):
    """No open deal has a close_value: pipeline None (not 0); the forecast is all imputed amounts and says so."""
    deals = maven.prepared.frame
    order = funnel.stage_order(deals)
    assert funnel.pipeline_value(deals, order) is None
    assert funnel.forecast_by_stage(deals, order)["pipeline_value"].isna().all()
    forecast = funnel.weighted_forecast(deals, order)
    assert forecast.imputed_share == 1.0 and "imputed amounts" in forecast.label
    out = summary({"deals": deals})["deals"]
    assert out["pipeline_value"] is None and out["forecast_imputed_share"] == 1.0


PIPEDRIVE = """Deal - ID,Deal - Title,Deal - Value,Deal - Owner,Deal - Stage,Deal - Status
1,a,100,Mia,Lead In,Won
2,b,200,Mia,Proposal Made,Lost
3,c,300,Tom,Lead In,Lost
4,d,400,Tom,Proposal Made,Open
5,e,500,Mia,Proposal Made,Won
"""


def test_a_status_column_is_the_outcome_and_the_stage_where_a_lost_deal_stopped():
    """Status: won 1, 5; lost 2 (at Proposal Made), 3 (at Lead In); open 4 (Proposal Made).
    Reached Lead In: all 5; Proposal Made: 1, 5 (won), 2 (lost there), 4 (open) = 4; Won: 2.
    P(won | Proposal Made) = 2 won / (2 won + deal 2) = 2/3; win rate 2/4."""
    lf = _load("deals.csv", PIPEDRIVE)
    assert lf.table == "deals" and lf.mapping["status"] == "Deal - Status" and lf.mapping["stage"] == "Deal - Stage"
    deals = lf.prepared.frame
    order = funnel.stage_order(deals)
    assert order == ["Lead In", "Proposal Made", "Won"]
    assert funnel.outcome_counts(deals, order) == {"won": 2, "lost": 2, "open": 1, "unknown": 0}
    assert funnel.funnel_table(deals, order)["reached"].tolist() == [5, 4, 2]
    p = funnel.win_probability_by_stage(deals, order).set_index("stage")["p_won"]
    assert p["Proposal Made"] == pytest.approx(2 / 3)


def test_the_data_page_table_lists_each_decision_with_why_and_how_to_change(calls, bank):
    """One row per decision, across files: the call centre's two durations and the bank's tenure and churn."""
    table = decisions_frame([calls, bank])
    assert table.columns.tolist() == ["file", "column", "decision", "why", "how to change"]
    assert set(zip(table["file"], table["column"])) >= {
        ("call_center.xlsx", "Speed of answer in seconds"), ("call_center.xlsx", "AvgTalkDuration"),
        ("Churn_Modelling.xlsx", "Tenure"), ("Churn_Modelling.xlsx", "Exited")}
    assert table["why"].str.len().gt(0).all() and table["how to change"].str.len().gt(0).all()


# ------------------------------------------------------------------------------------------- word ratings
ZENDESK_LIKE = ("Id,Status,Created at,Satisfaction Score,Replies\n"
                "1,solved,2024-03-01,Good,1\n2,solved,2024-03-01,Bad,5\n3,open,2024-03-02,Offered,2\n"
                "4,solved,2024-03-02,good,3\n5,closed,2024-03-03,Unoffered,4\n6,solved,2024-03-03,Good,1\n")


def test_a_rating_in_words_is_the_csat_and_a_count_of_replies_is_not():
    """'Satisfaction Score' holds Good / Bad / Offered / Unoffered; 'Replies' holds 1-5 but its header names
    a count. Good 3 (rows 1, 4, 6), Bad 1, Offered and Unoffered are no answers -> CSAT 100*3/4 = 75.0, n 4;
    a mean of satisfied/not words is no 1-5 mean rating (null, with a note)."""
    lf = _load("tickets.csv", ZENDESK_LIKE)
    assert lf.table == "tickets" and lf.mapping["csat"] == "Satisfaction Score"
    rating = next(d for d in lf.decisions if d.kind == "rating")
    assert set(rating.choice) == {"Good", "good"} and rating.opposite == ("Bad",)
    s = summary({"tickets": lf.prepared.frame})
    assert (s["csat"]["n"], s["csat"]["csat"], s["csat"]["mean_rating"]) == (4, 75.0, None)
    assert any(n.startswith("csat.mean_rating") for n in s["notes"])


def test_a_numeric_rating_gets_no_word_decision():
    """1-5 numbers under 'Satisfaction' are read as numbers: no rating decision, mean rating (5+4+2)/3."""
    lf = _load("t.csv", "Ticket ID,Created at,Satisfaction\n1,2024-01-01,5\n2,2024-01-02,4\n3,2024-01-03,2\n")
    assert not [d for d in lf.decisions if d.kind == "rating"]
    assert summary({"tickets": lf.prepared.frame})["csat"]["mean_rating"] == pytest.approx(11 / 3)


# ------------------------------------------------------------------------------------ units from a time gap
CALLS = ("call_id,start_at,end_at,total_time,talk_time,wait_time\n"
         "c1,2024-05-06T09:00:00Z,2024-05-06T09:06:10Z,370,310,60\n"
         "c2,2024-05-06T12:00:00Z,2024-05-06T12:08:35Z,515,95,420\n"
         "c3,2024-05-06T15:00:00Z,2024-05-06T15:22:50Z,1370,1250,120\n"
         "c4,2024-05-06T16:00:00Z,2024-05-06T16:05:00Z,300,120,180\n")


def test_a_unitless_wait_time_takes_the_unit_of_the_gap_between_two_timestamps():
    """No unit in any header. total_time equals end_at - start_at in seconds on every row (6:10 = 370 s,
    8:35 = 515 s, 22:50 = 1370 s, 5:00 = 300 s), so the file's plain durations are seconds: wait_time
    60 120 180 420 s -> median (120+180)/2 = 150 s = 150/3600 h (was read as 150 hours)."""
    lf = _load("calls.csv", CALLS)
    unit = next(d for d in lf.decisions if d.field == "first_response_hours")
    assert unit.choice == ("seconds",) and "total_time" in unit.why and "end_at" in unit.why
    assert support.support_summary(lf.prepared.frame)["median_first_response_hours"] == pytest.approx(150 / 3600)


def test_without_a_matching_gap_a_unitless_duration_is_still_assumed_hours_and_says_so():
    """total_time no longer equals the gap (one row of four does): no evidence, hours assumed, stated."""
    lf = _load("calls.csv", CALLS.replace(",370,", ",999,").replace(",515,", ",888,").replace(",1370,", ",777,"))
    unit = next(d for d in lf.decisions if d.field == "first_response_hours")
    assert unit.choice == ("hours",) and "assumed" in unit.decided


# ------------------------------------------------------------------------------------------- won / closed flags
OPPS = ("Opportunity Name,Stage,Amount,Won,Closed\n"
        "A,Closed Won,100,1,1\nB,Disqualified,200,0,1\nC,Closed Lost,300,0,1\nD,Proposal,400,0,0\n"
        "E,Negotiation,500,0,0\nF,Closed Won,600,1,1\n")


def test_won_and_closed_flags_decide_the_outcome_over_the_stage_name():
    """Won 1: A, F -> won 2. Closed 1 and Won 0: B (Disqualified, a name that does not say lost) and C -> lost 2.
    Closed 0: D, E -> open 2, pipeline 400 + 500 = 900. Win rate 2 / (2 + 2) = 0.5 (Disqualified read as an
    open stage gave 2/3)."""
    lf = _load("opportunities.csv", OPPS)
    assert lf.mapping["won"] == "Won" and lf.mapping["closed"] == "Closed"
    assert any(d.kind == "outcome" and d.column == "Won" for d in lf.decisions)
    d = summary({"deals": lf.prepared.frame})["deals"]
    assert (d["won"], d["lost"], d["open"], d["win_rate"], d["pipeline_value"]) == (2, 2, 2, 0.5, 900.0)


def test_summary_median_tenure_is_in_months_and_unknown_without_a_tenure_column():
    """'Tenure (yrs)' 0.5, 2, 4 -> years by the header, times 12: 6, 24, 48 months, median 24.
    Without a tenure column the figure is null with a note, never 0."""
    lf = _load("accounts.csv", "Customer ID,Plan,Tenure (yrs)\nA,Pro,0.5\nB,Pro,2\nC,Basic,4\n")
    assert summary({"accounts": lf.prepared.frame})["accounts"]["median_tenure_months"] == 24.0
    s = summary({"accounts": lf.prepared.frame.drop(columns=["tenure"])})
    assert s["accounts"]["median_tenure_months"] is None
    assert any(n.startswith("accounts.median_tenure_months") for n in s["notes"])


# ------------------------------------------------------------------------------------------------ guest orders
SHOP = ("order_id,date,order_total,customer_id,billing_email\n"
        "1,2024-03-01,10,12,lena@shop.test\n2,2024-03-02,10,0,g1@mail.test\n3,2024-03-03,10,12,lena@shop.test\n"
        "4,2024-03-04,10,0,g2@mail.test\n5,2024-03-05,10,0,G1@mail.test \n6,2024-03-06,10,0,lena@shop.test\n"
        "7,2024-03-07,10,15,omar@shop.test\n")


def test_guest_orders_are_told_apart_by_email_not_lumped_as_customer_zero():
    """customer_id 0 on orders 2, 4, 5, 6. By e-mail: g1 (2 and 5, case and space folded) -> 2 orders; g2 1;
    order 6 is lena's e-mail, who has id 12 -> lena 3 orders; omar (15) 1. Customers lena, g1, g2, omar = 4,
    repeaters lena and g1 -> 2/4 = 0.5 (customer_id alone gave 3 customers, 12 and 0 repeating: 2/3)."""
    lf = _load("orders.csv", SHOP)
    assert any(d.kind == "guest" and d.choice == ("billing_email",) for d in lf.decisions)
    o = summary({"orders": lf.prepared.frame}, pd.Timestamp("2024-06-30").date())["orders"]
    assert (o["customers"], o["orders"]) == (4, 7) and o["repeat_purchase_rate"] == pytest.approx(0.5)


def test_without_an_email_each_guest_order_is_its_own_customer():
    """Same orders, no e-mail column: 12 has 2 orders, 15 one, the four guest orders are 4 customers ->
    6 customers, 1 repeater: 1/6."""
    lf = _load("orders.csv", "\n".join(",".join(r.split(",")[:4]) for r in SHOP.splitlines()) + "\n")
    o = summary({"orders": lf.prepared.frame}, pd.Timestamp("2024-06-30").date())["orders"]
    assert o["customers"] == 6 and o["repeat_purchase_rate"] == pytest.approx(1 / 6)


def test_guest_ids_are_found_as_a_test_of_every_row_finds_them():
    """The guest test runs on distinct ids, most ruled out by a letter or digit no guest id has (meanings.NOT_GUEST):
    on ids written every way a shop writes them (case, padding, punctuation, numbers, accents, blanks) it marks
    exactly the rows a test of every row marks."""
    from cs_logic.read import meanings

    ids = pd.Series(["12", "0", " 0 ", "-1", 0, -1, 0.0, "0.0", "00", "Guest", "GUEST_CHECKOUT", "guest-customer",
                     "No Account", "no.account ", "Gäst", "gueſt", "guest 2", "C-0001", "ghost", "", None, float("nan"),
                     "guest\tcheckout", "noaccount", "1", "-1.0", "ɡuest"] * 3, dtype=object)
    every_row = ids.map(lambda v: pd.notna(v) and (str(v).strip() in meanings.GUEST_IDS
                                                   or meanings._fold(v) in meanings.GUEST_IDS)).astype(bool)
    assert meanings._guest_rows(ids, meanings._guest_ids(ids)).tolist() == every_row.tolist()
    # 0 three ways, -1 twice, Guest, guest checkout twice (_ and tab), guest-customer, no account twice, and "gueſt"
    # (a long s folds to s): 12 of each 27
    assert every_row.sum() == 3 * 12
    arrow = ids.where(ids.notna(), None).map(lambda v: v if v is None else str(v)).astype("str")
    assert meanings._guest_rows(arrow, meanings._guest_ids(arrow)).tolist() == arrow.map(
        lambda v: pd.notna(v) and (str(v).strip() in meanings.GUEST_IDS or meanings._fold(v) in meanings.GUEST_IDS)).tolist()
