"""From uploaded bytes to checked, typed tables: read, recognise, map, validate, combine."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cs_logic.core.problems import Problem
from cs_logic.core.schema import TABLES, UNKNOWN
from cs_logic.core.settings import FileMapping, Settings
from cs_logic.read.buyers import customers_from_orders, derived_note
from cs_logic.read.detect import Detection, detect, map_columns
from cs_logic.read.ingest import IngestError, ReadResult, object_frame, read_table
from cs_logic.read.meanings import (
    Decision,
    decide,
    reading_decisions,
    with_flag_outcome,
    with_guest_customers,
    with_last_stage,
)
from cs_logic.read.validate import Prepared, cross_check, prepare, unmatched_values

__all__ = ["IngestError", "LoadedFile", "combine", "load_file", "sha256"]


def sha256(data: bytes) -> str:
    """The hex SHA-256 of an upload: the cache key for everything derived from it."""
    return hashlib.sha256(data).hexdigest()


# Rows of the raw text kept after loading, for the Data page's preview.
PREVIEW_ROWS = 20
# A file that is no table (a product list, a sales-team list) is kept whole up to this many rows: its values
# are what the tables' values are checked against (see reference_check).
REFERENCE_ROWS = 10_000


@dataclass(frozen=True)
class LoadedFile:
    """One uploaded file after reading, recognition, mapping and validation.

    ``read.frame`` keeps only the first PREVIEW_ROWS rows of the raw text (with every column; REFERENCE_ROWS for a
    file that is no table, whose values reference_check needs): the whole grid
    is needed only to recognise and type the file, and a session kept hundreds of MB of text cells for a
    preview. A new mapping reads the upload again. ``rows`` is the number of data rows the file had.
    """

    name: str
    digest: str
    size: int
    read: ReadResult
    detection: Detection
    table: str
    mapping: dict[str, str]
    prepared: Prepared | None  # None when the table is unknown
    rows: int = 0
    decisions: tuple[Decision, ...] = ()  # every unit and meaning decided (cs_logic.read.meanings)
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the manager's overrides of those decisions

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every finding: the reader's notes and the checks (``prepare`` carries the notes over)."""
        if self.prepared is not None:
            return self.prepared.problems
        return tuple(replace(n, file=self.name) for n in self.read.notes)

    def remembered(self) -> FileMapping:
        """This file's mapping as the settings file stores it."""
        return FileMapping(self.name, tuple(str(c) for c in self.read.frame.columns), self.table,
                           tuple(self.mapping.items()), self.read.sheet, self.choices)


# The steps of load_file, in order, as its ``progress`` callback is told them.
LOAD_STEPS = ("reading", "recognising the columns", "typing the values")


def load_file(name: str, data: bytes | None = None, sheet: str | None = None, table: str | None = None,
              mapping: dict[str, str] | None = None, settings: Settings | None = None,
              as_of: dt.date | None = None, max_bytes: int | None = None, digest: str | None = None,
              choices: dict[str, tuple[str, ...]] | None = None,
              progress: Callable[[str], None] | None = None, *, path: str | Path | None = None,
              arrow: Callable[[], pa.RecordBatchReader] | None = None) -> LoadedFile:
    """Read one upload and make it a checked table.

    The file comes as ``data`` (its bytes), ``path`` (a file on this computer) or ``arrow`` (a callable returning a
    fresh pyarrow RecordBatchReader, e.g. a DuckDB table's rows).

    ``table`` and ``mapping`` are the manager's choices; when absent, a mapping remembered in
    ``settings`` for a file with the same headers is used, else the automatic guess. ``choices``
    override the units and meanings the app decides (field -> values; remembered in ``settings`` too). ``digest`` is
    :func:`sha256` of ``data`` when the caller has it already (hashing 110 MB takes 70 ms of a core).
    ``progress`` is told each step as it starts (:data:`LOAD_STEPS`: reading, recognising, typing), so a page
    can say what a long load is doing. Raises IngestError (a one-line reason) when the file cannot be read at all.
    """
    if path is not None:  # the smallest form: the bytes from disk (the streaming reader replaces this)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise IngestError(f"cannot read {path}: {exc.strerror}") from exc
    elif arrow is not None:  # the smallest form: the rows whole, as Parquet bytes in memory
        sink = io.BytesIO()
        pq.write_table(arrow().read_all(), sink)
        data = sink.getvalue()
    if data is None:
        raise TypeError("load_file needs data, path or arrow")
    tell = progress or (lambda step: None)
    kwargs = {"max_bytes": max_bytes} if max_bytes else {}
    tell(LOAD_STEPS[0])
    with ThreadPoolExecutor(1) as pool:  # hashing releases the GIL: it runs while the file is read
        hashed = pool.submit(sha256, data) if digest is None else None
        read = read_table(data, name, sheet=sheet, **kwargs)
    digest = hashed.result() if hashed is not None else digest
    assert digest is not None  # hashed above when the caller gave none
    tell(LOAD_STEPS[1])
    detection = detect(read.frame, name)
    columns = [str(c) for c in read.frame.columns]
    known = settings.mapping_for(name, columns) if settings else None
    if choices is None and known is not None:  # the manager's changes to what the app decided, for these headers
        choices = dict(known.choices)
    remembered = known if table is None else None
    if remembered is not None:
        table, mapping = remembered.table, dict(remembered.mapping)
    chosen = table or detection.table
    if mapping is None:
        mapping = dict(detection.mapping) if chosen == detection.table else map_columns(read.frame, chosen)
    mapping = {k: v for k, v in mapping.items() if v in columns}
    choices = {k: tuple(v) for k, v in (choices or {}).items()}
    decisions, mapping = decide(read.frame, chosen, mapping, name, choices)
    decisions = reading_decisions(read, mapping, name) + decisions
    keep = PREVIEW_ROWS if chosen != UNKNOWN else REFERENCE_ROWS
    preview = replace(read, frame=object_frame(read.frame.head(keep)).copy(),
                      row_numbers=read.row_numbers[:keep].copy() if read.row_numbers is not None else None)
    rows = len(read.frame)
    prepared = None
    if chosen != UNKNOWN:
        tell(LOAD_STEPS[2])
        # Handed over, not kept: prepare lets each column's text go once it is typed (see there).
        handed, read = [read], preview
        prepared = prepare(handed.pop(), chosen, mapping, name, as_of=as_of, decisions=decisions)
        if chosen == "deals":
            frame = with_last_stage(with_flag_outcome(prepared.frame), decisions, mapping)
            prepared = replace(prepared, frame=frame)
        if chosen == "orders":
            prepared = replace(prepared, frame=with_guest_customers(prepared.frame, decisions))
    return LoadedFile(name, digest, len(data), preview, detection, chosen, mapping, prepared, rows, decisions,
                      tuple(sorted(choices.items())))


