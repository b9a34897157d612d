"""AppTest: the Loyalty page on the demo data, with a target from the Targets page, and on partial data."""

import csv
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.read.store import Store

ROOT = Path(__file__).resolve().parents[1]
LOYALTY = str(ROOT / "pages" / "loyalty.py")
TARGETS = str(ROOT / "pages" / "targets.py")


def _demo_nps() -> tuple[float, int]:
    """NPS of data/surveys.csv worked directly from the text: whole numbers 0..10 only (blanks, "N/A" out)."""
    promoters = detractors = valid = 0
    with open(ROOT / "data" / "surveys.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                x = float(row["nps"].strip())
            except ValueError:
                continue
            if x.is_integer() and 0 <= x <= 10:
                valid += 1
                promoters += x >= 9
                detractors += x <= 6
    return 100 * (promoters - detractors) / valid, valid


def _metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no {label!r} tile among {[m.label for m in at.metric]}"
    return found[0]


def _loaded(settings=None) -> AppTest:
    at = AppTest.from_file(LOYALTY, default_timeout=60)
    if settings is not None:
        at.session_state["settings"] = settings
    at.run()
    at.button(key="demo_surveys_accounts").click().run()
    return at.run()


@pytest.fixture(scope="module")
def demo() -> AppTest:
    return _loaded()


def test_loyalty_page_offers_the_demo_on_empty_state():
    at = AppTest.from_file(LOYALTY, default_timeout=30).run()
    assert not at.exception
    assert "Load demo data" in [b.label for b in at.button]


def test_nps_tile_equals_the_nps_of_the_demo_surveys_file(demo):
    """README: NPS +23.1 on 1,986 valid answers of 1,990 (three blanks and one "N/A" left out)."""
    expected, valid = _demo_nps()
    assert not demo.exception
    assert valid == 1986 and round(expected, 1) == 23.1
    assert _metric(demo, "NPS").value == f"{expected:+.1f}"
    assert _metric(demo, "NPS answers (n)").value == f"{valid:,}"
    assert any(c.value.startswith(f"n = {valid:,} valid answers") for c in demo.caption)


def test_churn_and_retention_tiles_are_present_with_their_periods(demo):
    """The demo's as-of date is 2026-10-31, so October 2026 and 2026 Q3 are the last complete periods."""
    labels = [m.label for m in demo.metric]
    assert "Logo churn rate · Oct 2026" in labels
    assert "Customer retention rate · 2026 Q3" in labels
    assert _metric(demo, "Logo churn rate · Oct 2026").value.endswith("%")


def test_without_targets_the_tiles_show_no_gap(demo):
    assert _metric(demo, "NPS").delta in (None, "")


def test_every_section_renders_and_none_reports_a_missing_file(demo):
    """The demo has surveys, accounts and orders: every section draws; only GRR/NRR asks for a file."""
    assert len(demo.get("vega_lite_chart")) >= 5
    assert demo.info == [] or all("subscriptions" in i.value for i in demo.info)
    assert any("subscriptions" in c.value for c in demo.caption)


def test_nps_target_set_on_the_targets_page_shows_as_the_nps_tile_gap():
    """Target 20 against NPS 23.1: the tile's delta reads +3.1 pts."""
    targets = AppTest.from_file(TARGETS, default_timeout=30).run()
    targets.number_input(key="targets_nps").set_value(20.0).run()
    assert targets.session_state["settings"].target("nps") == 20.0
    # The session's settings travel with the session (as between pages of app.py).
    at = _loaded(settings=targets.session_state["settings"])
    expected, _ = _demo_nps()
    assert not at.exception
    assert _metric(at, "NPS").delta == f"{expected - 20:+.1f} pts vs target +20.0"


def _partial(tables: dict[str, pd.DataFrame]) -> AppTest:
    store = Store(memory_limit="256MB")
    store.load(tables)
    at = AppTest.from_file(LOYALTY, default_timeout=30)
    at.session_state["store"] = store
    at.session_state["loaded_key"] = ("partial", tuple(tables))
    return at.run()


def test_surveys_alone_show_nps_and_say_which_file_enables_the_rest():
    surveys = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "nps": [10.0, 9.0, 3.0, None]})
    at = _partial({"surveys": surveys})
    assert not at.exception
    assert _metric(at, "NPS").value == "+33.3"  # 2 promoters, 1 detractor of 3 valid answers: 100 * 1/3
    assert any("accounts export" in i.value for i in at.info)


def test_a_churn_flag_without_dates_shows_the_share_of_accounts_churned_named_as_such():
    accounts = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "owner": ["x", "x", "y", "y"],
                             "churned": pd.array([True, False, False, False], dtype="boolean")})
    at = _partial({"accounts": accounts})
    assert not at.exception
    assert _metric(at, "Share of accounts churned").value == "25.0%"
    assert any("survey export" in i.value for i in at.info)
