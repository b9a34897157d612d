"""Table recognition and column mapping on every shared export and on exports written here by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.core import schema
from cs_logic.read.detect import (
    VALUE_SCORERS,
    Detection,
    _Profile,
    _value_fit,
    detect,
    map_columns,
    normalise_header,
)
from cs_logic.read.ingest import read_table

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# file -> (table, key mappings that must hold); every file in shared/data is listed.
EXPECTED: dict[str, tuple[str, dict[str, str | None]]] = {
    "telco_churn/Telco-Customer-Churn.csv": ("accounts", {
        "account_id": "customerID", "churned": "Churn", "revenue": "MonthlyCharges", "tenure": "tenure",
        "plan": "Contract"}),
    "bank_churn/Churn_Modelling.csv": ("accounts", {"account_id": "CustomerId", "churned": "Exited"}),
    "bank_churn/Churn_Modelling.xlsx": ("accounts", {"account_id": "CustomerId", "churned": "Exited"}),
    "bank_churn/variant_acarey5_space_padded.csv": ("accounts", {"account_id": "CustomerId", "churned": "Exited"}),
    "maven_crm_sales_opportunities/accounts.csv": ("accounts", {"account_id": "account"}),
    "maven_crm_sales_opportunities/sales_pipeline.csv": ("deals", {
        "deal_id": "opportunity_id", "owner": "sales_agent", "stage": "deal_stage", "amount": "close_value",
        "account_id": "account", "product": "product", "created_date": "engage_date", "close_date": "close_date"}),
    "maven_crm_sales_opportunities/products.csv": ("unknown", {}),
    "maven_crm_sales_opportunities/sales_teams.csv": ("unknown", {}),
    "nps_verbatims/nps_verbatims.csv": ("surveys", {
        "nps": "NPS_SCORE", "comment": "text", "date": "CUSTOMER_RESPONSE_DATE"}),
    "olist_sample/olist_order_reviews_dataset.csv": ("surveys", {
        "csat": "review_score", "comment": "review_comment_message", "comment_title": "review_comment_title",
        "order_id": "order_id", "response_id": "review_id"}),
    "olist_sample/olist_orders_dataset.csv": ("orders", {
        "order_id": "order_id", "account_id": "customer_id", "date": "order_purchase_timestamp",
        "status": "order_status"}),
    "olist_sample/olist_customers_dataset.csv": ("accounts", {
        "account_id": "customer_id", "unique_customer_id": "customer_unique_id"}),
    "olist_sample/olist_order_payments_dataset.csv": ("unknown", {}),
    "call_center/call_center.xlsx": ("tickets", {
        "ticket_id": "Call Id", "agent": "Agent", "created_at": "Date", "topic": "Topic",
        "answered": "Answered (Y/N)", "resolved": "Resolved", "first_response_hours": "Speed of answer in seconds",
        "handle_hours": "AvgTalkDuration", "resolution_hours": None, "csat": "Satisfaction rating"}),
    "saas_usage/ravenstack_accounts.csv": ("accounts", {"account_id": "account_id", "churned": "churn_flag"}),
    "saas_usage/ravenstack_subscriptions.csv": ("subscriptions", {
        "subscription_id": "subscription_id", "account_id": "account_id", "mrr": "mrr_amount"}),
    "saas_usage/ravenstack_feature_usage.csv": ("usage", {
        "subscription_id": "subscription_id", "date": "usage_date", "feature": "feature_name",
        "events": "usage_count", "duration_seconds": "usage_duration_secs"}),
    "saas_usage/ravenstack_support_tickets.csv": ("tickets", {
        "created_at": "submitted_at", "resolved_at": "closed_at", "resolution_hours": "resolution_time_hours",
        "first_response_hours": "first_response_time_minutes", "csat": "satisfaction_score"}),
    "saas_usage/ravenstack_churn_events.csv": ("churn_events", {"account_id": "account_id", "date": "churn_date"}),
    "saas_sales/saas_sales.csv": ("orders", {
        "order_id": "Order ID", "account_id": "Customer ID", "date": "Order Date", "amount": "Sales",
        "product": "Product", "quantity": "Quantity"}),
}
_TICKETS = {
    "subject": "Ticket Subject", "body": "Ticket Description", "first_response_at": "First Response Time",
    "resolved_at": "Time to Resolution", "csat": "Customer Satisfaction Rating", "priority": "Ticket Priority",
    "channel": "Ticket Channel", "status": "Ticket Status", "topic": "Ticket Type"}
EXPECTED["support_tickets/customer_support_tickets.csv"] = ("tickets", _TICKETS)
EXPECTED["support_tickets/variant_Mumtaj1012_excel_resaved.csv"] = ("tickets", _TICKETS)


@pytest.fixture(scope="module")
def detections() -> dict[str, Detection]:
    """Every shared export read by the app's reader and recognised once, unchanged."""
    if not DATA.is_dir():
        pytest.skip(f"the public test exports are not at {DATA}")
    out = {}
    for path in sorted(DATA.glob("*/*")):
        if path.suffix in (".csv", ".xlsx"):
            rel = f"{path.parent.name}/{path.name}"
            out[rel] = detect(read_table(path.read_bytes(), path.name).frame, path.name)
    return out


