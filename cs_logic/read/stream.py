"""Read a big file in batches of rows: its head decides how it is read, as a whole-file read would; Arrow's
streaming readers read the rest with that decision, so no file is ever held whole as text.

The first batch is read exactly as :func:`cs_logic.read.ingest.read_table` reads a file (the same dialect,
encoding, header row, title and header notes); each later batch is one more slice of rows with its file row
numbers, its blank rows left out (counted in one note with the first batch's), and an export's footer or totals
row looked for in the last batch only. A file the streaming reader cannot take as it is (ragged rows, an escape
character, no header row, text aligned by spaces, not UTF-8) raises :class:`NotStreamable`, and the caller reads
it whole as before.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cs_logic.core.problems import Problem
from cs_logic.read.arrowtext import ARROW_BLOCK_BYTES, parquet_text_frame
from cs_logic.read.csvtext import BOM_NOTE, SPACE_RUNS, layout, utf8_head
from cs_logic.read.ingest import ReadResult, _csv_result, _result, sniff_type
from cs_logic.read.spreadsheet import cell_text, check_parquet_size
from cs_logic.read.tableshape import FOOTER_ROWS, Rows, _blank_rows, _drop_footer, _drop_totals, note, shape_body

# Rows per batch: a batch's text, its typed columns and the insert into DuckDB are held at once. Measured on the M usage
# file (5M rows) in a subprocess: peak 783 MB at 1,000,000 rows a batch, 556 MB at 500,000, 504 MB at 250,000 (slower).
BATCH_ROWS = 500_000
# From this much text up a file is read in batches; less is read whole, as before (text_size: a CSV's bytes, a Parquet
# file's uncompressed size). 200 MB, the upload limit: every upload is read whole by the two-threaded reader, and only
# files opened from disk stream. Measured on the M usage file (110 MB, 5M rows) at load 0.8: read in batches 1.21 s
# against DuckDB's read_csv 0.39 s (3.15x: the streaming reader parses on one thread, then each batch is inserted),
# read whole 0.80 s (2.13x), with the same peak for the six M files (595 against 618 MB, 2.8-2.9x their bytes).
STREAM_BYTES = 200 * 1024 * 1024
# A table that is not kept in DuckDB (all but usage) is read in batches only from this much text: its typed batches
# are joined in pandas anyway, and the join's peak cost more than the text saved (M's 57 MB tickets: 674 MB peak in
# batches, 457 MB whole); L's tickets (120 MB of Parquet, more text uncompressed) are read in batches.
PANDAS_STREAM_BYTES = 200 * 1024 * 1024
# About what one cell takes in a CSV (the M usage file: 110 MB for 5M rows of 3 cells is 7.3 bytes a cell).
CSV_CELL_BYTES = 8
# The part of a CSV its layout (dialect, width) is decided on, as utf8_head decides it for a whole file.
HEAD_BYTES = 1 << 20
# The last rows a footer is looked for in (tableshape._drop_footer's tail).
FOOTER_TAIL = FOOTER_ROWS + 40
BLANK_ROWS = "{n} blank row(s) inside the data"
# Rows the first read takes at least (its notes look at the first 200 rows, as a whole-file read's do).
FIRST_ROWS = 1_000


class NotStreamable(Exception):
    """This file cannot be read in batches as it is; read it whole."""


def file_kind(data: bytes | None, path: str | None) -> str:
    """The file type from its first bytes (cs_logic.read.ingest.sniff_type), read from disk when only the path is given."""
    if data is None:
        assert path is not None
        with open(path, "rb") as handle:
            data = handle.read(HEAD_BYTES)
    return sniff_type(data)


def read_batches(name: str, data: bytes | None = None, path: str | None = None,
                 arrow: Callable[[], pa.RecordBatchReader] | None = None,
                 batch_rows: int | None = None) -> Generator[ReadResult, None, None]:
    """The file as a sequence of reads: the first as :func:`read_table` reads a file (its notes about the reading
    and the header), each later one a batch of data rows with their file rows and the notes about those rows.

    Raises NotStreamable (before or while reading) when the file must be read whole.
    """
    rows = batch_rows or BATCH_ROWS
    if arrow is not None:
        return _columnar(name, _rebatch(arrow(), rows), "parquet")
    kind = file_kind(data, path)
    if kind == "parquet":
        if data is not None:  # an upload: refused past the limits a whole read has (a file on disk is the owner's)
            check_parquet_size(data)
        source = pa.BufferReader(data) if data is not None else path
        try:
            batches = pq.ParquetFile(source).iter_batches(batch_size=rows)
        except Exception as exc:
            raise NotStreamable(str(exc)) from exc
        return _columnar(name, _rebatch(batches, rows), "parquet")
    if kind == "csv":
        return _csv(name, data, path, rows)
    raise NotStreamable(f"a {kind} file is read whole")


def _rebatch(batches: Iterator[pa.RecordBatch] | pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """Arrow batches regrouped into tables of exactly ``rows`` rows (the last one shorter; at least one table)."""
    held: list[pa.RecordBatch] = []
    count = 0
    schema = None
    for batch in batches:
        schema = batch.schema
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held, schema)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if schema is None and isinstance(batches, pa.RecordBatchReader):
        schema = batches.schema
    if count or schema is not None and not held:
        yield pa.Table.from_batches(held, schema) if schema is not None else pa.table({})


def _text(table: pa.Table) -> pd.DataFrame:
    """A table's columns as trimmed text (blank = NA), named by position."""
    frame = parquet_text_frame(table, cell_text)
    return frame.set_axis(range(frame.shape[1]), axis=1)


