"""Read an uploaded export (CSV, XLSX, XLS, ODS, Parquet) into a frame of trimmed text, reporting what was done."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.arrowtext import object_frame, parse_csv_arrow, python_cells
from cs_logic.parse import is_arrow_text
from cs_logic.problems import Problem, clip_value
from cs_logic.spreadsheet import IngestError, check_zip, list_sheets, read_parquet_frame, read_sheet_grid

__all__ = ["IngestError", "ReadResult", "check_zip", "decode_text", "is_arrow_text", "list_sheets", "object_frame",
           "python_cells", "read_table", "sniff_delimiter", "sniff_type"]

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}
HEAD_CHARS = 256 * 1024
HEAD_RECORDS = 50
HEADER_SCAN = 30
# From this size up, a CSV is parsed by Arrow's multi-threaded reader into Arrow-backed text columns (see
# ReadResult); smaller files, and any file Arrow's reader cannot take as it is, go through pandas' reader.
ARROW_MIN_BYTES = 1024 * 1024
MAX_ROW_NOTES = 20
RESAVE = "save it as CSV UTF-8 or XLSX and upload again"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BINARY_SIGNATURES = {
    b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip-compressed file", b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive",
    b"SQLite format 3": "an SQLite database",
}
NUMBER_OR_DATE = re.compile(r"^[-+(]?[$€£¥₹]?\s*\d[\d\s.,'’/:-]*%?\)?$")
DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,}))$")
TOTAL_LABELS = frozenset(
    "total|totals|grand total|total general|total geral|totales|totaux|total général|sum|summe|gesamt|gesamtsumme|"
    "insgesamt|totale|totale generale|totaal|totalt|summa|suma|razem|yhteensä|toplam|genel toplam|итого|всего|итог|"
    "جمع|مجموع|المجموع|الإجمالي|الاجمالي|جمع کل|جمع كل|مجموع کل|合计|合計|总计|總計|합계|총계|tổng cộng|jumlah|कुल".split("|")
)


@dataclass(frozen=True)
class ReadResult:
    """A table read from one file: text cells, where it sat in the file, and what the reader did.

    ``frame`` holds data rows only, every column text: Python ``str`` or None, or Arrow-backed text (blank =
    NA) in a CSV of ARROW_MIN_BYTES or more and in Parquet columns of common types (:func:`python_cells` and
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
    row_numbers: tuple[int, ...] | None
    sheet: str | None
    sheets: tuple[str, ...]
    notes: tuple[Problem, ...]


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
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(data) or data[:3] == b"\xef\xbb\xbf":
        return "csv"
    sample = data[:65536]
    control = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, *range(14, 27), *range(28, 32)))
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


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when NUL bytes sit in alternating positions, as in UTF-16 text."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= 0.1 * pairs and even <= 0.01 * pairs:
        return "utf-16-le"
    if even >= 0.1 * pairs and odd <= 0.01 * pairs:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding by a fixed ladder: BOM, UTF-16 without BOM, UTF-8, Windows-1256, Mac Roman, Windows-1252.

    Examples
    --------
    >>> decode_text("San José".encode("mac_roman"))
    ('San José', 'mac_roman')
    """
    text, encoding, _ = _decode(data)
    return text, encoding


def _decode(data: bytes) -> tuple[str, str, str]:
    """(text, encoding, why) for :func:`decode_text` and the reader's note."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding), encoding, f"read as {encoding.upper()} (the file starts with a byte-order mark)"
    if utf16 := _utf16_without_bom(data):
        return _strict(data, utf16), utf16, "read as UTF-16 (no byte-order mark, but every other byte is zero)"
    try:
        return data.decode("utf-8"), "utf-8", "read as UTF-8"
    except UnicodeDecodeError:
        pass
    arabic = data.decode("cp1256", errors="replace")
    if _arabic_share(arabic) >= 0.5:
        return arabic, "cp1256", "not UTF-8; read as Windows-1256 because its bytes form Arabic-script words"
    if _mac_roman_votes(data) > 0:
        why = "not UTF-8; read as Mac Roman because only then its accented letters sit inside words"
        return data.decode("mac_roman"), "mac_roman", why
    why = "not UTF-8; read as Windows-1252 (check accented letters in the preview)"
    return data.decode("cp1252", errors="replace"), "cp1252", why


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"the text is not valid {encoding.upper()} (byte {exc.start:,}); {RESAVE}") from exc