def test_every_shared_file_is_listed(detections: dict[str, Detection]) -> None:
    """No export in shared/data goes unchecked."""
    assert set(detections) == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_shared_file_is_recognised_with_its_key_mappings(detections: dict[str, Detection], rel: str) -> None:
    """Each export is its expected table, with the mappings a manager would make by hand."""
    table, mapping = EXPECTED[rel]
    found = detections[rel]
    assert found.table == table, found.reason
    assert {f: found.mapping.get(f) for f in mapping} == mapping
    if table != "unknown":
        assert found.confidence >= 0.6


def test_nps_label_column_is_not_taken_as_the_score(detections: dict[str, Detection]) -> None:
    """NPS_RATING holds Promoter/Passive/Detractor words, so it must not be the 0-10 answer."""
    assert "NPS_RATING" not in detections["nps_verbatims/nps_verbatims.csv"].mapping.values()


def test_timestamp_first_response_column_is_not_a_duration(detections: dict[str, Detection]) -> None:
    """"First Response Time" holds timestamps: it is first_response_at, never first_response_hours."""
    mapping = detections["support_tickets/customer_support_tickets.csv"].mapping
    assert "first_response_hours" not in mapping


@pytest.mark.parametrize(
    ("rel", "words"),
    [
        ("olist_sample/olist_order_payments_dataset.csv", ("order date", "payments", "not an orders table")),
        ("maven_crm_sales_opportunities/products.csv", ("products",)),
        ("maven_crm_sales_opportunities/sales_teams.csv", ("sales teams", "stage")),
    ],
)
def test_unknown_files_say_what_they_lack_and_look_like(detections: dict[str, Detection], rel: str,
                                                         words: tuple[str, ...]) -> None:
    reason = detections[rel].reason
    assert all(w in reason for w in words), reason


def test_repeated_account_ids_rule_out_an_accounts_list(detections: dict[str, Detection]) -> None:
    """Subscriptions carry account_id + plan + seats + churn flag, but ids repeat 10 times: not accounts."""
    d = detections["saas_usage/ravenstack_subscriptions.csv"]
    alternatives = dict(d.alternatives)
    assert d.table == "subscriptions" and alternatives.get("accounts", 0) < 0.3


# ---- exports that are not in shared/data: proof that recognition is by meaning ------------------------------

N = 60
R = range(N)


