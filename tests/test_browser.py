"""One real-browser flow per area, in Debian's chromium against a live server on loopback.

Every request that is not to the test server is aborted, so a page that calls out fails here.
Screenshots go to tests/artifacts/ (open them: a page that works but confuses is not done).
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _go(pg, title: str) -> None:
    pg.get_by_test_id("stSidebarNavLink").filter(has_text=title).first.click()
    pg.get_by_role("heading", name=title).first.wait_for(timeout=30_000)


def test_upload_shows_mapping_and_problems_then_demo_loads(page, shared_data):
    """Upload telco_churn: it is recognised as accounts, mapped, its findings listed; then the demo."""
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        str(shared_data / "telco_churn" / "Telco-Customer-Churn.csv"))
    page.get_by_text("Accounts (CRM)").first.wait_for(timeout=60_000)
    page.get_by_text("7,043 rows").first.wait_for(timeout=10_000)
    # The mapping editor and the tables are canvas grids: find them by test id, cells by role.
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=10_000)
    page.get_by_text("Problems").first.wait_for(timeout=10_000)
    page.locator("[role=gridcell]", has_text="customerID").first.wait_for(state="attached", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "data_upload.png"), full_page=True)

    page.get_by_role("button", name="Load demo data").first.click()
    # The sidebar now lists the demo's tables only: the telco upload was replaced, not added to.
    page.get_by_test_id("stSidebar").get_by_text("accounts 500 rows").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("stSidebar").get_by_text("7,043").count() == 0
    page.screenshot(path=str(ARTIFACTS / "data_demo.png"), full_page=True)


def test_loyalty_opens_on_the_demo_with_nps_and_its_n(page):
    """Load the demo, open Loyalty from the sidebar: the NPS tile and its charts render."""
    page.get_by_role("button", name="Load demo data").first.click()
    page.get_by_test_id("stSidebar").get_by_text("accounts 500 rows").first.wait_for(timeout=60_000)
    _go(page, "Loyalty")
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
    page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
    assert page.get_by_text("NPS answers").count() >= 1
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.screenshot(path=str(ARTIFACTS / "loyalty.png"), full_page=True)
