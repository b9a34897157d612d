"""Safe reading of workbooks (XLSX, XLS, ODS) and Parquet into a grid of text cells."""

from __future__ import annotations

import datetime as dt
import decimal
import html
import io
import math
import re
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import python_calamine
from python_calamine import CalamineWorkbook

from cs_logic.read.arrowtext import parquet_text_frame

# Limits for zip-based workbooks (XLSX, ODS). Real workbooks compress 6-8x (the bank churn XLSX:
# 0.85 MB on disk), so these leave a wide margin for honest files and stop a zip bomb before parsing.
MAX_MEMBERS = 10_000  # a workbook has a few dozen parts; thousands means something odd
MAX_TOTAL_BYTES = 1024**3  # 1 GB of XML never fits a per-session memory budget
MAX_TOTAL_RATIO = 20  # whole archive: uncompressed / compressed...
RATIO_FLOOR_BYTES = 10 * 1024**2  # ...checked only above 10 MB uncompressed (small files may compress well)
MAX_MEMBER_RATIO = 100  # one part expanding more than 100x is a bomb...
MEMBER_FLOOR_BYTES = 1024**2  # ...when it expands to more than 1 MB
CHUNK = 1024**2
DANGEROUS_XML = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"))
RESAVE = "open it in Excel or LibreOffice, save it as XLSX or CSV UTF-8 and upload again"
# Parquet compresses 10-20x, so the upload's byte limit says little: its own metadata gives rows and size before
# any reading. Each cell becomes a Python text value (about 60 bytes) and then a typed one, so 20 million rows
# or 100 million cells is about what a session's few GB can hold, with room for DuckDB.
MAX_PARQUET_ROWS = 20_000_000
MAX_PARQUET_CELLS = 100_000_000
MAX_PARQUET_EXPANDED_BYTES = 1536 * 1024**2  # data pages uncompressed


class IngestError(Exception):
    """The file cannot be loaded; ``str(e)`` is a one-line reason for the manager."""


def check_zip(
    data: bytes,
    max_members: int = MAX_MEMBERS,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_total_ratio: float = MAX_TOTAL_RATIO,
    max_member_ratio: float = MAX_MEMBER_RATIO,
) -> None:
    """Refuse a zip-based workbook that is damaged, a zip bomb or carries XML entity declarations.

    Checks, before any spreadsheet parser sees the bytes: the member count, the declared total size
    (absolute, and relative to the file above 10 MB), each member's expansion ratio (above 1 MB), then
    decompresses every member in 1 MB chunks to confirm the real sizes and to look for ``<!DOCTYPE`` or
    ``<!ENTITY`` (billion laughs).

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("xl/workbook.xml", "<workbook/>")
    >>> check_zip(buf.getvalue()) is None
    True
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_declared_sizes(infos, len(data), max_members, max_total_bytes, max_total_ratio, max_member_ratio)
            for info in infos:
                _scan_member(archive, info)
    except IngestError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise IngestError(f"the workbook is damaged and cannot be opened ({_short(exc)}); {RESAVE}") from exc


def _check_declared_sizes(
    infos: list[zipfile.ZipInfo], size: int, max_members: int, max_total: int, max_ratio: float, max_member_ratio: float
) -> None:
    if len(infos) > max_members:
        raise IngestError(f"the workbook has {len(infos):,} parts (the limit is {max_members:,}); {RESAVE}")
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise IngestError(
            f"the workbook expands to {total / 1024**2:,.0f} MB (the limit is {max_total / 1024**2:,.0f} MB); "
            "split it or save it as CSV and upload again"
        )
    if total > RATIO_FLOOR_BYTES and total > max_ratio * max(size, 1):
        raise IngestError(
            f"the workbook expands {total / max(size, 1):,.0f} times its size (real workbooks expand under "
            f"{max_ratio:.0f} times), so it was refused as a possible zip bomb; {RESAVE}"
        )
    for info in infos:
        if info.file_size > MEMBER_FLOOR_BYTES and info.file_size > max_member_ratio * max(info.compress_size, 1):
            raise IngestError(
                f"the part {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f} times, "
                f"so the workbook was refused as a possible zip bomb; {RESAVE}"
            )


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Decompress one member, stopping when it outgrows its declared size or declares XML entities."""
    is_xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
    seen, tail = 0, b""
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            seen += len(chunk)
            if seen > info.file_size:
                raise IngestError(f"the part {info.filename!r} is larger than the workbook declares; {RESAVE}")
            if is_xml and any(marker in tail + chunk for marker in DANGEROUS_XML):
                raise IngestError(
                    "the workbook contains XML entity declarations (<!DOCTYPE>/<!ENTITY>), which Excel never "
                    f"writes; it was refused for safety; {RESAVE}"
                )
            tail = chunk[-20:]


