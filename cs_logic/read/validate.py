"""Type a recognised file's columns and report every problem in it at once, then check files against each other."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cs_logic.core import schema
from cs_logic.core.membership import text_isin
from cs_logic.core.problems import Problem, clip_value
from cs_logic.read.arrowtext import python_cells
from cs_logic.read.detect import looks_like_timestamps
from cs_logic.read.meanings import Decision, rating_values
from cs_logic.read.parse import infer_kind, is_arrow_text, parse_as, parse_bools
from cs_logic.read.resident import Resident
from cs_logic.read.tableshape import Rows, has_values

if TYPE_CHECKING:
    from cs_logic.read.ingest import ReadResult

MAX_PER_COLUMN = 200
MAX_TYPED_EXTRAS = 200
# A table this long has its mapped columns typed two at a time: Arrow's and numpy's kernels release the GIL.
PARALLEL_ROWS = 1_000_000
EARLIEST = pd.Timestamp("1990-01-01")
KEPT = "kept the row; left the value blank"
_NOT_A = {schema.DATE: "not a date", schema.BOOL: "not a yes/no value", schema.DURATION: "not a duration"}
# Order lines repeat their order id by design, so orders are not checked for duplicate keys.
_UNIQUE_KEYS = ("accounts", "tickets", "surveys", "deals", "subscriptions", "churn_events")
_TIME_ORDER = (("created_at", "first_response_at"), ("created_at", "resolved_at"), ("first_response_at", "resolved_at"))
_LINKED = ("usage", "tickets", "surveys", "orders", "deals", "subscriptions", "churn_events")
PROBLEM_COLUMNS = ["file", "column", "row", "value", "message", "action", "severity"]


@dataclass(frozen=True)
class Prepared:
    """A file ready for the metrics: typed ``frame`` (canonical names + extra columns) and its report.

    ``churn_values`` lists the source values taken as churn when a churn flag was mapped.
    """

    frame: pd.DataFrame
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    rows: int
    mapping: dict[str, str]
    churn_values: tuple[str, ...] = ()


def _cells(mask: np.ndarray, raw: pd.Series, rows: Rows, column: str, message: str,
           action: str = KEPT, severity: str = "warning") -> list[Problem]:
    """One Problem per flagged cell (up to MAX_PER_COLUMN), then one summary for the rest."""
    hits = np.flatnonzero(mask)
    out = [Problem(message, column, int(rows[i]), clip_value(raw.iloc[i]), action, severity) for i in hits[:MAX_PER_COLUMN]]
    if len(hits) > MAX_PER_COLUMN:
        out.append(Problem(f"and {len(hits) - MAX_PER_COLUMN} more in this column ({message})", column, None, None,
                           action, severity))
    return out


def _row_numbers(read: Any, n: int) -> Rows:
    """The file row of each table row: a range for a table read without gaps (no array of 5M numbers to hold)."""
    if getattr(read, "row_numbers", None) is not None:
        return np.asarray(read.row_numbers, dtype=np.int64)[:n]
    first = int(getattr(read, "first_data_row", 2) or 2)
    return range(first, first + n)


def _missing_needs(t: schema.Table, mapping: dict[str, str]) -> list[Problem]:
    if any(all(f in mapping for f in alt) for alt in t.needs):
        return []
    options = "; ".join(
        " + ".join(t.field(f).label for f in alt) + " (missing " + ", ".join(t.field(f).label for f in alt if f not in mapping) + ")"
        for alt in t.needs
    )
    return [Problem(f"Not enough columns mapped to use this file as {t.label}: it needs one of: {options}.",
                    action="map the missing columns, or choose another table", severity="error")]


def _score_problems(values: pd.Series, kind: str, raw: pd.Series, rows: Rows,
                    src: str) -> tuple[pd.Series, list[Problem]]:
    lo, hi = schema.SCORE_RANGES[kind]
    v = values.to_numpy(dtype=float)
    wrong = ~np.isnan(v) & ((v < lo) | (v > hi) | (v != np.round(v)))
    msg = f"not a whole number from {lo} to {hi}"
    return _blanked(values, wrong), _cells(wrong, raw, rows, src, msg, "kept the row; the score is left blank and not counted")


def _date_problems(values: pd.Series, raw: pd.Series, rows: Rows, src: str,
                   as_of: pd.Timestamp | None) -> tuple[pd.Series, list[Problem]]:
    # Compared as numpy datetimes (NaT compares False, as in pandas): pandas' comparison of a 5M-row column
    # first builds its own mask of the blanks (0.02 s).
    stamps = values.to_numpy(dtype="datetime64[ns]")
    early = stamps < EARLIEST.to_datetime64()
    out = _cells(early, raw, rows, src, "a date before 1990, probably an empty or mistyped date")
    late = np.zeros(len(values), bool)
    if as_of is not None:
        late = stamps > (as_of + pd.DateOffset(years=1)).to_datetime64()
        out += _cells(late, raw, rows, src, f"a date more than a year after {as_of.date()}")
    return _blanked(values, early | late), out


def _blanked(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """``values`` with ``rows`` blank; the same Series when there is none (mask() copied a 5M-row column each time)."""
    return values.mask(rows) if rows.any() else values


def _churn_flags(raw: pd.Series, decision: Decision, rows: Rows, src: str) -> tuple[pd.Series, list[Problem]]:
    """A churn column read with the churned values decided (or chosen); blank cells reported, left unknown."""
    text = raw.astype(object).where(raw.notna(), None).map(lambda v: None if v is None else str(v))
    parsed = parse_bools(text, decision.choice, decision.opposite)
    blank = (parsed.values.isna().to_numpy(dtype=bool) & ~parsed.bad.to_numpy(dtype=bool))
    problems = _cells(blank, raw, rows, src, "no churn value", "kept the row; churn left unknown for it (not counted "
                      "as churned or as retained)")
    problems += _cells(parsed.bad.to_numpy(dtype=bool), raw, rows, src,
                       "not one of the values taken as churned or not churned", "kept the row; churn left unknown")
    return parsed.values, problems


def _typed(field: schema.Field, raw: pd.Series, src: str, rows: Rows, as_of: pd.Timestamp | None,
           decision: Decision | None = None) -> tuple[pd.Series, list[Problem], str]:
    """One mapped column parsed by its field's kind (and the unit or meaning decided for it), with its problems
    and parser note."""
    if field.kind == schema.DURATION and looks_like_timestamps(raw):
        problem = Problem(f"holds timestamps, not durations, so it cannot be {field.label}; map it to a time-stamp "
                          "field instead", src, None, clip_value(raw.dropna().iloc[0]), "left the field blank", "warning")
        return pd.Series(np.nan, index=raw.index, dtype="float64"), [problem], ""
    if decision is not None and decision.kind == "churn":
        values, problems = _churn_flags(raw, decision, rows, src)
        return values, problems, ""
    if decision is not None and decision.kind == "rating":
        values = rating_values(raw, decision)
        answers = int(values.notna().sum())
        return values, [], (f"{answers} of {int(raw.notna().sum())} ratings are answers (satisfied read as 5, not "
                            f"satisfied as 1); the other values ({', '.join(sorted(set(raw.dropna().astype(str)) - set(decision.choice) - set(decision.opposite))) or 'none'}) are no answers")
    kind = "number" if field.kind in schema.SCORE_RANGES else field.kind
    unit = decision.choice[0] if decision is not None and decision.kind == "unit" and decision.choice else None
    parsed = parse_as(raw, kind, src, unit=unit)
    values = parsed.values
    if decision is not None and decision.kind == "tenure" and decision.choice == ("years",):
        values = values * 12  # every tenure figure is in months
    problems = _cells(parsed.bad.to_numpy(dtype=bool), raw, rows, src, _NOT_A.get(kind, "not a number"))
    if field.kind in schema.SCORE_RANGES:
        values, more = _score_problems(values, field.kind, raw, rows, src)
        problems += more
    elif field.kind == schema.DURATION:
        negative = (values < 0).to_numpy(dtype=bool)
        problems += _cells(negative, raw, rows, src, "a negative duration")
        values = _blanked(values, negative)
    elif field.kind == schema.DATE:
        values, more = _date_problems(values, raw, rows, src, as_of)
        problems += more
    return values, problems, parsed.note


def _checks_key(t: schema.Table, mapping: Mapping[str, str]) -> bool:
    """Whether the table's key is mapped and checked for repeats (its raw text is then kept for the messages)."""
    return t.name in _UNIQUE_KEYS and bool(t.key) and t.key in mapping


