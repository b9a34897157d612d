"""Issue 19 (a): the SQL box's worker processes are capped across every session of the server, so N users' queries
at once cannot take N x 1.1 GB; a query past the cap waits a few seconds, then is told the box is busy."""

from __future__ import annotations

import os
import threading
import time

import pandas as pd
import pytest

from cs_logic.metrics import explore
from cs_logic.metrics.explore import SQL_WORKERS, run_sql_isolated
from cs_logic.read.store import Store


@pytest.fixture(scope="module")
def store():
    s = Store(memory_limit="256MB")
    s.load({"accounts": pd.DataFrame({"account_id": ["A1", "A2", "A3"]})})
    yield s
    s.close()


def test_the_cap_is_two_workers_per_server():
    """Two at once: 2 x (1 GB + start-up) is the most the SQL box adds to the server's machine."""
    assert SQL_WORKERS == 2


def test_a_query_past_the_cap_waits_then_is_told_the_box_is_busy(store, monkeypatch):
    """Every slot held (as by two long queries of other sessions): the next query starts no worker, waits its
    0.3 s and comes back with the busy message; its spill folder is not left behind."""
    started = []
    monkeypatch.setattr(explore, "_in_worker", lambda *a: started.append(a))
    held = 0
    try:
        while explore._WORKER_SLOTS.acquire(blocking=False):
            held += 1
        snapshot = store.sql_snapshot()
        t0 = time.monotonic()
        rows, message = run_sql_isolated(snapshot, "SELECT count(*) AS n FROM accounts", wait_s=0.3)
        waited = time.monotonic() - t0
    finally:
        for _ in range(held):
            explore._WORKER_SLOTS.release()
    assert held == SQL_WORKERS
    assert rows is None and "SQL box is busy" in message and "try again" in message.lower()
    assert 0.3 <= waited < 2 and started == []
    assert not os.path.exists(snapshot.spill)


def test_a_waiting_query_runs_as_soon_as_a_slot_frees(store):
    """Both slots held; one is released 0.3 s later: the waiting query (up to 10 s) then runs and answers 3."""
    for _ in range(SQL_WORKERS):
        assert explore._WORKER_SLOTS.acquire(blocking=False)
    release = threading.Timer(0.3, explore._WORKER_SLOTS.release)
    release.start()
    try:
        rows, message = run_sql_isolated(store.sql_snapshot(), "SELECT count(*) AS n FROM accounts", wait_s=10)
    finally:
        release.join()
        for _ in range(SQL_WORKERS - 1):
            explore._WORKER_SLOTS.release()
    assert message is None and rows["n"].tolist() == [3]


def test_four_queries_at_once_never_run_more_than_two_workers(store, monkeypatch):
    """Four sessions' queries started together all answer, but no more than SQL_WORKERS workers run at a time
    (counted around the function that starts and waits for a worker)."""
    running, most = [0], [0]
    lock = threading.Lock()
    real = explore._in_worker

    def counted(*args):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(*args)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(explore, "_in_worker", counted)
    answers: list[tuple[pd.DataFrame | None, str | None]] = []
    threads = [threading.Thread(target=lambda: answers.append(run_sql_isolated(
        store.sql_snapshot(), "SELECT count(*) AS n FROM accounts", wait_s=120))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert [m for _, m in answers] == [None] * 4 and [r["n"].tolist() for r, _ in answers] == [[3]] * 4
    assert most[0] == SQL_WORKERS
    assert explore._WORKER_SLOTS.acquire(blocking=False) and explore._WORKER_SLOTS.acquire(blocking=False)
    explore._WORKER_SLOTS.release()
    explore._WORKER_SLOTS.release()