def _arabic_share(text: str) -> float:
    """Share of non-ASCII characters that are Arabic-script letters in runs of two or more (words, not stray bytes)."""
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    runs = re.findall(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]{2,}", text)
    letters = sum(1 for run in runs for ch in run if unicodedata.category(ch) == "Lo")
    return letters / non_ascii if non_ascii else 0.0


def _mac_roman_votes(data: bytes, limit: int = 20_000) -> int:
    """Votes for Mac Roman over Windows-1252: +1 where only Mac Roman gives a plausible letter, -1 the reverse."""
    latin = data.decode("latin-1")
    votes = 0
    for match in islice(re.finditer(r"[\x80-\xff]", latin), limit):
        i = match.start()
        byte = bytes([ord(latin[i])])
        prev, nxt = latin[i - 1 : i] or " ", latin[i + 1 : i + 2] or " "
        mac_ok = _plausible(byte.decode("mac_roman"), prev, nxt)
        win_ok = _plausible(byte.decode("cp1252", errors="replace"), prev, nxt)
        votes += int(mac_ok) - int(win_ok)
    return votes


def _plausible(ch: str, prev: str, nxt: str) -> bool:
    """Whether a decoded character makes sense between its neighbours (a letter in a word, a quote, a symbol)."""
    if ch.isalpha():
        return not (ch.isupper() and prev.islower()) and (prev.isalpha() or nxt.isalpha() or prev in " '")
    if ch in "’'":
        return prev.isalpha()
    if ch in "‘“«":
        return not prev.isalnum() and nxt.isalnum()
    if ch in "”»":
        return prev.isalnum() or prev in ".!?"
    if ch in "–—…•":
        return prev in " \t" or ch == "…"
    if ch in "€£¥°%":
        return prev.isdigit() or nxt.isdigit() or prev == " "
    return ch in "©®™§¶·" or ch.isspace()


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that gives the most consistent field count over the first records.

    Examples
    --------
    >>> sniff_delimiter("name;score\\nAnn;1,5\\nBob;2,5\\n")
    ';'
    """
    best, best_key = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in _head_records(text, delimiter) if any(cell.strip() for cell in row)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        key = (freq / len(counts), width) if width >= 2 else (0.0, 0)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _head_records(text: str, delimiter: str, limit: int = HEAD_RECORDS) -> list[list[str]]:
    """The first records of the text, quotes respected; a record cut by the sample's end is dropped."""
    head = text[:HEAD_CHARS]
    rows: list[list[str]] = []
    try:
        rows.extend(islice(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), limit))
    except csv.Error:
        pass
    if len(text) > HEAD_CHARS and len(rows) < limit and rows:
        rows.pop()
    return rows


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
        body, rows, notes = _shape_body(frame.set_axis(range(frame.shape[1]), axis=1), header, 0, name, totals=False)
        return _result(body, kind, None, None, 1, rows, None, (), notes)
    if kind in ("xlsx", "ods"):
        check_zip(data)
    sheets = list_sheets(data)
    chosen, grid, notes = _choose_sheet(data, sheets, sheet, name)
    body, header_row, rows, shape_notes = _shape(grid, name)
    return _result(body, kind, None, None, header_row, rows, chosen, sheets, notes + shape_notes)


