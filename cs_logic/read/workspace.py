"""From uploaded bytes to checked, typed tables: read, recognise, map, validate, combine."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cs_logic.core.problems import Problem
from cs_logic.core.schema import TABLES, UNKNOWN
from cs_logic.core.settings import FileMapping, Settings
from cs_logic.read import direct, stream
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
from cs_logic.read.merge import merge_prepared, repeated_ids
from cs_logic.read.resident import RESIDENT_TABLES, Resident, Stager, iter_frames, stacked
from cs_logic.read.store import connect
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
    # A usage table's typed rows, in DuckDB (``prepared.frame`` is then empty, with its columns and types).
    resident: Resident | None = None

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every finding: the reader's notes and the checks (``prepare`` carries the notes over)."""
        if self.prepared is not None:
            return self.prepared.problems
        return tuple(replace(n, file=self.name) for n in self.read.notes)

    def typed_frame(self) -> pd.DataFrame:
        """The typed table as a frame, read out of DuckDB for a resident (usage) table: for small files and tests;
        the app reads a resident table by SQL. Empty when the file is no table."""
        if self.resident is not None:
            return self.resident.df()
        return self.prepared.frame if self.prepared is not None else pd.DataFrame()

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
              progress: Callable[[str], None] | None = None, *, path: str | None = None,
              arrow: Callable[[], pa.RecordBatchReader] | None = None,
              con: duckdb.DuckDBPyConnection | None = None) -> LoadedFile:
    """Read one upload and make it a checked table.

    The file is ``data`` (its bytes), else the file at ``path`` (read from disk, in batches when big), else the
    Arrow stream ``arrow()`` gives (a fresh reader each call, e.g. a table of a DuckDB database file; its columns
    may be typed). A file of STREAM_BYTES or more of text (stream.text_size), and every Arrow stream, is read in batches of rows
    (cs_logic.read.stream): each batch is typed with the mapping and decisions made on the first, the problems
    merged as one whole-file read reports them. A usage table is kept in DuckDB, never in pandas
    (cs_logic.read.resident): its typed rows go to a staging table of ``con`` (the session store's connection,
    so the session holds them once; a connection of its own when None) and ``LoadedFile.resident`` names it.

    ``table`` and ``mapping`` are the manager's choices; when absent, a mapping remembered in
    ``settings`` for a file with the same headers is used, else the automatic guess. ``choices``
    override the units and meanings the app decides (field -> values; remembered in ``settings`` too). ``digest`` is
    :func:`sha256` of ``data`` when the caller has it already (hashing 110 MB takes 70 ms of a core).
    ``progress`` is told each step as it starts (:data:`LOAD_STEPS`: reading, recognising, typing), so a page
    can say what a long load is doing. Raises IngestError (a one-line reason) when the file cannot be read at all.
    """
    if data is None and path is None and arrow is None:
        raise ValueError("load_file needs the file's bytes, its path or an Arrow stream")
    return _load(name, data, sheet, table, mapping, settings, as_of, max_bytes, digest, choices, progress, path, arrow,
                 con, may_stream=True)


