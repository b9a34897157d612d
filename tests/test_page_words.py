"""AppTest: every page on the demo data shows words, not code names, and no literal None/NaN (issue 17 item 2).

A header is what the grid shows: the column_config label when the page gives one, else the column's name
(AppTest's ``dataframe[i].value`` keeps the code names, which other tests read; the labels travel in the
element's column config). Tables that show the user's own file or own SQL keep the user's headers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import app_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = app_pages()
CODE_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")  # "p_won", "stage", "nps": a name, not a header
# The Data page's preview shows a file as read, under the file's own headers (AppTest exposes no key for it).
FILE_HEADERS = [list(pd.read_csv(p, nrows=0).columns) for p in sorted((ROOT / "data").glob("*.csv"))]
MISSING_TEXT = {"None", "nan", "NaN", "<NA>", "NaT", "null"}
UNFORMATTED = re.compile(r"\d{4,}(\.\d|$)|\.\d{3,}")  # 155291 or 58.4837: no separator or too many decimals


def _demo(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120).run()
    demo = [b for b in at.button if (b.key or "").startswith(("demo_", "data_demo"))]
    if demo:
        demo[0].click().run()
        at.run()
    assert not at.exception, at.exception
    return at


def shown_headers(frame: pd.DataFrame, config: dict[str, object]) -> list[str]:
    """The headers a grid draws: a configured label, else the name; hidden columns left out."""
    out = []
    for c in frame.columns:
        given = config.get(str(c))
        if isinstance(given, dict) and given.get("hidden"):
            continue
        lab = given.get("label") if isinstance(given, dict) else None
        out.append(str(lab or c))
    return out


def test_shown_headers_read_the_label_and_skip_hidden_columns() -> None:
    """The helper itself: p_won labelled, log_odds hidden, stage unconfigured (so shown as its name)."""
    frame = pd.DataFrame({"p_won": [0.5], "log_odds": [1.0], "stage": ["Demo"]})
    config = {"p_won": {"label": "Chance of winning"}, "log_odds": {"hidden": True}}
    assert shown_headers(frame, config) == ["Chance of winning", "stage"]
    assert [h for h in shown_headers(frame, config) if CODE_NAME.match(h)] == ["stage"]


def assert_tables_read_as_words(at: AppTest, page: str) -> None:
    for d in at.dataframe:
        frame = d.value
        if list(frame.columns) in FILE_HEADERS:
            continue
        config = json.loads(d.proto.columns or "{}")
        headers = shown_headers(frame, config)
        assert [h for h in headers if CODE_NAME.match(h)] == [], (page, d.key, headers)
        if frame.isna().to_numpy().any():
            assert d.proto.placeholder == "–", (page, headers)
        text = frame[[c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]].astype(str)
        assert not text.isin(MISSING_TEXT).to_numpy().any(), (page, headers)


@pytest.mark.parametrize("page", PAGES)
def test_every_table_header_is_words_and_missing_cells_show_a_dash(page: str) -> None:
    assert_tables_read_as_words(_demo(page), page)


def test_scorecard_tables_after_pinning_and_suggesting_read_as_words() -> None:
    """The who-changed-band tables and the proposal table appear only after Pin, a weight move and Suggest."""
    at = _demo("scorecard.py")
    at.button(key="sc_pin").click().run()
    at.slider(key="sc_w_open_tickets").set_value(60.0).run()
    at.button(key="sc_suggest").click().run()
    assert not at.exception, at.exception
    assert any("proposed_weight" in d.value.columns for d in at.dataframe)
    assert any("health_band_before" in d.value.columns for d in at.dataframe)
    assert_tables_read_as_words(at, "scorecard.py")


def test_scorecard_sliders_carry_labels_not_column_names() -> None:
    """Each weight slider reads as words: usage_active_days_30d is "Active days, last 30"."""
    at = _demo("scorecard.py")
    labels = [s.label for s in at.slider if (s.key or "").startswith("sc_w_")]
    assert "Active days, last 30" in labels
    assert [text for text in labels if "_" in text] == []


@pytest.mark.parametrize("page", PAGES)
def test_tiles_are_formatted(page: str) -> None:
    """No tile shows None/nan, a big number without separators, or a float's raw decimals."""
    at = _demo(page)
    for m in at.metric:
        assert m.value not in MISSING_TEXT, (page, m.label)
        assert not UNFORMATTED.search(str(m.value)), (page, m.label, m.value)