def _result(frame: pd.DataFrame, kind: str, encoding: str | None, delimiter: str | None, header_row: int,
            rows: np.ndarray, sheet: str | None, sheets: tuple[str, ...], notes: list[Problem]) -> ReadResult:
    first = int(rows[0]) if len(rows) else header_row + 1
    contiguous = len(rows) == 0 or int(rows[-1]) - first == len(rows) - 1
    row_numbers = None if contiguous else tuple(int(r) for r in rows)
    return ReadResult(frame, kind, encoding, delimiter, header_row, first, row_numbers, sheet, sheets, tuple(notes))


def _choose_sheet(data: bytes, sheets: tuple[str, ...], sheet: str | None, name: str) -> tuple[str, pd.DataFrame, list[Problem]]:
    if sheet is not None and sheet not in sheets:
        raise IngestError(f"the workbook has no sheet named {sheet!r}; its sheets are: {', '.join(sheets)}")
    notes: list[Problem] = []
    for candidate in [sheet] if sheet is not None else list(sheets):
        grid = read_sheet_grid(data, candidate)
        if grid.notna().any().any():
            if len(sheets) > 1:
                message = f"read the sheet {candidate!r}; the workbook has {len(sheets)} sheets: {', '.join(sheets)}"
                notes.append(_note(
                    name,
                    message,
                    action="choose another sheet to read it instead",
                    severity="info",
                ))
            return candidate, grid, notes
    where = f"the sheet {sheet!r} is empty" if sheet is not None else "no sheet in the workbook holds any data"
    raise IngestError(f"{where}; check the file and upload again")


def _read_csv(data: bytes, name: str) -> ReadResult:
    head = _utf8_head(data) if len(data) >= ARROW_MIN_BYTES else None
    if head is not None:  # a large file starting as UTF-8: Arrow's reader checks the rest as it reads
        delimiter, width = _layout(head)
        bom = data.startswith(b"\xef\xbb\xbf")
        grid = parse_csv_arrow(memoryview(data)[3:] if bom else data, delimiter, width) if width > 1 else None
        if grid is not None:
            encoding = "utf-8-sig" if bom else "utf-8"
            return _csv_result(grid, name, encoding, f"read as {encoding.upper()} (the file starts with a byte-order "
                                                     "mark)", delimiter)
    text, encoding, why = _decode(data)
    delimiter, width = _layout(text)
    source = data if encoding == "utf-8" else data[3:] if encoding == "utf-8-sig" else text.encode("utf-8")
    del text
    grid = None
    if len(source) >= ARROW_MIN_BYTES and width > 1 and not (head is not None and encoding.startswith("utf-8")):
        grid = parse_csv_arrow(source, delimiter, width)
    if grid is None:
        grid = _clean_cells(_parse_csv(source, delimiter, width))
    return _csv_result(grid, name, encoding, why, delimiter)