def _duplicates(frame: pd.DataFrame, t: schema.Table, mapping: dict[str, str], raw: Mapping[str, pd.Series],
                rows: Rows) -> list[Problem]:
    if t.key is None or not _checks_key(t, mapping) or t.key not in frame.columns:
        return []
    ids = frame[t.key]
    dup = (ids.notna() & ids.duplicated(keep="first")).to_numpy(dtype=bool)
    src = mapping[t.key]
    return _cells(dup, raw[src], rows, src, f"a repeated {t.field(t.key).label.lower()} (seen on an earlier row)",
                  "kept both rows")


def _order_problems(frame: pd.DataFrame, mapping: dict[str, str], raw: Mapping[str, pd.Series],
                    rows: Rows) -> list[Problem]:
    out: list[Problem] = []
    for first, later in _TIME_ORDER:
        if first in frame.columns and later in frame.columns:
            bad = (frame[later] < frame[first]).to_numpy(dtype=bool)
            out += _cells(bad, raw[mapping[later]], rows, mapping[later],
                          f'earlier than "{mapping[first]}", so the time between them would be negative',
                          "kept the row; the time between them is not counted")
    return out


def prepare(read: ReadResult, table: str, mapping: dict[str, str], file: str,
            as_of: dt.date | pd.Timestamp | None = None, decisions: tuple[Decision, ...] = ()) -> Prepared:
    """Type the mapped columns of a read file and collect every problem in it.

    Dates later than ``as_of`` + 1 year are reported only when ``as_of`` is given. ``decisions``
    (cs_logic.read.meanings) give the unit of a duration, tenure in years and the churned values.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> read = SimpleNamespace(frame=pd.DataFrame({"score": ["9", "11"]}), first_data_row=2, row_numbers=None, notes=())
    >>> p = prepare(read, "surveys", {"nps": "score"}, "s.csv")
    >>> p.frame["nps"].tolist(), [(x.row, x.value) for x in p.problems]
    ([9.0, nan], [(3, '11')])
    """
    t = schema.table(table)
    as_of = None if as_of is None else pd.Timestamp(as_of)  # the command line passes a date
    raw = read.frame.reset_index(drop=True)
    n, names = len(raw), [str(c) for c in raw.columns]
    rows = _row_numbers(read, n)
    problems = [replace(p, file=file) for p in getattr(read, "notes", ())]
    # Each text column is let go once it is typed (the raw text of a large file is as big as the typed table):
    # this function holds its own references only, so a caller that passes the read on (load_file) and keeps
    # no reference frees each column's text as it goes.
    cells: list[pd.Series | None] = [raw.iloc[:, i] for i in range(len(names))]
    blank = [bool(n) and not has_values(col) for col in cells]
    del raw, read
    first: dict[str, int] = {}
    for i, src in enumerate(names):
        first.setdefault(src, i)  # a repeated header: its first column
    used = {f: c for f, c in mapping.items() if f in t.field_names and c in first}
    problems += [Problem(f'column "{c}" mapped to {f} is not in the file or not a field of {t.label}', c,
                         action="ignored this mapping", severity="error") for f, c in mapping.items() if f not in used]
    problems += _missing_needs(t, used)
    later = {used[b] for a, b in _TIME_ORDER if a in used and b in used}
    kept = {src: cells[first[src]] for src in later | ({used[t.key]} if t.key and _checks_key(t, used) else set())}
    meant = {d.field: d for d in decisions if d.kind in ("unit", "tenure", "churn", "rating") and used.get(d.field) == d.column}
    columns, found, notes, churn = _typed_mapped(t, used, cells, first, rows, as_of, n >= PARALLEL_ROWS, meant)
    problems += found
    found, more = _typed_extras(names, set(used.values()), cells, rows, columns)
    problems += found
    notes += more
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)  # pandas 3 copies by default
    # A rating given in words (Good / Bad) has a CSAT but no mean rating: say which fields are such (one file's
    # frame carries it; stacked files keep it only when all agree, as pandas' concat does with attrs).
    frame.attrs["word_ratings"] = tuple(sorted(f for f, d in meant.items() if d.kind == "rating"))
    for src, empty in zip(names, blank):
        if empty:
            problems.append(Problem("the column is entirely blank", src, action="kept the column",
                                    severity="warning" if src in used.values() else "info"))
    problems += _duplicates(frame, t, used, kept, rows) + _order_problems(frame, used, kept, rows)
    return Prepared(frame, tuple(replace(p, file=file) for p in problems), tuple(notes), len(frame), dict(used), churn)