def _frame(columns: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


HUBSPOT = _frame({
    "Record ID": [str(9_000_100 + i) for i in R], "Company name": [f"Company {i}" for i in R],
    "Company owner": [["Ann Lee", "Bo Chan", "Cy Diaz"][i % 3] for i in R],
    "Annual Revenue": [str(12_000 * (i + 1)) for i in R],
    "Lifecycle Stage": [["Customer", "Lead", "Opportunity"][i % 3] for i in R],
    "Create Date": [f"2024-{1 + i % 12:02d}-{1 + i % 27:02d} 10:00" for i in R]})
ZENDESK = _frame({
    "Id": [str(500 + i) for i in R], "Requester": [f"user{i}@example.com" for i in R],
    "Assignee": [["Ann", "Bo"][i % 2] for i in R], "Subject": [f"Cannot log in (case {i})" for i in R],
    "Status": [["solved", "open", "pending"][i % 3] for i in R], "Priority": [["low", "high"][i % 2] for i in R],
    "Created at": [f"2024-03-{1 + i % 28:02d} 09:00" for i in R],
    "Solved at": [f"2024-04-{1 + i % 28:02d} 11:30" for i in R],
    "First reply time in minutes": [str(5 * i) for i in R],
    "Satisfaction Score": [["Good", "Bad", "Offered", "Unoffered"][i % 4] for i in R]})
TYPEFORM = _frame({
    "#": [f"r{i}x7k" for i in R], "How likely are you to recommend Acme to a friend?": [str(i % 11) for i in R],
    "What is the main reason for your score?": [f"The onboarding was slow but support helped ({i})" for i in R],
    "Submitted At": [f"2024-05-{1 + i % 28:02d} 12:00:00" for i in R]})
SHOPIFY = _frame({
    "Name": [f"#{1001 + i}" for i in R], "Email": [f"c{i % 7}@shop.example" for i in R],
    "Created at": [f"2024-02-{1 + i % 28:02d} 10:11:12 +0100" for i in R], "Total": [f"{20 + i}.50" for i in R],
    "Financial Status": [["paid", "refunded"][i % 2] for i in R],
    "Lineitem name": [["Mug", "Shirt", "Hat"][i % 3] for i in R]})
SALESFORCE = _frame({
    "Opportunity ID": [f"006{i:05d}AB" for i in R], "Account Name": [f"Acct {i % 9}" for i in R],
    "Opportunity Owner": [["Ann", "Bo", "Cy"][i % 3] for i in R],
    "Stage": [["Prospecting", "Closed Won", "Closed Lost", "Negotiation"][i % 4] for i in R],
    "Amount": [str(1000 * i) for i in R], "Probability (%)": [str(10 * (i % 10)) for i in R],
    "Close Date": [f"3/{1 + i % 28}/2024" for i in R], "Created Date": [f"1/{1 + i % 28}/2024" for i in R]})
PERSIAN = _frame({
    "شناسه مشتری": [f"C{i:03d}" for i in R], "امتیاز": ["۰۱۲۳۴۵۶۷۸۹"[i % 10] if i % 11 < 10 else "10" for i in R],
    "نظر": [f"پشتیبانی خوب بود ولی ارسال دیر شد {i}" for i in R],
    "تاریخ": [f"1403/{1 + i % 12:02d}/{1 + i % 29:02d}" for i in R]})
CREDIT = _frame({
    "Customer ID": [f"K{i:04d}" for i in R], "Name": [f"Person {i}" for i in R],
    "Score": [str(300 + (i * 37) % 551) for i in R], "Region": [["North", "South"][i % 2] for i in R]})


@pytest.mark.parametrize(
    ("frame", "name", "table", "mapping"),
    [
        (HUBSPOT, "hubspot-crm-exports-all-companies.csv", "accounts", {
            "account_id": "Record ID", "account_name": "Company name", "owner": "Company owner",
            "revenue": "Annual Revenue", "status": "Lifecycle Stage", "start_date": "Create Date"}),
        (ZENDESK, "export.csv", "tickets", {
            "ticket_id": "Id", "agent": "Assignee", "subject": "Subject", "status": "Status",
            "priority": "Priority", "created_at": "Created at", "resolved_at": "Solved at",
            "first_response_hours": "First reply time in minutes"}),
        (TYPEFORM, "responses.csv", "surveys", {
            "nps": "How likely are you to recommend Acme to a friend?",
            "comment": "What is the main reason for your score?", "date": "Submitted At"}),
        (SHOPIFY, "orders_export_1.csv", "orders", {
            "order_id": "Name", "date": "Created at", "amount": "Total", "status": "Financial Status",
            "product": "Lineitem name"}),
        (SALESFORCE, "report1.csv", "deals", {
            "deal_id": "Opportunity ID", "account_id": "Account Name", "owner": "Opportunity Owner",
            "stage": "Stage", "amount": "Amount", "probability": "Probability (%)", "close_date": "Close Date",
            "created_date": "Created Date"}),
        (PERSIAN, "نظرسنجی.csv", "surveys", {"account_id": "شناسه مشتری", "nps": "امتیاز", "comment": "نظر",
                                             "date": "تاریخ"}),
    ],
    ids=["hubspot", "zendesk", "typeform", "shopify", "salesforce", "persian"],
)
def test_unseen_exports_are_recognised(frame: pd.DataFrame, name: str, table: str, mapping: dict[str, str]) -> None:
    found = detect(frame, name)
    assert found.table == table, found.reason
    assert {f: found.mapping.get(f) for f in mapping} == mapping


def test_zendesk_text_satisfaction_is_the_csat_in_words() -> None:
    """Zendesk writes "Good"/"Bad" (and "Offered"/"Unoffered" for no answer): the satisfaction column is the
    CSAT, read in words by the rating decision (cs_logic.read.meanings), never left unread."""
    assert detect(ZENDESK).mapping["csat"] == "Satisfaction Score"


def test_a_numeric_column_that_names_a_count_is_never_a_score() -> None:
    """'Replies' 1-5 in a file with a satisfaction header: a count of replies, so not the CSAT (the score
    fallback for uninformative headers skips count words)."""
    frame = ZENDESK.drop(columns=["Satisfaction Score"]).assign(**{"Replies": [str(1 + i % 5) for i in R],
                                                                   "Satisfaction comment": ["ok"] * len(R)})
    assert detect(frame).mapping.get("csat") != "Replies"


def test_credit_scores_are_not_nps() -> None:
    """A "Score" of 300-850 fails the 0-10 check, so the file is not a survey."""
    found = detect(CREDIT, "customers.csv")
    assert found.table != "surveys" and "Score" not in found.mapping.values()


def test_file_name_is_not_needed() -> None:
    """The same frames are recognised with no file name at all."""
    assert detect(SALESFORCE).table == "deals" and detect(TYPEFORM).table == "surveys"


def test_nps_values_alone_map_in_a_survey_with_a_blank_header() -> None:
    """0-10 whole numbers under "Q1" beside free-text comments are taken as the NPS answer."""
    frame = _frame({"Q1": [str(i % 11) for i in R], "Q2": [f"Good value but slow delivery, order {i}" for i in R]})
    found = detect(frame)
    assert (found.table, found.mapping.get("nps")) == ("surveys", "Q1")


def test_map_columns_gives_the_chosen_tables_mapping() -> None:
    assert map_columns(SALESFORCE, "orders")["amount"] == "Amount"
    assert map_columns(HUBSPOT, "accounts")["account_id"] == "Record ID"


@pytest.mark.parametrize(
    ("header", "normal"),
    [("CustomerID", "customer id"), ("MonthlyCharges", "monthly charges"), ("Answered (Y/N)", "answered y n"),
     ("NPS_SCORE", "nps score"), ("  Avg.Talk-Duration ", "avg talk duration"), ("Réponse", "reponse"),
     ("Q1Score", "q 1 score"), ("usage_duration_secs", "usage duration secs"), ("", "")],
)
def test_normalise_header(header: str, normal: str) -> None:
    assert normalise_header(header) == normal


@pytest.mark.parametrize(
    "frame",
    [pd.DataFrame(), pd.DataFrame({"a": []}), pd.DataFrame({"only": ["x"]}), pd.DataFrame({None: [None, None]}),
     pd.DataFrame([[1, 2.5, None]], columns=["x", "x", 3])],
    ids=["empty", "no-rows", "one-cell", "none-header", "duplicate-and-numeric-headers"],
)
def test_odd_frames_never_raise(frame: pd.DataFrame) -> None:
    found = detect(frame)
    assert found.table in (*schema.TABLE_NAMES, schema.UNKNOWN) and 0.0 <= found.confidence <= 1.0


def test_two_thousand_columns_are_recognised() -> None:
    """A 2,000-column, 500-row frame is still recognised (its speed is measured in bench/, not here)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 1000, (500, 2000)).astype(str), columns=[f"c{i}" for i in range(2000)])
    frame["customer_id"] = [f"A{i}" for i in range(500)]
    frame["churn"] = ["Yes", "No"] * 250
    found = detect(frame)
    assert found.table == "accounts"


def test_a_long_column_is_sampled_from_rows_spread_over_it_and_a_sparse_one_is_scanned_whole() -> None:
    """Recognition looks at 4 x sample-size rows spread evenly over a long column when enough of them hold a
    value; a column that is mostly blank (or blank words) is scanned whole so its few values are still found."""
    from cs_logic.read.detect import _candidates

    n, size = 100_000, 100
    dense = pd.Series([f"v{i}" for i in range(n)], dtype=object)
    spread = set(np.unique(np.linspace(0, n - 1, 4 * size).astype(int)).tolist())
    picked = _candidates(dense, size)
    assert len(picked) >= size and set(picked.index) <= spread
    sparse = pd.Series(["N/A"] * n, dtype=object)
    values_at = np.random.default_rng(7).choice(n, 60, replace=False)
    sparse.iloc[values_at] = [f"x{i}" for i in range(60)]
    assert sorted(_candidates(sparse, size).index) == sorted(values_at.tolist())


# ------------------------------------------------------------------------------ value scorers, one table

def _p(**kw: object) -> _Profile:
    return _Profile(**{"n": 20, **kw})  # type: ignore[arg-type]


_NPS_VALUES = tuple(float(v) for v in (0, 3, 6, 7, 8, 9, 10, 10, 9, 5))
VALUE_FIT_CASES = [
    # kind, field name, profile, fit: one typical column that fits and one that must not, per kind
    (schema.DATE, "date", _p(date=0.9), 1.0),
    (schema.DATE, "date", _p(date=0.7), 0.5),  # (0.7 - 0.5) / 0.4
    (schema.DATE, "date", _p(date=0.4), 0.0),
    (schema.NUMBER, "revenue", _p(num=1.0), 1.0),
    (schema.NUMBER, "revenue", _p(num=0.7), 0.6),
    (schema.NUMBER, "revenue", _p(num=1.0, date=0.6), 0.0),  # timestamps are no amounts
    (schema.NUMBER, "revenue", _p(num=1.0, boolish=True), 0.5),
    (schema.DURATION, "first_response_hours", _p(clock=0.9), 1.0),  # "0:02:23"
    (schema.DURATION, "first_response_hours", _p(dur_text=0.8), 1.0),  # "90 min"
    (schema.DURATION, "first_response_hours", _p(num=1.0), 0.9),
    (schema.DURATION, "first_response_hours", _p(num=1.0, date=0.9), 0.0),
    (schema.BOOL, "churned", _p(boolish=True, distinct=2), 1.0),
    (schema.BOOL, "churned", _p(distinct=2, num=0.0), 0.4),  # two words the app does not know
    (schema.BOOL, "churned", _p(distinct=5), 0.0),
    (schema.NPS, "nps", _p(num=1.0, lo=0.0, hi=10.0, distinct_ints=8, numbers=_NPS_VALUES), 1.0),
    (schema.NPS, "nps", _p(num=1.0, lo=1.0, hi=5.0, distinct_ints=5, numbers=(1.0, 2.0, 5.0)), 0.3),
    (schema.NPS, "nps", _p(num=1.0, lo=0.0, hi=11.0, numbers=(11.0, 12.0, 13.0, 9.0)), 0.0),
    (schema.NPS, "nps", _p(num=1.0, lo=0.0, hi=11.0, distinct_ints=3, numbers=(11.0, 9.0, 8.0, 7.0)), 0.5),
    (schema.CSAT, "csat", _p(num=1.0, lo=1.0, hi=5.0, numbers=(1.0, 3.0, 5.0)), 1.0),
    (schema.CSAT, "csat", _p(num=0.5, lo=1.0, hi=5.0, numbers=(1.0, 3.0)), 0.0),  # half text
    (schema.CES, "ces", _p(num=1.0, lo=1.0, hi=7.0, numbers=(1.0, 7.0)), 1.0),
    (schema.CES, "ces", _p(num=1.0, lo=1.0, hi=5.0, numbers=(1.0, 5.0)), 0.5),
    (schema.ID, "account_id", _p(unique=1.0, distinct=20), 1.0),
    (schema.ID, "account_id", _p(distinct=2, boolish=True), 0.1),
    (schema.ID, "account_id", _p(date=0.9, distinct=20), 0.05),
    (schema.TEXT, "comment", _p(mean_len=40.0, distinct=20), 1.0),
    (schema.TEXT, "comment", _p(mean_len=20.0, distinct=20), 0.65),  # 0.3 + 0.7 * 20 / 40
    (schema.TEXT, "customer_email", _p(email=0.9, distinct=20), 1.0),
    (schema.TEXT, "subject", _p(num=0.95), 0.1),
    (schema.CATEGORY, "topic", _p(distinct=5, unique=0.25), 1.0),
    (schema.CATEGORY, "topic", _p(distinct=200, unique=0.9, mean_len=80.0), 0.2),
    (schema.CATEGORY, "topic", _p(distinct=60, unique=0.5, num=1.0), 0.3),
    (schema.CATEGORY, "topic", _p(distinct=60, unique=0.5), 0.6),
]


@pytest.mark.parametrize(("kind", "name", "profile", "fit"), VALUE_FIT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_FIT_CASES)])
def test_value_fit_scores_each_kind_by_its_own_scorer(kind: str, name: str, profile: _Profile, fit: float) -> None:
    """Each field kind has one small scorer in VALUE_SCORERS; these are its typical fits and misfits."""
    assert _value_fit(kind, name, profile) == pytest.approx(fit)


def test_every_field_kind_in_the_schema_has_a_value_scorer() -> None:
    """A new kind in the schema must come with its scorer (else it would be scored as a category)."""
    kinds = {f.kind for t in schema.TABLES.values() for f in t.fields}
    assert kinds <= set(VALUE_SCORERS)


def test_a_column_without_values_fits_every_kind_half_way() -> None:
    """An empty column: its header alone decides (fit 0.5), whatever the kind."""
    assert {_value_fit(kind, "x", _Profile()) for kind in VALUE_SCORERS} == {0.5}


def test_account_name_is_the_key_when_there_is_no_id_column() -> None:
    """A CRM report with 'Account Name' (all distinct) and no id column is an accounts list keyed by the name;
    a bare 'Name' column (a staff list) or a repeated account name is no key."""
    names = [f"Firm {i}" for i in range(10)]
    report = pd.DataFrame({"Account Name": names, "Account Owner": ["Kim", "Raj"] * 5, "Industry": ["Retail"] * 10})
    found = detect(report)
    assert found.table == "accounts" and found.mapping["account_id"] == "Account Name"
    staff = pd.DataFrame({"Name": names, "Manager": ["Kim", "Raj"] * 5})
    assert detect(staff).mapping.get("account_id") is None
    repeated = report.assign(**{"Account Name": names[:9] + names[:1]})
    assert detect(repeated).table != "accounts"


@pytest.mark.parametrize("amounts", [
    ["€1.200,50", "€950,00", "€12.000,00", "€3.400,75"],  # a German or Spanish CRM: sign first, decimal comma
    ["1.200,50 €", "950,00 €", "12.000,00 €", "3.400,75 €"],  # a French one: sign after the amount
    ["€ 1.200,50", "€ 950,00", "€ 12.000,00", "€ 3.400,75"],
    ["$1,200.50", "$950.00", "$12,000.00", "$3,400.75"],  # and the English way, as before
])
def test_money_written_the_european_way_is_revenue(amounts: list[str]) -> None:
    """A revenue column is recognised as the parser reads it: "€1.200,50" is 1200.50, so MRR maps to revenue and
    the revenue at risk is known (it was left an unmapped extra column, revenue unknown)."""
    from cs_logic.read.workspace import load_file

    rows = "".join(f"A{i};Customer {i};{v};Pro\n" for i, v in enumerate(amounts))
    lf = load_file("accounts.csv", ("account_id;name;MRR;plan\n" + rows).encode())
    assert lf.table == "accounts" and lf.mapping.get("revenue") == "MRR"
    assert lf.prepared is not None and lf.prepared.frame["revenue"].tolist() == [1200.5, 950.0, 12000.0, 3400.75]
