"""AppTest: app.py and every page run with empty state, offer the demo, and raise nothing."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name not in ("common.py", "state.py"))  # helpers, not pages


def test_app_opens_on_the_data_page_when_nothing_is_loaded():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert any(t.value == "Data" for t in at.title)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_empty_state_and_offers_the_demo(page):
    """With nothing loaded, each page says so and offers the demo (the Data page has its own button)."""
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=30).run()
    assert not at.exception, at.exception
    labels = [b.label for b in at.button]
    assert "Load demo data" in labels


def test_every_page_is_in_the_navigation():
    """A page file that app.py does not list would be unreachable."""
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert [p for p in PAGES if f"pages/{p}" not in app] == []
