"""A real browser on the Scorecard page: load the demo, open the page from the sidebar, move a weight by keyboard.

Every request that is not to the test server is aborted. The screenshot goes to tests/artifacts/scorecard.png
(open it: a page that works but confuses is not done).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_a_weight_moved_with_the_keyboard_rescores_the_portfolio(page):
    """Demo -> Scorecard (sidebar link) -> pin a baseline -> ArrowRight x5 on the first weight -> accounts move."""
    page.get_by_role("button", name="Load demo data").first.click()
    page.get_by_test_id("stSidebar").get_by_text("accounts 500 rows").first.wait_for(timeout=60_000)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Scorecard").first.click()
    page.get_by_role("heading", name="Scorecard").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Pin as baseline").click()
    page.get_by_text("0 accounts changed band").first.wait_for(timeout=30_000)

    # The band range slider comes first (two thumbs); the next slider is the first measure's weight.
    slider = page.get_by_role("slider").nth(2)
    before = float(slider.input_value())
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    expect(slider).to_have_value(f"{before + 5:g}", timeout=30_000)
    page.get_by_text(re.compile(r"^[1-9][\d,]* accounts changed band")).first.wait_for(timeout=30_000)
    page.get_by_test_id("stMetricDelta").first.wait_for(timeout=10_000)
    # Streamlit scrolls inside its own container: a tall viewport puts the whole page in the picture.
    page.set_viewport_size({"width": 1400, "height": 4200})
    page.get_by_text("Save or load a scorecard").first.wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)
