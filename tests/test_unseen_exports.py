"""Unseen exports in the shapes real tools document, each figure worked out by hand (issue 14, item 8).

The files live in tests/exports/<tool>/; tests/exports/MANIFEST.md names each tool's documentation and
repeats the working. The command line is the only interface used: `inspect --json` says which table and
which columns the app recognised, `summary --json` gives the figures. Keys that summary does not print
yet (`backlog`, `pipeline_value`, `median_tenure_months`, accounts from a subscriptions export) are the
natural names for figures METRICS.md asks for; the manifest marks them "needs a new key".
"""

import contextlib
import functools
import io
import json
from pathlib import Path

import pytest

from cs_logic.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "exports"


@functools.cache
def _cli(*args: str) -> dict:
    """`python -m cs_logic ARGS --json`, run in this process (the same main(); a new Python per call cost 2-3 s):
    exit code 0 and its JSON output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--json"])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def inspect(rel: str) -> dict:
    return _cli("inspect", str(EXPORTS / rel))


def summary(rel: str, as_of: str | None = None) -> dict:
    extra = ("--as-of", as_of) if as_of else ()
    return _cli("summary", str(EXPORTS / rel), *extra)


# ------------------------------------------------------------------------------------------ support


def test_zendesk_recognises_first_reply_and_full_resolution_minutes_and_satisfaction():
    """Zendesk's CSV export: 'First reply time in minutes' is the first response, 'Full resolution time
    in minutes' the resolution, 'Satisfaction Score' (Good/Bad/Offered/Unoffered) the CSAT; neither
    'Agent wait time in minutes' nor 'Replies' (a count of replies) is any of these."""
    r = inspect("zendesk/tickets.csv")
    assert r["table"] == "tickets"
    assert r["mapping"]["first_response_hours"] == "First reply time in minutes"
    assert r["mapping"]["resolution_hours"] == "Full resolution time in minutes"
    assert r["mapping"].get("csat") == "Satisfaction Score"


def test_zendesk_medians_are_over_tickets_with_a_value_in_hours():
    """First reply (min), 10 tickets with a value: 15 20 30 30 45 | 60 90 120 180 240 -> median
    (45+60)/2 = 52.5 min = 0.875 h; p90 at position 0.9*9 = 8.1 -> 180 + 0.1*60 = 186 min = 3.1 h.
    Full resolution of the 7 solved/closed: 120 240 360 480 600 1440 2880 -> median 480 min = 8 h."""
    t = summary("zendesk/tickets.csv", "2024-03-31")["tickets"]
    assert t["count"] == 12
    assert t["median_first_response_hours"] == pytest.approx(0.875, abs=0.006)  # summary prints 2 decimals
    assert t["p90_first_response_hours"] == pytest.approx(3.1, abs=0.005)
    assert t["median_resolution_hours"] == pytest.approx(8.0, abs=0.005)


def test_zendesk_backlog_counts_unsolved_tickets():
    """Statuses: new 1, open 2, pending 1, hold 1 are not resolved; solved 4, closed 3 are.
    Backlog = 1 + 2 + 1 + 1 = 5 of 12."""
    assert summary("zendesk/tickets.csv", "2024-03-31")["tickets"].get("backlog") == 5


def test_zendesk_csat_counts_good_and_bad_ratings_only():
    """Satisfaction Score: Good 4 (1001 1002 1004 1010), Bad 2 (1003 1012); Offered 1 and Unoffered 5
    are not answers. CSAT = 100 * 4 / 6 = 66.67 with n = 6."""
    c = summary("zendesk/tickets.csv", "2024-03-31")["csat"]
    assert c is not None and c["n"] == 6
    assert c["csat"] == pytest.approx(66.67, abs=0.01)


def test_freshdesk_reads_hh_mm_ss_in_hours_columns():
    """'First response time (in hrs)' holds hh:mm:ss text. 9 values in hours: 0.167 0.333 0.5 0.75 | 1.0 |
    1.25 2.0 3.5 5.0 -> median 1.0 h; p90 at 0.9*8 = 7.2 -> 3.5 + 0.2*1.5 = 3.8 h. Resolution of the
    6 Resolved/Closed: 1.0 2.5 4.0 10.5 26.0 48.0 -> median (4.0+10.5)/2 = 7.25 h."""
    t = summary("freshdesk/tickets.csv", "2024-04-30")["tickets"]
    assert t["count"] == 10
    assert t["median_first_response_hours"] == pytest.approx(1.0, abs=0.005)
    assert t["p90_first_response_hours"] == pytest.approx(3.8, abs=0.005)
    assert t["median_resolution_hours"] == pytest.approx(7.25, abs=0.005)


def test_freshdesk_backlog_counts_open_and_pending_not_sla_resolution_status():
    """Status Open 2 + Pending 2 = 4 not resolved (Resolved 3, Closed 3). 'Resolution status' says
    Within SLA / SLA Violated: it is not a resolved flag and must not be mapped as one."""
    r = inspect("freshdesk/tickets.csv")
    assert r["mapping"].get("resolved") != "Resolution status"
    assert summary("freshdesk/tickets.csv", "2024-04-30")["tickets"].get("backlog") == 4


def test_talkdesk_wait_time_in_seconds_is_the_first_response():
    """Talkdesk's calls report gives durations in seconds. wait_time (time to answer) sorted:
    60 120 180 240 300 | 420 540 600 720 1080 -> median (300+420)/2 = 360 s = 0.1 h;
    p90 = 720 + 0.1*360 = 756 s = 0.21 h."""
    r = inspect("talkdesk/calls.csv")
    assert r["mapping"]["first_response_hours"] == "wait_time"
    t = summary("talkdesk/calls.csv")["tickets"]
    assert t["median_first_response_hours"] == pytest.approx(0.1, abs=0.005)
    assert t["p90_first_response_hours"] == pytest.approx(0.21, abs=0.005)


def test_talkdesk_talk_time_is_not_a_resolution_time():
    """talk_time is handling, not time to resolution (METRICS.md: Support), so resolution is unknown:
    null; and calls carry no status, so backlog is unknown too."""
    assert "resolution_hours" not in inspect("talkdesk/calls.csv")["mapping"]
    t = summary("talkdesk/calls.csv")["tickets"]
    assert t["median_resolution_hours"] is None
    assert t.get("backlog", None) is None


def test_talkdesk_csat_score_is_top_two_box_of_answered_calls():
    """csat_score on 5 calls: 5 4 2 5 3 -> 3 of 5 are 4-5: CSAT 60.0, mean rating 19/5 = 3.8."""
    c = summary("talkdesk/calls.csv")["csat"]
    assert (c["n"], c["csat"], c["mean_rating"]) == (5, 60.0, 3.8)


# ------------------------------------------------------------------------------------------ surveys


def test_qualtrics_nps_skips_the_two_extra_header_rows_and_the_group_column():
    """Qualtrics writes three header rows (ids, question text, ImportId JSON). 21 responses, one blank.
    Q1: promoters (9-10) 10, passives (7-8) 4, detractors (0-6) 6 of 20 -> NPS = 100*(10-6)/20 = 20.0;
    the blank answer is the one invalid. Q1_NPS_GROUP (1/2/3) is a derived group, not a score."""
    r = inspect("qualtrics/nps_survey.csv")
    assert r["table"] == "surveys" and r["mapping"]["nps"] == "Q1"
    assert r["rows"] == 21
    n = summary("qualtrics/nps_survey.csv")["nps"]
    assert {k: n[k] for k in ("n", "promoters", "passives", "detractors", "nps", "invalid")} == {
        "n": 20, "promoters": 10, "passives": 4, "detractors": 6, "nps": 20.0, "invalid": 1}


def test_typeform_csat_is_share_of_four_and_five():
    """Ratings (1-5) of 16 completed responses: 5 4 4 3 5 2 1 5 4 3 5 4 2 5 3 5 (one partial, blank).
    4-5: 10 of 16 -> CSAT 62.5; mean rating 60/16 = 3.75."""
    r = inspect("typeform/csat_survey.csv")
    assert r["mapping"]["csat"] == "How satisfied were you with the support you received?"
    c = summary("typeform/csat_survey.csv")["csat"]
    assert (c["n"], c["csat"], c["mean_rating"]) == (16, 62.5, 3.75)


# ------------------------------------------------------------------------------------------ deals


DEALS = [
    # file, won, lost, open, win rate, pipeline value of open deals with an amount
    ("hubspot/deals.csv", 4, 3, 5, 0.5714, 17500.0),       # 4/7; 2000+3000+8000+4500
    ("pipedrive/deals.csv", 4, 5, 5, 0.4444, 18500.0),     # 4/9; 1000+2500+6000+9000
    ("salesforce/opportunities.csv", 3, 4, 5, 0.4286, 45000.0),  # 3/7; 4000+6000+10000+25000
]


@pytest.mark.parametrize("rel, won, lost, open_, win_rate, pipeline", DEALS, ids=[d[0].split("/")[0] for d in DEALS])
def test_deal_outcomes_win_rate_and_open_pipeline(rel, won, lost, open_, win_rate, pipeline):
    """HubSpot: Closed Won 4, Closed Lost 3, five open stages -> 4/(4+3) = 0.5714; open amounts
    2000+3000+8000+4500 = 17,500 (one open deal has no amount, left out).
    Pipedrive: 'Deal - Status' Won 4 / Lost 5 / Open 5 decides, whatever 'Deal - Stage' says (lost deals
    sit in Lead In, Contact Made, Needs Defined, Proposal Made) -> 4/9 = 0.4444; open 1000+2500+6000+9000.
    Salesforce: the Won/Closed checkboxes decide: Closed Won 3; Closed Lost 2 and 'Disqualified' 2
    (Closed = 1, Won = 0) lost -> 3/7 = 0.4286; open 4000+6000+10000+25000 = 45,000."""
    d = summary(rel)["deals"]
    assert (d["won"], d["lost"], d["open"]) == (won, lost, open_)
    assert d["win_rate"] == pytest.approx(win_rate, abs=1e-4)
    assert d.get("pipeline_value") == pytest.approx(pipeline)


@pytest.mark.parametrize("rel, column", [("pipedrive/deals.csv", "Deal - Status"), ("salesforce/opportunities.csv", "Won")])
def test_deal_outcome_column_is_recognised_beside_the_stage(rel, column):
    """A status/outcome column (Pipedrive 'Deal - Status'; Salesforce 'Won') is mapped, not only the stage."""
    assert column in inspect(rel)["mapping"].values()


# ------------------------------------------------------------------------------------------ accounts


def test_hubspot_companies_churned_checkbox():
    """Custom single-checkbox property 'Churned?' exported as true/false: 3 true of 12 -> 0.25."""
    a = summary("hubspot/companies.xlsx")["accounts"]
    assert (a["count"], a["churned"], a["churn_share"]) == (12, 3, 0.25)


def test_salesforce_active_no_is_churn():
    """Inverted flag 'Active' (Yes/No): No on accounts 3, 7, 11, 14 -> churned 4 of 15 = 0.2667."""
    assert "Active" in inspect("salesforce/accounts.csv")["mapping"].values()
    a = summary("salesforce/accounts.csv")["accounts"]
    assert (a["count"], a["churned"]) == (15, 4)
    assert a["churn_share"] == pytest.approx(4 / 15, abs=1e-4)


def test_salesforce_report_without_dates_or_churn_says_unknown():
    """10 accounts keyed by 'Account Name', no date anywhere and no churn field: accounts 10, churned and
    churn share unknown (null), and the as-of date unknown (null), never 1970-01-01."""
    assert inspect("salesforce/accounts_no_dates.xlsx")["table"] == "accounts"
    s = summary("salesforce/accounts_no_dates.xlsx")
    assert s["as_of"] is None
    assert s["accounts"] == {"count": 10, "churned": None, "churn_share": None, "median_tenure_months": None}


def test_tracker_status_values_decide_churn_and_paused_is_not_churn():
    """Status after trimming and folding case: active 6 (' Active', 'ACTIVE', 'active ', 'Active' x3),
    churned 2, cancelled 1, former customer 1, paused 2. Churned = 2+1+1 = 4 of 12 = 0.3333; no date."""
    s = summary("spreadsheet/account_tracker.xlsx")
    assert s["as_of"] is None
    a = s["accounts"]
    assert (a["count"], a["churned"]) == (12, 4)
    assert a["churn_share"] == pytest.approx(4 / 12, abs=1e-4)


def test_tracker_tenure_in_years_is_shown_in_months():
    """'Tenure (yrs)' sorted: 0.25 0.5 1 1 1.5 2 | 2 3 3.5 4 5 6 -> median 2 years = 24 months."""
    assert summary("spreadsheet/account_tracker.xlsx")["accounts"].get("median_tenure_months") == pytest.approx(24.0)


def test_stripe_subscriptions_churn_from_end_not_cancel_request():
    """As of 2024-06-30, 10 customers: status canceled 3 (ended 2024-02-20, 2024-04-01, 2024-06-11);
    sub_1Pq02 is active with Canceled At 2024-06-10 and Cancel At Period End true: asked to cancel, not
    ended, so not churned. Churned 3 of 10 = 0.3 (needs accounts from a subscriptions export)."""
    r = inspect("stripe/subscriptions.csv")
    assert r["table"] == "subscriptions" and r["mapping"].get("end_date") == "Ended At (UTC)"
    a = summary("stripe/subscriptions.csv", "2024-06-30")["accounts"]
    assert a is not None and (a["count"], a["churned"], a["churn_share"]) == (10, 3, 0.3)


def test_chargebee_status_cancelled_is_churn_paused_and_non_renewing_are_not():
    """status: active 5, in_trial 1, non_renewing 1, paused 2, cancelled 3 (cancelled_at 2024-03-15,
    2024-05-02, 2024-06-20, all before 2024-06-30). Churned 3 of 12 = 0.25."""
    assert "status" in inspect("chargebee/subscriptions.csv")["mapping"].values()
    a = summary("chargebee/subscriptions.csv", "2024-06-30")["accounts"]
    assert a is not None and (a["count"], a["churned"], a["churn_share"]) == (12, 3, 0.25)


# ------------------------------------------------------------------------------------------ orders


def test_shopify_line_item_rows_are_one_order():
    """19 rows, 12 orders (#1001-#1012). Orders per email: ann 3, cy 2, ed 2; bo di fi gu hu 1 ->
    8 customers, 3 with 2+ orders: 3/8 = 0.375. Continuation rows carry only Name and line-item columns."""
    r = inspect("shopify/orders.csv")
    assert r["table"] == "orders" and r["rows"] == 19
    o = summary("shopify/orders.csv", "2024-06-30")["orders"]
    assert (o["customers"], o["orders"], o["repeat_purchase_rate"]) == (8, 12, 0.375)


def test_woocommerce_guest_orders_are_separate_customers():
    """Guests have customer_id 0; billing_email tells them apart. Orders per email: lena 2, omar 2,
    pia 2, three guests 1 each, quin 1 -> 7 customers, 3 repeat: 3/7 = 0.4286 (not 4/5 = 0.8)."""
    o = summary("woocommerce/orders.csv", "2024-06-30")["orders"]
    assert (o["customers"], o["orders"]) == (7, 10)
    assert o["repeat_purchase_rate"] == pytest.approx(3 / 7, abs=1e-4)


def test_hubspot_tickets_create_and_close_dates_give_resolution_and_backlog():
    """HubSpot's ticket export names its times "Create date" and "Close date" (no first-reply time, no CSAT).
    Closed tickets took 13:00 - 09:00 = 4 h, 1 day = 24 h and 11:00 - 09:00 = 2 h: median 4 h. Open on the
    as-of date (the latest date, 2025-03-06): New, Waiting on contact, Waiting on us = 3. First response and
    CSAT are unknown (null), never 0."""
    s = summary("hubspot/tickets.csv")
    assert s["as_of"] == "2025-03-06"
    t = s["tickets"]
    assert (t["count"], t["median_resolution_hours"], t["backlog"]) == (6, 4.0, 3)
    assert t["median_first_response_hours"] is None and s["csat"] is None
    assert any(n.startswith("tickets.median_first_response_hours") for n in s["notes"])


def test_intercom_conversation_export_gives_first_response_resolution_and_backlog():
    """Intercom's conversation export (one row per conversation), checked by hand. First response, created to
    conversation_first_response_at: c1 0.5 h, c2 2 h, c3 5 min = 0.0833 h, c4 4 h, c6 0.75 h; c5 never answered
    (left out, not 0) -> sorted 0.083, 0.5, 0.75, 2, 4: median 0.75 h; p90 at position 0.9 * 4 = 3.6: 2 + 0.6 * 2 =
    3.2 h. Resolution, created to conversation_closed_at: 3, 24, 19, 4 h -> median (4 + 19) / 2 = 11.5 h. Backlog on
    the as-of date (the latest, 2024-05-09): c3 open and c5 snoozed, neither closed = 2."""
    s = summary("intercom/conversations.csv")
    assert s["as_of"] == "2024-05-09"
    t = s["tickets"]
    assert t["count"] == 6 and t["backlog"] == 2
    assert t["median_first_response_hours"] == pytest.approx(0.75)
    assert t["p90_first_response_hours"] == pytest.approx(3.2)
    assert t["median_resolution_hours"] == pytest.approx(11.5)