def list_sheets(data: bytes) -> tuple[str, ...]:
    """The names of every sheet in a workbook, in workbook order.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> with pd.ExcelWriter(buf, engine="xlsxwriter") as w:
    ...     pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="Jan", index=False)
    >>> list_sheets(buf.getvalue())
    ('Jan',)
    """
    try:
        return tuple(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for every damaged layout
        raise IngestError(f"the workbook cannot be opened ({_short(exc)}); {RESAVE}") from exc


def read_sheet_grid(data: bytes, sheet: str) -> pd.DataFrame:
    """One sheet as a grid of text (None for blank), row 0 being the sheet's row 1 and column 0 column A."""
    try:
        raw = pd.read_excel(
            io.BytesIO(data), sheet_name=sheet, header=None, engine="calamine", keep_default_na=False, na_filter=False
        )
    except Exception as exc:  # any parser failure on a bad workbook must reach the manager as one line
        raise IngestError(f"the sheet {sheet!r} cannot be read ({_short(exc)}); {RESAVE}") from exc
    return _fill_merged(text_frame(raw), data, sheet)


# A formula cell with no saved result: <c r="D2"><f>B2*C2</f></c> or an empty <v/>. Excel always saves the result;
# files written by scripts (openpyxl, some exporters) often do not, and every reader then sees a blank.
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+\d+)"[^>]*>\s*<f\b[^>]*?(?:/>|>(.*?)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>',
                           re.DOTALL)


