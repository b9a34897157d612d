"""AppTest: data too big to upload, opened where it is: a folder or DuckDB file from the Data page's path box or
`streamlit run app.py -- --data PATH`, remapped and removed as an upload is; bad paths say why, never a traceback."""

import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

import pages._shared.uploads
from cs_logic.core.settings import Settings
from tests.badfiles import problems_in_reason, shown

ROOT = Path(__file__).resolve().parents[1]
SAAS = ("ravenstack_accounts.csv", "ravenstack_feature_usage.csv", "ravenstack_support_tickets.csv")


@pytest.fixture
def folder(tmp_path, shared_data):
    where = tmp_path / "exports"
    where.mkdir()
    for name in SAAS:
        shutil.copy(shared_data / "saas_usage" / name, where / name)
    (where / "notes.pdf").write_bytes(b"%PDF-1.4")
    return where


@pytest.fixture
def database(tmp_path, shared_data):
    path = tmp_path / "portfolio.duckdb"
    con = duckdb.connect(str(path))
    for name in SAAS:
        con.execute(f"CREATE TABLE {Path(name).stem} AS SELECT * FROM read_csv($p)",
                    {"p": str(shared_data / "saas_usage" / name)})
    con.close()
    return path


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()


def _open(at: AppTest, path: object) -> AppTest:
    at.text_input(key="data_open_path").set_value(str(path))
    at.button(key="data_open").click().run()
    return at.run() if not at.exception else at


def _texts(at: AppTest) -> str:
    return " ".join(shown(e.value) for kind in ("success", "error", "caption") for e in at.get(kind))


def test_the_path_box_opens_a_folder_without_holding_its_bytes(folder):
    at = _open(_page(), folder)
    assert not at.exception, at.exception
    store = at.session_state["store"]
    assert set(store.tables) == {"accounts", "usage", "tickets"}
    assert len(store.tables["accounts"]) == 500 and len(store.tables["usage"]) == 25_000
    uploads = at.session_state["uploads"]
    assert sorted(up["name"] for up in uploads.values()) == list(SAAS)
    assert all("data" not in up and Path(up["path"]).parent == folder for up in uploads.values())
    text = _texts(at)
    assert f"Opened the folder {folder}: 3 files (1 left out" in text
    assert "notes.pdf (this file is a PDF document" in text
    assert f"Opened from disk: {folder / SAAS[0]}" in text


def test_a_file_opened_from_disk_is_remapped_and_removed_like_an_upload(folder):
    at = _open(_page(), folder)
    digest = next(d for d, up in at.session_state["uploads"].items() if up["name"] == "ravenstack_support_tickets.csv")
    at.selectbox(key=f"data_table_{digest}").set_value("orders").run()
    at.run()
    assert not at.exception and "tickets" not in at.session_state["store"].tables
    assert at.session_state["uploads"][digest]["table"] == "orders"
    at.button(key=f"data_remove_{digest}").click().run()
    at.run()
    assert not at.exception and digest not in at.session_state["uploads"]
    assert len(at.session_state["uploads"]) == 2


def test_a_remembered_mapping_applies_to_a_file_opened_from_disk(folder):
    """The settings file's mapping for these headers (accounts' plan read from 'industry') is used on opening."""
    at = _open(_page(), folder)
    digest = next(d for d, up in at.session_state["uploads"].items() if up["name"] == SAAS[0])
    at.session_state["uploads"][digest]["mapping"] = {"account_id": "account_id", "plan": "industry"}
    at.run()
    saved = Settings()
    for lf in at.session_state["files"]:
        saved = saved.with_mapping(lf.remembered())
    fresh = _page()
    fresh.session_state["settings"] = saved
    fresh = _open(fresh.run(), folder)
    accounts = next(f for f in fresh.session_state["files"] if f.name == SAAS[0])
    assert accounts.mapping == {"account_id": "account_id", "plan": "industry"}


