"""`python -m cs_logic summary`: one JSON object per run, each figure checked independently."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _summary(*paths, extra=()):
    out = subprocess.run([sys.executable, "-m", "cs_logic", "summary", *map(str, paths), *extra, "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_summary_of_nps_and_olist_exports(shared_data):
    """NPS -24.69 over 2,353 answers (32 blank); Olist CSAT is the share of 4-5 reviews; repeat
    purchase counts people through customer_unique_id, not the per-order customer_id."""
    olist = shared_data / "olist_sample"
    s = _summary(shared_data / "nps_verbatims" / "nps_verbatims.csv", *sorted(olist.glob("*.csv")))
    assert s["nps"] == {"n": 2353, "promoters": 690, "passives": 392, "detractors": 1271,
                        "nps": pytest.approx(100 * (690 - 1271) / 2353, abs=1e-9), "moe95": s["nps"]["moe95"],
                        "invalid": 32}
    p, d, n = 690 / 2353, 1271 / 2353, 2353
    assert s["nps"]["moe95"] == pytest.approx(100 * 1.96 * ((p + d - (p - d) ** 2) / n) ** 0.5, abs=1e-9)

    reviews = pd.read_csv(olist / "olist_order_reviews_dataset.csv")
    assert s["csat"]["n"] == len(reviews)
    assert s["csat"]["csat"] == pytest.approx(100 * (reviews.review_score >= 4).mean(), abs=0.01)

    orders = pd.read_csv(olist / "olist_orders_dataset.csv", dtype=str)
    customers = pd.read_csv(olist / "olist_customers_dataset.csv", dtype=str)
    people = orders.merge(customers, on="customer_id").groupby("customer_unique_id").order_id.nunique()
    assert s["orders"]["customers"] == len(people)
    assert s["orders"]["repeat_purchase_rate"] == pytest.approx((people >= 2).mean(), abs=1e-4)
    assert s["tickets"] is None and s["deals"] is None


def test_summary_of_the_maven_pipeline(shared_data):
    """Win rate 0.6315 = 4,238 won / (4,238 + 2,473); 2,089 open."""
    s = _summary(shared_data / "maven_crm_sales_opportunities" / "sales_pipeline.csv")
    assert {k: s["deals"][k] for k in ("count", "won", "lost", "open", "win_rate")} == {
        "count": 8800, "won": 4238, "lost": 2473, "open": 2089, "win_rate": pytest.approx(4238 / 6711, abs=1e-12)}
    assert s["accounts"] is None and s["nps"] is None


def test_summary_of_the_demo_portfolio():
    """Churn share and CSAT of the demo equal plain pandas over its files."""
    s = _summary(*sorted((ROOT / "data").glob("*.csv")))
    acc = pd.read_csv(ROOT / "data" / "accounts.csv")
    assert s["accounts"] == {"count": 500, "churned": int((acc.churned == "Yes").sum()),
                             "churn_share": pytest.approx((acc.churned == "Yes").mean(), abs=1e-12),
                             "median_tenure_months": None}  # no tenure column (start dates are not tenure here)
    surveys = pd.read_csv(ROOT / "data" / "surveys.csv")
    assert s["csat"]["csat"] == pytest.approx(100 * (surveys.csat >= 4).sum() / surveys.csat.notna().sum(), abs=0.01)
    tickets = pd.read_csv(ROOT / "data" / "tickets.csv", parse_dates=["created_at", "first_response_at"])
    hours = (tickets.first_response_at - tickets.created_at).dt.total_seconds() / 3600
    assert s["tickets"]["median_first_response_hours"] == pytest.approx(hours[hours >= 0].median(), abs=0.01)


def test_summary_refuses_a_missing_file_with_one_line():
    out = subprocess.run([sys.executable, "-m", "cs_logic", "summary", "nope.csv", "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=False, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "nope.csv" in out.stderr