def share_columns(at: AppTest) -> list[tuple[str, dict]]:
    """(header, type_config) of every grid column drawn with Streamlit's "percent" format (a 0-1 share)."""
    out = []
    for d in at.dataframe:
        config = json.loads(d.proto.columns or "{}")
        for name, given in config.items():
            kind = given.get("type_config") or {} if isinstance(given, dict) else {}
            if kind.get("format") == "percent":
                out.append((str(given.get("label") or name), kind))
    return out


@pytest.mark.parametrize("page", ["funnel.py", "support.py", "success.py", "feedback.py"])
def test_every_grid_share_shows_one_fixed_decimal(page: str) -> None:
    """Streamlit's "percent" trims zeros ("28%" beside "38.33%"); a 0.001 step fixes one decimal (28.0%, 38.3%)
    while the frame keeps its 0-1 shares (the Success rep table's churn_low < 26/86 still reads them)."""
    at = _demo(page)
    shares = share_columns(at)
    if page != "feedback.py":  # Feedback shows its share columns only once comments are searched or compared
        assert shares, page
    assert [h for h, kind in shares if kind.get("step") != 0.001] == [], page
    for d in at.dataframe:
        for name, given in json.loads(d.proto.columns or "{}").items():
            if isinstance(given, dict) and (given.get("type_config") or {}).get("format") == "percent":
                values = pd.to_numeric(d.value[name], errors="coerce").dropna()
                assert values.between(-1, 1).all(), (page, name)  # still shares, not 0-100


MONEY_TILES = {"overview.py": "Revenue at risk", "success.py": "Revenue at risk", "scorecard.py": "Revenue at risk",
               "funnel.py": "Weighted forecast"}


def _with_currency(page: str, code: str | None) -> AppTest:
    from cs_logic.core.settings import Settings

    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.session_state["settings"] = Settings(currency=code)
    at.run()
    next(b for b in at.button if (b.key or "").startswith("demo_")).click().run()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", sorted(MONEY_TILES))
def test_money_shows_the_currency_set_on_the_targets_page(page: str) -> None:
    """With EUR in the settings (the Targets page's box), a money tile reads "€155k" (shortened, as on the
    Overview) and a money grid names it in the header ("Revenue (EUR)"); the demo data names no currency, so
    without the setting no sign appears (never assumed to be dollars)."""
    at = _with_currency(page, "EUR")
    tile = next(m.value for m in at.metric if m.label == MONEY_TILES[page])
    assert re.fullmatch(r"€[\d.,]+[kM]?( \(.*\))?", tile), tile
    headers = [str(g.get("label")) for d in at.dataframe for g in json.loads(d.proto.columns or "{}").values()
               if isinstance(g, dict) and (g.get("type_config") or {}).get("format") == "%,.0f"]
    if page in ("success.py", "overview.py"):
        assert headers and all(h.endswith("(EUR)") for h in headers), headers
    plain = _with_currency(page, None)
    tile = next(m.value for m in plain.metric if m.label == MONEY_TILES[page])
    assert re.fullmatch(r"[\d.,]+[kM]?( \(.*\))?", tile), tile
    assert not [str(g.get("label")) for d in plain.dataframe for g in json.loads(d.proto.columns or "{}").values()
                if isinstance(g, dict) and "(" in str(g.get("label")) and "EUR" in str(g.get("label"))]


def test_the_settings_file_keeps_the_currency_through_save_and_load() -> None:
    """"Save settings" wrote the file without the currency and "Load settings" dropped it (both rebuilt Settings
    field by field and left it out): the manager's EUR must survive the round trip."""

    def script():
        import streamlit as st

        from cs_logic.core.settings import Settings, dumps
        from pages._shared.loading import load_settings, settings_to_save
        from pages.state import init_state

        init_state()
        st.session_state["settings"] = Settings(currency="EUR").with_target("nps", 30)
        st.text(dumps(settings_to_save()))
        load_settings(dumps(Settings(currency="GBP")).encode())
        st.text(st.session_state["settings"].currency)

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception, at.exception
    saved = json.loads(at.text[0].value)
    assert saved["currency"] == "EUR" and saved["targets"] == {"nps": 30.0}
    assert at.text[1].value == "GBP"
