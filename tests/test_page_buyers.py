"""AppTest: an orders-only export (SaaS Sales, a shop's kind of file) is enough for Loyalty, Success and Overview.

Issue 16: ``saas_sales`` alone showed nothing on any analysis page, since every page wanted an accounts file.
It is uploaded here through the Data page as a manager would, then each page is opened in the same session.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def saas(shared_data) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    path = shared_data / "saas_sales" / "saas_sales.csv"
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.run()
    assert not at.exception, at.exception
    return at


def _source(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "saas_sales" / "saas_sales.csv", encoding="mac_roman")


def _metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no {label!r} tile among {[m.label for m in at.metric]}"
    return found[0]


def test_orders_alone_give_a_customer_table_derived_from_them(saas, shared_data):
    """99 customers (SOURCE.txt), one row each; purchases = distinct order ids (5,009 in all); spend = Sales summed."""
    source = _source(shared_data)
    accounts = saas.session_state["store"].tables["accounts"]
    assert len(accounts) == 99 == source["Customer ID"].nunique()
    assert int(accounts["purchases"].sum()) == 5009 == source["Order ID"].nunique()
    spend = source.groupby(source["Customer ID"].astype(str))["Sales"].sum()
    assert accounts.set_index("account_id")["spend"].sort_index().to_numpy() == pytest.approx(
        spend.sort_index().to_numpy())
    assert "churned" not in accounts.columns and "end_date" not in accounts.columns  # churn is unknown, not invented
    assert any("derived from the orders" in str(p.message) for p in saas.session_state["cross_problems"])


def test_loyalty_shows_repeat_purchase_and_says_churn_is_unknown(saas, shared_data):
    """Every one of the 99 customers placed more than one order (5,009 orders): repeat purchase rate 100.0%."""
    source = _source(shared_data)
    per = source.groupby("Customer ID")["Order ID"].nunique()
    at = saas.switch_page("pages/loyalty.py").run()
    assert not at.exception, at.exception
    assert _metric(at, "Repeat purchase rate") == f"{100 * (per >= 2).mean():.1f}%" == "100.0%"
    assert _metric(at, "Customers who bought") == "99"
    assert any("Churn is unknown" in i.value for i in at.info)
    titles = [e.label for e in at.expander]
    assert "RFM segments" in titles and "Still a customer? P(alive)" in titles
    assert any(t.startswith("Model check") for t in titles)


def test_success_scores_the_derived_customers_on_p_alive(saas):
    """The starting scorecard of a shop's customers rests on P(alive), never on days since the last order."""
    at = saas.switch_page("pages/success.py").run()
    assert not at.exception, at.exception
    assert _metric(at, "Accounts") == "99"
    port = next(iter(at.session_state["memo"]["scored"].values()))
    assert [m.column for m in port.scorecard.measures] == ["p_alive"]
    assert port.scores["health_score"].notna().sum() == 99


def test_overview_shows_figures_for_orders_alone(saas):
    at = saas.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown and any(v not in ("–", "") for v in shown.values())
