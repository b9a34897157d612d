"""Issue 19 (b): a session's DuckDB temp folder (cs_duckdb_<pid>_<random>) is removed when the session ends.

Streamlit has no end-of-session hook: a disconnected session is kept for ``server.disconnectedSessionTTL`` seconds
(120 by default) so a browser can reconnect, and its entry is dropped at the next write to the session storage
after that (another session's disconnect); its state, the Store with it, goes when Python collects it. The Store's
``weakref.finalize`` then closes the database and removes the folder. The unit tests run that path as Streamlit
does; the browser test runs it on a real server with a 1 s TTL.
"""

from __future__ import annotations

import gc
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.read.store import TEMP_PREFIX, Store
from tests.conftest import open_app, start_app

ROOT = Path(__file__).resolve().parents[1]


def _store_with_folder() -> tuple[Store, str]:
    """A store whose temp folder exists on disk (the SQL box's read-only copy is written into it)."""
    store = Store(memory_limit="128MB")
    store.load({"accounts": pd.DataFrame({"account_id": ["A1", "A2"]})})
    folder = store._temp
    store.sql_snapshot()
    assert os.path.isdir(folder)
    return store, folder


def test_closing_a_store_removes_its_temp_folder():
    store, folder = _store_with_folder()
    store.close()
    assert not os.path.exists(folder)
    store.close()  # a second close (the finalizer already ran) is harmless


def test_dropping_the_last_reference_to_a_store_removes_its_folder():
    """As when Streamlit lets a session's state go: no close() call, the store's finalizer does it."""
    store, folder = _store_with_folder()
    del store
    assert not os.path.exists(folder)


def test_a_store_held_in_a_reference_cycle_goes_at_the_next_collection():
    """A session's state sits in objects that refer to each other (Streamlit's AppSession and its script runner),
    so it is freed by the cycle collector, not at once: the folder is removed when that runs."""
    store, folder = _store_with_folder()
    session: dict[str, object] = {"state": {"store": store}}
    session["self"] = session  # the cycle
    del store, session
    gc.collect()
    assert not os.path.exists(folder)


# ------------------------------------------------------------------------------------------- real server
TTL_S = 1


def _folders(pid: int) -> list[str]:
    return sorted(n for n in os.listdir(tempfile.gettempdir()) if n.startswith(f"{TEMP_PREFIX}{pid}_"))


@pytest.fixture()
def short_ttl_server():
    """The app on its own server whose disconnected sessions are kept TTL_S seconds instead of 120."""
    base, proc = start_app("--server.disconnectedSessionTTL", str(TTL_S), log_name="server_short_ttl.log")
    yield base, proc.pid
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.browser
def test_ended_sessions_leave_no_duckdb_folder_behind(browser, short_ttl_server):
    """Three sessions load the demo and run a SQL query (which writes into their temp folders): three folders.
    The tabs close; once the TTL has passed and another session has come and gone (the write that drops expired
    sessions), no folder of that server remains within 30 s."""
    base, pid = short_ttl_server
    contexts = []
    for _ in range(3):
        context, page = open_app(browser, base)
        page.get_by_role("button", name="Load demo data").first.click()
        page.get_by_test_id("stSidebar").get_by_text("accounts 500 rows").first.wait_for(timeout=60_000)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Explore").first.click()
        page.get_by_role("tab", name="SQL (for analysts)").first.click()
        page.get_by_label("Query").fill("SELECT count(*) AS n FROM accounts")
        page.get_by_role("button", name="Run").click()
        page.get_by_test_id("stDataFrame").last.wait_for(timeout=60_000)
        contexts.append(context)
    assert len(_folders(pid)) == 3
    for context in contexts:
        context.close()
    time.sleep(TTL_S + 1)
    context, _ = open_app(browser, base)  # its disconnect is the storage write that drops the expired sessions
    context.close()
    deadline = time.monotonic() + 30
    while _folders(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _folders(pid) == []
