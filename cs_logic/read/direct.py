"""A big, plain CSV of a table kept in DuckDB (usage) read by DuckDB's own reader straight into its staging table.

Why: the app reads every cell as text, then types it, then inserts the typed rows into DuckDB. For the M usage file
(110 MB, 5M rows) that is about 2.2 times DuckDB's own ``read_csv`` of the file (issue 18.3), with the text, the
typed columns and the insert held at once. A usage export is usually machine-written: ids, ISO dates and plain
counts, nothing for the app to decide or report. Such a file gains nothing from the careful reading but its time.

So the file's head is read as the app reads any file (:func:`cs_logic.read.ingest.read_table`), recognised, mapped
and typed (``prepare``) as a whole-file read would be; when the head shows nothing the careful reader would decide or
report (:func:`plan`), and the bytes hold nothing DuckDB would read otherwise (:func:`plain_lines`, :func:`plain_tail`),
DuckDB reads the file with the head's dialect into typed columns (an upload is written to a folder only the session's
database may read, a file on disk is linked there: :func:`on_disk`), and one pass over the loaded table checks what
the head could not (:func:`verify`). Any doubt, anywhere, gives None and the caller
reads the file the careful way, so a file with a bad cell, a blank line, a footer, padded ids, a date out of range,
another encoding or an odd column gets exactly the messages it always got. What is decided on the head (the mapping,
a column's type, the recognition's confidence figures) is decided as the batched reader decides it on its first batch
(cs_logic.read.stream). tests/test_direct.py checks both ways give the same table, problems and notes.
"""

from __future__ import annotations

import datetime as dt
import mmap
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.core.schema import Table
from cs_logic.read.arrowtext import python_cells
from cs_logic.read.csvtext import QUOTING_CHARS, SPACE_RUNS, layout, utf8_head
from cs_logic.read.ingest import ReadResult, read_table, sniff_type
from cs_logic.read.resident import Stager
from cs_logic.read.store import quote_ident
from cs_logic.read.validate import EARLIEST, MAX_TYPED_EXTRAS, Prepared

