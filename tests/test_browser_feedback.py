"""Real browser: the Feedback page's comment search in Portuguese and Persian, with screenshots to look at.

Every request that is not to the test server is aborted. The screenshots go to tests/artifacts/
(feedback_pt.png, feedback_fa.png): open them to check the text shows without mojibake and the Persian
reads right to left.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
PORTUGUESE = ("flexiveis", "flexíveis")  # typed without accents, shown with them
PERSIAN = ("پشتيباني", "پشتیبانی")  # typed with the Arabic yeh (U+064A), shown with the Persian one (U+06CC)


def _search(pg, typed: str, shown: str) -> None:
    box = pg.get_by_role("textbox", name="Search comments")
    box.fill(typed)
    box.press("Enter")
    # The results grid is a canvas; its cells are mirrored as role=gridcell for assistive tech.
    pg.locator("[role=gridcell]", has_text=shown).first.wait_for(state="attached", timeout=30_000)
    pg.get_by_test_id("stText").filter(has_text=shown).first.wait_for(timeout=30_000)


def test_feedback_search_finds_portuguese_and_persian_comments(page):
    page.get_by_role("button", name="Load demo data").first.click()
    page.get_by_test_id("stSidebar").get_by_text("surveys 1,990 rows").first.wait_for(timeout=60_000)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Feedback").first.click()
    page.get_by_role("heading", name="Feedback").first.wait_for(timeout=30_000)
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=30_000)

    _search(page, *PORTUGUESE)
    page.screenshot(path=str(ARTIFACTS / "feedback_pt.png"), full_page=True)

    _search(page, *PERSIAN)
    detail = page.get_by_test_id("stText").filter(has_text=PERSIAN[1]).first
    detail.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "feedback_fa.png"), full_page=True)
    assert "\ufffd" not in detail.inner_text()  # no replacement characters: the text arrived intact
