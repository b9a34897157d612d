"""Read an uploaded export (CSV, XLSX, XLS, ODS, Parquet) into a frame of trimmed text, reporting what was done."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.core.problems import Problem, clip_value
from cs_logic.read.arrowtext import object_frame, parse_csv_arrow
from cs_logic.read.csvtext import (
    BOM_NOTE,
    DELIMITER_NAMES,
    RESAVE,
    SPACE_RUNS,
    Dialect,
    Layout,
    decode,
    decode_text,
    field_limit,
    layout,
    sniff_delimiter,
    space_runs_to_tabs,
    utf8_head,
    utf16_without_bom,
)
from cs_logic.read.parse import is_arrow_text
from cs_logic.read.spreadsheet import (
    IngestError,
    check_zip,
    list_sheets,
    read_parquet_frame,
    read_sheet_grid,
    uncalculated_formulas,
)
from cs_logic.read.tableshape import Named, Rows, decimal_comma_notes, note, shape, shape_body

__all__ = ["IngestError", "ReadResult", "check_zip", "decode_text", "is_arrow_text", "list_sheets", "object_frame",
           "read_table", "sniff_delimiter", "sniff_type"]

# From this size up, a CSV is parsed by Arrow's reader into Arrow-backed text columns (see ReadResult and
# arrowtext.parse_csv_arrow, which says when it reads with threads); smaller files, and any file Arrow's reader
# cannot take as it is, go through pandas' reader.
ARROW_MIN_BYTES = 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BINARY_SIGNATURES = {
    b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip-compressed file", b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive",
    b"SQLite format 3": "an SQLite database",
}


@dataclass(frozen=True)
class ReadResult:
    """A table read from one file: text cells, where it sat in the file, and what the reader did.

    ``frame`` holds data rows only, every column text: Python ``str`` or None, or Arrow-backed text (blank =
    NA) in a CSV of ARROW_MIN_BYTES or more and in Parquet columns of common types (:func:`cs_logic.read.arrowtext.python_cells` and
    :func:`object_frame` give the Python form, :func:`is_arrow_text` tells them apart); frame row ``i`` is file row
    ``row_numbers[i]`` when ``row_numbers`` is set, else ``first_data_row + i`` (rows count like a
    spreadsheet, 1-based; for CSV one row is one record, however many lines it spans).
    """

    frame: pd.DataFrame
    file_type: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    first_data_row: int
    row_numbers: np.ndarray | None  # int64; None when the rows are first_data_row, first_data_row + 1, ...
    sheet: str | None
    sheets: tuple[str, ...]
    notes: tuple[Problem, ...]
    # With no header row (``header_row`` 0): (column, kind, why) of each column named by its values.
    named_by_values: Named = ()


def sniff_type(data: bytes) -> str:
    """The file type from its first bytes (never the extension): "csv", "xlsx", "xls", "ods" or "parquet".

    Examples
    --------
    >>> sniff_type(b"PAR1...."), sniff_type(b"id,name\\n1,Ann\\n")
    ('parquet', 'csv')
    """
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_kind(data)
    if data[:8] == OLE:
        return "xls"
    if data[:4] == b"PAR1":
        return "parquet"
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise IngestError(f"this file is {what}, not a table; {RESAVE}")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or utf16_without_bom(data) or data[:3] == b"\xef\xbb\xbf":
        return "csv"
    sample = data[:65536]
    control = sum(sample.count(bytes([b])) for b in (*range(9), 11, *range(14, 27), *range(28, 32)))
    if b"\x00" in sample or control > 0.01 * len(sample):
        raise IngestError(f"this file holds binary data, not text or a spreadsheet; {RESAVE}")
    return "csv"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.open("mimetype").read(200) if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise IngestError(f"the file looks like a workbook (zip) but it is damaged; {RESAVE}") from exc
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if names & {"xl/workbook.xml", "xl/workbook.bin"}:
        return "xlsx"
    if "word/document.xml" in names:
        what = "a Word document (.docx)"
    elif "ppt/presentation.xml" in names:
        what = "a PowerPoint presentation (.pptx)"
    elif mimetype:
        what = f"an OpenDocument file of type {mimetype.decode('ascii', 'replace')!r}"
    else:
        what = "a zip archive"
    raise IngestError(f"this file is {what}, not a spreadsheet or CSV; {RESAVE}")


def _size(n: int) -> str:
    """A byte count in the unit that shows it: 1,000 bytes, 2.0 KB, 3.4 MB.

    >>> _size(1000), _size(2048), _size(250 * 1024**2)
    ('1,000 bytes', '2.0 KB', '250.0 MB')
    """
    if n < 1024 * 1.5:
        return f"{n:,} bytes"
    if n < 1024**2:
        return f"{n / 1024:,.1f} KB"
    return f"{n / 1024**2:,.1f} MB"


def read_table(data: bytes, name: str, sheet: str | None = None, max_bytes: int = 200 * 1024 * 1024) -> ReadResult:
    """Read an uploaded file into a frame of trimmed text with its header found and cleaned.

    Raises :class:`IngestError` with a one-line reason for any file that cannot be loaded.

    Examples
    --------
    >>> result = read_table(b"Monthly report\\n\\nid,name\\n00123,  Ann \\n", "a.csv")
    >>> result.header_row, result.frame.to_dict("records")
    (3, [{'id': '00123', 'name': 'Ann'}])
    """
    if len(data) > max_bytes:
        raise IngestError(
            f"the file is {_size(len(data))}, over the {_size(max_bytes)} limit; "
            "split it or remove unused columns and upload again"
        )
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    if not data[:4096].strip(blank) and not data.strip(blank):  # strip() copies: the whole file only if it starts blank
        raise IngestError("the file is empty; export it again with its data and upload it")
    try:
        return _read(data, name, sheet)
    except IngestError:
        raise
    except Exception as exc:  # any parser failure on a hostile or damaged file must reach the manager as one line
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise IngestError(f"the file could not be read ({detail}); {RESAVE}") from exc


def _read(data: bytes, name: str, sheet: str | None) -> ReadResult:
    kind = sniff_type(data)
    if kind == "csv":
        return _read_csv(data, name)
    if kind == "parquet":
        frame = read_parquet_frame(data)  # its header is its column names: no row of text above the values
        header: list[str | None] = [str(c) if str(c) else None for c in frame.columns]
        body, rows, notes = shape_body(frame.set_axis(range(frame.shape[1]), axis=1), header, 0, name, totals=False)
        return _result(body, kind, None, None, 1, rows, None, (), notes)
    if kind in ("xlsx", "ods"):
        check_zip(data)
    sheets = list_sheets(data)
    chosen, grid, notes = _choose_sheet(data, sheets, sheet, name)
    body, header_row, rows, shape_notes, named = shape(grid, name)
    if kind == "xlsx":
        notes += _formula_notes(data, chosen, grid, header_row, name)
    return _result(body, kind, None, None, header_row, rows, chosen, sheets, notes + shape_notes, named)


def _formula_notes(data: bytes, sheet: str, grid: pd.DataFrame, header_row: int, name: str) -> list[Problem]:
    """One note per column holding formulas that were never calculated: every reader sees them as blank."""
    count, cells = uncalculated_formulas(data, sheet)
    if not count:
        return []
    by_column: dict[str, list[tuple[int, str]]] = {}
    for ref, formula in cells:
        letters, row = re.match(r"([A-Z]+)(\d+)", ref).groups()  # type: ignore[union-attr]
        by_column.setdefault(letters, []).append((int(row), formula))
    notes = []
    for letters, found in by_column.items():
        position = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters))) - 1
        header = grid.iat[header_row - 1, position] if position < grid.shape[1] and header_row <= len(grid) else None
        row, formula = found[0]
        more = f" ({len(found)} cells in the column)" if len(found) > 1 else ""
        notes.append(note(
            name,
            "formulas that were never calculated (the file holds no result for them): they read as blank" + more,
            column=str(header) if header is not None else f"column {letters}",
            row=row,
            value=clip_value("=" + formula),
            action="left them blank; open the file in Excel or LibreOffice, let it calculate, save and upload again",
        ))
    if count > len(cells):
        notes.append(note(name, f"{count - len(cells):,} more formula cells were never calculated",
                          action="left them blank"))
    return notes


def _result(frame: pd.DataFrame, kind: str, encoding: str | None, delimiter: str | None, header_row: int,
            rows: Rows, sheet: str | None, sheets: tuple[str, ...], notes: list[Problem],
            named: Named = ()) -> ReadResult:
    first = int(rows[0]) if len(rows) else header_row + 1
    contiguous = len(rows) == 0 or int(rows[-1]) - first == len(rows) - 1
    # An array, not a tuple: a 5M-row file with one blank line inside made 5M Python ints (180 MB).
    row_numbers = None if contiguous else np.asarray(rows, dtype=np.int64)
    return ReadResult(frame, kind, encoding, delimiter, header_row, first, row_numbers, sheet, sheets, tuple(notes),
                      named)


def _choose_sheet(data: bytes, sheets: tuple[str, ...], sheet: str | None, name: str) -> tuple[str, pd.DataFrame, list[Problem]]:
    if sheet is not None and sheet not in sheets:
        raise IngestError(f"the workbook has no sheet named {sheet!r}; its sheets are: {', '.join(sheets)}")
    notes: list[Problem] = []
    for candidate in [sheet] if sheet is not None else list(sheets):
        grid = read_sheet_grid(data, candidate)
        if grid.notna().any().any():
            if len(sheets) > 1:
                message = f"read the sheet {candidate!r}; the workbook has {len(sheets)} sheets: {', '.join(sheets)}"
                notes.append(note(
                    name,
                    message,
                    action="choose another sheet to read it instead",
                    severity="info",
                ))
            return candidate, grid, notes
    where = f"the sheet {sheet!r} is empty" if sheet is not None else "no sheet in the workbook holds any data"
    raise IngestError(f"{where}; check the file and upload again")


def _read_csv(data: bytes, name: str) -> ReadResult:
    head = utf8_head(data) if len(data) >= ARROW_MIN_BYTES else None
    if head is not None:  # a large file starting as UTF-8: Arrow's reader checks the rest as it reads
        found = layout(head)
        bom = data.startswith(b"\xef\xbb\xbf")
        body, dialect = _split_at(memoryview(data)[3:] if bom else data, found.dialect)
        grid = (parse_csv_arrow(body, dialect.delimiter, found.width, dialect.quote, dialect.escape)
                if found.width > 1 else None)
        if grid is not None:
            encoding = "utf-8-sig" if bom else "utf-8"
            return _csv_result(grid, name, encoding, BOM_NOTE.format(encoding=encoding.upper()), found, [])
    text, encoding, why = decode(data)
    found = layout(text)
    decoded = data if encoding == "utf-8" else data[3:] if encoding == "utf-8-sig" else text.encode("utf-8")
    del text
    source, dialect = _split_at(decoded, found.dialect)
    del decoded
    grid = None
    if len(source) >= ARROW_MIN_BYTES and found.width > 1 and not (head is not None and encoding.startswith("utf-8")):
        grid = parse_csv_arrow(source, dialect.delimiter, found.width, dialect.quote, dialect.escape)
    reader_notes: list[Problem] = []
    if grid is None:
        raw, reader_notes = _parse_csv(bytes(source), dialect, found.width, name)
        grid = _clean_cells(raw)
    return _csv_result(grid, name, encoding, why, found, reader_notes)


def _split_at(source: bytes | memoryview, dialect: Dialect) -> tuple[bytes | memoryview, Dialect]:
    """The UTF-8 text and the dialect the readers are given: text aligned by runs of spaces becomes tab-separated
    (quotes plain), since Arrow's and pandas' fast readers split at one character; any other text as it is."""
    if dialect.delimiter != SPACE_RUNS:
        return source, dialect
    return space_runs_to_tabs(bytes(source)), Dialect("\t", None)


def _csv_result(grid: pd.DataFrame, name: str, encoding: str, why: str, found: Layout,
                reader_notes: list[Problem]) -> ReadResult:
    delimiter = found.dialect.delimiter
    # Plain UTF-8 is what every tool should write: only other encodings are worth a note.
    notes = [] if encoding == "utf-8" else [
        note(name, f"the text was {why}", value=encoding, action="used this encoding", severity="info")]
    if delimiter != ",":
        notes.append(note(
            name,
            f"the columns are separated by {DELIMITER_NAMES[delimiter]}",
            action="split the columns there",
            severity="info",
        ))
    if found.dialect != Dialect(delimiter) and delimiter != SPACE_RUNS:
        notes.append(note(name, "the file " + ("does not use quote marks for quoting" if found.dialect.quote is None
                                               else f"escapes quote marks with {found.dialect.escape}"),
                          action="read it with " + found.dialect.describe(), severity="info"))
    if found.alternative is not None:
        other, count = found.alternative
        notes.append(note(
            name,
            f"the file can be read two ways: with {found.dialect.describe()} ({found.records:,} records in its "
            f"first part) or with {other.describe()} ({count:,} records)",
            action="read it the first way, whose rows have a consistent number of columns; check the rows "
                   "that hold quote marks",
        ))
    body, header_row, rows, shape_notes, named = shape(grid, name, csv_extras=True)
    notes += reader_notes + shape_notes + decimal_comma_notes(body, name)
    return _result(body, "csv", encoding, delimiter, header_row, rows, None, (), notes, named)


def _parse_csv(source: bytes, dialect: Dialect, width: int, name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """All records as raw text columns 0..n-1, widening when a later record has more fields; and notes.

    A warning from pandas' reader is never let through: its C parser drops every column after the first
    in some buffer layouts once a field passes 131,072 characters, saying so only in a ParserWarning. On any
    warning the file is read again with Python's csv reader, which has no such limit (slower, so only then).
    """
    quoting = ({"quoting": csv.QUOTE_NONE} if dialect.quote is None
               else {"quotechar": dialect.quote, "escapechar": dialect.escape, "doublequote": dialect.escape is None})
    for _ in range(4):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                return pd.read_csv(
                    io.BytesIO(source), sep=dialect.delimiter, header=None, names=range(width), index_col=False,
                    dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
                    encoding="utf-8", **quoting,
                ), []
        except pd.errors.ParserError as exc:
            if unclosed := re.search(r"EOF inside string starting at row (\d+)", str(exc)):
                row = int(unclosed.group(1)) + 1
                raise IngestError(f"a quote mark opened in row {row} is never closed; fix that row or {RESAVE}") from exc
            seen = re.search(r"saw (\d+)", str(exc))
            if not seen:
                raise
            width = max(width + 1, int(seen.group(1)))
        except Warning as warning:
            return _parse_csv_python(source, dialect, name, str(warning))
    return _parse_csv_python(source, dialect, name, None)


def _parse_csv_python(source: bytes, dialect: Dialect, name: str, warning: str | None) -> tuple[pd.DataFrame, list[Problem]]:
    """Every record with Python's csv reader (no field-length limit), padded to the widest; a note says why."""
    field_limit()
    quoting = ({"quoting": csv.QUOTE_NONE} if dialect.quote is None
               else {"quotechar": dialect.quote, "escapechar": dialect.escape, "doublequote": dialect.escape is None})
    records = list(csv.reader(io.StringIO(source.decode("utf-8"), newline=""), delimiter=dialect.delimiter,
                              **quoting))
    width = max((len(r) for r in records), default=1)
    columns = [np.array([r[j] if j < len(r) else "" for r in records] + [None], dtype=object)[:-1]
               for j in range(width)]
    grid = pd.DataFrame({j: pd.Series(col, dtype=object) for j, col in enumerate(columns)})
    notes = [] if warning is None else [note(
        name,
        "the fast CSV reader warned that it would lose data (" + " ".join(warning.split())[:120] + ")",
        action="read the file again with a reader that keeps every field whole",
        severity="info",
    )]
    return grid, notes


