"""Security: crafted names and values never run SQL or touch files, user text is never rendered as Markdown
or HTML, sessions never see each other's data or settings, and the upload limit is stated and enforced."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cs_logic.core.settings import Settings
from cs_logic.metrics import explore
from cs_logic.read.store import TABLES_AND_VIEWS, Filters, Store
from cs_logic.read.workspace import IngestError, combine, load_file
from pages._shared.uploads import UPLOAD_LIMIT_MB
from tests import badfiles
from tests.conftest import open_app

ROOT = Path(__file__).resolve().parents[1]
DROP = "'); DROP TABLE accounts; --"
READ = "read_csv('/etc/passwd')"
PAYLOADS = ("pixel.png", "evil.example", "onerror", "<script", "<img")
FEEDBACK_PAGE = ROOT / "pages" / "feedback.py"


# ---- DuckDB: crafted column names and values ---------------------------------------------------------------

@pytest.fixture()
def crafted():
    """A store holding the crafted accounts and survey files; the header would COPY to ``target``.

    The target sits in a fresh folder with a neutral name (a word such as "comment" in a pytest tmp_path
    would change how the header is mapped) and is checked absent after every step.
    """
    folder = Path(tempfile.mkdtemp(prefix="cs_sec_"))
    target = folder / "pwned.csv"
    files = [load_file(name, data) for name, data in badfiles.crafted_sql_files(str(target))]
    assert [f.table for f in files] == ["accounts", "surveys"]
    tables, _ = combine(files)
    store = Store(memory_limit="256MB")
    store.load(tables)
    column = next(c for c in store.columns("surveys") if "COPY" in c)
    yield store, column, target
    store.close()
    shutil.rmtree(folder, ignore_errors=True)


def assert_untouched(store: Store, column: str, target: Path) -> None:
    """Nothing written, both tables whole, the crafted values back exactly as uploaded."""
    assert not target.exists()
    names = {r[0] for r in store.con.execute(TABLES_AND_VIEWS).fetchall()}
    assert {"accounts", "surveys"} <= names
    counts = store.con.execute("SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM surveys)").fetchone()
    assert counts == (3, 4)
    values = store.con.execute(f"SELECT {explore.quote_identifier(column)} FROM surveys ORDER BY response_id").fetchall()
    assert [v[0] for v in values] == [DROP, READ, DROP, "$1; SELECT * FROM read_text('/etc/passwd')"]
    segments = store.con.execute("SELECT segment FROM accounts ORDER BY account_id").fetchall()
    assert [s[0] for s in segments] == [DROP, "SMB", "SMB"]


def test_crafted_header_is_loaded_as_a_plain_column_name(crafted):
    store, column, target = crafted
    assert column == f"x\"); COPY (SELECT 1) TO '{target}'; --"
    assert_untouched(store, column, target)


def test_group_summary_on_a_crafted_column_with_crafted_filters_returns_values_verbatim(crafted):
    """Grouped by the crafted column: DROP... twice (R1, R3), read_csv... once, read_text... once."""
    store, column, target = crafted
    counts = explore.group_summary(store.con, "surveys", [column], "count")
    assert dict(zip(counts[column], counts["n"])) == {DROP: 2, READ: 1, "$1; SELECT * FROM read_text('/etc/passwd')": 1}
    nps = explore.group_summary(store.con, "surveys", [column], "nps", column, filters=[(column, "=", DROP)])
    assert nps[column].tolist() == [DROP] and nps["n"].tolist() == [0]
    for op, value in (("in", [READ, DROP]), ("contains", "passwd'"), ("!=", DROP), ("<", DROP)):
        explore.group_summary(store.con, "surveys", ["account_id"], "count", filters=[(column, op, value)])
    by_segment = explore.group_summary(store.con, "accounts", ["segment"], "count",
                                       filters=[("account_name", "in", [DROP, READ])])
    assert dict(zip(by_segment["segment"], by_segment["n"])) == {DROP: 1, "SMB": 1}
    assert_untouched(store, column, target)


def test_store_filters_with_crafted_values_filter_exactly_and_run_nothing(crafted):
    """Segment = the DROP text keeps account A1 and its two answers (R1, R4)."""
    store, column, target = crafted
    store.set_filters(Filters(segment=(DROP,), owner=(READ,), plan=("Pro",),
                              date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31)))
    assert store.frame("accounts")["account_id"].tolist() == ["A1"]
    assert sorted(store.frame("surveys")["response_id"]) == ["R1", "R4"]
    store.set_filters(Filters())
    assert_untouched(store, column, target)


def test_comment_search_over_a_crafted_column_runs_nothing(crafted):
    from cs_logic.metrics import feedback
    from cs_logic.views import feedback_view

    store, column, target = crafted
    # As the Feedback page does: the surveys copied to a base table (the loaded frames are views), then indexed.
    table, _ = feedback_view.comment_index(store.con, set(store.tables))
    index = feedback.index_comments(store.con, table, [column, "comment"])
    found = feedback.search_comments(store.con, table, "drop table", index=index,
                                     filters={column: [DROP], "account_id": [DROP, "A1", "A3"]})
    assert sorted(found["response_id"]) == ["R1", "R3"]
    assert_untouched(store, column, target)


def test_derived_measures_over_crafted_ids_run_nothing(crafted):
    """A1 answered 9 then 7 (latest 7, NPS 50: one promoter, one passive of 2); A2 3; A3 10."""
    from cs_logic.metrics import measures

    store, column, target = crafted
    got = measures.derived_measures(store.con, set(store.tables), dt.date(2024, 4, 1))
    assert got["nps_latest"].to_dict() == {"A1": 7.0, "A2": 3.0, "A3": 10.0}
    assert_untouched(store, column, target)


def test_sql_box_reads_the_crafted_column_but_no_file(crafted):
    store, column, target = crafted
    rows, note = explore.run_readonly_sql(store.con, f"SELECT {explore.quote_identifier(column)} AS v FROM surveys")
    assert note is None and DROP in rows["v"].tolist()
    for sql in (f"SELECT * FROM {READ}", f"COPY (SELECT 1) TO '{target}'", "SELECT * FROM read_text('/etc/passwd')",
                f"SELECT 1; COPY (SELECT 1) TO '{target}'", "DROP TABLE accounts", "ATTACH '/tmp/x.db'"):
        rows, note = explore.run_readonly_sql(store.con, sql)
        assert rows is None and note, sql
    assert_untouched(store, column, target)


def test_the_session_database_itself_refuses_file_access_and_setting_changes(crafted):
    """Defence in depth: even SQL that bypassed every check could not reach the disk or unlock it."""
    import duckdb

    store, column, target = crafted
    for sql in (f"COPY (SELECT 1) TO '{target}'", f"SELECT * FROM {READ}", "SET enable_external_access = true",
                "INSTALL httpfs"):
        with pytest.raises(duckdb.Error):
            store.con.execute(sql)
    assert_untouched(store, column, target)


def test_downloads_neutralise_formula_payloads_from_comments():
    """Each of =, +, @, - starts gains a leading ' so a spreadsheet shows it as text."""
    from cs_logic.output import exports

    lf = load_file(*badfiles.formula_survey())
    frame = exports.neutralise_frame(lf.prepared.frame)
    assert frame["comment"].tolist() == ["'" + c for c in badfiles.FORMULA_COMMENTS]
    text = exports.to_csv_bytes(lf.prepared.frame).decode("utf-8-sig")
    assert all(f"'{c}" in text or f"'{c}".replace('"', '""') in text for c in badfiles.FORMULA_COMMENTS)