# From this size up a CSV of a resident table is tried this way (smaller files are read the careful way: they take
# little time, and every test of the readers' messages runs on the path they always ran on).
DIRECT_BYTES = 16 << 20
# The head the file is recognised, mapped and typed on (about 10,000 rows of a usage file: recognition samples 8,000
# at most; 1 MB took 0.06 s more); its layout is decided on the first QUOTING_CHARS, as the careful reader decides
# it. The tail is looked at for a footer or a totals row.
HEAD_BYTES = 256 << 10
TAIL_BYTES = 64 << 10
# DuckDB's reader buffer per thread: its default (32 MB) left the M usage file's read 50-65 MB higher in the process
# (buffers DuckDB keeps for reuse), and the six M files' peak above the careful reader's.
READ_BUFFER_BYTES = 8_000_000
# A file on disk that cannot be linked into the session's folder (another file system) is copied there up to this
# size (a copy takes about a second a GB; the careful reader several).
COPY_BYTES = 2 << 30
# The file is scanned for anything DuckDB would read otherwise than the app in blocks of this many bytes.
SCAN_BYTES = 8 << 20
# Field kinds DuckDB can type here as the app's parsers do, given the head's values are plain (below).
_TEXT_KINDS = ("id", "text", "category")
# Head values DuckDB reads as the app's parsers do. Numbers: no sign but minus, no exponent, no separator, no unit;
# at most 15 digits before the point (a whole number past 2^53 gets the app's "inexact" note). Dates: ISO only.
_PLAIN_NUMBER = re.compile(r"-?\d{1,15}(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Column:
    """One column of the staged table: its name, the file column it comes from (0-based) and DuckDB's type."""

    name: str
    source: int
    kind: str  # VARCHAR, DOUBLE, DATE or TIMESTAMP (dates are stored as TIMESTAMP_NS, as pandas' datetimes are)


@dataclass(frozen=True)
class Plan:
    """How DuckDB reads the file: its dialect, width, and the staged table's columns."""

    delimiter: str
    width: int
    columns: tuple[Column, ...]


def head_read(name: str, data: bytes | None, path: str | None) -> ReadResult | None:
    """The file's head read as a whole file is, when the file is a plain UTF-8 CSV with its header on the first line
    (None otherwise: any other layout is the careful reader's)."""
    start = _head_bytes(data, path, QUOTING_CHARS)
    if start is None or sniff_type(start) != "csv":
        return None
    text = utf8_head(start)
    if text is None or start.startswith(b"\xef\xbb\xbf"):
        return None
    found = layout(text)  # as the careful reader decides it, on the same first part of the file
    dialect = found.dialect
    if found.width < 2 or dialect.delimiter == SPACE_RUNS or dialect.quote != '"' or dialect.escape is not None:
        return None
    head = start[:HEAD_BYTES]
    cut = head.rfind(b"\n")
    if cut <= 0:
        return None
    read = read_table(head[:cut + 1], name)
    if (read.header_row != 1 or read.first_data_row != 2 or read.row_numbers is not None or read.named_by_values
            or read.delimiter != dialect.delimiter or read.frame.shape[1] != found.width or read.encoding != "utf-8"
            or any(n.row is not None for n in read.notes) or len(set(map(str, read.frame.columns))) != found.width):
        return None
    return read


def plan(read: ReadResult, prepared: Prepared, table: Table, mapping: dict[str, str]) -> Plan | None:
    """The staged table's columns, when every column is one DuckDB types as the app does and the head's typing
    reported nothing row by row (None otherwise).

    A mapped column: an id, text or category (VARCHAR); a number whose head values are plain (DOUBLE); a date whose
    head values are ISO dates or date-times (TIMESTAMP_NS). Any other field (a duration with its unit, a flag, a
    score) is the careful reader's. An unmapped column is typed by what the whole column holds
    (validate._typed_extras): one whose head reads as plain numbers or ISO dates is typed so (a later value that is
    not one fails DuckDB's read, and the file goes the careful way); one whose head is mostly neither is text; a flag
    or anything in between goes the careful way.
    """
    names = [str(c) for c in read.frame.columns]
    if any(p.row is not None for p in prepared.problems):
        return None
    mapped = set(mapping.values())
    extras = [src for src in names if src not in mapped]
    if len(extras) > MAX_TYPED_EXTRAS:
        return None
    outputs = list(mapping) + [src if src not in mapping else f"{src} (original)" for src in extras]
    if [str(c) for c in prepared.frame.columns] != outputs:
        return None
    columns = []
    for out, src in zip(outputs, list(mapping.values()) + extras):
        values = _filled(read.frame[src])
        if not len(values):
            return None  # an empty column in the head: its type and the "entirely blank" note are the whole file's
        kind = table.field(out).kind if out in mapping else None
        sql = _column_type(values, kind, prepared.frame[out].dtype)
        if sql is None:
            return None
        columns.append(Column(out, names.index(src), sql))
    assert read.delimiter is not None
    return Plan(read.delimiter, len(names), tuple(columns))


def _filled(col: pd.Series) -> pa.Array:
    """A head column's values trimmed, the blank ones left out (Arrow text as it is; Python strings converted).

    >>> _filled(pd.Series([" 1 ", None, "", "x"], dtype=object)).to_pylist()
    ['1', 'x']
    """
    raw = pa.array(col.astype(object) if col.dtype == object else col, from_pandas=True)
    if not pa.types.is_string(raw.type) and not pa.types.is_large_string(raw.type):
        raw = pc.cast(raw, pa.string())
    text = pc.utf8_trim_whitespace(raw)
    return text.filter(pc.fill_null(pc.greater(pc.utf8_length(text), 0), False))


def _column_type(values: pa.Array, kind: str | None, dtype: object) -> str | None:
    """DuckDB's type for a column whose head holds ``values`` (trimmed, none blank), mapped to a field of ``kind``
    (None: unmapped) and typed ``dtype`` by ``prepare`` on the head; None when DuckDB would not type it as the app.

    >>> f = np.dtype("float64")
    >>> _column_type(pa.array(["3", "4.5"]), "number", f), _column_type(pa.array(["3", "1,5"]), "number", f)
    ('DOUBLE', None)
    >>> when, text = np.dtype("datetime64[ns]"), np.dtype(object)
    >>> _column_type(pa.array(["2025-01-02"]), None, when), _column_type(pa.array(["Pro", "Free"]), None, text)
    ('DATE', 'VARCHAR')
    """
    def matching(pattern: re.Pattern[str]) -> int:
        return int(pc.sum(pc.match_substring_regex(values, f"^(?:{pattern.pattern})$")).as_py() or 0)

    n = len(values)
    numbers, days, stamps = matching(_PLAIN_NUMBER), matching(_ISO_DATE), matching(_ISO_STAMP)
    if kind in _TEXT_KINDS or (kind is None and dtype == object):
        # Text: an unmapped column only when its head is mostly neither numbers nor dates (the whole column is typed
        # by what 95% of it holds, which a head of mostly words cannot turn into).
        if dtype != object or (kind is None and (numbers + days + stamps) * 2 >= n):
            return None
        return "VARCHAR"
    if kind in (None, "number", "integer") and dtype == "float64" and numbers == n:
        return "DOUBLE"
    if kind in (None, "date") and pd.api.types.is_datetime64_ns_dtype(dtype) and days + stamps == n:
        return "DATE" if days == n else "TIMESTAMP"
    return None


def plain_tail(name: str, data: bytes | None, path: str | None, head: ReadResult) -> bool:
    """Whether the file's last rows read as plain data under the head's header: no footer, no totals row, no blank
    row, and a last row with every cell filled (a totals row recognised by its sums has blank labels)."""
    tail = _tail_bytes(data, path)
    start = tail.find(b"\n") + 1
    if start <= 0 or start >= len(tail):
        return False
    header = _head_bytes(data, path) or b""
    read = read_table(header[:header.find(b"\n") + 1] + tail[start:], name)
    if (read.header_row != 1 or read.row_numbers is not None or any(n.row is not None for n in read.notes)
            or list(map(str, read.frame.columns)) != list(map(str, head.frame.columns)) or not len(read.frame)):
        return False
    return all(v is not None and str(v).strip() for v in python_cells(read.frame.iloc[-1]))


def plain_lines(data: bytes | None, path: str | None, delimiter: str) -> int | None:
    """The file's line count when it is plain, else None.

    Plain: ASCII (so DuckDB's text is the app's, and trimming is the same), and no space, tab or other control
    character at either end of a value (the app trims them: DuckDB would keep them); a line break only as a line
    break. A blank line is found later, as a row DuckDB did not read (the count of lines against its rows).

    >>> plain_lines(b"id,n\\nA 1,2\\nB,3\\n", None, ","), plain_lines(b"id,n\\nA ,2\\n", None, ",")
    (3, None)
    """
    with _bytes_of(data, path) as whole:
        n = len(whole)
        lines = 0
        delim = ord(delimiter)
        ends = np.array([delim, 9, 10, 13, 32], dtype=np.uint8)
        for start in range(0, n, SCAN_BYTES):
            end = min(n, start + SCAN_BYTES)
            lo, hi = max(0, start - 1), min(n, end + 1)  # one byte either side: what a space at the block's edge touches
            piece = whole[lo:hi]  # a copy of the block, so no array points into a mapped file when it is closed
            if not piece.isascii():
                return None
            wide = np.frombuffer(piece, dtype=np.uint8)
            block = wide[start - lo:len(wide) - (hi - end)]
            newlines = int(np.count_nonzero(block == 10))
            lines += newlines
            if int(np.count_nonzero(block <= 32)) == newlines + int(np.count_nonzero(block == 13)):
                continue  # the usual block: no space, tab or other control character at all
            # A space or tab, or another control: where each sits (the bytes before and after it).
            at = np.flatnonzero((wide <= 32) & (wide != 10) & (wide != 13) & (wide != delim))
            at = at[(at + lo >= start) & (at + lo < end)]
            if not len(at):
                continue
            if not np.isin(wide[at], (9, 32)).all():
                return None  # another control character (a vertical tab, a form feed...)
            before = np.where(at + lo > 0, wide[np.maximum(at - 1, 0)], 10)
            after = np.where(at + lo < n - 1, wide[np.minimum(at + 1, len(wide) - 1)], 10)
            if np.isin(before, ends).any() or np.isin(after, ends).any():
                return None
        if n and whole[n - 1] != 10:
            lines += 1  # a last line with no line break
    return lines


@contextmanager
def _bytes_of(data: bytes | None, path: str | None) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes: ``data``, or ``path`` mapped into memory (read by the system as it is scanned)."""
    if data is not None:
        yield data
        return
    assert path is not None
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def stage(stager: Stager, file: str, layout_plan: Plan) -> None:
    """DuckDB reads ``file`` into the stager's table, typed as planned (raises duckdb.Error on any cell it cannot
    type, a ragged row or invalid text: the caller then reads the file the careful way)."""
    kinds = {c.source: "TIMESTAMP_NS" if c.kind in ("DATE", "TIMESTAMP") else c.kind for c in layout_plan.columns}
    types = ", ".join(f"'c{i}': '{kinds.get(i, 'VARCHAR')}'" for i in range(layout_plan.width))
    select = ", ".join(f"c{c.source} AS {quote_ident(c.name)}" for c in layout_plan.columns)
    delimiter = layout_plan.delimiter.replace("'", "''")
    source = (f"read_csv('{file.replace(chr(39), chr(39) * 2)}', header = false, skip = 1, auto_detect = false, "
              f"delim = '{delimiter}', quote = '\"', escape = '\"', columns = {{{types}}}, "
              f"strict_mode = true, null_padding = false, ignore_errors = false, buffer_size = {READ_BUFFER_BYTES})")
    stager.create_as(f"SELECT {select} FROM {source}")


def verify(stager: Stager, layout_plan: Plan, as_of: dt.date | pd.Timestamp | None, lines: int) -> bool:
    """One pass over the staged table for what the careful reader would have reported or changed: a row DuckDB did
    not read (a blank line, or a value holding a line break: ``lines`` is the file's line count, its header one of
    them), a number that is not finite or past 2^53, a date before 1990 or more than a year after ``as_of``, a column
    with no value at all. (Text with a space at either end is found in the bytes: :func:`plain_lines`.)"""
    checks = [f"count(*) <> {lines - 1}"]
    late = None if as_of is None else pd.Timestamp(as_of) + pd.DateOffset(years=1)
    for c in layout_plan.columns:
        col = quote_ident(c.name)
        checks.append(f"count({col}) = 0")
        if c.kind == "DOUBLE":
            checks.append(f"NOT isfinite(min({col})) OR NOT isfinite(max({col})) "
                          f"OR greatest(abs(min({col})), abs(max({col}))) >= 9007199254740992")
        elif c.kind != "VARCHAR":
            checks.append(f"min({col}) < TIMESTAMP '{EARLIEST.isoformat(sep=' ')}'")
            if late is not None:
                checks.append(f"max({col}) > TIMESTAMP '{late.isoformat(sep=' ')}'")
    found = stager.con.execute(f"SELECT {', '.join(f'coalesce({c}, false)' for c in checks)} "
                               f"FROM {quote_ident(stager.name)}").fetchone()
    return found is not None and not any(found)


def files_folder(con: duckdb.DuckDBPyConnection) -> str | None:
    """A folder DuckDB may read files in although external access is off: a ``files`` folder inside the connection's
    own temp folder, which DuckDB always allows (cs_logic.read.store.connect locks every other path away). None for
    a connection with external access on or with no temp folder of its own (its default is relative to the working
    directory), which is read the careful way."""
    try:
        found = con.execute("SELECT current_setting('temp_directory'), current_setting('allowed_directories'), "
                            "current_setting('enable_external_access')").fetchone()
    except duckdb.Error:
        return None
    if found is None or not found[0] or not os.path.isabs(str(found[0])) or found[2]:
        return None
    temp = os.path.join(str(found[0]), "")
    if not any(temp.startswith(os.path.join(str(a), "")) for a in found[1] or ()):
        return None
    return os.path.join(temp, "files")


@contextmanager
def on_disk(data: bytes | None, path: str | None, folder: str) -> Iterator[str | None]:
    """The file at a path inside ``folder`` (where the connection may read it): the upload's bytes written there,
    or the file on disk linked there (a second name for the same bytes, nothing copied), else copied there up to
    COPY_BYTES; removed afterwards. None for a bigger file that cannot be linked (it is read the careful way)."""
    os.makedirs(folder, exist_ok=True)
    name = os.path.join(folder, f"{uuid.uuid4().hex}.csv")
    try:
        if data is not None:
            with open(name, "wb") as out:
                out.write(data)
        else:
            assert path is not None
            try:
                os.link(path, name)
            except OSError:  # another file system (or one without links): a copy, up to COPY_BYTES
                if os.path.getsize(path) > COPY_BYTES:
                    yield None
                    return
                shutil.copyfile(path, name)
        yield name
    finally:
        if os.path.exists(name):
            os.unlink(name)


def _head_bytes(data: bytes | None, path: str | None, size: int = HEAD_BYTES) -> bytes | None:
    if data is not None:
        return data[:size]
    if path is None:
        return None
    with open(path, "rb") as handle:
        return handle.read(size)


def _tail_bytes(data: bytes | None, path: str | None) -> bytes:
    if data is not None:
        return data[-TAIL_BYTES:]
    assert path is not None
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - TAIL_BYTES))
        return handle.read()