def _utf8_head(data: bytes) -> str | None:
    """The first HEAD_CHARS bytes as text when the file has no byte-order mark and they are UTF-8 (a character
    cut by the end is dropped); None otherwise. Decoding a 100 MB file whole took longer than Arrow reading it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        return None
    head = data[3:HEAD_CHARS] if data.startswith(b"\xef\xbb\xbf") else data[:HEAD_CHARS]
    for cut in range(4):
        try:
            return head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return None
    return None


def _layout(text: str) -> tuple[str, int]:
    """The delimiter and the widest of the first records."""
    delimiter = sniff_delimiter(text)
    return delimiter, max((len(row) for row in _head_records(text, delimiter)), default=1)


def _csv_result(grid: pd.DataFrame, name: str, encoding: str, why: str, delimiter: str) -> ReadResult:
    # Plain UTF-8 is what every tool should write: only other encodings are worth a note.
    notes = [] if encoding == "utf-8" else [
        _note(name, f"the text was {why}", value=encoding, action="used this encoding", severity="info")]
    if delimiter != ",":
        notes.append(_note(
            name,
            f"the columns are separated by {DELIMITER_NAMES[delimiter]}",
            action="split the columns there",
            severity="info",
        ))
    body, header_row, rows, shape_notes = _shape(grid, name, csv_extras=True)
    notes += shape_notes + _decimal_comma_notes(body, name)
    return _result(body, "csv", encoding, delimiter, header_row, rows, None, (), notes)


def _parse_csv(source: bytes, delimiter: str, width: int) -> pd.DataFrame:
    """All records as raw text columns 0..n-1, widening when a later record has more fields."""
    for _ in range(4):
        try:
            return pd.read_csv(
                io.BytesIO(source), sep=delimiter, header=None, names=range(width), index_col=False, dtype=object,
                keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c", encoding="utf-8",
            )
        except pd.errors.ParserError as exc:
            if unclosed := re.search(r"EOF inside string starting at row (\d+)", str(exc)):
                row = int(unclosed.group(1)) + 1
                raise IngestError(f"a quote mark opened in row {row} is never closed; fix that row or {RESAVE}") from exc
            seen = re.search(r"saw (\d+)", str(exc))
            if not seen:
                raise
            width = max(width + 1, int(seen.group(1)))
    reader = csv.reader(io.StringIO(source.decode("utf-8"), newline=""), delimiter=delimiter)
    return _parse_csv(source, delimiter, max(len(row) for row in reader))


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


def _shape(grid: pd.DataFrame, name: str, detect: bool = True, totals: bool = True,
           csv_extras: bool = False) -> tuple[pd.DataFrame, int, np.ndarray, list[Problem]]:
    """Header found, columns named, blank rows and a totals row left out: (frame, header row, file rows, notes)."""
    head = [python_cells(row) for row in grid.head(HEADER_SCAN).to_numpy(dtype=object).tolist()]
    top = _find_header(head) if detect else 0
    notes = _title_notes(head[:top], top + 1, name)
    body, rows, body_notes = _shape_body(grid.iloc[top + 1 :].reset_index(drop=True), python_cells(grid.iloc[top]),
                                         top, name, totals, csv_extras)
    return body, top + 1, rows, notes + body_notes


def _shape_body(body: pd.DataFrame, header: list[str | None], top: int, name: str, totals: bool = True,
                csv_extras: bool = False) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    """The rows under the header (row ``top`` + 1 of the file) named and cleaned: (frame, file rows, notes)."""
    rows = np.arange(top + 2, top + 2 + len(body))
    body, extra_notes = _unnamed_columns(body, header, rows, name, csv_extras)
    body.columns, header_notes = _clean_headers([header[i] for i in body.columns], top + 1, name)
    body, rows, blank_notes = _drop_blank_rows(body, rows, name)
    if totals:
        body, rows, total_notes = _drop_totals(body, rows, name)
        blank_notes += total_notes
    notes = extra_notes + header_notes + blank_notes
    if body.empty:
        notes.append(_note(
            name,
            "the file has a header but no data rows",
            row=top + 1,
            action="loaded the columns with no rows",
        ))
    return body.reset_index(drop=True), rows, notes


def _find_header(head: list[list[str | None]]) -> int:
    """Index of the header: the first wide row of distinct, mostly non-numeric text followed by rows as wide."""
    counts = [sum(cell is not None for cell in row) for row in head]
    widest = max(counts, default=0)
    if widest == 0:
        raise IngestError("the file has no values in its first rows; check the export and upload again")
    wide = [i for i, count in enumerate(counts) if count >= math.ceil(0.75 * widest)]
    for i in wide:
        if _looks_like_header(head[i]) and _followed_by_rows(head, i):
            return i
    return wide[0]


def _looks_like_header(row: list[str | None]) -> bool:
    cells = [cell for cell in row if cell is not None]
    words = [cell for cell in cells if not NUMBER_OR_DATE.match(cell)]
    return len(words) >= 0.6 * len(cells) and len({cell.lower() for cell in cells}) >= 0.6 * len(cells)


def _followed_by_rows(head: list[list[str | None]], i: int) -> bool:
    def span(row: list[str | None]) -> int:
        return max((j + 1 for j, cell in enumerate(row) if cell is not None), default=0)

    following = [row for row in head[i + 1 :] if span(row)]
    return not following or span(following[0]) >= math.ceil(0.5 * span(head[i]))


def _title_notes(above: list[list[str | None]], header_row: int, name: str) -> list[Problem]:
    if not above:
        return []
    lines = [" ".join(cell for cell in row if cell is not None) for row in above]
    text = " | ".join(line for line in lines if line)
    message = f"skipped {len(above)} line(s) above the header (row {header_row})"
    return [_note(
        name,
        message,
        row=1,
        value=clip_value(text) or "(blank)",
        action="read the header from row " + str(header_row),
        severity="info",
    )]


def _unnamed_columns(body: pd.DataFrame, header: list[str | None], rows: np.ndarray, name: str,
                     csv_extras: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Drop empty columns without a header; in CSV, values beyond the header in a few rows are too-many-fields."""
    span = max((j + 1 for j, cell in enumerate(header) if cell is not None), default=0)
    empty = [j for j in body.columns if header[j] is None and not has_values(body[j])]
    notes = [_note(
        name,
        f"left out {len(empty)} empty column(s) without a header",
        action="left them out",
        severity="info",
    )] if empty else []
    body = body.drop(columns=empty)
    beyond = [j for j in body.columns if j >= span]
    if not csv_extras or not beyond:
        return body, notes
    long_rows = np.flatnonzero(~_blank_rows(body[beyond]))
    if len(long_rows) > max(3, 0.01 * len(body)):
        return body, notes
    for position in long_rows[:MAX_ROW_NOTES]:
        cells = python_cells(body.iloc[position])
        values = [v for v in cells[span:] if v is not None]
        count = max(j + 1 for j, v in enumerate(cells) if v is not None)
        message = f"the row has {count} values but the header has {span} columns"
        notes.append(_note(
            name,
            message,
            row=int(rows[position]),
            value=clip_value(" | ".join(values)),
            action="kept the row; left out the extra values",
        ))
    if len(long_rows) > MAX_ROW_NOTES:
        notes.append(_note(
            name,
            f"{len(long_rows) - MAX_ROW_NOTES} more rows have more values than the header",
            action="kept the rows; left out the extra values",
        ))
    return body.drop(columns=beyond), notes