def _columnar(name: str, tables: Iterator[pa.Table], kind: str) -> Generator[ReadResult, None, None]:
    """Parquet or a typed Arrow stream: column names are its header; no title, footer or totals rows (as the
    whole-file read of a Parquet file)."""
    names: list[str] = []

    def grids() -> Iterator[pd.DataFrame]:
        for table in tables:
            frame = parquet_text_frame(table, cell_text)
            names[:] = [str(c) for c in frame.columns]
            yield frame.set_axis(range(frame.shape[1]), axis=1)

    def first_read(grid: pd.DataFrame) -> ReadResult:
        header: list[str | None] = [c if c else None for c in names]
        body, rows, notes = shape_body(grid.copy(), header, 0, name, totals=False)
        if body.shape[1] != grid.shape[1]:
            raise NotStreamable("a column without a name")
        return _result(body, kind, None, None, 1, rows, None, (), notes)

    return _drive(name, grids(), first_read, 1, footer=False)


def _drive(name: str, grids: Iterator[pd.DataFrame], first_read: Callable[[pd.DataFrame], ReadResult],
           header_records: int, footer: bool) -> Generator[ReadResult, None, None]:
    """The reads of a file given its raw batches (text columns by position): the first FIRST_ROWS or more records
    read as a whole file is (a file no longer than that is read whole here), then the later batches.

    ``header_records``: records of the raw batches that are not data (0 for CSV, whose header and title lines are
    records; 1 for Parquet, whose header is its column names)."""
    held: list[pd.DataFrame] = []
    count, more = 0, False
    for grid in grids:
        held.append(grid)
        count += len(grid)
        if count >= FIRST_ROWS + FOOTER_TAIL:
            more = True
            break
    whole = held[0] if len(held) == 1 else pd.concat(held, ignore_index=True)
    del held
    if not more:
        yield first_read(whole)
        return
    read = first_read(whole.iloc[:count - FOOTER_TAIL])
    last = _last_row(read, read.header_row)
    # Rows the first read left out at its end (blank, a footer, a totals row) are not the file's end: they go on
    # with the rest, and the first read's notes about them are dropped.
    carry = whole.iloc[last - header_records:].reset_index(drop=True)
    del whole
    yield replace(read, notes=tuple(n for n in read.notes if n.row is None or n.row <= last))
    yield from _later(name, read, last + 1, itertools.chain([carry], grids), footer)


