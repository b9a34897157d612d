"""A table held in a DuckDB database rather than in pandas (the usage table, at every size): what it is and how it is read.

Why: a usage export is the one table that grows with time and accounts alike (50 million rows for a million
accounts); every reader of it already goes through SQL, so its rows need never be a pandas frame. A file's
typed batches are appended to a staging table of the session's database (:class:`Stager`); the store shows the
table under its canonical name as a view over the staged table(s), so the session holds the data once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

# Tables kept in DuckDB, never in pandas, whatever their size.
RESIDENT_TABLES = frozenset({"usage"})
# Staged tables are named with this prefix: the store keeps them across loads while a loaded file uses them.
STAGE_PREFIX = "_cs_stage_"
SOURCE_COLUMN = "source_file"


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Resident:
    """A table living in ``con``: the union of its ``parts`` (staged table, source file name or None).

    ``columns`` and ``rows`` are known without a query; ``len(resident)`` is its row count, so code that only
    counts rows or looks at column names reads it as it reads a frame.

    >>> con = duckdb.connect()
    >>> stager = Stager(con)
    >>> stager.append(pd.DataFrame({"account_id": ["A1", "A2"], "events": [3.0, 4.0]}))
    >>> usage = stager.done()
    >>> len(usage), usage.columns, usage.df()["events"].sum()
    (2, ('account_id', 'events'), np.float64(7.0))
    """

    con: duckdb.DuckDBPyConnection
    parts: tuple[tuple[str, str | None], ...]
    columns: tuple[str, ...]
    rows: int

    def __len__(self) -> int:
        return self.rows

    @property
    def sql(self) -> str:
        """The SELECT that gives the table's rows (one part: the staged table; several: stacked by column name,
        each with its file's name in ``source_file``)."""
        if len(self.parts) == 1 and self.parts[0][1] is None:
            return f"SELECT * FROM {_quote(self.parts[0][0])}"
        return " UNION ALL BY NAME ".join(
            f"SELECT *, {_literal(source or '')} AS {SOURCE_COLUMN} FROM {_quote(table)}" for table, source in self.parts)

    @property
    def tables(self) -> tuple[str, ...]:
        """The staged tables this table reads."""
        return tuple(table for table, _ in self.parts)

    def df(self) -> pd.DataFrame:
        """The whole table as a frame (for small data and tests: the point of a resident table is not to do this)."""
        return self.con.execute(self.sql).df()

    def batches(self, rows: int = 1_000_000) -> pa.RecordBatchReader:
        """The table as a stream of Arrow record batches of at most ``rows`` rows, read on ``con`` itself (which runs
        no other query until the reader is drained or let go: read on a ``con.cursor()`` to keep it free)."""
        return self.con.sql(self.sql).to_arrow_reader(rows)

    def span(self, column: str) -> tuple[Any, Any] | None:
        """(min, max) of a column, or None when the column is absent or has no value."""
        if column not in self.columns:
            return None
        col = _quote(column)
        found = self.con.execute(f"SELECT min({col}), max({col}) FROM ({self.sql})").fetchone()
        return None if found is None or found[0] is None else (found[0], found[1])

    def latest_dates(self) -> list[Any]:
        """The latest value of each date or timestamp column (None for a column with none)."""
        kinds = self.con.execute(f"DESCRIBE {self.sql}").fetchall()
        dated = [str(row[0]) for row in kinds if str(row[1]).upper().startswith(("DATE", "TIMESTAMP"))]
        if not dated:
            return []
        found = self.con.execute(f"SELECT {', '.join(f'max({_quote(c)})' for c in dated)} FROM ({self.sql})").fetchone()
        return list(found or ())

    def values_not_in(self, column: str, known: pd.Series) -> tuple[int, int, list[str]]:
        """Rows whose ``column`` (as text) is not among ``known`` values: (rows, distinct values, first 20 in
        table order)."""
        cur = self.con.cursor()
        try:
            cur.register("__cs_known", pd.DataFrame({"v": known.dropna().astype(str).unique()}))
            col = f"CAST({_quote(column)} AS VARCHAR)"
            sql = (f"SELECT {col} AS v, row_number() OVER () AS i FROM ({self.sql}) WHERE {col} IS NOT NULL "
                   f"AND {col} NOT IN (SELECT v FROM __cs_known)")
            counts = cur.execute(f"SELECT count(*), count(DISTINCT v) FROM ({sql})").fetchone()
            first = cur.execute(f"SELECT v FROM ({sql}) GROUP BY v ORDER BY min(i) LIMIT 20").fetchall()
        finally:
            cur.close()
        assert counts is not None
        return int(counts[0]), int(counts[1]), [str(v) for (v,) in first]