def _load(name: str, data: bytes | None, sheet: str | None, table: str | None, mapping: dict[str, str] | None,
          settings: Settings | None, as_of: dt.date | None, max_bytes: int | None, digest: str | None,
          choices: dict[str, tuple[str, ...]] | None, progress: Callable[[str], None] | None, path: str | None,
          arrow: Callable[[], pa.RecordBatchReader] | None, con: duckdb.DuckDBPyConnection | None,
          may_stream: bool) -> LoadedFile:
    tell = progress or (lambda step: None)
    tell(LOAD_STEPS[0])
    size = stream.size_of(data, path) if arrow is None or data is not None or path is not None else 0
    if may_stream and sheet is None and (data is not None or path is not None) and size >= direct.DIRECT_BYTES \
            and (not max_bytes or size <= max_bytes):
        found = _direct(name, data, path, table, mapping, settings, as_of, digest, choices, tell, con)
        if found is not None:
            return found
    text = stream.text_size(data, path) if size else 0
    streamed = None
    if may_stream and sheet is None and (arrow is not None and data is None and path is None
                                         or text >= stream.STREAM_BYTES and
                                         (text >= stream.PANDAS_STREAM_BYTES or _resident_guess(name, data, path,
                                                                                                table, settings))):
        if digest is None and data is None and path is None:
            digest = _digest(None, None, name, arrow)
        try:
            streamed = stream.read_batches(name, data, None if data is not None else path,
                                           arrow if data is None and path is None else None)
            first = next(streamed)
        except stream.NotStreamable:
            streamed = None
        except IngestError:
            raise
        except Exception as exc:  # a parser failure on a damaged file reaches the manager as one line
            raise IngestError(f"the file could not be read ({' '.join(str(exc).split())[:120]})") from exc
    if streamed is None:
        data = _whole_bytes(data, path, arrow)
        size = len(data)
    try:
        if streamed is None:
            assert data is not None
            kwargs = {"max_bytes": max_bytes} if max_bytes else {}
            with ThreadPoolExecutor(1) as pool:  # hashing releases the GIL: it runs while the file is read
                hashed = pool.submit(sha256, data) if digest is None else None
                first = read_table(data, name, sheet=sheet, **kwargs)
            digest = hashed.result() if hashed is not None else digest
            data = None  # the text is read: the bytes are the caller's to keep or let go
        elif digest is None:
            digest = _digest(data, path, name, arrow)
        assert digest is not None
        # A table that ends whole in pandas anyway gains little from batches below PANDAS_STREAM_BYTES (only its
        # text is never whole) and its batches' concatenation costs a peak: such a file is read whole after all.
        whole_instead = streamed is not None and (data is not None or path is not None) \
            and text < stream.PANDAS_STREAM_BYTES
        box = [first]  # handed over with no reference kept here: prepare frees each column's text as it types it
        del first
        return _recognised(name, digest, size, box, streamed, sheet, table, mapping, settings, as_of, choices,
                           tell, con, whole_instead)
    except stream.NotStreamable:  # a later batch the streaming reader cannot take, or a table read whole after all
        pass
    # Read whole outside the except block: its traceback would keep the batches read so far alive meanwhile.
    if streamed is not None:
        streamed.close()  # lets its reader go (a DuckDB connection runs one query at a time)
    return _load(name, _whole_bytes(data, path, arrow), sheet, table, mapping, settings, as_of, max_bytes, digest,
                 choices, progress, None, None, con, may_stream=False)


def _resident_guess(name: str, data: bytes | None, path: str | None, table: str | None,
                    settings: Settings | None) -> bool:
    """Whether the file will likely be a table kept in DuckDB (usage), judged on its first part (a CSV's first MB):
    a table held in pandas is read whole below PANDAS_STREAM_BYTES. True when the head cannot tell (a Parquet file):
    the first batch's recognition decides then."""
    if table is not None:
        return table in RESIDENT_TABLES
    if data is not None:
        head = data[:stream.HEAD_BYTES]
    else:
        assert path is not None
        with open(path, "rb") as handle:
            head = handle.read(stream.HEAD_BYTES)
    head = head[:head.rfind(b"\n") + 1]
    try:
        read = read_table(head, name)
    except Exception:  # noqa: BLE001 - not text (Parquet), or a head cut badly: let the batches decide
        return True
    columns = [str(c) for c in read.frame.columns]
    known = settings.mapping_for(name, columns) if settings else None
    return (known.table if known is not None else detect(read.frame, name).table) in RESIDENT_TABLES