def _typed_mapped(t: schema.Table, used: dict[str, str], cells: list[pd.Series | None], first: dict[str, int],
                  rows: Rows, as_of: pd.Timestamp | None, parallel: bool, meant: Mapping[str, Decision] | None = None
                  ) -> tuple[dict[str, pd.Series], list[Problem], list[str], tuple[str, ...]]:
    """The mapped columns typed, in mapping order: (columns, problems, notes, churn values). With ``parallel``
    (a long table) the column with the most text is typed first, then two at a time; each column's text in
    ``cells`` is let go once typed (unless another field is mapped to it too)."""
    sharing = Counter(used.values())

    def typed_column(name: str) -> tuple[pd.Series, list[Problem], list[str], tuple[str, ...]]:
        src = used[name]
        col = _held(cells[first[src]], src)
        values, found, note = _typed(t.field(name), col, src, rows, as_of, (meant or {}).get(name))
        notes = [f"{src}: {note}"] if note else []
        if t.field(name).kind in schema.SCORE_RANGES and col.isna().any():
            notes.append(f"{src}: {int(values.isna().sum())} of {len(values)} rows have no valid score (not counted)")
        churn: tuple[str, ...] = ()
        if name == "churned":
            churn = tuple(sorted(col[values.fillna(False).to_numpy(dtype=bool)].dropna().astype(str).unique()))
        if sharing[src] == 1:
            cells[first[src]] = None
        return values.reset_index(drop=True), found, notes, churn

    if parallel and len(used) > 1:
        # The largest column alone first: every column's text is held until it is typed, so two typed at once
        # from the start put two working copies on top of all of it (the M usage file's peak: -20 to -40 MB).
        order = sorted(used, key=lambda name: -_held(cells[first[used[name]]], used[name]).nbytes)
        done = {order[0]: typed_column(order[0])}
        with ThreadPoolExecutor(2) as pool:
            done.update(zip(order[1:], pool.map(typed_column, order[1:])))
        results = [done[name] for name in used]
    else:
        results = [typed_column(name) for name in used]
    columns = {name: result[0] for name, result in zip(used, results)}
    problems = [p for result in results for p in result[1]]
    notes = [note for result in results for note in result[2]]
    churn = next((result[3] for result in results if result[3]), ())
    return columns, problems, notes, churn



