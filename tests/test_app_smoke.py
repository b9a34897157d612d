"""AppTest: app.py and every page run with empty state, offer the demo, and raise nothing."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import app_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = app_pages()


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


def _pages_modules_imported(path: Path) -> set[str]:
    """The ``pages.<name>`` modules a file imports (``from pages.state import ...`` -> "state")."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] \
            if isinstance(node, ast.ImportFrom) else []
        found |= {n.split(".")[1] for n in names if n.startswith("pages.")}
    return found


def test_every_file_in_pages_is_a_page_in_the_navigation_or_a_module_the_pages_import():
    """A page file that app.py does not list would be unreachable: a file in pages/ is a page app.py lists, or a
    module app.py and the pages import (pages/state.py; the other helpers sit apart, in pages/_shared/)."""
    files = sorted((ROOT / "pages").glob("*.py"))
    imported = set().union(*(_pages_modules_imported(p) for p in [ROOT / "app.py", *files]))
    assert [p.name for p in files if p.name not in PAGES and p.stem not in imported] == []
    assert PAGES and [p for p in PAGES if not (ROOT / "pages" / p).is_file()] == []
