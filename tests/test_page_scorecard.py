"""AppTest: the Scorecard (what-if) page on the demo: weights rescore at once, the baseline shows who moved, files round-trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.scoring import health

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "scorecard.py")


LOADED_KEYS = ("store", "uploads", "files", "cross_problems", "loaded_key", "data_label", "settings", "scorecard",
               "seen_uploads", "memo")


@pytest.fixture(scope="module")
def loaded() -> dict:
    """The session after the page's "Load demo data" button and a rerun (done once: loading takes seconds)."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="demo_accounts").click().run()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["scorecard"] is None  # nothing chosen yet: the starting scorecard applies
    return {k: at.session_state[k] for k in LOADED_KEYS}


@pytest.fixture
def page(loaded: dict) -> AppTest:
    """A fresh session holding the loaded demo (the store is shared read-only; the memo is copied)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in loaded.items():
        at.session_state[key] = ({name: dict(box) for name, box in value.items()} if key == "memo"
                                 else value)
    at.run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _in_use(at: AppTest):
    """The scorecard the page scored with: the session's, or the starting one while none is chosen."""
    return at.session_state["scorecard"] or list(at.session_state["memo"]["scored"].values())[-1].scorecard


def _weights(at: AppTest) -> list:
    return [s for s in at.slider if str(s.key).startswith("sc_w_")]


def _matrix(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["before", "red", "yellow", "green"])


def test_page_runs_on_empty_state_and_offers_the_demo():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert "Load demo data" in [b.label for b in at.button]


def test_moving_a_weight_rescores_and_the_baseline_shows_who_moved(page):
    """Pin, then give the first measure (segment, SMB = 0 points) weight 100: SMB accounts fall, others rise."""
    page.button(key="sc_pin").click().run()
    matrix = _matrix(page).set_index("before")
    assert matrix.to_numpy().trace() == matrix.to_numpy().sum()  # nothing moved yet
    mean_before = _metric(page, "Mean health")
    slider = _weights(page)[0]
    assert slider.value != 100
    slider.set_value(100.0).run()
    assert not page.exception, page.exception
    matrix = _matrix(page).set_index("before")
    moved = matrix.to_numpy().sum() - matrix.to_numpy().trace()
    assert moved > 0
    assert any(f"{moved:,} accounts changed band" in m.value for m in page.markdown)
    assert _metric(page, "Mean health") != mean_before
    # The edit is the scorecard in use, held once as an object: no JSON copy in the settings until saved
    # (test_page_order checks that "Save settings" on the Data page writes it).
    sc = page.session_state["scorecard"]
    assert sc.measures[0].weight == 100
    assert page.session_state["settings"].scorecard is None


def test_a_weight_move_reuses_the_cached_points(page):
    """The points matrix is cached on the measures' definitions without weights: a slider move adds no entry."""
    before = dict(page.session_state["memo"]["points"])
    _weights(page)[1].set_value(55.0).run()
    after = page.session_state["memo"]["points"]
    assert list(after) == list(before)
    assert all(after[k] is before[k] for k in before)


def test_a_saved_scorecard_loads_back_as_the_same_scorecard(page, downloads):
    """Save (the download button's bytes), change a weight, load the file: the saved scorecard is back."""
    _weights(page)[2].set_value(42.0).run()
    saved_sc = _in_use(page)
    assert [b for b in page.get("download_button") if b.label == "Save scorecard"]
    write = downloads["scorecard.json"]
    assert callable(write)  # written on click, not re-sent on every slider move
    data = write().encode("utf-8")
    assert health.load_scorecard(data.decode("utf-8")) == saved_sc
    _weights(page)[2].set_value(7.0).run()
    assert _in_use(page) != saved_sc
    page.file_uploader(key="sc_load").set_value(("scorecard.json", data, "application/json")).run()
    page.run()
    assert not page.exception, page.exception
    assert _in_use(page) == saved_sc
    assert _weights(page)[2].value == 42.0


def test_save_writes_the_weights_moved_since_the_button_was_drawn(page, downloads):
    """The Save button is drawn by the whole page, and a weight move reruns only the sliders' fragment: the
    callable it holds reads the scorecard in use when clicked, not the one it was drawn with."""
    page.run()  # draws the button with the download catcher in place
    write = downloads["scorecard.json"]
    _weights(page)[1].set_value(33.0).run()
    assert _in_use(page).measures[1].weight == 33.0
    assert health.load_scorecard(write()) == _in_use(page)


def test_a_bad_scorecard_file_is_an_error_message_not_a_crash(page):
    bad = b'{"name": "x", "measures": [{"column": "tenure", "weight": -5, "method": "linear", "worst": 0, "best": 9}]}'
    before = _in_use(page)
    page.file_uploader(key="sc_load").set_value(("bad.json", bad, "application/json")).run()
    assert not page.exception
    assert any("weights must be 0 or more" in e.value for e in page.error)
    assert _in_use(page) == before


def test_suggested_weights_are_a_proposal_until_applied(page):
    before = _in_use(page)
    page.button(key="sc_suggest").click().run()
    assert _in_use(page) == before
    proposal = next(d.value for d in page.dataframe if "proposed_pct" in d.value.columns)
    assert proposal["proposed_pct"].sum() == pytest.approx(100.0)
    page.slider(key="sc_alpha").set_value(0.5).run()
    page.button(key="sc_apply").click().run()
    assert not page.exception, page.exception
    applied = _in_use(page)
    assert applied != before
    assert [m.column for m in applied.measures] == [m.column for m in before.measures]


def test_adding_and_removing_a_measure(page):
    count = len(_in_use(page).measures)
    page.selectbox(key="sc_add_column").set_value("integrations").run()
    page.button(key="sc_add").click().run()
    sc = _in_use(page)
    assert [m.column for m in sc.measures][-1] == "integrations" and sc.measures[-1].method == "linear"
    remove = next(b for b in page.button if str(b.key).endswith("_integrations") and str(b.key).startswith("sc_rm_"))
    remove.click().run()
    assert len(_in_use(page).measures) == count
    assert not page.exception, page.exception