def _held(col: pd.Series | None, src: str) -> pd.Series:
    """A column's text from ``cells``, which lets a column go (None) only once every field mapped to it is typed."""
    if col is None:
        raise RuntimeError(f'column "{src}" was read after its text was let go')
    return col


def _typed_extras(names: list[str], mapped: set[str], cells: list[pd.Series | None], rows: Rows,
                  columns: dict[str, pd.Series]) -> tuple[list[Problem], list[str]]:
    """The columns no field is mapped to, typed by what they hold and added to ``columns`` (a name a field took
    gets " (original)"); past MAX_TYPED_EXTRAS of them, kept as text. Returns (problems, notes)."""
    problems: list[Problem] = []
    typed = 0
    for i, src in enumerate(names):
        if src in mapped:
            continue
        col, cells[i] = _held(cells[i], src), None
        typed += 1
        name = src if src not in columns else f"{src} (original)"
        if typed > MAX_TYPED_EXTRAS:
            # Typing a column costs ~10 ms however short it is; past this many, keep them as text.
            columns[name] = (pd.Series(python_cells(col), dtype=object) if is_arrow_text(col)
                             else col.reset_index(drop=True))
            continue
        kind = infer_kind(col)
        parsed = parse_as(col, kind, src)
        columns[name] = parsed.values.reset_index(drop=True)
        problems += _cells(parsed.bad.to_numpy(dtype=bool), col, rows, src, _NOT_A.get(kind, "not a number"))
    notes = [(f"{typed - MAX_TYPED_EXTRAS:,} extra columns past the first {MAX_TYPED_EXTRAS} unmapped ones were kept "
              "as text (not read as numbers or dates)")] if typed > MAX_TYPED_EXTRAS else []
    return problems, notes