def _last_row(read: ReadResult, header_row: int) -> int:
    """The file row of the read's last data row (the header row when it has none)."""
    if not len(read.frame):
        return header_row
    if read.row_numbers is not None:
        return int(read.row_numbers[-1])
    return read.first_data_row + len(read.frame) - 1


def _csv(name: str, data: bytes | None, path: str | None, batch_rows: int) -> Generator[ReadResult, None, None]:
    if data is not None:
        head_bytes = data[:HEAD_BYTES]
    else:
        assert path is not None
        with open(path, "rb") as handle:
            head_bytes = handle.read(HEAD_BYTES)
    head = utf8_head(head_bytes)
    if head is None:
        raise NotStreamable("not UTF-8 text")
    found = layout(head)
    dialect = found.dialect
    if found.width < 2 or dialect.delimiter == SPACE_RUNS or dialect.escape is not None:
        raise NotStreamable("a layout the streaming reader does not take")
    bom = head_bytes.startswith(b"\xef\xbb\xbf")
    quoted = dialect.quote is not None and dialect.quote.encode() in head_bytes
    names = [f"f{i}" for i in range(found.width)]
    ragged: list[object] = []

    def on_ragged(row: object) -> str:
        ragged.append(row)
        return "skip"

    parse = pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char=dialect.quote or False, double_quote=True,
                               escape_char=False, newlines_in_values=quoted, ignore_empty_lines=False,
                               invalid_row_handler=on_ragged)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                   strings_can_be_null=True)
    if data is not None:
        source: object = pa.BufferReader(memoryview(data)[3:] if bom else data)
    else:
        source = pa.OSFile(path, "rb")
        if bom:
            source.read(3)  # type: ignore[attr-defined]
    try:
        reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES),
                                parse_options=parse, convert_options=convert)
    except (pa.ArrowException, UnicodeError) as exc:
        raise NotStreamable(str(exc)) from exc

    def grids() -> Iterator[pd.DataFrame]:
        try:
            for table in _rebatch(reader, batch_rows):
                if ragged:
                    raise NotStreamable("rows with more fields than the header")
                yield _text(table)
        except (pa.ArrowException, UnicodeError) as exc:
            raise NotStreamable(str(exc)) from exc
        if ragged:
            raise NotStreamable("rows with more fields than the header")

    encoding = "utf-8-sig" if bom else "utf-8"

    def first_read(grid: pd.DataFrame) -> ReadResult:
        read = _csv_result(grid.copy(), name, encoding, BOM_NOTE.format(encoding=encoding.upper()), found, [])
        if read.header_row < 1 or read.named_by_values or read.frame.shape[1] != found.width:
            raise NotStreamable("no header row, or columns without a name")
        return read

    return _drive(name, grids(), first_read, 0, footer=True)


def _later(name: str, first: ReadResult, start: int, grids: Iterator[pd.DataFrame],
           footer: bool) -> Generator[ReadResult, None, None]:
    """The batches after the first: each named as the first read's columns, with its file rows from ``start``.

    The last FOOTER_TAIL rows seen are always held back for the next batch, so the file's last rows are shaped
    together as a whole-file read shapes them (a footer sits below a blank row within them); blank rows at the
    end of a batch go on with them (only at the file's end are they not "inside the data")."""
    columns = first.frame.columns
    row = start
    pending: pd.DataFrame | None = None
    for grid in grids:
        pending = grid if pending is None or not len(pending) else pd.concat([pending, grid], ignore_index=True)
        cut = len(pending) - FOOTER_TAIL
        if cut > 0:
            out, row, pending = _batch(name, pending, columns, row, cut)
            if out is not None:
                yield out
    if pending is not None:
        yield _last(name, pending, columns, row, footer)


def _batch(name: str, grid: pd.DataFrame, columns: pd.Index, start: int,
           cut: int) -> tuple[ReadResult | None, int, pd.DataFrame]:
    """The rows before ``cut`` shaped (None when all are blank), the file row after them, and the rest carried on."""
    if grid.shape[1] != len(columns):
        raise NotStreamable("a batch with another number of columns")
    part = grid.iloc[:cut]
    blank = _blank_rows(part)
    filled = np.flatnonzero(~blank)
    keep_to = int(filled[-1]) + 1 if len(filled) else 0
    if not keep_to:
        return None, start, grid
    read = _shaped(name, part.iloc[:keep_to], blank[:keep_to], columns, start, [])
    return read, start + keep_to, grid.iloc[keep_to:].reset_index(drop=True)