def uncalculated_formulas(data: bytes, sheet: str, limit: int = 1000) -> tuple[int, list[tuple[str, str]]]:
    """Formula cells of an XLSX sheet that hold no calculated value: (how many, the first ``limit`` as (cell,
    formula)). Blank for every reader, so the manager must hear of them. (0, []) for other workbooks.

    The sheet's part is found through the workbook's relationships; the zip was checked before (check_zip).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return 0, []
            part = _sheet_part(archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels")
                               if "xl/_rels/workbook.xml.rels" in names else b"", sheet)
            if part is None or part not in names:
                return 0, []
            xml = archive.read(part)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError):
        return 0, []
    found = [(m.group(1).decode("ascii"), html.unescape((m.group(2) or b"").decode("utf-8", "replace")))
             for m in _FORMULA_CELL.finditer(xml)]
    return len(found), found[:limit]


def _sheet_part(workbook: bytes, rels: bytes, sheet: str) -> str | None:
    """The zip member of the sheet named ``sheet`` (xl/worksheets/sheet1.xml), from workbook.xml and its rels."""
    rid = None
    for tag in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = {k.split(b":")[-1]: v for k, v in re.findall(rb'([\w:]+)="([^"]*)"', tag.group(0))}
        if html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace")) == sheet:
            rid = next((v for k, v in re.findall(rb'([\w:]+)="([^"]*)"', tag.group(0)) if k.endswith(b":id")), None)
            break
    if rid is None:
        return None
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(rb'(\w+)="([^"]*)"', rel.group(0)))
        if attrs.get(b"Id") == rid:
            target = str(attrs.get(b"Target", b"").decode("utf-8", "replace"))
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _fill_merged(grid: pd.DataFrame, data: bytes, sheet: str) -> pd.DataFrame:
    """Give every cell of a merged range the range's value, as a person reading the sheet sees it.

    pandas returns a merged range's value in its top-left cell only and blanks elsewhere.
    """
    try:
        ranges = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).merged_cell_ranges
    except Exception:  # noqa: BLE001 - old .xls/.ods may not list merges: keep the grid as read
        return grid
    for (r0, c0), (r1, c1) in ranges or []:
        if r0 < len(grid) and c0 < grid.shape[1]:
            value = grid.iat[r0, c0]
            grid.iloc[r0:min(r1, len(grid) - 1) + 1, c0:min(c1, grid.shape[1] - 1) + 1] = value
    return grid


def check_parquet_size(data: bytes, max_rows: int | None = None, max_cells: int | None = None,
                       max_expanded: int | None = None) -> None:
    """Refuse a Parquet file whose metadata says it holds more rows, cells or uncompressed bytes than a session can.

    The limits default to ``MAX_PARQUET_ROWS``, ``MAX_PARQUET_CELLS`` and ``MAX_PARQUET_EXPANDED_BYTES``.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> pd.DataFrame({"a": range(5)}).to_parquet(buf)
    >>> check_parquet_size(buf.getvalue(), max_rows=4)
    Traceback (most recent call last):
    ...
    cs_logic.read.spreadsheet.IngestError: the Parquet file holds 5 rows x 1 columns (0.0 MB once expanded), over the limit of 4 rows, 100,000,000 cells or 1,536 MB; split it or leave out rows or columns and upload again
    """
    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:  # pyarrow raises many types for damaged or unsupported files
        raise IngestError(f"the Parquet file cannot be read ({_short(exc)}); save it as CSV UTF-8 and upload again") from exc
    max_rows = MAX_PARQUET_ROWS if max_rows is None else max_rows
    max_cells = MAX_PARQUET_CELLS if max_cells is None else max_cells
    max_expanded = MAX_PARQUET_EXPANDED_BYTES if max_expanded is None else max_expanded
    rows, columns = meta.num_rows, meta.num_columns
    expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if rows > max_rows or rows * columns > max_cells or expanded > max_expanded:
        raise IngestError(
            f"the Parquet file holds {rows:,} rows x {columns:,} columns ({expanded / 1024**2:,.1f} MB once expanded), "
            f"over the limit of {max_rows:,} rows, {max_cells:,} cells or {max_expanded / 1024**2:,.0f} MB; "
            "split it or leave out rows or columns and upload again"
        )


def read_parquet_frame(data: bytes) -> pd.DataFrame:
    """A Parquet file as a frame of text with its own column names (as text); too big a file is refused first.

    The text is Arrow-backed where the column's type allows (see cs_logic.read.arrowtext.parquet_text_frame).
    """
    check_parquet_size(data)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises many types for damaged or unsupported files
        raise IngestError(f"the Parquet file cannot be read ({_short(exc)}); save it as CSV UTF-8 and upload again") from exc
    return parquet_text_frame(table, cell_text)


def text_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Every cell converted with :func:`cell_text`; columns become 0..n-1."""
    columns = {i: pd.Series([cell_text(v) for v in raw.iloc[:, i].tolist()], dtype=object) for i in range(raw.shape[1])}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))


def cell_text(value: object) -> str | None:
    """A cell as a person reads it: dates as ISO text, whole numbers without ".0", blanks as None.

    Examples
    --------
    >>> [cell_text(v) for v in (123.0, 0.1 + 0.2, True, dt.datetime(2021, 1, 1), dt.timedelta(hours=26), " ")]
    ['123', '0.3', 'TRUE', '2021-01-01', '26:00:00', None]
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value))
    if isinstance(value, (dt.datetime, np.datetime64)):
        return _datetime_text(pd.Timestamp(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, (dt.timedelta, np.timedelta64)):
        return _duration_text(pd.Timedelta(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, decimal.Decimal):
        value = format(value, "f")
    text = str(value).strip()
    return text or None


def _float_text(x: float) -> str | None:
    if math.isnan(x):
        return None
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".15g")


def _datetime_text(stamp: pd.Timestamp) -> str | None:
    if pd.isna(stamp):
        return None
    if stamp.hour == stamp.minute == stamp.second == stamp.microsecond == 0:
        return str(stamp.strftime("%Y-%m-%d"))
    return str(stamp.strftime("%Y-%m-%d %H:%M:%S"))


def _duration_text(delta: pd.Timedelta) -> str | None:
    if pd.isna(delta):
        return None
    seconds = round(delta.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _short(exc: BaseException) -> str:
    """An exception as a short single line for a message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"
