"""AppTest: the Support page on the demo data: time tiles, backlog and the per-agent table against pandas."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = str(ROOT / "pages" / "support.py")


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "tickets.csv", parse_dates=["created_at", "first_response_at", "resolved_at"])


@pytest.fixture(scope="module")
def demo() -> AppTest:
    at = AppTest.from_file(SUPPORT, default_timeout=60).run()
    at.button(key="demo_tickets").click().run()
    return at.run()


def _metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no {label!r} tile among {[m.label for m in at.metric]}"
    return found[0]


def _hours(tickets: pd.DataFrame, col: str) -> pd.Series:
    """Hours from creation, negatives left out, worked directly with pandas."""
    gap = (tickets[col] - tickets["created_at"]).dt.total_seconds() / 3600
    return gap[gap >= 0]


def test_support_page_offers_the_demo_on_empty_state():
    at = AppTest.from_file(SUPPORT, default_timeout=30).run()
    assert not at.exception
    assert "Load demo data" in [b.label for b in at.button]


def test_support_page_runs_on_the_demo_without_exception(demo):
    assert not demo.exception
    assert [t.value for t in demo.title] == ["Support"]


def test_median_first_response_tile_equals_pandas_on_the_tickets_file(demo, tickets):
    first = _hours(tickets, "first_response_at")
    assert _metric(demo, "Median first response").value == f"{first.median():,.1f} h"
    assert _metric(demo, "90th percentile first response").value == f"{first.quantile(0.9):,.1f} h"
    assert any(c.value == f"n = {len(first):,} of {len(tickets):,} tickets" for c in demo.caption)


def test_resolution_tiles_equal_pandas_on_the_tickets_file(demo, tickets):
    resolution = _hours(tickets, "resolved_at")
    assert _metric(demo, "Median resolution").value == f"{resolution.median():,.1f} h"
    assert _metric(demo, "90th percentile resolution").value == f"{resolution.quantile(0.9):,.1f} h"


def test_backlog_counts_tickets_open_at_the_end_of_the_as_of_day(demo, tickets):
    """Open on 2026-10-31: created by the end of that day and not resolved by then."""
    end = pd.Timestamp("2026-10-31 23:59:59.999999")
    open_ = (tickets["created_at"] <= end) & (tickets["resolved_at"].isna() | (tickets["resolved_at"] > end))
    assert _metric(demo, "Backlog on 2026-10-31").value == f"{int(open_.sum()):,}"


def test_per_agent_table_has_one_row_per_agent(demo, tickets):
    table = next(d.value for d in demo.dataframe if "agent" in d.value.columns)
    assert sorted(table["agent"]) == sorted(tickets["agent"].dropna().unique())
    assert table["tickets"].sum() == len(tickets)
    rated = tickets.dropna(subset=["csat"]).groupby("agent")["csat"]
    expected = (100 * rated.apply(lambda s: (s >= 4).mean())).round(6)
    assert table.set_index("agent")["csat"].round(6).sort_index().equals(expected.sort_index().rename("csat"))


def test_answered_and_resolved_shares_per_agent_equal_pandas(demo, tickets):
    """The demo export has no answered/resolved flags: the shares are of tickets with a first response / a
    resolved date, per agent, as counted here in pandas."""
    table = next(d.value for d in demo.dataframe if "agent" in d.value.columns).set_index("agent")
    grouped = tickets.groupby("agent")
    for column, source in (("answered_share", "first_response_at"), ("resolved_share", "resolved_at")):
        expected = grouped[source].apply(lambda s: s.notna().mean())
        assert table[column].sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())


def test_breakdown_switches_to_topic(demo, tickets):
    demo.selectbox(key="sup_dim").select("topic").run()
    table = next(d.value for d in demo.dataframe if "topic" in d.value.columns)
    assert len(table) == tickets["topic"].nunique(dropna=False)
    assert "Negative durations" in " ".join(c.value for c in demo.caption)