def _whole_bytes(data: bytes | None, path: str | None, arrow: Callable[[], pa.RecordBatchReader] | None) -> bytes:
    """The file's bytes: given, read from ``path``, or the Arrow stream written as Parquet (a stream too irregular to
    read in batches)."""
    if data is not None:
        return data
    if path is not None:
        with open(path, "rb") as handle:
            return handle.read()
    assert arrow is not None
    sink = pa.BufferOutputStream()
    reader = arrow()
    with pq.ParquetWriter(sink, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def _digest(data: bytes | None, path: str | None, name: str, arrow: Callable[[], pa.RecordBatchReader] | None) -> str:
    """:func:`sha256` of the bytes; of the file read in 8 MB blocks for a path; of its name and schema for a stream."""
    if data is not None:
        return sha256(data)
    if path is not None:
        h = hashlib.sha256()
        with open(path, "rb") as handle:
            while block := handle.read(8 << 20):
                h.update(block)
        return h.hexdigest()
    assert arrow is not None
    reader = arrow()  # closed at once: a DuckDB connection runs one query at a time
    schema = reader.schema
    reader.close()
    return sha256(f"arrow:{name}:{schema}".encode())


def _recognised(name: str, digest: str, size: int, box: list[ReadResult], batches: Iterator[ReadResult] | None,
                sheet: str | None, table: str | None, mapping: dict[str, str] | None, settings: Settings | None,
                as_of: dt.date | None, choices: dict[str, tuple[str, ...]] | None, tell: Callable[[str], None],
                con: duckdb.DuckDBPyConnection | None, whole_instead: bool = False) -> LoadedFile:
    """The read file (its first batch when ``batches`` follow) recognised, mapped and typed; NotStreamable when
    ``whole_instead`` and the table is not kept in DuckDB (the caller reads the file whole)."""
    tell(LOAD_STEPS[1])
    read = box.pop()
    detection, chosen, mapping, choices, decisions = _resolve(read, name, table, mapping, settings, choices)
    if whole_instead and chosen not in RESIDENT_TABLES:
        raise stream.NotStreamable("a table held in pandas is read whole below PANDAS_STREAM_BYTES")
    keep = PREVIEW_ROWS if chosen != UNKNOWN else REFERENCE_ROWS
    preview = replace(read, frame=object_frame(read.frame.head(keep)).copy(),
                      row_numbers=read.row_numbers[:keep].copy() if read.row_numbers is not None else None)
    rows = len(read.frame)
    prepared = None
    resident = None
    if chosen == UNKNOWN and batches is not None:
        rows += sum(len(b.frame) for b in batches)  # a file that is no table keeps its first rows only
    if chosen != UNKNOWN:
        tell(LOAD_STEPS[2])
        stager = Stager(con if con is not None else connect()) if chosen in RESIDENT_TABLES else None
        try:
            # Handed over, not kept: prepare lets each column's text go once it is typed (see there).
            handed, read = [read], preview
            prepared = _typed(handed.pop(), batches, chosen, mapping, name, as_of, decisions, stager)
            rows = prepared.rows
        except BaseException:
            if stager is not None:
                stager.drop()
            raise
        if stager is not None:
            resident = stager.done()
        if chosen == "deals":
            frame = with_last_stage(with_flag_outcome(prepared.frame), decisions, mapping)
            prepared = replace(prepared, frame=frame)
        if chosen == "orders":
            prepared = replace(prepared, frame=with_guest_customers(prepared.frame, decisions))
    return LoadedFile(name, digest, size, preview, detection, chosen, mapping, prepared, rows, decisions,
                      tuple(sorted(choices.items())), resident)


def _resolve(read: ReadResult, name: str, table: str | None, mapping: dict[str, str] | None,
             settings: Settings | None, choices: dict[str, tuple[str, ...]] | None
             ) -> tuple[Detection, str, dict[str, str], dict[str, tuple[str, ...]], tuple[Decision, ...]]:
    """What the file is and how it is read: (detection, table, mapping, the manager's choices, decisions). The
    manager's ``table`` and ``mapping`` win; else a mapping remembered in ``settings`` for these headers; else the
    automatic guess."""
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
    chosen_choices = {k: tuple(v) for k, v in (choices or {}).items()}
    decisions, mapping = decide(read.frame, chosen, mapping, name, chosen_choices)
    return detection, chosen, mapping, chosen_choices, reading_decisions(read, mapping, name) + decisions


def _direct(name: str, data: bytes | None, path: str | None, table: str | None, mapping: dict[str, str] | None,
            settings: Settings | None, as_of: dt.date | None, digest: str | None,
            choices: dict[str, tuple[str, ...]] | None, tell: Callable[[str], None],
            con: duckdb.DuckDBPyConnection | None) -> LoadedFile | None:
    """A big plain CSV of a table kept in DuckDB, read by DuckDB itself (cs_logic.read.direct); None when anything
    about it needs the careful reader (the caller then reads it as before)."""
    folder = direct.files_folder(con) if con is not None else None
    head = direct.head_read(name, data, path) if folder is not None else None
    if folder is None or head is None:
        return None
    tell(LOAD_STEPS[1])
    detection, chosen, mapping, choices, decisions = _resolve(head, name, table, mapping, settings, choices)
    if chosen not in RESIDENT_TABLES:
        return None
    prepared = prepare(head, chosen, mapping, name, as_of=as_of, decisions=decisions)
    plan = direct.plan(head, prepared, TABLES[chosen], prepared.mapping)
    if plan is None or not direct.plain_tail(name, data, path, head):
        return None
    tell(LOAD_STEPS[2])
    assert con is not None
    stager = Stager(con)
    try:
        # The bytes are scanned (numpy) and hashed while DuckDB reads the file: all three release the GIL. A scan that
        # finds a padded value or a control character drops what DuckDB read.
        with ThreadPoolExecutor(2) as pool:
            scanned = pool.submit(direct.plain_lines, data, path, plan.delimiter)
            hashed = pool.submit(_digest, data, path, name, None) if digest is None else None
            with direct.on_disk(data, path, folder) as file:
                if file is not None:
                    direct.stage(stager, file, plan)
            lines = scanned.result()
            digest = hashed.result() if hashed is not None else digest
        staged = file is not None and lines is not None and direct.verify(stager, plan, as_of, lines)
    except (duckdb.Error, OSError):  # a cell DuckDB cannot type, a ragged row; no room for the upload's copy
        staged = False
    if not staged:
        stager.drop()
        return None
    assert digest is not None
    resident = stager.done()
    preview = replace(head, frame=object_frame(head.frame.head(PREVIEW_ROWS)).copy())
    prepared = replace(prepared, frame=prepared.frame.iloc[0:0].copy(), rows=resident.rows)
    return LoadedFile(name, digest, stream.size_of(data, path), preview, detection, chosen, mapping, prepared,
                      resident.rows, decisions, tuple(sorted(choices.items())), resident)


def _typed(first: ReadResult, batches: Iterator[ReadResult] | None, table: str, mapping: dict[str, str], name: str,
           as_of: dt.date | None, decisions: tuple[Decision, ...], stager: Stager | None) -> Prepared:
    """Every batch typed by ``prepare`` with one mapping and one set of decisions, the problems merged as a
    whole-file read reports them; a resident table's typed batches go to ``stager`` (its Prepared frame is then
    empty, with the columns and types)."""
    parts: list[Prepared] = []
    frames: list[pd.DataFrame] = []
    numbers: list[np.ndarray] = []
    # Each read is handed to prepare through a box, with no other reference held, so prepare lets each column's
    # text go once it is typed (a loop variable held the whole file's text to the end: M tickets peaked 35% higher).
    box = [first]
    del first
    keyed = stager is None and batches is not None and _checks_repeats(table, mapping)
    arrow_keys = False
    while box or (batches is not None and _next_into(batches, box)):
        if keyed:  # the file rows, for the repeated ids across batches (8 MB a million rows: only when checked)
            numbers.append(np.asarray(_file_rows(box[0]), dtype=np.int64))
        part = prepare(box.pop(), table, mapping, name, as_of=as_of, decisions=decisions)
        if stager is not None:
            stager.append(part.frame)
            frames.append(part.frame.iloc[0:0].copy())
        else:
            # Decided on the second batch, for the whole file: a big file's key as Arrow text (key_text).
            if len(frames) == 1 and len(frames[0]) + len(part.frame) >= KEY_TEXT_ROWS:
                arrow_keys = True
                key_text(frames[0], table)
            if arrow_keys:
                key_text(part.frame, table)
            frames.append(part.frame)
        parts.append(replace(part, frame=part.frame.iloc[0:0].copy()))
    if len(parts) == 1:  # read whole: its problems are already as reported
        return replace(parts[0], frame=frames[0])
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    attrs = frames[0].attrs
    del frames
    frame.attrs.update(attrs)
    shared_text(frame)
    if stager is not None:
        frame = frame.iloc[0:0].copy()
    merged = merge_prepared(parts, name)
    if keyed and len(parts) > 1:
        merged = replace(merged, problems=merged.problems + tuple(
            replace(p, file=name) for p in repeated_ids(frame, table, merged.mapping, np.concatenate(numbers))))
    return replace(merged, frame=frame)


# A table typed in batches holds its key as Arrow text when its first two batches have this many rows (key_text): a
# small file (an Arrow stream of a few thousand rows is two batches too) keeps the frame a whole read gives.
KEY_TEXT_ROWS = 100_000


def key_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` with its table's key column (ticket_id, order_id...) held as Arrow-backed text (pandas' ``str``),
    in place, when it holds Python text; the same values, a blank NaN.

    A key is the one text column whose values all differ, so no Python string of it is shared (:func:`shared_text`
    shares the others): one per cell, 72 bytes for a 9-character id against 17 as Arrow text. L's 5 million
    ticket ids and 5 million order ids were 0.7 GB of the session's frames. Only a big table typed in batches has
    this done (KEY_TEXT_ROWS); every reader of a key (counts, repeats, purchases, the SQL views) takes either kind.

    >>> f = key_text(pd.DataFrame({"ticket_id": pd.Series(["T1", None], dtype=object)}), "tickets")
    >>> str(f["ticket_id"].dtype), f["ticket_id"].isna().tolist()
    ('str', [False, True])
    """
    key = TABLES[table].key if table in TABLES else None
    if key is None or key not in frame.columns:
        return frame
    position = frame.columns.get_loc(key)
    col = frame[key]
    if not isinstance(position, int) or col.dtype != object or pd.api.types.infer_dtype(col, skipna=True) != "string":
        return frame  # a repeated header, or ids that are not all text: left as they are
    frame.isetitem(position, col.astype(pd.StringDtype("pyarrow", na_value=np.nan)))
    return frame


def shared_text(frame: pd.DataFrame) -> None:
    """Each text column of ``frame`` with one string object per distinct value, in place (values, dtype unchanged).

    A table typed in batches holds one Python string per cell: 5 million tickets' agents, statuses and account
    ids were about 2 GB of strings that repeat. Blank cells keep what they held.

    >>> f = pd.DataFrame({"plan": pd.Series(["Pro", "Pro", None], dtype=object)})
    >>> f.loc[0, "plan"] = "".join(["P", "ro"]); shared_text(f)
    >>> f["plan"].tolist(), f["plan"].iloc[0] is f["plan"].iloc[1]
    (['Pro', 'Pro', None], True)
    """
    for position in range(frame.shape[1]):
        col = frame.iloc[:, position]
        if col.dtype != object or len(col) < 2 or pd.api.types.infer_dtype(col, skipna=True) != "string":
            continue  # factorize takes 1, 1.0 and True as one value: only all-text columns are shared
        codes, uniques = pd.factorize(col)
        if len(uniques) == len(col):  # every value differs (an id): nothing to share
            continue
        values = col.to_numpy(dtype=object).copy()
        known = codes >= 0
        values[known] = np.asarray(uniques, dtype=object)[codes[known]]
        frame.isetitem(position, pd.Series(values, index=frame.index, dtype=object))


def _next_into(batches: Iterator[ReadResult], box: list[ReadResult]) -> bool:
    """Put the next batch in ``box``; False when there is none."""
    for read in batches:
        box.append(read)
        return True
    return False


def _checks_repeats(table: str, mapping: dict[str, str]) -> bool:
    key = TABLES[table].key if table in TABLES else None
    return key is not None and key in mapping


def _file_rows(read: ReadResult) -> np.ndarray | range:
    if read.row_numbers is not None:
        return read.row_numbers
    return range(read.first_data_row, read.first_data_row + len(read.frame))


def combine(files: list[LoadedFile]) -> tuple[dict[str, pd.DataFrame | Resident], list[Problem]]:
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
    tables: dict[str, pd.DataFrame | Resident] = {t: _stack(group) for t, group in by_table.items()}
    names = {t: ", ".join(f.name for f in group) for t, group in by_table.items()}
    lists = [f for f in files if f.prepared is None]
    derived: list[Problem] = []
    orders = tables.get("orders")
    if "accounts" not in tables and isinstance(orders, pd.DataFrame) and {"account_id", "date"} <= set(orders.columns):
        # Orders are enough (a shop's export): the customers are derived from them, churn left unknown.
        tables["accounts"] = customers_from_orders(orders)
        derived.append(derived_note(tables["accounts"], names["orders"]))
    return tables, derived + list(cross_check(tables, names)) + reference_check(tables, names, lists)


# Columns a reference list (products, reps, teams) may name; the check is by values, not headers.
REFERENCE_FIELDS = ("product", "owner", "agent", "segment", "plan", "region", "industry", "topic")


def reference_check(tables: dict[str, pd.DataFrame | Resident], names: dict[str, str],
                    lists: list[LoadedFile]) -> list[Problem]:
    """Values a table uses that a reference list uploaded beside it does not know.

    A file the app does not use as a table (a product list, a sales-team list) is a reference for a
    table column when most of that column's distinct values appear in one of its columns; the
    values that do not ("GTXPro" where the list says "GTX Pro") are reported with the row count
    and the closest listed value, since a join on them would silently miss those rows.
    """
    problems: list[Problem] = []
    for ref in lists:
        for table, frame in iter_frames(tables):  # a resident table (usage) has no name column to check
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


def _stack(group: list[LoadedFile]) -> pd.DataFrame | Resident:
    if group[0].resident is not None:
        residents = [(f.resident, f.name) for f in group if f.resident is not None]
        return residents[0][0] if len(residents) == 1 else stacked(residents)
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