class Stager:
    """Typed batches of one file appended to a new staging table of ``con``; :meth:`done` gives the Resident."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.name = f"{STAGE_PREFIX}{uuid.uuid4().hex[:16]}"
        self.rows = 0
        self.columns: tuple[str, ...] | None = None

    def append(self, frame: pd.DataFrame) -> None:
        """Add a typed batch (the same columns as the first; a batch whose column is all blank may type it
        differently, so each batch is cast to the table's types)."""
        cur = self.con.cursor()
        try:
            cur.register("__cs_batch", frame)
            if self.columns is None:
                cur.execute(f"CREATE TABLE {_quote(self.name)} AS SELECT * FROM __cs_batch")
                self.columns = tuple(str(c) for c in frame.columns)
            else:
                cur.execute(f"INSERT INTO {_quote(self.name)} BY NAME SELECT * FROM __cs_batch")
            cur.unregister("__cs_batch")
        finally:
            cur.close()
        self.rows += len(frame)

    def create_as(self, select: str) -> None:
        """The staged table made at once from a SELECT (a file DuckDB reads itself: cs_logic.read.direct)."""
        if self.columns is not None:
            raise RuntimeError("the staged table already exists")
        cur = self.con.cursor()
        try:
            cur.execute(f"CREATE TABLE {_quote(self.name)} AS {select}")
            found = cur.execute(f"SELECT count(*) FROM {_quote(self.name)}").fetchone()
            described = cur.execute(f"DESCRIBE {_quote(self.name)}").fetchall()
        finally:
            cur.close()
        self.columns = tuple(str(row[0]) for row in described)
        self.rows = int(found[0]) if found is not None else 0

    def done(self) -> Resident:
        """The staged table (the first batch, empty or not, gave its columns)."""
        if self.columns is None:
            raise RuntimeError("no batch was staged")
        return Resident(self.con, ((self.name, None),), self.columns, self.rows)

    def drop(self) -> None:
        """Remove the staged table (a load that failed half way)."""
        self.con.execute(f"DROP TABLE IF EXISTS {_quote(self.name)}")


def stacked(parts: list[tuple[Resident, str]]) -> Resident:
    """Several files' resident tables of one table as one, each row with its file's name (``source_file``).

    All parts must live in one connection (a table of another database is copied in first by the store)."""
    con = parts[0][0].con
    columns = tuple(dict.fromkeys(c for r, _ in parts for c in r.columns)) + (SOURCE_COLUMN,)
    return Resident(con, tuple((t, name) for r, name in parts for t, _ in r.parts), columns,
                    sum(r.rows for r, _ in parts))


@dataclass(frozen=True)
class TableInfo:
    """What can be said about any loaded table, pandas or resident, without reading its rows into pandas."""

    name: str
    rows: int
    columns: tuple[str, ...]
    resident: bool
    dates: tuple[dt.date, dt.date] | None  # the span of its date field, when it has one with a value


def frame_span(frame: pd.DataFrame, column: str) -> tuple[Any, Any] | None:
    """(min, max) of a datetime column of a frame, or None (absent, not dates, or empty)."""
    if column not in frame.columns or not pd.api.types.is_datetime64_any_dtype(frame[column]):
        return None
    series = frame[column].dropna()
    return (series.min(), series.max()) if len(series) else None


def iter_frames(tables: Mapping[str, pd.DataFrame | Resident]) -> Iterator[tuple[str, pd.DataFrame]]:
    """The tables held as pandas frames (resident ones left out)."""
    for name, table in tables.items():
        if isinstance(table, pd.DataFrame):
            yield name, table
