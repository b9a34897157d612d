"""AppTest through app.py: the figures do not depend on which page was opened first, and settings re-read no file.

Issue 15: scores were written into the session by the Success page and read by the Overview, Feedback and
Funnel, and any settings change re-read every upload. Each order below starts a fresh session, loads the
demo with the Data page's button, and opens the pages in that order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import pages._shared.loading
from cs_logic.core.settings import loads
from cs_logic.scoring import health
from pages._shared.uploads import DEMO_FILES

ROOT = Path(__file__).resolve().parents[1]
ORDERS = (
    ("overview", "success", "funnel"),
    ("success", "overview", "funnel"),
    ("funnel", "feedback", "overview", "success"),
)
SUCCESS_TILES = ("Accounts", "Mean health", "Share red", "Revenue at risk")


def _demo() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.button(key="data_demo").click().run()
    assert not at.exception, at.exception
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, (page, at.exception)
    return at


def _figures(order: tuple[str, ...]) -> dict[str, object]:
    """The headline figures each page of ``order`` shows, opened in that order in one fresh session."""
    at, seen = _demo(), {}
    for page in order:
        _open(at, page)
        if page == "overview":
            seen["overview"] = [(m.label, m.value, m.delta) for m in at.metric]
        elif page == "success":
            seen["success"] = [(m.label, m.value) for m in at.metric if m.label in SUCCESS_TILES + ("AUC",)]
        elif page == "funnel":
            table = next(d.value for d in at.dataframe if "accounts_sold" in d.value.columns)
            seen["funnel"] = table[["owner", "mean_health_score"]].round(9).values.tolist()
    return seen


@pytest.fixture(scope="module")
def by_order() -> dict[tuple[str, ...], dict[str, object]]:
    return {order: _figures(order) for order in ORDERS}


def test_every_order_shows_the_same_overview_success_and_funnel_figures(by_order):
    """Overview tiles (value and arrow), Success tiles and AUC, and the Funnel's mean health per owner agree."""
    first, *others = by_order.values()
    assert len(first["overview"]) == 8 and len(first["success"]) == 5 and first["funnel"]
    assert all(isinstance(h, float) for _, h in first["funnel"])
    for figures in others:
        assert figures == first


def test_overview_red_tile_counts_the_success_pages_red_accounts(by_order):
    """Share red on the Success page = red / scored active accounts; the Overview's red tile is that numerator."""
    figures = by_order[ORDERS[0]]
    red = int({label: value for label, value, _ in figures["overview"]}["Accounts in the red"].replace(",", ""))
    success = dict(figures["success"])
    share = red / int(success["Accounts"].replace(",", ""))  # every demo account has a score
    assert success["Share red"] == f"{share:.1%}"


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The name of every file load_file reads from here on (the Data page's loads go through pages._shared.loading)."""
    seen: list[str] = []
    original = pages._shared.loading.load_file

    def counting(name, *args, **kwargs):
        seen.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(pages._shared.loading, "load_file", counting)
    return seen


def test_a_target_or_a_weight_rereads_nothing_and_a_mapping_rereads_only_its_file(reads, downloads):
    """Demo: 6 files read once. An NPS target and a Scorecard weight: 0 reads. One file's mapping: 1 read."""
    at = _demo()
    assert sorted(reads) == sorted(DEMO_FILES)
    reads.clear()

    _open(at, "targets").number_input(key="targets_nps").set_value(40.0).run()
    _open(at, "overview")
    assert at.session_state["settings"].target("nps") == 40.0
    assert reads == []

    _open(at, "scorecard")
    slider = next(s for s in at.slider if str(s.key).startswith("sc_w_"))
    slider.set_value(77.0).run()
    _open(at, "success")
    assert at.session_state["scorecard"].measures[0].weight == 77.0
    assert reads == []

    _open(at, "data")
    digest = next(d for d, up in at.session_state["uploads"].items() if up["name"] == "tickets.csv")
    files = {f.name: f for f in at.session_state["files"]}
    mapping = dict(files["tickets.csv"].mapping)
    mapping.pop("channel")
    at.session_state["uploads"][digest].update(table="tickets", mapping=mapping)
    at.run()
    assert not at.exception, at.exception
    assert reads == ["tickets.csv"]
    assert "channel" not in {f.name: f for f in at.session_state["files"]}["tickets.csv"].mapping

    # The scorecard becomes JSON only when saved: "Save settings" writes the one in use.
    saved = loads(downloads["cs_settings.json"]())
    assert health.load_scorecard(saved.scorecard) == at.session_state["scorecard"]
    assert saved.target("nps") == 40.0


def test_session_keys_keep_their_declared_types_after_a_tour():
    """Every shared key declared in pages/state.py still holds its declared type after every page ran."""
    from pages.state import KEYS

    at = _demo()
    for page in ("overview", "success", "scorecard", "loyalty", "feedback", "support", "funnel", "explore",
                 "targets", "data"):
        _open(at, page)
    wrong = [k.name for k in KEYS if not isinstance(at.session_state[k.name], k.kind)]
    assert wrong == []
    assert "health_scores" not in at.session_state and "filters" not in at.session_state
