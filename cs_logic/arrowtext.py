"""Arrow-backed text frames: large CSVs read by Arrow's reader, without a Python string per cell.

A frame of Arrow-backed text (``pd.ArrowDtype(pa.string())``, a blank cell NA) goes through recognition,
parsing and validation like a frame of Python strings (see cs_logic.ingest.ReadResult); the parsers take its
Arrow arrays as they are (cs_logic.parse.is_arrow_text tells the two apart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cs_logic.parse import is_arrow_text

# Bytes of the file per block of Arrow's reader (blocks are parsed in parallel, then joined per column).
ARROW_BLOCK_BYTES = 16 << 20


def parse_csv_arrow(source: bytes | memoryview, delimiter: str, width: int) -> pd.DataFrame | None:
    """All records as trimmed Arrow text columns 0..n-1 (blank cells null), or None when the file is not regular.

    Arrow's reader is several times faster than pandas' and never makes a Python string per cell (15 million
    of them for the benchmark's usage file, most of the time and memory of reading it). It takes only files
    whose every record has at most ``width`` fields, with every quote closed (ragged rows and stray quotes go to
    pandas' reader, which pads the rows and names the row of an unclosed quote). A blank line is a row of nulls
    either way, so row numbers and the notes about blank rows are the same.

    Arrow's ``string`` (32-bit offsets), not ``large_string``: a 200 MB upload is far from 2 GB a column, and
    the offsets of 5M cells take 20 MB instead of 40.
    """
    ragged: list[object] = []

    def on_ragged(row: object) -> str:
        ragged.append(row)
        return "skip"

    names = [f"f{i}" for i in range(width)]
    whole = source.obj if isinstance(source, memoryview) else source  # a quoted value may hold a line break
    quoted = whole.find(b'"') >= 0
    if quoted and whole.count(b'"') % 2:  # a quote never closed (or a stray one): Arrow would read on to the end
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(source),
            read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=quoted, ignore_empty_lines=False, invalid_row_handler=on_ragged),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True),
        )
    except (pa.ArrowException, UnicodeError):
        return None
    if ragged:
        return None
    ascii_file = whole.isascii()
    columns = {}
    for i, name in enumerate(names):
        columns[i] = pd.Series(pd.arrays.ArrowExtensionArray(_trim_blank(table.column(name), ascii_file)), copy=False)
        table = table.drop_columns([name])  # each raw column is let go once its trimmed form exists
    return pd.DataFrame(columns, copy=False)


# Python's str.strip() whitespace within ASCII (Arrow's ascii_trim_whitespace leaves out \x1c-\x1f).
_ASCII_SPACE = " \t\n\v\f\r\x1c\x1d\x1e\x1f"


def _trim_blank(column: pa.ChunkedArray, ascii_file: bool = False) -> pa.Array:
    """A text column trimmed as ``str.strip`` does, empty text null (the reader already made empty cells null).

    Arrow's Unicode trim is Python's whitespace; an all-ASCII block (the usual one) takes the ASCII trim, five
    times faster. A block with nothing to trim keeps its raw text (its byte count, read from the offsets, is
    unchanged), so the usual column is copied once (joining its blocks), not three times.
    """
    blocks: list[pa.Array] = []
    for raw in column.chunks:
        ascii_only = ascii_file or pc.all(pc.string_is_ascii(raw)).as_py() is not False
        text = pc.ascii_trim(raw, _ASCII_SPACE) if ascii_only else pc.utf8_trim_whitespace(raw)
        if _text_bytes(text) == _text_bytes(raw):
            text = raw  # nothing was trimmed, so no value became empty either
        else:
            lengths = pc.binary_length(text)
            if pc.min(lengths).as_py() == 0:
                text = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, text.type), text)
        blocks.append(text)
    # Joined into one array: a column left in the reader's blocks kept the process's peak ~130 MB higher
    # (measured on the M portfolio), as the blocks' memory is held longer.
    return blocks[0] if len(blocks) == 1 else pa.concat_arrays(blocks) if blocks else pa.array([], pa.string())


def _text_bytes(text: pa.Array) -> int:
    """Bytes of text a string array holds, from its offsets (no pass over the values)."""
    if not len(text):
        return 0
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], dtype=width)
    return int(offsets[text.offset + len(text)] - offsets[text.offset])


def python_cells(values: pd.Series | list[object]) -> list[object]:
    """Cells as Python values with every blank None (Arrow-backed text holds pandas' NA for a blank)."""
    return [None if v is None or v is pd.NA else v for v in (values.tolist() if isinstance(values, pd.Series) else values)]


def object_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Arrow-backed text columns as Python strings and None (the shape a small file is read in)."""
    if not any(is_arrow_text(frame[c]) for c in frame.columns if not isinstance(frame[c], pd.DataFrame)):
        return frame
    out = frame.copy()
    for position in range(out.shape[1]):
        col = out.iloc[:, position]
        if is_arrow_text(col):
            out.isetitem(position, pd.Series(python_cells(col), index=out.index, dtype=object))
    return out