def _last(name: str, grid: pd.DataFrame, columns: pd.Index, start: int, footer: bool) -> ReadResult:
    """The file's last rows shaped as shape_body shapes a file's end: footer, blank rows, totals."""
    if grid.shape[1] != len(columns):
        raise NotStreamable("a batch with another number of columns")
    body = grid.set_axis(list(columns), axis=1)
    rows: Rows = range(start, start + len(body))
    notes: list[Problem] = []
    if footer:
        body, rows, notes = _drop_footer(body, rows, name)
    blank = _blank_rows(body)
    filled = np.flatnonzero(~blank)
    end = int(filled[-1]) + 1 if len(filled) else 0
    body, rows, blank = body.iloc[:end], rows[:end], blank[:end]
    read = _shaped(name, body, blank, columns, int(rows[0]) if len(rows) else start, notes,
                   None if isinstance(rows, range) else np.asarray(rows))
    if footer:
        body, rows, totals = _drop_totals(read.frame, _rows_of(read), name)
        read = _with_rows(read, body, rows, (*read.notes, *totals))
    return read


def _rows_of(read: ReadResult) -> Rows:
    if read.row_numbers is not None:
        return read.row_numbers
    return range(read.first_data_row, read.first_data_row + len(read.frame))


def _with_rows(read: ReadResult, body: pd.DataFrame, rows: Rows, notes: tuple[Problem, ...]) -> ReadResult:
    first = int(rows[0]) if len(rows) else read.first_data_row
    contiguous = not len(rows) or int(rows[-1]) - first == len(rows) - 1
    return replace(read, frame=body.reset_index(drop=True), first_data_row=first,
                   row_numbers=None if contiguous else np.asarray(rows, dtype=np.int64), notes=notes)


def _shaped(name: str, part: pd.DataFrame, blank: np.ndarray, columns: pd.Index, start: int, notes: list[Problem],
            numbers: np.ndarray | None = None) -> ReadResult:
    """Rows with their inner blank rows left out (one note); ``numbers``: their file rows when not start, start+1..."""
    body = part.set_axis(list(columns), axis=1)
    rows: Rows = numbers if numbers is not None else range(start, start + len(body))
    if blank.any():
        notes = [*notes, note(name, BLANK_ROWS.format(n=int(blank.sum())), row=int(rows[int(np.flatnonzero(blank)[0])]),
                              action="skipped them", severity="info")]
        body, rows = body[~blank], np.asarray(rows)[~blank]
    empty = ReadResult(body, "", None, None, 0, start, None, None, (), ())
    return _with_rows(empty, body, rows, tuple(notes))


def text_size(data: bytes | None, path: str | None) -> int:
    """How much text the file holds, for the choice to read it in batches: its size in bytes, or for a Parquet file
    the size of the same table as a CSV (rows x columns x CSV_CELL_BYTES, from its metadata): the L usage file is
    86 MB on disk, 113 MB uncompressed as Parquet encodes it, and 50M rows (1.2 GB as a CSV).

    >>> text_size(b"account_id,events", None)
    17
    """
    size = size_of(data, path)
    try:
        if data is not None:
            head = data[:4]
        elif path:
            with open(path, "rb") as handle:
                head = handle.read(4)
        else:
            head = b""
        if head != b"PAR1":
            return size
        meta = pq.ParquetFile(pa.BufferReader(data) if data is not None else path).metadata
        return max(size, int(meta.num_rows) * int(meta.num_columns) * CSV_CELL_BYTES)
    except (OSError, pa.ArrowException):
        return size


def size_of(data: bytes | None, path: str | None) -> int:
    """The file's size in bytes (0 for an Arrow stream, whose size is not known before reading it)."""
    if data is not None:
        return len(data)
    return os.path.getsize(path) if path else 0

