"""The session's DuckDB database: one locked, memory-bounded connection per manager's session.

Why one connection per session rather than one shared database with a cursor per run: every
session gets its own in-memory database, so no query of one manager can see another's tables,
and each has an explicit memory budget that spills to a private temp folder instead of taking
80% of the machine. The configuration is locked after set-up, with external access off, so no
query (the SQL box included) can read or write the disk, load extensions or change limits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from cs_logic.core.schema import TABLES
from cs_logic.read.resident import RESIDENT_TABLES, Resident, TableInfo, frame_span

# Per-session budget: the app's tables for 100,000 accounts and 5 million usage rows fit in about
# 1 GB; DuckDB spills the rest of a big query to the session's temp folder.
MEMORY_LIMIT = "2GB"
MAX_TEMP = "8GB"
QUERY_TIMEOUT_MS = 120_000

LIST_TABLES = "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
LIST_VIEWS = "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
# Every name a query can read: helper tables, the loaded frames (registered views) and the filter views.
TABLES_AND_VIEWS = ("SELECT table_name FROM duckdb_tables() "
                    "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal")

# The read-only copy the SQL box's worker process reads (exported once per load, on the first SQL query): its
# own connection, small memory and two threads so the export never takes the session's budget.
EXPORT_MEMORY = "256MB"
# Rows per Arrow batch when a resident table is copied between databases.
EXPORT_ROWS = 1_000_000

# Event tables the date filter applies to, with the column it applies to.
DATE_COLUMNS = {name: t.date_field for name, t in TABLES.items() if name not in ("accounts", "subscriptions")}


def quote_ident(name: str) -> str:
    '''An identifier from a file's header, quoted for DuckDB (inner quotes doubled).

    >>> print(quote_ident('Say "hi"'))
    "Say ""hi"""
    '''
    return '"' + str(name).replace('"', '""') + '"'


def connect(memory_limit: str = MEMORY_LIMIT, temp_dir: str | None = None,
            timeout_ms: int = QUERY_TIMEOUT_MS, threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB, bounded and locked.

    External access, extension autoloading and autoinstalling are off; memory and threads are
    bounded; each query may run at most ``timeout_ms``; then the configuration is locked so no
    later statement can change any of it.

    >>> con = connect(memory_limit="64MB")
    >>> con.execute("SELECT 1 + 1").fetchone()[0]
    2
    """
    config: dict[str, Any] = {
        "memory_limit": memory_limit,
        "threads": str(threads),
        "enable_external_access": "false",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "max_temp_directory_size": MAX_TEMP,
        # Set at connect, not by SET: a SET is this connection's only, and a cursor (the SQL box's own
        # connection to the same database) had no time limit and Python replacement scans on.
        "python_enable_replacements": "false",
        "max_execution_time": str(int(timeout_ms)),
    }
    if temp_dir:
        config["temp_directory"] = temp_dir
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")
    return con


@dataclass(frozen=True)
class Filters:
    """The global filters every page respects; empty tuples and None mean "all"."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    segment: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.segment or self.owner or self.plan)

    def caption(self) -> str:
        """The filters in words, for the caption each page shows.

        >>> Filters(segment=("SMB",)).caption()
        'Filters: segment SMB'
        """
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'} to {self.date_to or '…'}")
        for name in ("segment", "owner", "plan"):
            values = getattr(self, name)
            if values:
                parts.append(f"{'rep' if name == 'owner' else name} {', '.join(values)}")
        return "Filters: " + "; ".join(parts) if parts else "Filters: none (all data)"


@dataclass(frozen=True)
class SqlSnapshot:
    """What the SQL box's worker process needs: a read-only copy of the loaded tables and how to rebuild the
    filter views on it.

    ``names`` is the one list of what a query may read: the loaded tables and their ``f_`` views, as the
    Explore page lists them (never the app's helper tables nor DuckDB's internal views). ``setup`` holds the
    statements, with their parameters, that recreate the ``f_`` views for the current filters as TEMP views
    (the copy itself is opened read-only), so a filter change needs no new copy.
    """

    path: str
    names: tuple[str, ...]
    setup: tuple[tuple[str, tuple[Any, ...]], ...]
    spill: str


@dataclass
class Store:
    """One session's loaded tables in its own DuckDB database.

    Tables are registered under their canonical names (``accounts``, ``tickets``...); the filtered
    view of each is ``f_<name>``. A table is either a pandas frame registered in DuckDB (scanned in place) or
    resident: held by DuckDB itself (:class:`cs_logic.read.resident.Resident`; the usage table at every size, so
    50 million rows never pass through pandas). :meth:`info` says what is loaded whatever the kind; page code
    reads through :meth:`frame` or runs named queries from ``cs_logic`` on :attr:`con`.
    """

    memory_limit: str = MEMORY_LIMIT
    con: duckdb.DuckDBPyConnection = field(init=False)
    tables: dict[str, pd.DataFrame | Resident] = field(default_factory=dict, init=False)
    filters: Filters = field(default_factory=Filters, init=False)
    _temp: str = field(default="", init=False)
    _options: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _infos: dict[str, TableInfo] = field(default_factory=dict, init=False, repr=False)
    _release: Any = field(default=None, init=False, repr=False)
    _snapshot: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        remove_stale_temp()
        # Named, not created: DuckDB makes the folder only when a query spills, so most sessions leave none.
        self._temp = os.path.join(tempfile.gettempdir(), f"{TEMP_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}")
        self.con = connect(self.memory_limit, self._temp)
        # Streamlit has no end-of-session hook: when the session's state is let go (the session ended), the store is
        # collected and this closes the database and removes its folder; at exit too.
        self._release = weakref.finalize(self, _release, self.con, self._temp)
        _sweep_ended_sessions()

    def close(self) -> None:
        """Close the database and remove its spill folder."""
        self._release()

    @contextlib.contextmanager
    def query_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the session's database for one long query (the SQL box), closed afterwards.

        A cursor is its own connection to the same database: a query running on it does not make the pages'
        connection answer "connection is busy". Registered frames are per connection, so the loaded tables are
        registered on it too (no copy); the f_ views, the filters and the locked settings are shared.
        """
        cursor = self.con.cursor()
        try:
            for name, frame in self.tables.items():
                if isinstance(frame, pd.DataFrame):  # a resident table is in the database: every cursor sees it
                    cursor.register(name, frame)
            yield cursor
        finally:
            cursor.close()

    @property
    def sql_snapshot_ready(self) -> bool:
        """Whether the read-only copy for the SQL box exists for the loaded data (else the next
        :meth:`sql_snapshot` writes it, which takes a moment on big data)."""
        return self._snapshot is not None

    def sql_snapshot(self) -> SqlSnapshot:
        """The read-only copy of the loaded tables for the SQL box's worker process, written on the first call
        after a load into the session's temp folder (removed with it), with the current filters' view setup."""
        if self._snapshot is None:
            self._snapshot = self._export()
        names = (*self.tables, *(f"f_{name}" for name in self.tables))
        setup = tuple((sql, tuple(p.isoformat() if isinstance(p, dt.datetime) else p for p in params))
                      for sql, params in self._filter_statements(temp=True))
        return SqlSnapshot(self._snapshot, names, setup, os.path.join(self._temp, "sql", f"spill_{uuid.uuid4().hex[:8]}"))

    def _export(self) -> str:
        """Copy every loaded frame into a new DuckDB file (a table each) and return its path.

        A file, not the session's database: the worker is another process, and the session's database is
        in memory with external access locked off. The copy is taken from the frames, so it holds exactly the
        loaded tables, none of the app's helper tables.
        """
        folder = os.path.join(self._temp, "sql")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"tables_{uuid.uuid4().hex[:8]}.duckdb")
        con = duckdb.connect(path, config={
            "memory_limit": EXPORT_MEMORY, "threads": "2", "temp_directory": os.path.join(folder, "export_spill"),
            "python_enable_replacements": "false", "autoload_known_extensions": "false",
            "autoinstall_known_extensions": "false"})
        try:
            for name, frame in self.tables.items():
                if isinstance(frame, Resident):  # streamed over as Arrow batches: never whole in memory
                    cursor = self.con.cursor()
                    try:
                        con.register("__cs_export_frame", cursor.sql(frame.sql).to_arrow_reader(EXPORT_ROWS))
                        con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM __cs_export_frame")
                    finally:
                        cursor.close()
                else:
                    con.register("__cs_export_frame", frame)
                    con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM __cs_export_frame")
                con.unregister("__cs_export_frame")
        finally:
            con.close()
        return path

    def _drop_snapshot(self) -> None:
        if self._snapshot is not None:
            for suffix in ("", ".wal"):
                with contextlib.suppress(OSError):
                    os.remove(self._snapshot + suffix)
            self._snapshot = None

    def load(self, tables: Mapping[str, pd.DataFrame | Resident]) -> None:
        """Replace every table with ``tables`` (canonical name -> typed frame or resident table) and clear filters.

        A resident table staged in this store's database (``load_file(..., con=store.con)``) is shown under its
        name as a view over the staged table(s), so its rows are held once; one of another database is copied in
        as Arrow batches; a usage table given as a frame becomes a table of the database (RESIDENT_TABLES).
        Staged tables no loaded table uses any more are dropped.
        """
        self._drop_snapshot()
        used = {t for table in tables.values() if isinstance(table, Resident) and table.con is self.con
                for t in table.tables}
        # Drop everything derived from the old data too (filter views, comment indexes...).
        for (view,) in self.con.execute(LIST_VIEWS).fetchall():
            self.con.execute(f"DROP VIEW IF EXISTS {quote_ident(view)}")
        for (table,) in self.con.execute(LIST_TABLES).fetchall():
            if table not in used:
                self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        for name, frame in self.tables.items():
            if isinstance(frame, pd.DataFrame):
                self.con.unregister(name)
        self.tables = {}
        # Each frame is registered, not copied: DuckDB scans the pandas frame in place (a view), so the
        # session holds its data once. A copy cost as much memory again and, for 5M usage rows, 0.2 s
        # per load, against about a quarter more time per query scanning the frame.
        for name, frame in tables.items():
            self.tables[name] = self._resident(name, frame)
        self._options = None
        self._infos = {}
        self.set_filters(Filters())

    def _resident(self, name: str, table: pd.DataFrame | Resident) -> pd.DataFrame | Resident:
        """Put one table in the database under ``name``: a frame registered (or, for RESIDENT_TABLES, copied into
        a table), a resident table as a view over its staged tables (or copied from its own database)."""
        target = quote_ident(name)
        if isinstance(table, Resident) and table.con is self.con:
            self.con.execute(f"CREATE VIEW {target} AS {table.sql}")
            return table
        if isinstance(table, pd.DataFrame) and name not in RESIDENT_TABLES:
            self.con.register(name, table)
            return table
        # A resident table of another database is read on a cursor of its own, closed after: an Arrow reader left
        # open on that database's connection would make its next query fail ("connection has an open result").
        cursor = None if isinstance(table, pd.DataFrame) else table.con.cursor()
        source: Any = table if cursor is None else cursor.sql(table.sql).to_arrow_reader(EXPORT_ROWS)
        self.con.register("__cs_copy", source)
        try:
            self.con.execute(f"CREATE TABLE {target} AS SELECT * FROM __cs_copy")
        finally:
            self.con.unregister("__cs_copy")
            if cursor is not None:
                cursor.close()
        columns = tuple(str(c) for c in (table.columns))
        return Resident(self.con, ((name, None),), columns, len(table))

    def info(self, name: str) -> TableInfo:
        """What is loaded as ``name``, whatever its kind: rows, columns, whether resident, the span of its date
        field (None without one). KeyError when no such table is loaded. Kept per load (the sidebar asks on
        every rerun; the date span of 50 million usage rows is a scan)."""
        if name in self._infos:
            return self._infos[name]
        table = self.tables[name]
        date_col = DATE_COLUMNS.get(name)
        span = None
        if date_col is not None:
            found = table.span(date_col) if isinstance(table, Resident) else frame_span(table, date_col)
            if found is not None and all(isinstance(v, dt.date) for v in found):
                span = (_day(found[0]), _day(found[1]))
        info = TableInfo(name, len(table), tuple(str(c) for c in table.columns), isinstance(table, Resident), span)
        self._infos[name] = info
        return info

    def table(self, name: str, filtered: bool = True) -> pd.DataFrame | Resident:
        """A loaded table as it is held, with the global filters unless ``filtered=False``: a frame (as
        :meth:`frame`), or a resident table read through its ``f_`` view (never pulled into pandas)."""
        table = self.tables[name]
        if not isinstance(table, Resident):
            return self.frame(name, filtered)
        if not filtered or not self.filters.active:
            return table
        view = "f_" + name
        found = self.con.cursor().execute(f"SELECT count(*) FROM {quote_ident(view)}").fetchone()
        return Resident(self.con, ((view, None),), table.columns, int(found[0]) if found else 0)

    def sample(self, name: str, rows: int = 5_000) -> pd.DataFrame:
        """The first ``rows`` rows of a loaded table as a frame, unfiltered (to look at its columns' kinds and values)."""
        table = self.tables[name]
        if isinstance(table, pd.DataFrame):
            return table.head(rows)
        return self.con.cursor().execute(f"SELECT * FROM {quote_ident(name)} LIMIT {int(rows)}").df()

    def frames(self) -> dict[str, pd.DataFrame]:
        """The loaded tables held as pandas frames (resident ones, such as usage, left out), unfiltered."""
        return {name: t for name, t in self.tables.items() if isinstance(t, pd.DataFrame)}

    def columns(self, name: str) -> list[str]:
        """Column names of a loaded table, in order ([] if the table is not loaded)."""
        frame = self.tables.get(name)
        return [] if frame is None else [str(c) for c in frame.columns]

    def set_filters(self, filters: Filters) -> None:
        """Rebuild the ``f_<table>`` views for ``filters``; values travel as parameters."""
        self.filters = filters
        for sql, params in self._filter_statements():
            self.con.execute(sql, list(params))

    def _filter_statements(self, temp: bool = False) -> list[tuple[str, tuple[Any, ...]]]:
        """The statements (SQL, parameters) that build the filters' helper tables and the f_ views; TEMP ones for
        the SQL box's read-only copy."""
        kind, filters = ("TEMP " if temp else ""), self.filters
        out: list[tuple[str, tuple[Any, ...]]] = [(f"CREATE OR REPLACE {kind}TABLE _flt_values (dim VARCHAR, v VARCHAR)", ())]
        for dim in ("segment", "owner", "plan"):
            out += [("INSERT INTO _flt_values VALUES (?, ?)", (dim, value)) for value in getattr(filters, dim)]
        out.append((f"CREATE OR REPLACE {kind}TABLE _flt_range AS SELECT ?::TIMESTAMP AS lo, ?::TIMESTAMP AS hi",
                    (_start(filters.date_from), _end(filters.date_to))))
        out += [(f"CREATE OR REPLACE {kind}VIEW {quote_ident('f_' + name)} AS {self._view_sql(name)}", ())
                for name in self.tables]
        return out

    def _view_sql(self, name: str) -> str:
        cols = set(self.columns(name))
        where: list[str] = []
        account_cols = set(self.columns("accounts"))
        if name == "accounts":
            where += [_dim_clause(d) for d in ("segment", "owner", "plan") if d in cols and getattr(self.filters, d)]
        elif "account_id" in cols and "accounts" in self.tables and "account_id" in account_cols:
            # A deal's own owner decides the rep filter (a prospect's deal has no account yet).
            own = {"owner"} if name == "deals" and "owner" in cols else set()
            dims = [d for d in ("segment", "owner", "plan") if d not in own]
            if any(getattr(self.filters, d) and d in account_cols for d in dims):
                where.append("account_id IN (SELECT account_id FROM f_accounts)")
        if name == "deals" and self.filters.owner and "owner" in cols:
            where.append(_dim_clause("owner"))
        date_col = DATE_COLUMNS.get(name)
        if date_col and date_col in cols and (self.filters.date_from or self.filters.date_to):
            q = quote_ident(date_col)
            where.append(f"({q} IS NULL OR {q} BETWEEN (SELECT lo FROM _flt_range) AND (SELECT hi FROM _flt_range))")
        sql = f"SELECT * FROM {quote_ident(name)}"
        return sql + (" WHERE " + " AND ".join(where) if where else "")

    def frame(self, name: str, filtered: bool = True) -> pd.DataFrame:
        """A loaded table as a DataFrame, with the global filters applied unless ``filtered=False``."""
        if name not in self.tables:
            raise KeyError(f"no {name} table is loaded")
        table = self.tables[name]
        if isinstance(table, Resident):  # read out of DuckDB: fine for a small table, not what a page should do
            return self.con.cursor().execute(f"SELECT * FROM {quote_ident(('f_' if filtered else '') + name)}").df()
        if not filtered or not self.filters.active:
            return table
        return self.con.execute(f"SELECT * FROM {quote_ident('f_' + name)}").df()

    def filter_options(self) -> dict[str, Any]:
        """What the global filters can offer for this data: values per dimension and the date span.

        Computed once per load (every page's rerun asks for it).
        """
        if self._options is None:
            self._options = self._filter_options()
        return self._options

    def _filter_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        frames = self.frames()
        accounts, deals = frames.get("accounts"), frames.get("deals")
        for dim in ("segment", "owner", "plan"):
            values: set[str] = set()
            if accounts is not None and dim in accounts.columns:
                values |= set(accounts[dim].dropna().astype(str))
            if dim == "owner" and deals is not None and "owner" in deals.columns:
                values |= set(deals["owner"].dropna().astype(str))
            if values:
                options[dim] = sorted(values)
        spans = [span for name in self.tables if (span := self.info(name).dates) is not None]
        if spans:
            options["dates"] = (min(lo for lo, _ in spans), max(hi for _, hi in spans))
        return options


TEMP_PREFIX = "cs_duckdb_"
# How often a process holding stores looks for those of ended sessions (a full garbage collection).
SWEEP_SECONDS = 10.0
_sweeper: list[threading.Thread] = []  # the process's one sweeper, started with its first store


def _sweep_ended_sessions() -> None:
    """Start, once per process, a daemon thread that runs a full garbage collection every SWEEP_SECONDS.

    A session's state sits in reference cycles (Streamlit's session object holds it), so an ended session's
    store is freed, and its database closed and folder removed, only by the cyclic collector. Streamlit's
    collection after every script run is off (.streamlit/config.toml: it was a third of a weight move's server
    time); one collection every few seconds costs little and keeps the temp folder from outliving the session.
    """
    if _sweeper:
        return

    def sweep() -> None:
        while True:
            time.sleep(SWEEP_SECONDS)
            gc.collect()

    thread = threading.Thread(target=sweep, name="cs-store-sweeper", daemon=True)
    _sweeper.append(thread)
    thread.start()


def _release(con: duckdb.DuckDBPyConnection, folder: str) -> None:
    try:
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_temp(root: str | None = None) -> list[str]:
    """Remove the spill folders of processes that have ended (a server stopped without cleaning up); the names
    of those removed. A folder's name carries its process id: cs_duckdb_<pid>_<random>."""
    root = root or tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = [n for n in os.listdir(root) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    for name in names:
        pid = name[len(TEMP_PREFIX):].split("_", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            removed.append(name)
        elif not pid.isdigit():  # an older version's folder (cs_duckdb_<random>), empty and long untouched
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                if not os.listdir(path) and time.time() - os.path.getmtime(path) > STALE_SECONDS:
                    os.rmdir(path)
                    removed.append(name)
    return removed


# A folder without a process id in its name is taken as left behind once untouched this long.
STALE_SECONDS = 3600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _dim_clause(dim: str) -> str:
    return f"CAST({quote_ident(dim)} AS VARCHAR) IN (SELECT v FROM _flt_values WHERE dim = '{dim}')"


def _start(day: dt.date | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min) if day else dt.datetime(1, 1, 1)


def _end(day: dt.date | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max) if day else dt.datetime(9999, 12, 31)