def combine(files: list[LoadedFile]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Stack the files of each table (a manager may upload one export per month) and cross-check ids.

    Orders without an accounts file give an ``accounts`` table derived from them
    (:func:`cs_logic.read.buyers.customers_from_orders`, said in an "info" problem), so every page that
    works from accounts works for a shop's orders export.

    Files of the same table are stacked by column name; a column only some files have is blank in
    the others, and a ``source_file`` column says which file each row came from (so a metric can
    leave out rows of a file that never had its field, rather than count them as blanks). Returns the tables and the cross-file problems (ids that match no account, ...).
    """
    by_table: dict[str, list[LoadedFile]] = {}
    for f in files:
        if f.prepared is not None and f.table in TABLES:
            by_table.setdefault(f.table, []).append(f)
    tables = {t: _stack(group) for t, group in by_table.items()}
    names = {t: ", ".join(f.name for f in group) for t, group in by_table.items()}
    lists = [f for f in files if f.prepared is None]
    derived: list[Problem] = []
    orders = tables.get("orders")
    if "accounts" not in tables and orders is not None and {"account_id", "date"} <= set(orders.columns):
        # Orders are enough (a shop's export): the customers are derived from them, churn left unknown.
        tables["accounts"] = customers_from_orders(orders)
        derived.append(derived_note(tables["accounts"], names["orders"]))
    return tables, derived + list(cross_check(tables, names)) + reference_check(tables, names, lists)


# Columns a reference list (products, reps, teams) may name; the check is by values, not headers.
REFERENCE_FIELDS = ("product", "owner", "agent", "segment", "plan", "region", "industry", "topic")


def reference_check(tables: dict[str, pd.DataFrame], names: dict[str, str],
                    lists: list[LoadedFile]) -> list[Problem]:
    """Values a table uses that a reference list uploaded beside it does not know.

    A file the app does not use as a table (a product list, a sales-team list) is a reference for a
    table column when most of that column's distinct values appear in one of its columns; the
    values that do not ("GTXPro" where the list says "GTX Pro") are reported with the row count
    and the closest listed value, since a join on them would silently miss those rows.
    """
    problems: list[Problem] = []
    for ref in lists:
        for table, frame in tables.items():
            for field in (f for f in REFERENCE_FIELDS if f in frame.columns):
                used = set(frame[field].dropna().astype(str).unique())
                if not used or len(used) > 5_000:
                    continue
                column, known = _best_reference(ref.read.frame, used)
                if column is None or len(known & used) < max(2, 0.5 * len(used)):
                    continue
                missing = unmatched_values(frame, field, pd.Series(sorted(known)))
                for row in missing.itertuples():
                    hint = f"; the list has {row.suggestion!r}" if row.suggestion else ""
                    problems.append(Problem(
                        f"{table} uses {field} {row.value!r} ({row.rows:,} rows), which {ref.name} "
                        f"(column {column!r}) does not list{hint}", field, None, str(row.value),
                        "kept the rows as they are; correct the name in one of the files to join them",
                        "warning", names.get(table)))
    return problems


def _best_reference(frame: pd.DataFrame, used: set[str]) -> tuple[str | None, set[str]]:
    best: tuple[str | None, set[str]] = (None, set())
    for col in frame.columns:
        values = set(frame[col].dropna().astype(str).unique())
        if len(values & used) > len(best[1] & used):
            best = (str(col), values)
    return best


SOURCE_COLUMN = "source_file"


def _stack(group: list[LoadedFile]) -> pd.DataFrame:
    if len(group) == 1:
        return group[0].prepared.frame  # type: ignore[union-attr]
    frames = [f.prepared.frame.assign(**{SOURCE_COLUMN: f.name}) for f in group]  # type: ignore[union-attr]
    return pd.concat(frames, ignore_index=True)


def rows_with(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """The rows of ``frame`` from files that had ``field`` at all (every row when not stacked).

    >>> f = pd.DataFrame({"nps": [9, None, None], SOURCE_COLUMN: ["a", "a", "b"]})
    >>> len(rows_with(f, "nps"))
    2
    """
    if field not in frame.columns:
        return frame.iloc[0:0]
    if SOURCE_COLUMN not in frame.columns:
        return frame
    has = frame.groupby(SOURCE_COLUMN)[field].transform(lambda s: s.notna().any())
    return frame[has.astype(bool)]