def _ids(frame: pd.DataFrame, column: str) -> set[str]:
    return set(frame[column].dropna().astype(str)) if column in frame.columns else set()


def _missing_ids(ids: pd.Series, known: set[str]) -> pd.Series:
    """The non-blank ids (as text) that are not in ``known``.

    Through Arrow's hash set where the ids are Python strings, as the reader leaves them
    (:func:`cs_logic.core.membership.text_isin`: 5.6 million ids at M took about 5 s of the 10 s from upload to
    the sidebar's row counts through pandas, issue 18.2). Ids that are not all text are compared as text, not as
    pandas' isin would compare them (an id 7 matches an account "7"), so this takes ``text_isin``, not ``isin``.
    """
    found = text_isin(ids, known)
    if found is None:  # ids that are not all text: blanks dropped, the rest compared and returned as text
        text = ids.dropna().astype(str)
        return text[~text.isin(known)]
    return ids[~found & ids.notna().to_numpy()]  # a blank id is never "found": it is left out here


def _unmatched(frame: pd.DataFrame | Resident, column: str, known: set[str], table: str, file: str,
               against: str) -> list[Problem]:
    if isinstance(frame, Resident):  # a table kept in DuckDB (usage) is checked there
        count, distinct, examples = frame.values_not_in(column, pd.Series(sorted(known), dtype=object))
    else:
        missing = _missing_ids(frame[column], known)
        count, distinct, examples = len(missing), missing.nunique(), list(dict.fromkeys(missing))[:20]
    if not count:
        return []
    return [Problem(f"{count} rows ({distinct} distinct {column} values) in the {table.replace('_', ' ')} "
                    f"file match no {column} in {against}", column, None, ", ".join(examples),
                    "kept the rows; they are left out of per-account figures", "warning", file)]


def _churn_disagreement(accounts: pd.DataFrame, events: pd.DataFrame | None, files: dict[str, str]) -> list[Problem]:
    if "churned" not in accounts.columns:
        return []
    flagged = set(accounts.loc[accounts["churned"].fillna(False).astype(bool), "account_id"].dropna().astype(str))
    out: list[Problem] = []
    if events is not None and "account_id" in events.columns:
        known = _ids(accounts, "account_id")
        with_events = _ids(events, "account_id") & known
        if with_events != flagged:
            out.append(Problem(
                f"{len(with_events)} accounts have churn events but only {len(flagged)} are flagged as churned: "
                f"{len(with_events - flagged)} unflagged accounts have churn events and {len(flagged - with_events)} "
                "flagged accounts have none",
                "churned", None, ", ".join(sorted(with_events ^ flagged)[:20]),
                "kept both; churn figures say which source they use", "warning", files.get("accounts")))
    if "end_date" in accounts.columns:
        ended = set(accounts.loc[accounts["end_date"].notna(), "account_id"].dropna().astype(str))
        if ended - flagged:
            out.append(Problem(f"{len(ended - flagged)} accounts have an end date but are not flagged as churned",
                               "churned", None, ", ".join(sorted(ended - flagged)[:20]), "kept both", "warning",
                               files.get("accounts")))
    return out