def _clean_headers(raw: list[str | None], header_row: int, name: str) -> tuple[list[str], list[Problem]]:
    """Headers trimmed and collapsed; blanks named column_<n>; duplicates (ignoring case) numbered "Name (2)"."""
    names, notes, seen = [], [], set()
    trimmed = sum(1 for h in raw if h is not None and h != " ".join(h.split()))
    if trimmed:
        notes.append(_note(
            name,
            f"{trimmed} header(s) had extra spaces",
            row=header_row,
            action="trimmed them",
            severity="info",
        ))
    for position, header in enumerate(raw, start=1):
        base = " ".join(str(header).split()) if header is not None else ""
        if not base:
            base = f"column_{position}"
            notes.append(_note(
                name,
                "the column has no header",
                column=base,
                row=header_row,
                action=f'named it "{base}"',
            ))
        candidate, n = base, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{base} ({n})"
        if candidate != base:
            notes.append(_note(
                name,
                f'the header "{base}" appears more than once (ignoring case)',
                column=candidate,
                row=header_row,
                value=base,
                action=f'renamed it "{candidate}"',
            ))
        seen.add(candidate.lower())
        names.append(candidate)
    return names, notes


def has_values(col: pd.Series, head: int = 1000) -> bool:
    """Whether a column holds any value. Most do within their first rows, so the whole column is rarely scanned
    (a full null check of 5 million text cells is 0.2-0.3 s, and several ran per file)."""
    return bool(col.iloc[:head].notna().any()) or bool(col.iloc[head:].notna().any())


