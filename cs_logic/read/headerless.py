"""A file with no header row: told apart from one with a header, and its columns named by their values."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa

from cs_logic.read.arrowtext import python_cells
from cs_logic.read.dates import read_dates

SAMPLE_ROWS = 2000  # rows, spread over the file, whose values decide a column's name
REPEAT_ROWS = 200_000  # rows looked at to tell ids that repeat (a customer's) from ids unique per row
MOSTLY = 0.95  # share of a column's values that must be of one kind for it to be named after that kind
SAME_KIND = 0.8  # share of the rows below the first whose cells must be of the first row's cell's kind
MIN_ROWS_BELOW = 2
QUANTITY_MAX = 10_000  # a count of things in one row (CDs, units) stays below this
QUANTITY_DISTINCT = 100  # ... and takes few distinct values
MONEY_DECIMALS = 0.8  # share of the decimal values written with two decimals for a column to be an amount
UNIQUE_IDS = 0.9  # from this share of distinct values an id column names rows, not customers

_INT = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*[.,]\d+$")
_COMPACT_DATE = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_DATE_SHAPE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9_-]{2,40}$")  # an id written as a code: C001, cust_17, 8f3a-22


def cell_kind(value: str) -> str:
    """The kind of one cell's text: "date", "decimal", "int", "code" (letters and digits in one token, as an id
    is written) or "word".

    >>> [cell_kind(v) for v in ("19970101", "2024-01-31", "29.33", "00004", "C-01", "customer_id")]
    ['date', 'date', 'decimal', 'int', 'code', 'word']
    """
    text = value.strip()
    if _COMPACT_DATE.match(text) or _DATE_SHAPE.match(text):
        return "date"
    if _INT.match(text):
        return "int"
    if _DECIMAL.match(text):
        return "decimal"
    if _CODE.match(text) and re.search(r"[A-Za-z]", text):
        return "code"
    return "word"


def first_row_is_data(head: list[list[str | None]]) -> bool:
    """Whether the first row of a grid is data, not a header: every cell of it is a number, a date or an id code (no
    word), each of the kind that the cells below it mostly are (a whole number as wide as the ones below, a decimal
    over decimals, a date over dates, a code over codes), and at least one a number or a date. A header of years
    over amounts ("2023", "2024" over "5", "7") stays a header.

    >>> first_row_is_data([["00004", "19970101", "2", "29.33"], ["00004", "19970118", "2", "29.73"],
    ...                    ["00021", "19970101", "3", "63.34"]])
    True
    >>> first_row_is_data([["customer_id", "date"], ["00001", "19970101"], ["00002", "19970112"]])
    False
    >>> first_row_is_data([["2023", "2024"], ["5", "7"], ["6", "8"]])
    False
    """
    if not head:
        return False
    first, below = head[0], [row for row in head[1:] if any(cell is not None for cell in row)]
    cells = [(j, cell) for j, cell in enumerate(first) if cell is not None]
    if len(cells) < 2 or len(below) < MIN_ROWS_BELOW or all(cell_kind(c) == "code" for _, c in cells):
        return False
    for j, cell in cells:
        kind = cell_kind(cell)
        if kind == "word":
            return False
        under = [v for row in below if j < len(row) and (v := row[j]) is not None]
        same = [v for v in under if cell_kind(v) == kind]
        if len(same) < max(1, SAME_KIND * len(under)):
            return False
        if kind == "int" and not min(len(v) for v in same) <= len(cell.strip()) <= max(len(v) for v in same):
            return False
    return True


def value_names(grid: pd.DataFrame) -> list[tuple[str | None, str, str]]:
    """(name, kind, why) for each column of a grid with no header row, from its values: "date" (dates, YYYYMMDD
    too), "amount" (numbers with two decimals), "quantity" (small whole numbers that repeat), "customer id" (the
    first column of ids that repeat across rows), "id" (ids unique per row), else "column <n>". A second column of a
    kind is "<name> (column <n>)". An empty column gets no name (None), and is left out as any empty column is.

    >>> grid = pd.DataFrame({0: ["00004", "00004", "00021"], 1: ["0001", "0001", "0002"],
    ...                      2: ["19970101", "19970118", "19970101"], 3: ["2", "2", "3"], 4: ["29.33", "29.73", "63.34"]})
    >>> [name for name, _, _ in value_names(grid)]
    ['customer id', 'id (column 2)', 'date', 'quantity', 'amount']
    """
    rows = np.unique(np.linspace(0, max(len(grid) - 1, 0), min(len(grid), SAMPLE_ROWS)).astype(int))
    found = [_column_kind(grid.iloc[rows, j], grid.iloc[:REPEAT_ROWS, j]) for j in range(grid.shape[1])]
    ids = [j for j, (kind, _) in enumerate(found) if kind in ("customer id", "id")]
    out: list[tuple[str | None, str, str]] = []
    used: set[str] = set()
    for j, (kind, why) in enumerate(found):
        if kind == "empty":
            out.append((None, kind, why))
            continue
        name = kind if kind != "unsure" else f"column {j + 1}"
        if kind == "customer id" and j != next(i for i in ids if found[i][0] == "customer id"):
            # One customer id: the first column of repeating ids. The others are named by position, never a bare
            # "id", which would read as an order id and merge a customer's orders into one.
            name = f"id (column {j + 1})"
        if name in used:
            name = f"{name} (column {j + 1})"
        used.add(name)
        out.append((name, "id" if kind in ("customer id", "id") else kind, why))
    return _paired(grid, out)


def _column_kind(sample: pd.Series, head: pd.Series) -> tuple[str, str]:
    """(kind, why) of one column from a sample of its values; ``head`` (its first rows) tells repeats apart."""
    values = [str(v).strip() for v in python_cells(sample) if v is not None and str(v).strip()]
    if not values:
        return "empty", "no values"
    kinds = Counter(cell_kind(v) for v in values)
    kind, count = kinds.most_common(1)[0]
    example = values[0]
    if count < MOSTLY * len(values):
        return "unsure", f"values of mixed kinds ({example} ...)"
    if kind == "date":
        reading = read_dates(pa.array(values, pa.string()))
        if reading.bad.mean() <= 1 - MOSTLY:
            compact = all(_COMPACT_DATE.match(v) for v in values)
            return "date", f"dates ({example}{', written YYYYMMDD' if compact else ''})"
        return "unsure", f"numbers shaped like dates that are not all real dates ({example} ...)"
    if kind == "decimal":
        two = sum(len(re.split(r"[.,]", v)[-1]) == 2 for v in values if cell_kind(v) == "decimal")
        if two >= MONEY_DECIMALS * count:
            return "amount", f"numbers with two decimals ({example} ...)"
        return "unsure", f"numbers with decimals ({example} ...)"
    if kind == "int":
        return _int_kind(values, head)
    if kind == "code" or all(_CODE.match(v) for v in values):
        return _id_kind(head, f"codes ({example} ...)")
    return "unsure", f"text ({example} ...)"


def _int_kind(values: list[str], head: pd.Series) -> tuple[str, str]:
    """Whole numbers: an id when written with leading zeros or all as wide, a quantity when small and repeating."""
    widths = {len(v.lstrip("+-")) for v in values}
    padded = any(len(v) > 1 and v.startswith("0") for v in values)
    numbers = np.array([int(v) for v in values])
    if padded or (len(widths) == 1 and widths.pop() >= 4):
        return _id_kind(head, f"whole numbers {'with leading zeros' if padded else 'all as wide'} ({values[0]} ...)")
    if numbers.min() >= 0 and numbers.max() < QUANTITY_MAX and len(np.unique(numbers)) <= QUANTITY_DISTINCT:
        return "quantity", f"small whole numbers that repeat ({numbers.min()} to {numbers.max()})"
    return "unsure", f"whole numbers ({values[0]} ...)"


def _id_kind(head: pd.Series, what: str) -> tuple[str, str]:
    """"customer id" when the ids repeat across rows (one customer's several rows), else "id" (one per row)."""
    text = pd.Series(python_cells(head), dtype=object).dropna()
    share = text.nunique() / len(text) if len(text) else 1.0
    if share < UNIQUE_IDS:
        return "customer id", f"{what}, repeated across rows as one customer's are"
    return "id", f"{what}, one per row"


def _paired(grid: pd.DataFrame, named: list[tuple[str | None, str, str]]) -> list[tuple[str | None, str, str]]:
    """The names with the customer id's reason saying which other id columns pair with it one to one (two ids of
    the same customer, as a sample's own number beside the master number)."""
    ids = [j for j, (name, kind, _) in enumerate(named) if kind == "id"]
    main = next((j for j in ids if named[j][0] == "customer id"), None)
    if main is None:
        return named
    head = grid.iloc[:REPEAT_ROWS]
    pairs = []
    for j in (i for i in ids if i != main):
        both = pd.DataFrame({"a": python_cells(head.iloc[:, main]), "b": python_cells(head.iloc[:, j])}).dropna()
        if len(both) and both.groupby("a")["b"].nunique().max() == 1 and both.groupby("b")["a"].nunique().max() == 1:
            pairs.append(f'"{named[j][0]}"')
    if not pairs:
        return named
    name, kind, why = named[main]
    why += (f"; {' and '.join(pairs)} pair{'s' if len(pairs) == 1 else ''} with it one to one (another number for "
            "the same customer), so the first column is taken as the customer id")
    return [*named[:main], (name, kind, why), *named[main + 1:]]