def cross_check(tables: Mapping[str, pd.DataFrame | Resident], files: dict[str, str]) -> list[Problem]:
    """Problems between files: ids that match no account, and churn flags that disagree with churn events.

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["A1"]})
    >>> tix = pd.DataFrame({"ticket_id": ["T1", "T2"], "account_id": ["A1", "Z9"]})
    >>> [p.value for p in cross_check({"accounts": acc, "tickets": tix}, {"accounts": "a.csv", "tickets": "t.csv"})]
    ['Z9']
    """
    accounts = tables.get("accounts")
    if not isinstance(accounts, pd.DataFrame) or "account_id" not in accounts.columns:
        return []
    known, against = _ids(accounts, "account_id"), files.get("accounts", "the accounts file")
    out: list[Problem] = []
    subs = tables.get("subscriptions")
    for name in _LINKED:
        frame = tables.get(name)
        if frame is None:
            continue
        if "account_id" in frame.columns:
            out += _unmatched(frame, "account_id", known, name, files.get(name, name), against)
        elif ("subscription_id" in frame.columns and isinstance(subs, pd.DataFrame)
              and "subscription_id" in subs.columns):
            out += _unmatched(frame, "subscription_id", _ids(subs, "subscription_id"), name, files.get(name, name),
                              files.get("subscriptions", "the subscriptions file"))
    events = tables.get("churn_events")
    return out + _churn_disagreement(accounts, events if isinstance(events, pd.DataFrame) else None, files)


def problems_frame(problems: list[Problem] | tuple[Problem, ...]) -> pd.DataFrame:
    """The problems as a table with columns file, column, row, value, message, action, severity.

    >>> problems_frame([Problem("not a date", "Date", 3, "x")]).columns.tolist()
    ['file', 'column', 'row', 'value', 'message', 'action', 'severity']
    """
    frame = pd.DataFrame([p.as_dict() for p in problems], columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _squash(value: object) -> str:
    """Casefolded with spaces and punctuation removed: "GTX Pro" and "GTXPro" both give "gtxpro"."""
    return "".join(c for c in str(value).casefold() if c.isalnum())


def unmatched_values(deals: pd.DataFrame, col: str, reference: pd.Series) -> pd.DataFrame:
    """Values of ``deals[col]`` found nowhere in ``reference``, with row counts and the closest reference value.

    The suggestion is the reference value equal after folding case and removing spaces and
    punctuation, else the closest by similarity (None when nothing is close).

    >>> unmatched_values(pd.DataFrame({"product": ["GTXPro", "GTX Basic"]}), "product",
    ...                  pd.Series(["GTX Pro", "GTX Basic"])).to_dict("records")
    [{'value': 'GTXPro', 'rows': 1, 'suggestion': 'GTX Pro'}]
    """
    columns = ["value", "rows", "suggestion"]
    if col not in deals.columns:
        return pd.DataFrame(columns=columns)
    refs = [str(v) for v in pd.Series(reference).dropna().unique()]
    squashed = {_squash(r): r for r in refs}
    counts = deals[col].dropna().astype(str).value_counts()
    rows = []
    for value, n in counts.items():
        if value in refs:
            continue
        key = _squash(value)
        close = difflib.get_close_matches(key, list(squashed), n=1, cutoff=0.6)
        rows.append({"value": value, "rows": int(n),
                     "suggestion": squashed.get(key) or (squashed[close[0]] if close else None)})
    table = pd.DataFrame(rows, columns=columns)
    table["suggestion"] = pd.Series([r["suggestion"] for r in rows], index=table.index, dtype=object)
    return table
