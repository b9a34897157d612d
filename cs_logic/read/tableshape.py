"""A read grid made a table: header found, columns named, blank rows and a totals row left out, with notes."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from cs_logic.core.problems import Problem, clip_value
from cs_logic.read.arrowtext import python_cells
from cs_logic.read.headerless import first_row_is_data, value_names
from cs_logic.read.parse import is_arrow_text
from cs_logic.read.spreadsheet import IngestError

HEADER_SCAN = 30
# The file row of each body row: a range while no row has been left out, else an array.
Rows = np.ndarray | range
MAX_ROW_NOTES = 20
NUMBER_OR_DATE = re.compile(r"^[-+(]?[$€£¥₹]?\s*\d[\d\s.,'’/:-]*%?\)?$")
DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+,\d+|\d+,(\d{1,2}|\d{4,}))$")
TOTAL_LABELS = frozenset(
    "total|totals|grand total|total general|total geral|totales|totaux|total général|sum|summe|gesamt|gesamtsumme|"
    "insgesamt|totale|totale generale|totaal|totalt|summa|suma|razem|yhteensä|toplam|genel toplam|итого|всего|итог|"
    "جمع|مجموع|المجموع|الإجمالي|الاجمالي|جمع کل|جمع كل|مجموع کل|合计|合計|总计|總計|합계|총계|tổng cộng|jumlah|कुल".split("|")
)


# (name, kind, why) of each column of a file with no header row (cs_logic.read.headerless.value_names).
Named = tuple[tuple[str, str, str], ...]


def shape(grid: pd.DataFrame, name: str,
          csv_extras: bool = False) -> tuple[pd.DataFrame, int, Rows, list[Problem], Named]:
    """Header found, columns named, blank rows and a totals row left out: (frame, header row, file rows, notes,
    the columns named by their values). With no header row (the first row is data like the rows below, see
    cs_logic.read.headerless) the header row is 0 and every column is named by its values."""
    head = [_text_cells(row) for row in grid.head(HEADER_SCAN).to_numpy(dtype=object).tolist()]
    top = _find_header(head)
    if top == 0 and not _looks_like_header(head[0]) and first_row_is_data(head):
        return _headerless(grid, name, csv_extras)
    notes = _title_notes(head[:top], top + 1, name)
    skip = _header_metadata_rows(head, top)
    if skip:
        notes.append(note(name, f"skipped {skip} row(s) under the header that describe the columns (question text, "
                          "import ids), not answers", row=top + 2, value=clip_value(" | ".join(
                              c for c in head[top + 1] if c is not None)), action="read the data from row "
                          f"{top + 2 + skip}", severity="info"))
    body, rows, body_notes = shape_body(grid.iloc[top + 1 + skip :].reset_index(drop=True),
                                         _text_cells(grid.iloc[top]), top, name, csv_extras=csv_extras)
    if skip:
        rows = range(rows.start + skip, rows.stop + skip) if isinstance(rows, range) else np.asarray(rows) + skip
    return body, top + 1, rows, notes + body_notes, ()


def _headerless(grid: pd.DataFrame, name: str, csv_extras: bool) -> tuple[pd.DataFrame, int, Rows, list[Problem],
                                                                        Named]:
    """:func:`shape` for a grid whose first row is data: every row kept, columns named by their values."""
    found = value_names(grid)
    body, rows, notes = shape_body(grid.reset_index(drop=True), [n for n, _, _ in found], -1, name,
                                   csv_extras=csv_extras)
    named = tuple((n, kind, why) for n, kind, why in found if n is not None)
    first = [c for c in _text_cells(grid.iloc[0]) if c is not None]
    notes.insert(0, note(
        name,
        "no header row found: the first row holds values like the rows below, not column names",
        row=1,
        value=clip_value(" | ".join(first)),
        action="read it as data and named the columns by their values (" + ", ".join(n for n, _, _ in named)
               + "); map them to fields on the Data page",
        severity="info",
    ))
    return body, 0, rows, notes, named


METADATA_ROWS = 2  # rows under a header that may describe its columns before the data starts
JSON_CELL = re.compile(r"^\s*\{.*\}\s*$", re.DOTALL)


def _header_metadata_rows(head: list[list[str | None]], top: int) -> int:
    """How many rows under the header describe the columns rather than hold data: a survey tool's row of JSON
    column descriptors (Qualtrics' {"ImportId": ...}) within METADATA_ROWS of the header, and the question-text
    row between them. 0 when there is none.

    >>> _header_metadata_rows([["Q1", "Q2"], ["How likely...?", "Why?"], ['{"ImportId":"QID1"}', '{"ImportId":"QID2"}'],
    ...                        ["9", "good"]], 0)
    2
    """
    for k in range(1, METADATA_ROWS + 1):
        if top + k >= len(head):
            break
        cells = [c for c in head[top + k] if c is not None]
        if cells and sum(bool(JSON_CELL.match(c)) for c in cells) >= 0.8 * len(cells):
            return k
    return 0


def shape_body(body: pd.DataFrame, header: list[str | None], top: int, name: str, totals: bool = True,
                csv_extras: bool = False) -> tuple[pd.DataFrame, Rows, list[Problem]]:
    """The rows under the header (row ``top`` + 1 of the file) named and cleaned: (frame, file rows, notes)."""
    rows: Rows = range(top + 2, top + 2 + len(body))  # an array only once a row is left out (5M rows: 40 MB)
    body, extra_notes = _unnamed_columns(body, header, rows, name, csv_extras)
    body.columns, header_notes = _clean_headers([header[i] for i in body.columns], top + 1, name)
    footer_notes: list[Problem] = []
    if totals:
        body, rows, footer_notes = _drop_footer(body, rows, name)
    body, rows, blank_notes = _drop_blank_rows(body, rows, name)
    blank_notes = footer_notes + blank_notes
    if totals:
        body, rows, total_notes = _drop_totals(body, rows, name)
        blank_notes += total_notes
    notes = extra_notes + header_notes + blank_notes
    if body.empty:
        notes.append(note(
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
    # A header with a blank cell or two (an export's unnamed column) is still the header when it spans the table:
    # without this, "account_id,,revenue" lost to the first data row, which became the header and was lost.
    spans = [max((j + 1 for j, cell in enumerate(row) if cell is not None), default=0) for row in head]
    gapped = [i for i, count in enumerate(counts)
              if count >= max(2, math.ceil(0.5 * widest)) and spans[i] >= widest and i not in wide]
    for i in sorted(wide + gapped):
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
    return [note(
        name,
        message,
        row=1,
        value=clip_value(text) or "(blank)",
        action="read the header from row " + str(header_row),
        severity="info",
    )]


def _unnamed_columns(body: pd.DataFrame, header: list[str | None], rows: Rows, name: str,
                     csv_extras: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Drop empty columns without a header; in CSV, values beyond the header in a few rows are too-many-fields."""
    span = max((j + 1 for j, cell in enumerate(header) if cell is not None), default=0)
    empty = [j for j in body.columns if header[j] is None and not has_values(body[j])]
    notes = [note(
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
        cells = _text_cells(body.iloc[position])
        values = [v for v in cells[span:] if v is not None]
        count = max(j + 1 for j, v in enumerate(cells) if v is not None)
        message = f"the row has {count} values but the header has {span} columns"
        notes.append(note(
            name,
            message,
            row=int(rows[position]),
            value=clip_value(" | ".join(values)),
            action="kept the row; left out the extra values",
        ))
    if len(long_rows) > MAX_ROW_NOTES:
        notes.append(note(
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
        notes.append(note(
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
            notes.append(note(
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
            notes.append(note(
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
    """Rows with no value in any column. Each column after the first is checked only on the rows still blank
    after the ones before it, usually few, so the cost is about one column's null check rather than one per column."""
    if body.shape[1] == 0:
        return np.ones(len(body), bool)
    blank = np.array(_nulls(body.iloc[:, 0]), dtype=bool)  # a copy: pandas hands out read-only arrays
    for j in range(1, body.shape[1]):
        still = np.flatnonzero(blank)
        if not len(still):
            break
        blank[still] = _nulls(body.iloc[:, j], still)
    return blank


def _nulls(col: pd.Series, rows: np.ndarray | None = None) -> np.ndarray:
    """Whether each value (of ``rows`` only, when given) is blank: Arrow-backed text knows its blanks (a bitmap);
    an object column is checked on those rows only."""
    if is_arrow_text(col):
        isna = col.isna().to_numpy()
        return np.asarray(isna if rows is None else isna[rows], dtype=bool)
    values = col.to_numpy(dtype=object)
    return np.asarray(pd.isna(values if rows is None else values[rows]), dtype=bool)


def _drop_blank_rows(body: pd.DataFrame, rows: Rows, name: str) -> tuple[pd.DataFrame, Rows, list[Problem]]:
    blank = _blank_rows(body)
    if not blank.any():
        return body, rows, []
    filled = np.flatnonzero(~blank)
    inner = int(blank[: filled[-1] + 1].sum()) if len(filled) else 0
    notes = [note(
        name,
        f"{inner} blank row(s) inside the data",
        row=int(rows[np.flatnonzero(blank)[0]]),
        action="skipped them",
        severity="info",
    )] if inner else []
    if not inner:  # blank lines at the end only (an export's last line break): a slice, not a copy of every column
        end = int(filled[-1]) + 1 if len(filled) else 0
        return body.iloc[:end], rows[:end], notes
    return body[~blank], np.asarray(rows)[~blank], notes


def _drop_totals(body: pd.DataFrame, rows: Rows, name: str) -> tuple[pd.DataFrame, Rows, list[Problem]]:
    """Leave out up to two last rows that are labelled as totals or hold the sums of the rows above."""
    notes = []
    for _ in range(2):
        if len(body) < 2 or not _is_totals(body):
            break
        values = [f"{column}={value}" for column, value in zip(body.columns, python_cells(body.iloc[-1]))
                  if value is not None]
        notes.append(note(
            name,
            "the last row is a totals row",
            row=int(rows[-1]),
            value=clip_value(", ".join(values)),
            action="left it out so it is not counted twice",
        ))
        body, rows = body.iloc[:-1], rows[:-1]
    return body, rows, notes



def _text_cells(values: pd.Series | list[object]) -> list[str | None]:
    """:func:`python_cells` of a grid's row or column: the readers hand over text or None, so other values are
    made text here rather than met by a string method."""
    return [v if v is None or isinstance(v, str) else str(v) for v in python_cells(values)]


# A footer is at most this many rows after the last blank row: an export's "Exported on", "Source:", "Page 1".
FOOTER_ROWS = 3


def _drop_footer(body: pd.DataFrame, rows: Rows, name: str) -> tuple[pd.DataFrame, Rows, list[Problem]]:
    """Leave out a short block after a blank row at the end whose rows are not records: each fills at most half the
    columns while the rows above fill more (an export footer such as "Exported 2025-10-01,"), or is labelled as a
    total. The rows above the blank row are kept whole."""
    tail = body.iloc[-(FOOTER_ROWS + 40):]
    blank = _blank_rows(tail)
    filled = np.flatnonzero(~blank)
    if len(filled) < 2:
        return body, rows, []
    last = int(filled[-1])
    gaps = np.flatnonzero(blank[:last])
    if not len(gaps):
        return body, rows, []
    start = int(gaps[-1]) + 1  # the block: rows start..last of the tail
    if last - start + 1 > FOOTER_ROWS or not (~blank[:start]).any():
        return body, rows, []
    width = body.shape[1]
    counts = [sum(v is not None for v in python_cells(tail.iloc[i])) for i in range(len(tail))]
    above = [counts[i] for i in range(start) if not blank[i]]
    block = list(range(start, last + 1))
    labelled = [_is_total_label(python_cells(tail.iloc[i])) for i in block]
    sparse = [2 * counts[i] <= width for i in block]
    if not all(s or lab for s, lab in zip(sparse, labelled)):
        return body, rows, []
    if not all(labelled) and np.median(above) <= max(counts[i] for i in block):
        return body, rows, []
    offset = len(body) - len(tail)
    notes = []
    for i in block:
        values = [f"{c}={v}" for c, v in zip(body.columns, python_cells(tail.iloc[i])) if v is not None]
        notes.append(note(
            name,
            "a line after the data, below a blank line, is not a record (an export footer or total)",
            row=int(rows[offset + i]),
            value=clip_value(", ".join(values)),
            action="left it out",
        ))
    keep = offset + start
    return body.iloc[:keep], rows[:keep], notes


def _is_total_label(cells: list[object]) -> bool:
    """Whether the row's first value says it is a total ("Total", "Grand total:", "Summe")."""
    first = next((v for v in cells if v is not None), None)
    return isinstance(first, str) and " ".join(first.lower().rstrip(":： ").split()) in TOTAL_LABELS


def _is_totals(body: pd.DataFrame) -> bool:
    cells = [(column, value) for column, value in zip(body.columns, _text_cells(body.iloc[-1])) if value is not None]
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
        if number is None or values.isna().any() or not math.isclose(float(values.sum()), number,
                                                                      rel_tol=1e-9, abs_tol=0.005):
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


def decimal_comma_notes(body: pd.DataFrame, name: str) -> list[Problem]:
    notes = []
    for column in body.columns:
        sample = [v for v in _text_cells(body[column].head(200)) if v is not None]
        hits = [v for v in sample if DECIMAL_COMMA.match(v)]
        if hits and len(hits) >= 0.5 * len(sample):
            notes.append(note(
                name,
                "numbers use a decimal comma",
                column=column,
                value=hits[0],
                action="kept as text; the comma is the decimal point when read as a number",
                severity="info",
            ))
    return notes


def note(file: str, message: str, column: str | None = None, row: int | None = None, value: str | None = None,
          action: str = "", severity: str = "warning") -> Problem:
    return Problem(message, column=column, row=row, value=value, action=action, severity=severity, file=file)