def test_the_path_box_opens_a_duckdb_file_table_by_table(database):
    at = _open(_page(), database)
    assert not at.exception, at.exception
    assert sorted(up["name"] for up in at.session_state["uploads"].values()) == [
        f"portfolio.duckdb:{Path(n).stem}" for n in SAAS]
    assert set(at.session_state["store"].tables) == {"accounts", "usage", "tickets"}
    assert len(at.session_state["store"].tables["usage"]) == 25_000
    assert "Opened the DuckDB file" in _texts(at) and "table ravenstack_accounts" in _texts(at)


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p / "nowhere", "there is no such file or folder"),
    (lambda p: (p / "void").mkdir() or p / "void", "holds no export file"),
    (lambda p: (p / "bad.duckdb").write_bytes(bytes(8) + b"DUCK" + b"x" * 2000) and p / "bad.duckdb",
     "cannot be opened as a DuckDB database"),
    (lambda p: (p / "scan.pdf").write_bytes(b"%PDF-1.4") and p / "scan.pdf", "a PDF document"),
    (lambda p: "  ", "Type the path"),
])
def test_a_bad_path_gives_a_message_and_loads_nothing(tmp_path, make, words):
    at = _open(_page(), make(tmp_path))
    assert not at.exception, at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and words in errors[0] and problems_in_reason(errors[0]) == [], errors
    assert at.session_state["uploads"] == {} and at.session_state["store"] is None


def test_the_app_started_with_data_opens_the_folder_on_the_overview(folder, monkeypatch):
    """`streamlit run app.py -- --data PATH`: loaded on the first page view, the Overview first, the sidebar and the
    Data page say where it came from; once per session (Reset data does not bring it back)."""
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(folder)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not at.exception, at.exception
    assert set(at.session_state["store"].tables) == {"accounts", "usage", "tickets"}
    assert at.session_state["data_label"] == str(folder)
    assert any(shown(m.value) == f"**Loaded:** {folder}" for m in at.sidebar.markdown)
    assert not any(t.value == "Data" for t in at.title)  # the Overview, not the Data page
    at.switch_page("pages/data.py").run()
    assert f"Opened the folder {folder}: 3 files (1 left out" in _texts(at)
    assert f"Opened from disk: {folder / SAAS[0]}" in _texts(at)
    at.button(key="data_reset").click().run()
    at.run()
    assert not at.exception and at.session_state["uploads"] == {} and at.session_state["store"] is None
    assert "Opened the folder" not in _texts(at)


def test_the_app_started_with_a_bad_data_path_says_so_on_the_data_page(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(tmp_path / "nowhere")])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert any(t.value == "Data" for t in at.title)
    assert ["there is no such file or folder" in shown(e.value) for e in at.error] == [True]


def test_a_file_over_the_upload_limit_is_told_how_to_open_it_from_disk(monkeypatch, shared_data):
    monkeypatch.setattr(pages._shared.uploads, "UPLOAD_LIMIT_MB", 0)
    at = _page()
    path = shared_data / "telco_churn" / "Telco-Customer-Churn.csv"
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception
    error = shown(at.error[0].value)
    assert "over the 0 MB upload limit" in error and "Open a folder or DuckDB file on this computer" in error
    assert "make run DATA=" in error


def test_a_file_changed_on_disk_says_so_and_opening_again_replaces_it(folder):
    """The key is a fingerprint of path, size and time: a rewritten file is not read under its old key; opening the
    folder again replaces the entry, keeping the manager's table choice."""
    import os

    at = _open(_page(), folder)
    old = next(d for d, up in at.session_state["uploads"].items() if up["name"] == "ravenstack_support_tickets.csv")
    at.session_state["uploads"][old]["table"] = "tickets"
    path = folder / "ravenstack_support_tickets.csv"
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    at.session_state["memo"].pop("upload:" + old)  # as after a new mapping: the file is read again
    at.run()
    assert not at.exception
    assert any("changed on disk since it was opened" in shown(e.value) for e in at.error)
    at = _open(at, folder)
    assert not at.exception and len(at.session_state["uploads"]) == 3 and old not in at.session_state["uploads"]
    new = next(d for d, up in at.session_state["uploads"].items() if up["name"] == "ravenstack_support_tickets.csv")
    assert at.session_state["uploads"][new]["table"] == "tickets" and "tickets" in at.session_state["store"].tables
