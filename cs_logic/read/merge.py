"""The checks of a file typed in batches merged into what one whole-file read reports: one line per column and kind
of problem with its first example rows and the total count, blank rows counted once, repeated ids across batches."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from cs_logic.core import schema
from cs_logic.core.problems import Problem
from cs_logic.read.stream import BLANK_ROWS
from cs_logic.read.validate import MAX_PER_COLUMN, Prepared, _duplicates

_MORE = re.compile(r"^and (\d+) more in this column \((.*)\)$", re.DOTALL)
_BLANK = re.compile("^" + re.escape(BLANK_ROWS).replace(re.escape("{n}"), r"(\d+)") + "$")
_ENTIRELY_BLANK = "the column is entirely blank"
_REPEATED = "(seen on an earlier row)"
_COUNTED_NOTE = re.compile(r"\d+ of \d+ (rows|ratings)")


def merge_prepared(parts: list[Prepared], file: str) -> Prepared:
    """Batches' Prepared (frames left aside) as one: problems merged (:func:`merge_problems`), notes counted once,
    rows summed. Repeated ids are left to :func:`repeated_ids` on the whole table (a batch sees only its own).

    >>> a = Prepared(pd.DataFrame(), (Problem("not a date", "Date", 2, "x"),), (), 1, {})
    >>> b = Prepared(pd.DataFrame(), (Problem("not a date", "Date", 9, "y"),), (), 1, {})
    >>> [p.row for p in merge_prepared([a, b], "f.csv").problems]
    [2, 9]
    """
    first = parts[0]
    problems = merge_problems([p.problems for p in parts], drop_repeats=len(parts) > 1)
    return Prepared(first.frame, tuple(replace(p, file=file) for p in problems), merge_notes([p.notes for p in parts]),
                    sum(p.rows for p in parts), first.mapping,
                    tuple(sorted({v for p in parts for v in p.churn_values})))


def merge_problems(batches: list[tuple[Problem, ...]], drop_repeats: bool = True) -> list[Problem]:
    """Each batch's problems as one list: per column and kind, the first MAX_PER_COLUMN rows and one "and N more"
    line for the rest; the blank-rows notes as one; "entirely blank" only for a column blank in every batch."""
    cells: dict[tuple[object, ...], list[Problem]] = {}
    extra: dict[tuple[object, ...], int] = {}
    order: list[tuple[object, ...]] = []
    blank_rows: list[Problem] = []
    blank_columns: dict[tuple[object, ...], int] = {}
    others: dict[tuple[object, ...], Problem] = {}

    def place(key: tuple[object, ...]) -> None:
        if key not in cells and key not in extra and key not in blank_columns and key not in others:
            order.append(key)

    for problems in batches:
        for p in problems:
            more = _MORE.match(p.message)
            message = more.group(2) if more else p.message
            if drop_repeats and message.endswith(_REPEATED):
                continue
            key: tuple[object, ...]
            if _BLANK.match(p.message):
                if not blank_rows:
                    order.append(("blank rows",))
                blank_rows.append(p)
            elif p.message == _ENTIRELY_BLANK:
                key = ("entirely blank", p.column, p.severity)
                place(key)
                blank_columns[key] = blank_columns.get(key, 0) + 1
            elif more:
                key = ("cells", p.column, message, p.action, p.severity)
                place(key)
                extra[key] = extra.get(key, 0) + int(more.group(1))
            elif p.row is not None and p.value is not None:
                key = ("cells", p.column, message, p.action, p.severity)
                place(key)
                cells.setdefault(key, []).append(p)
            else:
                key = ("other", p.message, p.column, p.row, p.value, p.action, p.severity)
                place(key)
                others.setdefault(key, p)
    out: list[Problem] = []
    for key in order:
        if key == ("blank rows",):
            count = sum(_blank_count(p.message) for p in blank_rows)
            out.append(replace(blank_rows[0], message=BLANK_ROWS.format(n=count)))
        elif key[0] == "entirely blank":
            if blank_columns[key] == len(batches):
                out.append(Problem(_ENTIRELY_BLANK, str(key[1]), action="kept the column", severity=str(key[2])))
        elif key[0] == "cells":
            hits = cells.get(key, [])
            total = len(hits) + extra.get(key, 0)
            out += hits[:MAX_PER_COLUMN]
            if total > MAX_PER_COLUMN:
                out.append(Problem(f"and {total - MAX_PER_COLUMN} more in this column ({key[2]})", str(key[1]), None,
                                   None, str(key[3]), str(key[4])))
        else:
            out.append(others[key])
    return out


def _blank_count(message: str) -> int:
    found = _BLANK.match(message)
    return int(found.group(1)) if found else 0


def merge_notes(batches: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The parsers' notes of each batch once; a note counting rows ("3 of 10 rows ...") with its counts summed."""
    merged: dict[str, list[str]] = {}
    for notes in batches:
        for n in notes:
            key = re.sub(r"\d+", "#", n) if _COUNTED_NOTE.search(n) else n
            merged.setdefault(key, []).append(n)
    out = []
    for key, found in merged.items():
        if key == found[0] or len(found) == 1:
            out.append(found[0])
            continue
        sums = [sum(int(x) for x in column) for column in zip(*(re.findall(r"\d+", n) for n in found))]
        pieces = key.split("#")
        out.append("".join(p + (str(s) if i < len(sums) else "") for i, (p, s) in
                           enumerate(zip(pieces, [*sums, 0][:len(pieces)]))))
    return tuple(out)


def repeated_ids(frame: pd.DataFrame, table: str, mapping: dict[str, str], rows: np.ndarray) -> list[Problem]:
    """Ids repeated anywhere in a table typed in batches (each batch checked only its own), as a whole-file read
    reports them; ``rows`` are the file rows of the frame's rows."""
    t = schema.table(table)
    if t.key is None or t.key not in mapping or t.key not in frame.columns:
        return []
    return _duplicates(frame, t, mapping, {mapping[t.key]: frame[t.key]}, rows)