def _blank_rows(body: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column. Each column is checked only on the rows still blank after the ones
    before it, usually few, so the cost is about one column's null check rather than one per column."""
    blank = np.ones(len(body), bool)
    for j in range(body.shape[1]):
        still = np.flatnonzero(blank)
        if not len(still):
            break
        col = body.iloc[:, j]
        # Arrow-backed text knows its blanks (a bitmap); an object column is checked on the rows left only.
        blank[still] = col.isna().to_numpy()[still] if is_arrow_text(col) else pd.isna(col.to_numpy(dtype=object)[still])
    return blank


def _drop_blank_rows(body: pd.DataFrame, rows: np.ndarray, name: str) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    blank = _blank_rows(body)
    if not blank.any():
        return body, rows, []
    filled = np.flatnonzero(~blank)
    inner = int(blank[: filled[-1] + 1].sum()) if len(filled) else 0
    notes = [_note(
        name,
        f"{inner} blank row(s) inside the data",
        row=int(rows[np.flatnonzero(blank)[0]]),
        action="skipped them",
        severity="info",
    )] if inner else []
    return body[~blank], rows[~blank], notes


def _drop_totals(body: pd.DataFrame, rows: np.ndarray, name: str) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    """Leave out up to two last rows that are labelled as totals or hold the sums of the rows above."""
    notes = []
    for _ in range(2):
        if len(body) < 2 or not _is_totals(body):
            break
        values = [f"{column}={value}" for column, value in zip(body.columns, python_cells(body.iloc[-1]))
                  if value is not None]
        notes.append(_note(
            name,
            "the last row is a totals row",
            row=int(rows[-1]),
            value=clip_value(", ".join(values)),
            action="left it out so it is not counted twice",
        ))
        body, rows = body.iloc[:-1], rows[:-1]
    return body, rows, notes


def _is_totals(body: pd.DataFrame) -> bool:
    cells = [(column, value) for column, value in zip(body.columns, python_cells(body.iloc[-1])) if value is not None]
    if not cells:
        return False
    if " ".join(cells[0][1].lower().rstrip(":： ").split()) in TOTAL_LABELS:
        return True
    numbers = {column: _number(value) for column, value in cells}
    if len(body) < 3 or any(n is None for n in numbers.values()) or not any(numbers.values()):
        return False
    for column, number in numbers.items():
        above = body[column].iloc[:-1].dropna()
        values = pd.to_numeric(above, errors="coerce")
        if values.isna().any():
            values = pd.to_numeric(above.map(_number), errors="coerce")
        if values.isna().any() or not math.isclose(float(values.sum()), number, rel_tol=1e-9, abs_tol=0.005):
            return False
    return True


def _number(text: str) -> float | None:
    """A plain number from text for the totals check only ("1,234.50", "1.234,50", "12%"); None if not one."""
    cleaned = re.sub(r"[\s$€£¥₹%]", "", text)
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decimal_comma_notes(body: pd.DataFrame, name: str) -> list[Problem]:
    notes = []
    for column in body.columns:
        sample = [v for v in python_cells(body[column].head(200)) if v is not None]
        hits = [v for v in sample if DECIMAL_COMMA.match(v)]
        if hits and len(hits) >= 0.5 * len(sample):
            notes.append(_note(
                name,
                "numbers use a decimal comma",
                column=column,
                value=hits[0],
                action="kept as text; the comma is the decimal point when read as a number",
                severity="info",
            ))
    return notes


def _note(file: str, message: str, column: str | None = None, row: int | None = None, value: str | None = None,
          action: str = "", severity: str = "warning") -> Problem:
    return Problem(message, column=column, row=row, value=value, action=action, severity=severity, file=file)
