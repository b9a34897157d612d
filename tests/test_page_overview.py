"""AppTest: the Overview page on the demo data, its NPS checked against pandas on data/surveys.csv."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = pd.read_csv(ROOT / "data" / "surveys.csv", parse_dates=["date"])


def nps_of(answers: pd.Series) -> float:
    """100 * (promoters - detractors) / valid whole answers 0-10 (blanks and "N/A" are not answers)."""
    v = pd.to_numeric(answers, errors="coerce")
    v = v[v.between(0, 10) & (v == v.round())]
    return 100 * ((v >= 9).sum() - (v <= 6).sum()) / len(v)


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[AppTest, dict[str, bytes]]]:
    """The page after "Load demo data"; downloads are caught as Streamlit stores them (AppTest keeps no runtime)."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            stored[file_id] = path_or_data
        return file_id

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
        at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60).run()
        at.button(key="demo_any").click().run()
        assert not at.exception, at.exception
        yield at, stored


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def test_overview_renders_on_the_demo_without_exception(loaded):
    at, _ = loaded
    assert not at.exception
    assert any(t.value == "Overview" for t in at.title)
    assert len(at.metric) == 8


def test_nps_tile_is_the_october_answers_and_its_arrow_compares_with_q3(loaded):
    """As of 31 Oct 2026 (the demo's last day): Q4 to date = October, against all of 2026 Q3."""
    at, _ = loaded
    oct_ = SURVEYS[(SURVEYS["date"] >= "2026-10-01") & (SURVEYS["date"] <= "2026-10-31")]["nps"]
    q3 = SURVEYS[(SURVEYS["date"] >= "2026-07-01") & (SURVEYS["date"] <= "2026-09-30")]["nps"]
    tile = metric(at, "NPS")
    assert tile.value == f"{nps_of(oct_):+.1f}"
    assert tile.delta == f"{nps_of(oct_) - nps_of(q3):+.1f} pts vs 2026 Q3"


def test_lower_is_better_tiles_use_the_inverse_delta_colour(loaded):
    """Demo: churn rose (Oct 2.8% vs Sep 1.7%): up and red. First response fell 0.1 h: down and green.
    NPS rose: up and green."""
    at, _ = loaded
    colour = {m.label: (Metric.MetricDirection.Name(m.proto.direction), Metric.MetricColor.Name(m.proto.color))
              for m in at.metric}
    assert colour["Logo churn"] == ("UP", "RED")
    assert colour["Median first response"] == ("DOWN", "GREEN")
    assert colour["NPS"] == ("UP", "GREEN")


def test_target_gap_shows_under_the_tile_once_a_target_is_set(loaded):
    at, _ = loaded
    at.session_state["settings"] = at.session_state["settings"].with_target("nps", 90)
    at.run()
    assert not at.exception, at.exception
    assert any("target +90.0:" in c.value and "worse" in c.value for c in at.caption)


def test_report_download_holds_html_with_inline_svg_and_no_script(loaded):
    at, stored = loaded
    button = next(b for b in at.get("download_button") if b.label.startswith("Download the report"))
    data = stored[button.proto.url.rsplit("/", 1)[-1].split(".")[0]].decode("utf-8")
    assert data.startswith("<!DOCTYPE html>") and "<svg" in data and "<script" not in data.casefold()


def test_report_download_shows_the_numbers_the_tiles_show(loaded):
    """Issue 17: every figure of the report's KPI table is the one on the page's tile, for the same data."""
    at, stored = loaded
    button = next(b for b in at.get("download_button") if b.label.startswith("Download the report"))
    page = stored[button.proto.url.rsplit("/", 1)[-1].split(".")[0]].decode("utf-8")
    table = page[page.index('<table class="kpis">'):]
    table = table[:table.index("</table>")]
    values = {}
    for row in table.split("<tr>")[2:]:
        cells = [html.unescape(c.split(">", 1)[1]) for c in row.split("</td>")[:-1]]
        values[cells[0]] = cells[2]
    assert values == {m.label: m.value for m in at.metric}


def test_tables_and_charts_are_offered_for_download(loaded):
    at, _ = loaded
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("CSV") == 3 and labels.count("XLSX") == 3
    assert labels.count("PNG") >= 2 and labels.count("PNG") == labels.count("SVG")


def test_red_tile_and_risks_come_from_the_sessions_scored_portfolio(loaded):
    """The Overview reads THE scored portfolio (no scores another page left, no second scoring): its red tile
    counts that portfolio's red accounts not churned (demo: churned "No"), and every listed risk is one of them.
    (Replaces a test that planted "health_scores" in the session: that side channel was the bug of issue 15.)"""
    at, _ = loaded
    accounts = pd.read_csv(ROOT / "data" / "accounts.csv", dtype=str)
    active = set(accounts.loc[accounts["churned"] == "No", "account_id"])
    scores = list(at.session_state["memo"]["scored"].values())[-1].scores
    red = scores.index[(scores["health_band"] == "red") & scores.index.isin(active)]
    assert len(red) > 0
    assert metric(at, "Accounts in the red").value == f"{len(red):,}"
    names = accounts.set_index("account_id").loc[red, "account_name"]
    risks = next(d.value for d in at.dataframe if "health_score" in d.value.columns)
    assert 0 < len(risks) <= 5 and set(risks["account_name"]) <= set(names)
    assert any("starting scorecard" in c.value for c in at.caption)


def _elements(node) -> list:
    """The page's elements in the order the page wrote them (AppTest's tree, depth first)."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [e for key in sorted(children) for e in _elements(children[key])]


def test_health_history_is_drawn_after_the_tiles_and_the_success_page_reuses_it():
    """Issue 18.2: the tiles come first (the history is computed after them, so they never wait for it), then the
    lists, then the "Health over time" chart. The twelve-month history the Overview scored is the very object the
    Success page's month-by-month view reads afterwards: one memo entry, not scored a second time."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/overview.py").run()
    at.button(key="demo_any").click().run()
    assert not at.exception, at.exception
    kinds = [type(e).__name__ for e in _elements(at.main)]
    heads = [e.value for e in _elements(at.main) if type(e).__name__ == "Subheader"]
    assert heads[:3] == ["Top risks", "What detractors talk about", "Health over time"]
    first_heading = kinds.index("Subheader")
    assert kinds.count("Metric") == 8 and max(i for i, k in enumerate(kinds) if k == "Metric") < first_heading
    assert any("share of each band among the accounts active" in c.value for c in at.caption)
    box = at.session_state["memo"]["history"]
    assert len(box) == 1
    history = next(iter(box.values()))
    assert history["month"].nunique() == 12
    at.switch_page("pages/success.py").run()
    at.toggle(key="suc_trend").set_value(True).run()
    assert not at.exception, at.exception
    after = at.session_state["memo"]["history"]
    assert len(after) == 1 and next(iter(after.values())) is history