# ---- user text is never rendered as Markdown or HTML --------------------------------------------------------

def rendered_text(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown: markdown, captions, alerts, headings, labels."""
    out = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header",
                                "subheader") for e in getattr(at, kind)]
    out += [e.label for e in at.expander] + [t.label for t in at.tabs] + [str(e.value) for e in at.sidebar.markdown]
    return [str(v) for v in out]


def test_data_page_shows_markup_comments_only_inside_the_preview_table():
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=30).run()
    at.file_uploader(key="data_upload").set_value((*badfiles.markup_survey(), "text/csv")).run()
    assert not at.exception
    leaks = [t for t in rendered_text(at) if any(p in t for p in PAYLOADS)]
    assert leaks == []
    previews = [d.value for d in at.dataframe if "comment" in d.value.columns]
    assert previews and previews[0]["comment"].tolist() == list(badfiles.MARKUP_COMMENTS)


def test_data_page_never_renders_markdown_from_a_files_headers():
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=30).run()
    at.file_uploader(key="data_upload").set_value((*badfiles.markup_header_csv(), "text/csv")).run()
    assert not at.exception
    assert [t for t in rendered_text(at) if "](http" in t] == []


@pytest.mark.skipif(not FEEDBACK_PAGE.exists(), reason="pages/feedback.py is not written yet")
def test_feedback_page_never_renders_a_comment_as_markdown():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.file_uploader(key="data_upload").set_value((*badfiles.markup_survey(), "text/csv")).run()
    at.switch_page("pages/feedback.py").run()
    assert not at.exception
    assert [t for t in rendered_text(at) if any(p in t for p in PAYLOADS)] == []


# ---- sessions are isolated ----------------------------------------------------------------------------------

def test_two_sessions_never_see_each_others_files_or_targets():
    """Session A loads the demo and sets an NPS target; session B uploads one file and has no target."""
    a = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    b = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    a.button(key="data_demo").click().run()
    b.file_uploader(key="data_upload").set_value((*badfiles.good_survey("beta_only.csv"), "text/csv")).run()
    # The sidebar's "Loaded:" line shows data_label (AppTest 1.67 drops sidebar elements after the first
    # run of an st.navigation app, so the label is read from state; the browser test reads the sidebar).
    assert (a.session_state["data_label"], b.session_state["data_label"]) == ("Demo data", "beta_only.csv")
    assert not any("beta_only" in e.label for e in a.expander)
    assert [badfiles.shown(e.label) for e in b.expander if "rows" in e.label] == [
        "**beta_only.csv** → Survey answers (NPS, CSAT, CES) · 5 rows · 0 findings"]
    a.switch_page("pages/targets.py").run()
    a.number_input(key="targets_nps").set_value(42.0).run()
    b.switch_page("pages/targets.py").run()
    assert not a.exception and not b.exception
    assert a.session_state["settings"].target("nps") == 42.0
    assert b.session_state["settings"].target("nps") is None and b.number_input(key="targets_nps").value is None
    a_files = [u["name"] for u in a.session_state["uploads"].values()]
    b_files = [u["name"] for u in b.session_state["uploads"].values()]
    assert "beta_only.csv" not in a_files and "accounts.csv" in a_files
    assert b_files == ["beta_only.csv"]
    assert a.session_state["store"] is not b.session_state["store"]
    assert "surveys" in b.session_state["store"].tables and "accounts" not in b.session_state["store"].tables


def test_a_fresh_session_starts_with_default_settings_after_another_changed_them():
    """Module-level defaults must not carry one manager's settings into the next session."""
    a = AppTest.from_file(str(ROOT / "pages" / "targets.py"), default_timeout=30).run()
    a.number_input(key="targets_churn").set_value(5.0).run()
    c = AppTest.from_file(str(ROOT / "pages" / "targets.py"), default_timeout=30).run()
    assert a.session_state["settings"].target("churn") == 5.0
    assert c.session_state["settings"] == Settings()


# ---- upload limit -------------------------------------------------------------------------------------------

def test_data_page_states_the_upload_limit_and_it_matches_the_server_setting():
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=30).run()
    assert any("200 MB" in c.value for c in at.caption)
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == UPLOAD_LIMIT_MB == 200


