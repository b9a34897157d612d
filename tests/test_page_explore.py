"""AppTest: the Explore page on the demo data: a group-by checked against pandas, the SQL box's refusals."""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
DEALS = pd.read_csv(ROOT / "data" / "deals.csv")


@pytest.fixture(scope="module")
def loaded() -> AppTest:
    """The Explore page after its "Load demo data" button was clicked (loaded once: it takes seconds)."""
    at = AppTest.from_file(str(ROOT / "pages" / "explore.py"), default_timeout=30).run()
    at.button(key="demo_any").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(loaded: AppTest) -> Iterator[AppTest]:
    yield loaded
    assert not loaded.exception, loaded.exception


def summary_table(at: AppTest) -> pd.DataFrame:
    """The group-by result: the dataframe with the value and n columns."""
    return next(d.value for d in at.dataframe if {"value", "n"} <= set(d.value.columns))


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="explore_sql").input(sql).run()
    return at.button(key="explore_run").click().run()


def test_deals_grouped_by_owner_counts_rows_per_owner_as_pandas_does(page):
    page.selectbox(key="explore_table").select("deals").run()
    page.multiselect(key="explore_by_deals").select("owner").run()
    page.selectbox(key="explore_measure_deals").select("count").run()
    counts = summary_table(page).set_index("owner")["value"].astype(int).to_dict()
    assert counts == DEALS["owner"].value_counts().to_dict()
    assert page.get("vega_lite_chart"), "the group chart is drawn"


def test_measures_are_offered_only_where_a_fitting_column_exists(page):
    """deals has numbers but no nps, csat or churned; surveys has nps and csat; accounts has churned."""
    page.selectbox(key="explore_table").select("deals").run()
    assert page.selectbox(key="explore_measure_deals").options == ["Rows", "Sum", "Mean", "Median"]
    page.selectbox(key="explore_table").select("surveys").run()
    survey_measures = set(page.selectbox(key="explore_measure_surveys").options)
    assert {"NPS (-100 to 100)", "CSAT % (share of 4-5)"} <= survey_measures
    assert "Share churned" not in page.selectbox(key="explore_measure_surveys").options
    page.selectbox(key="explore_table").select("accounts").run()
    assert "Share churned" in page.selectbox(key="explore_measure_accounts").options


def test_a_filter_row_narrows_the_group_by_to_matching_rows(page):
    """owner = Marcus Reed leaves one group whose count is his deals in the file."""
    page.selectbox(key="explore_table").select("deals").run()
    page.multiselect(key="explore_by_deals").set_value(["owner"]).run()
    page.session_state["explore_filters_deals"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"column": "owner", "operator": "=", "value": "Marcus Reed"}]}
    page.run()
    table = summary_table(page)
    assert table["owner"].tolist() == ["Marcus Reed"]
    assert int(table["value"].iloc[0]) == int((DEALS["owner"] == "Marcus Reed").sum())
    page.session_state["explore_filters_deals"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": []}
    page.run()


def test_sql_box_counts_the_deals_in_the_file(page):
    run_sql(page, "SELECT count(*) AS n FROM deals")
    result = next(d.value for d in page.dataframe if list(d.value.columns) == ["n"])
    assert int(result["n"].iloc[0]) == len(DEALS)


@pytest.mark.parametrize(("sql", "message"), [
    ("COPY deals TO '/tmp/x.csv'", "Only SELECT queries run here"),
    ("SELECT * FROM read_csv('/etc/passwd')", "cannot read files"),
    ("SELECT 1; SELECT 2", "exactly one SELECT statement"),
])
def test_sql_box_refuses_anything_but_one_select_with_a_message(page, sql, message):
    run_sql(page, sql)
    assert [w.value for w in page.warning] == ["Not run. The reason:"]
    assert message in page.code[0].value


def test_sql_box_shows_what_the_user_typed_as_plain_text_never_markdown(page):
    """A syntax error quotes the query: it must come back in a code block, not in rendered markdown."""
    run_sql(page, "SELECT **bold** <b>x</b>")
    assert "<b>x</b>" in page.code[0].value
    assert not any("<b>" in m.value or "**bold**" in m.value for m in [*page.markdown, *page.warning])


def test_table_downloads_write_on_click_and_leave_out_an_xlsx_that_cannot_fit(monkeypatch, downloads):
    """Every page's CSV/XLSX pair comes from pages._shared.widgets.table_downloads: both buttons are callables (the file
    is written on click), and a table over Excel's sheet limits gets the reason instead of the XLSX button."""
    from cs_logic.output import exports

    def script():
        import pandas as pd
        import streamlit as st

        from pages._shared.widgets import table_downloads

        c1, c2 = st.columns(2)
        table_downloads(c1, c2, pd.DataFrame({"a": [1, 2]}), "small", key="t_small", sheet="Small")
        c3, c4 = st.columns(2)
        table_downloads(c3, c4, pd.DataFrame({"a": range(5)}), "big", key="t_big")

    monkeypatch.setattr(exports, "EXCEL_MAX_DATA_ROWS", 3)
    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert sorted(downloads) == ["big.csv", "small.csv", "small.xlsx"]
    assert all(callable(data) for data in downloads.values())
    # the table, BOM and all, under the headers the page shows (issue 17.2: downloads are labelled)
    assert downloads["small.csv"]() == exports.to_csv_bytes(pd.DataFrame({"a": [1, 2]}), labelled=True)
    assert any("big" in c.value and "5 rows" in c.value for c in at.caption)
