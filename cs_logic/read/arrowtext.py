"""Arrow-backed text frames: large CSVs and Parquet columns as text, without a Python string per cell.

A frame of Arrow-backed text (``pd.ArrowDtype(pa.string())``, a blank cell NA) goes through recognition,
parsing and validation like a frame of Python strings (see cs_logic.read.ingest.ReadResult); the parsers take its
Arrow arrays as they are (cs_logic.read.parse.is_arrow_text tells the two apart).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cs_logic.read.parse import is_arrow_text

# A file this large is read with two threads (in two halves when it has no quote mark, see _halves) and has its
# columns trimmed two at a time.
PARALLEL_BYTES = 32 << 20
# Bytes of the file per block of Arrow's reader (blocks are then joined per column). 4 MB rather than 16: the
# reader holds a block's raw and parsed forms at once, and the M usage file's peak was 12 MB lower.
ARROW_BLOCK_BYTES = 4 << 20


def parse_csv_arrow(source: bytes | memoryview, delimiter: str, width: int, quote: str | None = '"',
                    escape: str | None = None) -> pd.DataFrame | None:
    """All records as trimmed Arrow text columns 0..n-1 (blank cells null), or None when the file is not regular.

    Arrow's reader is several times faster than pandas' and never makes a Python string per cell (15 million
    of them for the benchmark's usage file, most of the time and memory of reading it). It takes only files
    whose every record has at most ``width`` fields, with every quote closed (ragged rows and stray quotes go to
    pandas' reader, which pads the rows and names the row of an unclosed quote). A blank line is a row of nulls
    either way, so row numbers and the notes about blank rows are the same.

    Arrow's ``string`` (32-bit offsets), not ``large_string``: a 200 MB upload is far from 2 GB a column, and
    the offsets of 5M cells take 20 MB instead of 40.

    ``quote`` None reads quote marks as plain characters (see cs_logic.read.csvtext.Dialect); a file with an
    escape character inside quotes goes to pandas' reader (None here).
    """
    if escape is not None:
        return None
    ragged: list[object] = []

    def on_ragged(row: object) -> str:
        ragged.append(row)
        return "skip"

    names = [f"f{i}" for i in range(width)]
    whole = source.obj if isinstance(source, memoryview) and isinstance(source.obj, bytes) else bytes(source)
    large = len(whole) >= PARALLEL_BYTES
    quoted = quote is not None and whole.find(b'"') >= 0  # a quoted value may hold a line break
    if quoted and whole.count(b'"') % 2:  # a quote never closed (or a stray one): Arrow would read on to the end
        return None
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote or False, double_quote=True, escape_char=False,
                               newlines_in_values=quoted, ignore_empty_lines=False, invalid_row_handler=on_ragged)
    # ASCII is valid UTF-8, so an ASCII file (one byte test, 5 ms for 110 MB) is read without checking each value's
    # UTF-8: a fifth of the reader's CPU on the M usage file (0.25 -> 0.20 s). Any other file is checked, and one
    # that is not UTF-8 after all fails here and is decoded again by the caller.
    ascii_file = whole.isascii()
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                   strings_can_be_null=True, check_utf8=not ascii_file)

    def read(part: bytes | memoryview, threads: bool) -> pa.Table:
        return pacsv.read_csv(pa.py_buffer(part), parse_options=parse, convert_options=convert,
                              read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES,
                                                             use_threads=threads))

    parts = _halves(source, whole) if large and not quoted else None
    try:
        if parts is None:  # a value may hold a line break: Arrow's own threaded reader finds the rows
            raw = read(source, threads=large).columns
        else:
            with ThreadPoolExecutor(2) as pool:
                tables = list(pool.map(lambda part: read(part, threads=False), parts))
            raw = [pa.chunked_array(tables[0].column(i).chunks + tables[1].column(i).chunks, pa.string())
                   for i in range(width)]
            del tables
    except (pa.ArrowException, UnicodeError):
        return None
    if ragged:
        return None

    def trimmed(i: int) -> pd.Series:
        blocks, raw[i] = raw[i].chunks, None  # each raw block is let go once it is copied into the joined column
        return pd.Series(pd.arrays.ArrowExtensionArray(_trim_blank(blocks, ascii_file)), copy=False)

    if large and width > 1:  # Arrow's kernels release the GIL: two columns at a time
        with ThreadPoolExecutor(2) as pool:
            columns = dict(enumerate(pool.map(trimmed, range(width))))
    else:
        columns = {i: trimmed(i) for i in range(width)}
    return pd.DataFrame(columns, copy=False)


def _halves(source: bytes | memoryview, whole: bytes) -> tuple[memoryview, memoryview] | None:
    """``source`` cut in two at the first line break past its middle, for a file with no quote (so no value
    holds a line break); None when there is no line break to cut at.

    Two of Arrow's single-threaded readers, one per half, read about as fast as its threaded reader on two cores,
    with a peak 40-50 MB lower on the benchmark's usage file: the threaded reader holds more blocks at once.
    """
    view = memoryview(source)
    skip = len(whole) - len(view)  # a byte-order mark the caller left out
    cut = whole.find(b"\n", skip + len(view) // 2)
    if cut < 0 or cut + 1 >= len(whole):
        return None
    return view[: cut + 1 - skip], view[cut + 1 - skip :]


# Python's str.strip() whitespace within ASCII (Arrow's ascii_trim_whitespace leaves out \x1c-\x1f).
_ASCII_SPACE = " \t\n\v\f\r\x1c\x1d\x1e\x1f"


def _trim_blank(column: pa.ChunkedArray | list[pa.Array], ascii_file: bool = False) -> pa.Array:
    """A text column trimmed as ``str.strip`` does, empty text null (the reader already made empty cells null).

    Arrow's Unicode trim is Python's whitespace; an all-ASCII block (the usual one) takes the ASCII trim, five
    times faster. A block with nothing to trim keeps its raw text (its byte count, read from the offsets, is
    unchanged), so the usual column is copied once (joining its blocks), not three times. Given a list of
    blocks, the list is emptied as it goes: a block the caller holds nowhere else is freed once joined.
    """
    blocks = column.chunks if isinstance(column, pa.ChunkedArray) else column
    done: list[pa.Array] = []
    while blocks:
        raw = blocks.pop(0)
        ascii_only = ascii_file or pc.all(pc.string_is_ascii(raw)).as_py() is not False
        if ascii_only and not _any_space_byte(raw):  # ids, dates, numbers: not one space in the block
            done.append(raw)
            continue
        text = pc.ascii_trim(raw, _ASCII_SPACE) if ascii_only else pc.utf8_trim_whitespace(raw)
        if _text_bytes(text) == _text_bytes(raw):
            text = raw  # nothing was trimmed, so no value became empty either
        else:
            lengths = pc.binary_length(text)
            if pc.min(lengths).as_py() == 0:
                text = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, text.type), text)
        done.append(text)
    # Joined into one array: a column left in the reader's blocks kept the process's peak ~130 MB higher
    # (measured on the M portfolio), as the blocks' memory is held longer.
    return done[0] if len(done) == 1 else join_text(done) if done else pa.array([], pa.string())


def join_text(blocks: list[pa.Array]) -> pa.Array:
    """The ``string`` blocks as one array, the list emptied as they are copied (what pa.concat_arrays makes).

    pa.concat_arrays holds every block until the joined copy is complete, so joining a column held it twice: for
    the benchmark's usage file, two columns joined at once were 130 MB of the read's peak. Here a block that
    nothing else holds is freed as soon as it is copied, so a join holds one extra block, not one extra column.

    >>> blocks = [pa.array(["a", None]), pa.array(["bc", "", "d"]).slice(1)]
    >>> join_text(blocks).to_pylist(), blocks
    (['a', None, '', 'd'], [])
    """
    n = sum(len(b) for b in blocks)
    size = sum(_text_bytes(b) for b in blocks)
    if size >= 2**31:  # beyond 32-bit offsets: Arrow's own join raises the clear error
        return pa.concat_arrays([blocks.pop(0) for _ in range(len(blocks))])
    data_buf, offsets_buf = pa.allocate_buffer(max(size, 1)), pa.allocate_buffer(4 * (n + 1))
    data, offsets = np.frombuffer(data_buf, dtype=np.uint8), np.frombuffer(offsets_buf, dtype=np.int32)
    valid = np.ones(n, dtype=bool) if any(b.null_count for b in blocks) else None
    row = pos = 0
    offsets[0] = 0
    own: np.ndarray | None = None
    while blocks:
        block = blocks.pop(0)
        m = len(block)
        if m:
            own = _offsets(block)
            width = int(own[-1] - own[0])
            data[pos:pos + width] = np.frombuffer(block.buffers()[2], dtype=np.uint8)[own[0]:own[-1]]
            offsets[row + 1:row + m + 1] = own[1:] - (own[0] - pos)
            if valid is not None and block.null_count:
                valid[row:row + m] = np.asarray(block.is_valid())
            row, pos = row + m, pos + width
        block = own = None  # the block's buffers go now, not at the end of the join
    nulls = 0 if valid is None else int(n - np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if valid is not None and nulls else None
    return pa.Array.from_buffers(pa.string(), n, [bitmap, offsets_buf, data_buf], null_count=nulls)


def _any_space_byte(text: pa.Array) -> bool:
    """Whether the text holds any byte up to 0x20, ASCII whitespace among them (one vector compare over its bytes,
    no copy; in ASCII text a block without one has nothing to trim, and no value is blank after trimming)."""
    data = text.buffers()[2]
    if not len(text) or data is None:
        return False
    own = _offsets(text)
    return bool((np.frombuffer(data, dtype=np.uint8)[own[0]:own[-1]] <= 0x20).any())


def _text_bytes(text: pa.Array) -> int:
    """Bytes of text a string array holds, from its offsets (no pass over the values)."""
    if not len(text):
        return 0
    own = _offsets(text)
    return int(own[-1] - own[0])


def _offsets(text: pa.Array) -> np.ndarray:
    """The len + 1 offsets of a string array's own values into its data buffer (a view, no copy)."""
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    return np.frombuffer(text.buffers()[1], dtype=width)[text.offset:text.offset + len(text) + 1]


def python_cells(values: pd.Series | list[object]) -> list[object]:
    """Cells as Python values with every blank None (Arrow-backed text holds pandas' NA for a blank)."""
    return [None if v is None or v is pd.NA else v for v in (values.tolist() if isinstance(values, pd.Series) else values)]


def object_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Arrow-backed text columns as Python strings and None (the shape a small file is read in)."""
    if not any(is_arrow_text(frame.iloc[:, i]) for i in range(frame.shape[1])):
        return frame
    out = frame.copy()
    for position in range(out.shape[1]):
        col = out.iloc[:, position]
        if is_arrow_text(col):
            out.isetitem(position, pd.Series(python_cells(col), index=out.index, dtype=object))
    return out


def parquet_text_frame(table: pa.Table, cell_text: Callable[[object], str | None]) -> pd.DataFrame:
    """A Parquet table as text columns named as in the file, each value the text ``cell_text`` makes of it;
    pandas' index columns are left out, as pandas leaves them out.

    Strings, whole numbers, flags, floats, dates and naive timestamps are converted in Arrow (a column of
    Arrow-backed text); any other type (durations, times, decimals, zoned timestamps...) value by value through
    ``cell_text``, as pandas hands them over. Converting every cell in Python took 11 s for 5 million rows.
    """
    index = [c for c in (table.schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)]
    table = table.drop_columns([c for c in index if c in table.column_names])
    columns: dict[int, pd.Series] = {}
    for i in range(table.num_columns):
        text = arrow_cells(table.column(i))
        if text is None:
            values = table.column(i).to_pandas().tolist()
            columns[i] = pd.Series([cell_text(v) for v in values], dtype=object)
        else:
            columns[i] = pd.Series(pd.arrays.ArrowExtensionArray(text), copy=False)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), copy=False)
    frame.columns = table.column_names
    return frame


def arrow_cells(column: pa.ChunkedArray) -> pa.Array | None:
    """A typed column as Arrow text the way ``cell_text`` writes each value; None for a type it does not cover.

    >>> arrow_cells(pa.chunked_array([[1.0, 2.5, None, 0.1 + 0.2]])).to_pylist()
    ['1', '2.5', None, '0.3']
    """
    col = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    kind = col.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _trim_blank(pa.chunked_array([col.cast(pa.string())], type=pa.string()))
    if pa.types.is_integer(kind):
        return pc.cast(col, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(col, pa.scalar("TRUE"), pa.scalar("FALSE"))
    if pa.types.is_floating(kind):
        return _float_cells(col)
    if pa.types.is_date(kind):
        return pc.cast(col, pa.string())
    if pa.types.is_timestamp(kind) and kind.tz is None:
        seconds = pc.cast(pc.floor_temporal(col, unit="second"), pa.timestamp("s"))
        midnight = pc.equal(pc.floor_temporal(col, unit="day"), col)
        return pc.if_else(midnight, pc.strftime(seconds, "%Y-%m-%d"), pc.strftime(seconds, "%Y-%m-%d %H:%M:%S"))
    return None


def _float_cells(col: pa.Array) -> pa.Array:
    """Floats as ``cell_text`` writes them: whole numbers (below 1e15) without ".0", others in 15 digits."""
    values = np.asarray(col.cast(pa.float64()).fill_null(np.nan))
    with np.errstate(invalid="ignore"):
        whole = (values == np.floor(values)) & (np.abs(values) < 1e15)
    other = ~whole & ~np.isnan(values)
    text = pc.cast(pc.cast(pa.array(np.where(whole, values, 0.0)), pa.int64()), pa.string())
    if other.any():  # each distinct fractional value formatted once
        distinct, codes = np.unique(values[other], return_inverse=True)
        shown = np.array([format(float(x), ".15g") for x in distinct], dtype=object)
        cells = np.full(len(values), None, dtype=object)
        cells[other] = shown[codes]
        text = pc.if_else(pa.array(whole), text, pa.array(cells, type=pa.string()))
    return pc.if_else(pa.array(whole | other), text, pa.scalar(None, pa.string()))