def test_load_file_refuses_a_file_over_its_limit_in_one_line():
    """A 2 KB file against a 1,000-byte limit (the page passes 200 MB; the server stops bigger uploads)."""
    data = b"id,name\n" + b"1234,abcdefghij\n" * 128
    with pytest.raises(IngestError) as caught:
        load_file("big.csv", data, max_bytes=1000)
    assert badfiles.problems_in_reason(str(caught.value)) == [] and "limit" in str(caught.value)


# ---- real browser -------------------------------------------------------------------------------------------

def _upload(page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for(timeout=30_000)
    page.get_by_text("rows ·").first.wait_for(timeout=30_000)


@pytest.mark.browser
def test_browser_sessions_in_two_contexts_never_see_each_others_upload(browser, app_server, tmp_path):
    """Both contexts open; A uploads alpha, then B uploads beta: B's page and sidebar show only beta."""
    for name in ("alpha_only_7f3.csv", "beta_only_7f3.csv"):
        (tmp_path / name).write_bytes(badfiles.good_survey(name)[1].replace(b"Great", name[:4].encode()))
    first, page_a = open_app(browser, app_server)
    second, page_b = open_app(browser, app_server)
    try:
        _upload(page_a, tmp_path / "alpha_only_7f3.csv")
        _upload(page_b, tmp_path / "beta_only_7f3.csv")
        sidebar_b = page_b.get_by_test_id("stSidebar")
        sidebar_b.get_by_text("beta_only_7f3.csv").first.wait_for(timeout=10_000)
        assert page_b.get_by_text("alpha_only_7f3").count() == 0
        assert page_a.get_by_text("beta_only_7f3").count() == 0
        assert page_a.get_by_test_id("stSidebar").get_by_text("alpha_only_7f3.csv").count() >= 1
    finally:
        first.close()
        second.close()


def assert_no_markup_rendered(page) -> None:
    assert page.locator("img[src*=pixel]").count() == 0
    assert page.locator('a[href="http://evil.example"]').count() == 0
    assert page.locator("img[src=x]").count() == 0


@contextmanager
def _uploaded(browser, base: str, folder: Path, made: tuple[str, bytes]):
    """A new browser context's page with the file ``made`` (name, bytes) uploaded on the Data page."""
    name, data = made
    (folder / name).write_bytes(data)
    context, page = open_app(browser, base)
    try:
        _upload(page, folder / name)
        yield page
    finally:
        context.close()


@pytest.mark.browser
def test_browser_never_renders_markup_from_comments(browser, app_server, tmp_path):
    """The tracking pixel, the link and the <img onerror> stay text: no such <img> or <a> in the DOM."""
    with _uploaded(browser, app_server, tmp_path, badfiles.markup_survey()) as page:
        assert_no_markup_rendered(page)
        link = page.get_by_test_id("stSidebarNavLink").filter(has_text="Feedback")
        if link.count():
            link.first.click()
            page.get_by_role("heading", name="Feedback").first.wait_for(timeout=30_000)
            page.get_by_role("tab", name="FAQ candidates").first.wait_for(timeout=30_000)
            page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=60_000)
            for tab in ("Comments and themes", "Key drivers", "FAQ candidates", "Feature interest"):
                page.get_by_role("tab", name=tab).first.click()  # every tab's content, not only the first
                assert_no_markup_rendered(page)


@pytest.mark.browser
def test_browser_never_renders_markup_from_headers(browser, app_server, tmp_path):
    with _uploaded(browser, app_server, tmp_path, badfiles.markup_header_csv()) as page:
        assert_no_markup_rendered(page)