def _clean_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """Values trimmed; empty text becomes None (every raw value is text: the parser ran without NA filtering).

    Only the columns with a value to change are replaced, in place: building a new frame copied every
    column (the peak memory of reading the 5M-row benchmark file was here).
    """
    for position in range(grid.shape[1]):
        values = grid.iloc[:, position].to_numpy(dtype=object)
        cleaned = _clean_column(values)
        if cleaned is not values:  # an object Series: pandas would read an array of text as its str dtype
            grid.isetitem(position, pd.Series(cleaned, index=grid.index, dtype=object))
    return grid


# Rows per Arrow pass over a text column: whole-column trimmed or lower-cased copies were 130-250 MB at once.
CHUNK_ROWS = 262_144


def positions_in_chunks(values: np.ndarray, find: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``find`` (positions within a slice of ``values``) run CHUNK_ROWS rows at a time; positions in the whole."""
    return np.concatenate([start + find(values[start:start + CHUNK_ROWS])
                           for start in range(0, len(values), CHUNK_ROWS)] or [np.empty(0, np.int64)])


def _clean_column(values: np.ndarray) -> np.ndarray:
    """One column trimmed as ``str.strip`` does, blanks None; untouched values keep their (shared) objects.

    Arrow finds the few values that need trimming (its whitespace is Python's), a chunk at a time; only those
    are handled in Python.
    """
    try:
        touched = positions_in_chunks(values, _to_trim)
    except (pa.ArrowException, UnicodeError):  # text Arrow cannot hold (a lone surrogate): trim it in Python
        return np.array([value.strip() or None for value in values] + [None], dtype=object)[:-1]
    if not len(touched):
        return values
    out = values.copy()
    out[touched] = np.array([value.strip() or None for value in values[touched]] + [None], dtype=object)[:-1]
    return out


def _to_trim(values: np.ndarray) -> np.ndarray:
    """Positions of the values that are empty or have whitespace to trim."""
    raw = pa.array(values, type=pa.large_string())
    lengths = np.asarray(pc.binary_length(raw))
    return np.flatnonzero((np.asarray(pc.binary_length(pc.utf8_trim_whitespace(raw))) != lengths) | (lengths == 0))


