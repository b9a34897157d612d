"""Exports on this computer, opened without uploading: a folder's files or a DuckDB database's tables.

For data too big to upload (the uploader stops at 200 MB), the command line and the Data page take a path:

- a folder: each readable export directly in it (CSV/TXT/TSV/XLSX/XLS/ODS/Parquet, decided by content as the
  reader sniffs it, never by the extension) is one :class:`Source`; hidden files, sub-folders, empty files, the
  app's own settings and scorecard files and anything the reader would refuse are skipped, each with the reason;
- a DuckDB database file (recognised by its header): each table is one Source named ``<db file>:<table>``
  (``<db file>:<schema>.<table>`` outside ``main``);
- any other file: that file.

A Source's key is a fingerprint of its path, size and modification time (:attr:`Source.digest`), never a hash of
gigabytes. A DuckDB file is read on its own connection (:func:`open_database`): read-only, with a memory limit,
external access off once open and the configuration locked, so a query on it can reach no other file; never the
session store's connection. :func:`reading` gives ``load_file`` its keywords for one Source.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cs_logic.read.ingest import IngestError, sniff_type
from cs_logic.read.store import quote_ident

__all__ = ["Found", "Source", "SourceError", "find_sources", "open_database", "reading"]

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file (after an 8-byte checksum)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
HEAD_BYTES = 65_536  # what sniff_type looks at in a text file
JSON_MAX_BYTES = 10 * 1024 * 1024  # a settings or scorecard file is a few KB
MEMORY_LIMIT = "1GB"  # a DuckDB file's own connection: its reads stream, so this bounds only DuckDB's buffers
BATCH_ROWS = 100_000
SETTINGS_KEYS = {"version", "mappings", "scorecard", "targets", "benchmarks", "currency"}


class SourceError(IngestError):
    """A path that cannot be opened: missing, unreadable, or a folder with nothing to read (a one-line reason)."""


@dataclass(frozen=True)
class Source:
    """One file on disk, or one table of a DuckDB database file, as the app loads it."""

    name: str  # the file's name, or "<db file>:<table>"
    path: str  # the file, or the DuckDB database file (absolute)
    size: int
    modified_ns: int
    db_table: tuple[str, str] | None = None  # (schema, table) in a DuckDB file

    @property
    def digest(self) -> str:
        """The key of this Source: a fingerprint of path, table, size and modification time.

        >>> a = Source("a.csv", "/x/a.csv", 10, 1)
        >>> a.digest == Source("a.csv", "/x/a.csv", 10, 1).digest, a.digest == Source("a.csv", "/x/a.csv", 10, 2).digest
        (True, False)
        """
        key = json.dumps(["path", self.path, self.db_table, self.size, self.modified_ns])
        return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Found:
    """What a path holds: its Sources, and the files left out with the reason (name, why)."""

    path: str
    kind: str  # "folder", "duckdb" or "file"
    sources: tuple[Source, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def find_sources(path: str | Path, check: bool = False) -> Found:
    """The Sources of a folder, a DuckDB database file or one file (see the module's docstring).

    Raises SourceError when the path is missing or unreadable, a folder holds no readable export or a DuckDB
    file no table (the reason says why). A single file is checked only with ``check`` (an empty, JSON or binary
    file is then refused here with the reason); otherwise loading it says what is wrong.
    """
    where = Path(path).expanduser()
    try:
        info = where.stat()
    except FileNotFoundError as exc:
        raise SourceError(f"cannot read {path}: there is no such file or folder") from exc
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from exc
    where = where.resolve()
    if stat.S_ISDIR(info.st_mode):
        return _folder(where, path)
    try:
        head = _head(where)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    if is_duckdb(head):
        return _database(where, info)
    why = skip_reason(where, info, head) if check else None
    if why is not None:
        raise SourceError(f"{where.name} cannot be read: {why}")
    return Found(str(where), "file", (Source(where.name, str(where), info.st_size, info.st_mtime_ns),))


def is_duckdb(head: bytes) -> bool:
    """Whether a file's first bytes are a DuckDB database's header.

    >>> is_duckdb(bytes(8) + b"DUCK" + bytes(4)), is_duckdb(b"id,name\\n1,Ann\\n")
    (True, False)
    """
    return head[8:12] == DUCKDB_MAGIC


def skip_reason(path: Path, info: os.stat_result, head: bytes) -> str | None:
    """Why a file is no export the app reads (None when the reader can take it): empty, JSON (the app's own
    settings or scorecard file, or other), or a type the reader refuses (its own reason)."""
    if info.st_size == 0:
        return "the file is empty"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _json_reason(path, info)
    if is_duckdb(head):
        return "a DuckDB database: open it by its own path to read its tables"
    try:
        sniff_type(path.read_bytes() if head[:4] in ZIP_MAGIC else head)  # a workbook is known by its members
    except IngestError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    return None


def _json_reason(path: Path, info: os.stat_result) -> str | None:
    if info.st_size > JSON_MAX_BYTES:
        return "a JSON file, not a table"
    try:
        doc = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # text that only starts like JSON: the reader decides
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if isinstance(doc, dict) and "measures" in doc:
        return "the app's scorecard file (load it on the Scorecard page, or give it with --scorecard)"
    if isinstance(doc, dict) and SETTINGS_KEYS & set(doc) >= {"mappings", "targets"}:
        return "the app's settings file (load it on the Data page, or give it with --settings)"
    return "a JSON file, not a table"


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def _folder(folder: Path, given: str | Path) -> Found:
    sources: list[Source] = []
    skipped: list[tuple[str, str]] = []
    try:
        entries = sorted(folder.iterdir(), key=lambda p: (p.name.casefold(), p.name))
    except OSError as exc:
        raise SourceError(f"cannot list the folder {given}: {exc.strerror}") from exc
    for entry in entries:
        why = _entry_reason(entry)
        if why is None:
            info = entry.stat()
            sources.append(Source(entry.name, str(entry), info.st_size, info.st_mtime_ns))
        else:
            skipped.append((entry.name, why))
    if not sources:
        left = "; ".join(f"{n}: {w}" for n, w in skipped[:5]) + ("; …" if len(skipped) > 5 else "")
        raise SourceError(f"the folder {given} holds no export file the app can read"
                          + (f" (skipped {left})" if skipped else " (it is empty)"))
    return Found(str(folder), "folder", tuple(sources), tuple(skipped))


def _entry_reason(entry: Path) -> str | None:
    if entry.name.startswith("."):
        return "a hidden file"
    try:
        info = entry.stat()
        if stat.S_ISDIR(info.st_mode):
            return "a folder (only the files directly in the opened folder are read)"
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        head = _head(entry)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    return skip_reason(entry, info, head)


def open_database(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB database file's own connection: read-only, memory-bounded, external access off and locked.

    DuckDB shares one database per file within a process: a second connection while one is open finds it
    locked already, and checks that external access is off rather than setting it again.
    """
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": MEMORY_LIMIT, "threads": "2", "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false"}
    try:
        con = duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.Error as exc:
        # DuckDB's "IO Error: ..." prefix names an exception class, not what a manager needs.
        reason = (str(exc).splitlines() or ["unreadable"])[0].split(" Error: ", 1)[-1]
        raise SourceError(f"{Path(path).name} cannot be opened as a DuckDB database: {reason}") from exc
    row = con.execute("SELECT current_setting('lock_configuration'), current_setting('enable_external_access')"
                      ).fetchone()
    locked, external = (bool(row[0]), bool(row[1])) if row else (False, True)
    if not locked:
        con.execute("SET enable_external_access = false")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET lock_configuration = true")
    elif external:
        con.close()
        raise SourceError(f"{Path(path).name} is open elsewhere in this process with file access on")
    return con


TABLES = ("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
          "ORDER BY schema_name <> 'main', schema_name, table_name")
VIEWS = ("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
         "AND database_name = current_database() ORDER BY schema_name, view_name")


def _qualified(db: Path, schema: str, table: str) -> str:
    return f"{db.name}:{table}" if schema == "main" else f"{db.name}:{schema}.{table}"


def _database(db: Path, info: os.stat_result) -> Found:
    con = open_database(db)
    try:
        tables = [(str(s), str(t)) for s, t in con.execute(TABLES).fetchall()]
        views = [(str(s), str(v)) for s, v in con.execute(VIEWS).fetchall()]
    finally:
        con.close()
    skipped = tuple((_qualified(db, s, v), "a view: only tables are read") for s, v in views)
    if not tables:
        raise SourceError(f"the DuckDB file {db.name} holds no table")
    sources = tuple(Source(_qualified(db, s, t), str(db), info.st_size, info.st_mtime_ns, (s, t)) for s, t in tables)
    return Found(str(db), "duckdb", sources, skipped)


def table_reader(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> Callable[[], pa.RecordBatchReader]:
    """A callable returning a fresh reader of one table's rows, in batches of BATCH_ROWS."""
    query = f"SELECT * FROM {quote_ident(schema)}.{quote_ident(table)}"
    return lambda: con.sql(query).to_arrow_reader(BATCH_ROWS)


@contextmanager
def reading(source: Source) -> Iterator[dict[str, Any]]:
    """``load_file``'s keywords for one Source: ``path=`` for a file, ``arrow=`` for a DuckDB table (its own
    connection, open while the block runs). Raises SourceError when the file changed or went since it was found
    (its figures would not be the ones its key names)."""
    try:
        info = Path(source.path).stat()
    except OSError as exc:
        raise SourceError(f"cannot read {source.path}: {exc.strerror}") from exc
    if (info.st_size, info.st_mtime_ns) != (source.size, source.modified_ns):
        raise SourceError(f"{Path(source.path).name} changed on disk since it was opened: open it again")
    if source.db_table is None:
        yield {"path": source.path}
        return
    con = open_database(source.path)
    try:
        yield {"arrow": table_reader(con, *source.db_table)}
    finally:
        con.close()
