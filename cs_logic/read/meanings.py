"""Units and meanings the app decides for a mapped file (a duration's unit, tenure in years, which values mean
churned, which column is a deal's outcome), each recorded with its reason so the manager can see and change it."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_logic.core import schema
from cs_logic.core.membership import isin
from cs_logic.read.csvtext import DELIMITER_NAMES, SPACE_RUNS
from cs_logic.read.detect import RATING_BAD, RATING_GOOD, normalise_header
from cs_logic.read.ingest import ReadResult
from cs_logic.read.parse import BLANKS, FALSE_WORDS, TRUE_WORDS, parse_as, unit_from_header

UNITS = ("seconds", "minutes", "hours", "days", "mm:ss")
TENURE_UNITS = ("months", "years")
# A tenure in months passes 12 as soon as one customer has stayed a year; whole numbers that all stay below it
# read as years (the bank export's 0-10). Stated as a decision, so a young portfolio can say "months".
TENURE_YEARS_BELOW = 12
CLOCK_SHARE = 0.8  # share of "1:30:00" / "90 min" text from which a duration column needs no unit
# Words that mean a customer has gone, in a status column's values (folded, whole words or phrases).
CHURN_STATUS_WORDS = ("churned", "churn", "cancelled", "canceled", "cancel", "exited", "lost", "left", "former",
                      "terminated", "ended", "inactive", "lapsed", "expired", "discontinued", "deactivated",
                      "closed", "no longer a customer", "attrited")
# Words that make a header an "is active" flag, whose No means churned (Salesforce's Active = No).
ACTIVE_HEADER_WORDS = frozenset({"active", "is active", "active customer", "active account", "current customer"})
OUTCOME_WORDS = {"won": ("won", "win", "closed won", "success", "ganho", "gagne"),
                 "lost": ("lost", "closed lost", "abandoned", "dead", "perdido", "perdu", "rejected", "cancelled"),
                 "open": ("open", "in progress", "active", "pending", "ongoing", "em aberto", "abierto")}
STEM = 5  # a stage date header matches a stage name when a word of each shares its first five letters


@dataclass(frozen=True)
class Decision:
    """One unit or meaning the app decided for one column, and how to change it.

    ``field`` is the canonical field it applies to; ``choice`` the values applied (a unit, or the churned
    values); ``options`` what the manager may pick from (units, or the column's distinct values).
    """

    file: str
    column: str
    field: str
    kind: str  # "unit", "tenure", "churn", "rating", "outcome", "stage_date"; how the file was read: "delimiter",
    # "header" (no header row), "id_column" (which of two id columns is the customer's)
    decided: str
    why: str
    change: str
    choice: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    opposite: tuple[str, ...] = ()  # a flag's values taken as "no" (not churned); values in neither are unknown

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "column": self.column, "decision": self.decided, "why": self.why,
                "how to change": self.change}


def _fold(value: object) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", str(value).casefold()).split())


def _values(col: pd.Series, limit: int = 50) -> list[str]:
    """The distinct non-blank values of a column as trimmed text, most frequent first (at most ``limit``)."""
    text = col.dropna().astype(str).str.strip()
    text = text[(text != "") & ~text.str.casefold().isin(BLANKS)]
    return [str(v) for v in text.value_counts().index[:limit]]


def _has_word(value: str, words: tuple[str, ...] | frozenset[str]) -> bool:
    padded = f" {_fold(value)} "
    return any(f" {w} " in padded for w in words)


# ------------------------------------------------------------------------------------------------ durations
def _clock_share(values: pd.Series) -> tuple[float, float]:
    """Shares of h:mm:ss / mm:ss text and of text carrying its own unit ("90 min") among the values."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return 0.0, 0.0
    clock = text.str.fullmatch(r"-?\d{1,3}:\d{2}(:\d{2}(\.\d+)?)?").mean()
    worded = text.str.fullmatch(r"(?i)-?\d+(\.\d+)?\s*[a-z]+(\s+\d+(\.\d+)?\s*[a-z]+)*").mean()
    return float(clock), float(worded)


def _unit_decision(file: str, field: schema.Field, column: str, col: pd.Series, siblings: list[str],
                   chosen: tuple[str, ...], gap: tuple[str, str, str, str] | None = None) -> Decision:
    change = "pick the unit in the Data page's table of decisions"
    made: dict[str, Any] = {"file": file, "column": column, "field": field.name, "kind": "unit", "change": change,
                            "options": UNITS}
    label = field.label.replace(" (hours)", "")
    if chosen and chosen[0] in UNITS:
        return Decision(decided=f"{label}: {chosen[0]}", why="your choice (saved in the settings file)",
                        choice=chosen[:1], **made)
    header = column.lower().replace(" ", "")
    if "mm:ss" in header or "m:ss" in header:
        return Decision(decided=f"{label}: mm:ss text", why=f'the header "{column}" says mm:ss', choice=("mm:ss",),
                        **made)
    unit = unit_from_header(column)
    if unit is not None:
        return Decision(decided=f"{label}: {unit}", why=f'the header "{column}" names the unit', choice=(unit,),
                        **made)
    clock, worded = _clock_share(col)
    if clock >= CLOCK_SHARE:
        return Decision(decided=f"{label}: h:mm:ss text, read as hours", why="the values are written as clock times",
                        choice=("hours",), **made)
    if worded >= CLOCK_SHARE:
        return Decision(decided=f"{label}: the unit written in each value", why='the values carry units ("90 min")',
                        choice=("hours",), **made)
    named = [(s, u) for s in siblings if (u := unit_from_header(s)) is not None]
    if named:
        source, unit = named[0]
        return Decision(decided=f"{label}: {unit}", why=f'no unit in the header; the file\'s other duration column '
                        f'"{source}" is in {unit}', choice=(unit,), **made)
    if gap is not None:
        unit, source, start, end = gap
        return Decision(decided=f"{label}: {unit}", why=f'no unit in the header; in this file "{source}" equals '
                        f'"{end}" minus "{start}" in {unit}, so its plain numbers are {unit}', choice=(unit,), **made)
    return Decision(decided=f"{label}: hours (assumed)", why="no unit in the header or the values; hours assumed",
                    choice=("hours",), **made)


GAP_ROWS = 500  # rows looked at to match a duration column with the gap between two timestamps
GAP_SHARE = 0.8  # share of rows (with both) on which the column must equal the gap
GAP_MIN_ROWS = 3
_UNIT_SECONDS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}


def gap_unit(frame: pd.DataFrame) -> tuple[str, str, str, str] | None:
    """(unit, column, start, end) when a plain-number column equals the gap between two timestamps of the
    same row in one unit (a calls report's total_time = end_at - start_at in seconds); None otherwise.

    The unit of such a column is what the file writes plain durations in; stated as a decision.

    >>> f = pd.DataFrame({"start": ["2024-05-06 09:00:00", "2024-05-06 10:00:00", "2024-05-06 11:00:00"],
    ...                   "end": ["2024-05-06 09:06:10", "2024-05-06 10:01:00", "2024-05-06 11:00:30"],
    ...                   "total": ["370", "60", "30"], "wait": ["5", "20", "3"]})
    >>> gap_unit(f)
    ('seconds', 'total', 'start', 'end')
    """
    from cs_logic.read.detect import looks_like_timestamps  # detect's date recognition, one place

    head = frame.head(GAP_ROWS)
    stamps: dict[str, pd.Series] = {}
    numbers: dict[str, np.ndarray] = {}
    for column in map(str, head.columns):
        col = head[column]
        if looks_like_timestamps(col):
            when = parse_as(col, "date").values
            stamps[column] = pd.to_datetime(when, errors="coerce", utc=False)
            continue
        values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
        if np.isfinite(values).sum() >= GAP_MIN_ROWS and not (values[np.isfinite(values)] < 0).any():
            numbers[column] = values
    names = list(stamps)
    for i, start in enumerate(names):
        for end in names[i + 1:]:
            try:
                seconds = (stamps[end] - stamps[start]).dt.total_seconds().to_numpy(dtype=float)
            except TypeError:  # one zoned, one not: no gap to compare
                continue
            for column, values in numbers.items():
                both = np.isfinite(seconds) & np.isfinite(values) & (seconds > 0)
                if both.sum() < GAP_MIN_ROWS:
                    continue
                for unit, size in _UNIT_SECONDS.items():
                    close = np.abs(values[both] * size - seconds[both]) <= np.maximum(1.0, 0.01 * seconds[both])
                    if close.mean() >= GAP_SHARE:
                        return unit, column, start, end
    return None


# --------------------------------------------------------------------------------------------------- tenure
def _tenure_decision(file: str, column: str, col: pd.Series, chosen: tuple[str, ...]) -> Decision:
    made: dict[str, Any] = {"file": file, "column": column, "field": "tenure", "kind": "tenure",
                            "options": TENURE_UNITS, "change": "pick months or years in the Data page's table of decisions"}
    if chosen and chosen[0] in TENURE_UNITS:
        return Decision(decided=_tenure_words(chosen[0]), why="your choice (saved in the settings file)",
                        choice=chosen[:1], **made)
    words = set(normalise_header(column).split())
    if words & {"year", "years", "yr", "yrs", "anos"}:
        return Decision(decided=_tenure_words("years"), why=f'the header "{column}" says years', choice=("years",),
                        **made)
    if words & {"month", "months", "mo", "mos", "meses"}:
        return Decision(decided=_tenure_words("months"), why=f'the header "{column}" says months',
                        choice=("months",), **made)
    numbers = pd.to_numeric(col.dropna().astype(str).str.strip(), errors="coerce").dropna()
    whole = bool(len(numbers)) and bool(np.allclose(numbers, np.round(numbers)))
    if whole and numbers.max() < TENURE_YEARS_BELOW:
        why = (f"no unit in the header; whole numbers from {numbers.min():g} to {numbers.max():g}, never "
               f"{TENURE_YEARS_BELOW} or more, read as years (months would pass 12 once a customer stayed a year)")
        return Decision(decided=_tenure_words("years"), why=why, choice=("years",), **made)
    top = f"{numbers.max():g}" if len(numbers) else "none"
    return Decision(decided=_tenure_words("months"), why=f"no unit in the header; values up to {top} read as months",
                    choice=("months",), **made)


def _tenure_words(unit: str) -> str:
    return "tenure in years, times 12 to months" if unit == "years" else "tenure in months"


# ---------------------------------------------------------------------------------------------------- churn
def churn_split(values: list[str], inverted: bool = False, status: bool = False) -> tuple[list[str], list[str]]:
    """(churned, not churned) values of a churn flag, an inverted flag (Active) or a status column.

    A status value is churned when it holds a churn word ("Former customer", "CANCELLED "); every other
    status (Active, Paused, Trial) is not. A flag's yes words are churned (its no words for an inverted flag);
    a value that is neither is in neither list (read as unknown).

    >>> churn_split(["Active", "Cancelled", "Paused", "Former customer"], status=True)
    (['Cancelled', 'Former customer'], ['Active', 'Paused'])
    >>> churn_split(["Yes", "No"], inverted=True)
    (['No'], ['Yes'])
    """
    if status:
        gone = [v for v in values if _has_word(v, CHURN_STATUS_WORDS)]
        return gone, [v for v in values if v not in gone]
    yes = [v for v in values if v.strip().casefold() in TRUE_WORDS]
    no = [v for v in values if v.strip().casefold() in FALSE_WORDS]
    if not inverted and any(v.strip().casefold() in CHURN_STATUS_WORDS for v in yes):
        # In a churn column "active" is the opposite of "churned" (Churned / Active): the parse rule.
        yes, no = [v for v in yes if _fold(v) != "active"], no + [v for v in yes if _fold(v) == "active"]
    return (no, yes) if inverted else (yes, no)


def _churn_decision(file: str, column: str, col: pd.Series, how: str, chosen: tuple[str, ...] | None) -> Decision:
    values = _values(col)
    gone, kept = churn_split(values, inverted=how == "inverted", status=how == "status")
    why = {"flag": f'"{column}" is a churn flag',
           "inverted": f'"{column}" says whether a customer is active, so its "no" means churned',
           "status": f'no churn flag; "{column}" is a status whose values name churn'}[how]
    if chosen is not None:
        folded = {c.casefold() for c in chosen}
        gone = [v for v in values if v.casefold() in folded]
        kept = [v for v in values if v.casefold() not in folded]
        why = "your choice (saved in the settings file)"
    if how == "status" or chosen is not None:
        kept = [v for v in values if v not in gone]  # every other status is a customer still here
    shown = ", ".join(gone) or "(none)"
    return Decision(file, column, "churned", "churn", f"churned = {shown}; not churned = {', '.join(kept) or '(none)'}",
                    why, "edit the churned values in the Data page's table of decisions", tuple(gone),
                    tuple(values), tuple(kept))


def _churn_source(frame: pd.DataFrame, mapping: Mapping[str, str]) -> tuple[str, str] | None:
    """(column, how) the churn flag is read from: the mapped flag, an "active" flag, or a status naming churn."""
    if "churned" in mapping:
        column = mapping["churned"]
        if _fold(normalise_header(column)) in ACTIVE_HEADER_WORDS:
            return column, "inverted"
        flag = all(v.casefold() in TRUE_WORDS | FALSE_WORDS for v in _values(frame[column]))
        return column, "flag" if flag and column != mapping.get("status") else "status"
    for column in map(str, frame.columns):
        if _fold(normalise_header(column)) in ACTIVE_HEADER_WORDS and len(_values(frame[column], 5)) <= 2:
            values = _values(frame[column], 5)
            if values and all(v.casefold() in TRUE_WORDS | FALSE_WORDS for v in values):
                return column, "inverted"
    status = mapping.get("status")
    if status is not None and any(_has_word(v, CHURN_STATUS_WORDS) for v in _values(frame[status])):
        return status, "status"
    return None


# --------------------------------------------------------------------------------------------------- rating
# A satisfied word is read as 5 and a dissatisfied one as 1 on the 1-5 scale, so CSAT (share of 4-5) is the
# share of satisfied answers; a mean of such a column is no mean rating (summary leaves it unknown).
WORD_TOP, WORD_BOTTOM = 5.0, 1.0


def _rating_decision(file: str, field: schema.Field, column: str, col: pd.Series,
                     chosen: tuple[str, ...] | None) -> Decision | None:
    """Satisfied / not satisfied values of a rating given in words (Good / Bad); None for a numeric rating."""
    values = _values(col)
    if not values or any(pd.notna(pd.to_numeric(v, errors="coerce")) for v in values):
        return None
    good = [v for v in values if _fold(v) in RATING_GOOD]
    bad = [v for v in values if _fold(v) in RATING_BAD]
    if not (good and bad) and chosen is None:
        return None
    why = f'"{column}" holds ratings as words: satisfied and not satisfied; other values are no answer'
    if chosen is not None:
        folded = {c.casefold() for c in chosen}
        good, bad = [v for v in values if v.casefold() in folded], [v for v in values if v not in good and v in bad]
        why = "your choice (saved in the settings file)"
    others = [v for v in values if v not in good and v not in bad]
    decided = (f"{field.label}: satisfied = {', '.join(good)}; not satisfied = {', '.join(bad) or '(none)'}; "
               f"no answer = {', '.join(others) or '(none)'}")
    return Decision(file, column, field.name, "rating", decided, why,
                    "edit the satisfied values in the Data page's table of decisions", tuple(good), tuple(values),
                    tuple(bad))


def rating_values(raw: pd.Series, decision: Decision) -> pd.Series:
    """A word rating on the 1-5 scale: satisfied words 5, not satisfied 1, anything else blank (no answer).

    >>> d = Decision("t.csv", "Sat", "csat", "rating", "", "", "", ("Good",), (), ("Bad",))
    >>> rating_values(pd.Series(["Good", " bad", "Offered", None]), d).tolist()
    [5.0, 1.0, nan, nan]
    """
    folded = raw.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                    else _fold(v))
    good, bad = {_fold(v) for v in decision.choice}, {_fold(v) for v in decision.opposite}
    return pd.Series(np.where(folded.isin(good), WORD_TOP, np.where(folded.isin(bad), WORD_BOTTOM, np.nan)),
                     index=raw.index, dtype="float64")


# --------------------------------------------------------------------------------------------------- guests
# Customer ids a shop writes for a checkout without an account (WooCommerce's 0): not one customer.
GUEST_IDS = frozenset({"0", "-1", "guest", "guest checkout", "guest customer", "no account"})
EMAIL_SHARE = 0.8  # share of e-mail addresses among a column's values for it to tell guests apart
# A letter or digit no guest id is written with (folded): an id holding one is no guest id, which rules out nearly
# every real id at once, before the test of each distinct id in Python (a million of them at 1M accounts).
NOT_GUEST = "[" + "".join(sorted(set(string.ascii_lowercase + string.digits) - set("".join(GUEST_IDS)))) + "]"


def _is_guest_id(value: object) -> bool:
    """Whether a customer id (not blank) is one a shop writes for a checkout without an account."""
    return str(value).strip() in GUEST_IDS or _fold(value) in GUEST_IDS


def _id_text(ids: pd.Series) -> pd.Series:
    """Each non-blank id as the text the guest test reads (``str(id)``): 0 and 0.0 are one value to a hash, two
    to the test."""
    known = ids.dropna()
    return known if pd.api.types.infer_dtype(known, skipna=True) in ("string", "empty") else known.map(str)


def _guest_ids(ids: pd.Series) -> list[str]:
    """The distinct customer ids of ``ids`` (as text) that are guest checkouts' (blanks are not). Each distinct id
    is tested once: a Python test per row was 2.2 s of CPU on the benchmark's 500,000 orders, for no guest at all.

    >>> _guest_ids(pd.Series(["12", " 0", None, "Guest", "12", " 0", 0.0]))
    [' 0', 'Guest']
    """
    uniques = pd.unique(_id_text(ids).to_numpy(dtype=object))
    text = pa.array(uniques, type=pa.string())
    maybe = np.flatnonzero(~pc.match_substring_regex(text, NOT_GUEST, ignore_case=True).to_numpy(zero_copy_only=False))
    return [str(uniques[i]) for i in maybe if _is_guest_id(uniques[i])]


def _guest_rows(ids: pd.Series, guests: list[str]) -> pd.Series:
    """Per row of ``ids``, whether its customer id is one of ``guests`` (:func:`_guest_ids` of these ids)."""
    if not guests:
        return pd.Series(False, index=ids.index, dtype=bool)
    text = _id_text(ids)
    return pd.Series(isin(text, guests), index=text.index, dtype=bool).reindex(ids.index, fill_value=False)


def _guest_decision(file: str, frame: pd.DataFrame, mapping: Mapping[str, str]) -> Decision | None:
    """How guest orders (customer id 0) are told apart: by an e-mail column, else one customer per order."""
    column = mapping.get("account_id")
    if column is None or column not in frame.columns:
        return None
    ids = frame[column]
    guest_ids = _guest_ids(ids)
    guests = int(_guest_rows(ids, guest_ids).sum())
    if not guests:
        return None
    email = next((c for c in map(str, frame.columns) if c != column and "email" in normalise_header(c).split()
                  and frame[c].dropna().astype(str).str.fullmatch(r"\s*[^@\s]+@[^@\s]+\.\w+\s*").mean() >= EMAIL_SHARE),
                 None)
    values = sorted({str(v).strip() for v in guest_ids})
    how = (f'each guest is told apart by "{email}"' if email else "each guest order is a customer of its own")
    return Decision(file, column, "account_id", "guest",
                    f'{guests} orders with customer id {", ".join(values)} are guest checkouts: {how}',
                    f'"{values[0]}" is the id a shop writes for a checkout without an account, so it is no customer',
                    "map another column to Customer id on the Data page", (email,) if email else ())


def with_guest_customers(frame: pd.DataFrame, decisions: tuple[Decision, ...]) -> pd.DataFrame:
    """A typed orders frame whose guest checkouts (customer id 0) have a customer id of their own: their e-mail
    (trimmed, lower case) when the decision names an e-mail column, else "guest order <order id>".

    >>> f = pd.DataFrame({"order_id": ["1", "2", "3"], "account_id": ["12", "0", "0"],
    ...                   "billing_email": ["a@x.io", "B@y.io ", None]})
    >>> d = Decision("o.csv", "customer_id", "account_id", "guest", "", "", "", ("billing_email",))
    >>> with_guest_customers(f, (d,))["account_id"].tolist()
    ['12', 'guest b@y.io', 'guest order 3']
    """
    decision = next((d for d in decisions if d.kind == "guest"), None)
    if decision is None or "account_id" not in frame.columns:
        return frame
    guest = _guest_rows(frame["account_id"], _guest_ids(frame["account_id"]))
    email = decision.choice[0] if decision.choice and decision.choice[0] in frame.columns else None
    mail = (frame[email].astype(object).map(lambda v: None if pd.isna(v) or not str(v).strip()
                                              else "guest " + str(v).strip().casefold())
            if email else pd.Series(None, index=frame.index, dtype=object))
    if email:  # a guest who also ordered with an account is that customer (the same e-mail, one id)
        folded = frame[email].astype(object).map(lambda v: None if pd.isna(v) else str(v).strip().casefold())
        known = pd.DataFrame({"mail": folded[~guest], "id": frame.loc[~guest, "account_id"]}).dropna()
        one_id = known.groupby("mail")["id"].nunique().eq(1)
        lookup = known[known["mail"].isin(one_id[one_id].index)].drop_duplicates("mail").set_index("mail")["id"]
        mail = folded.map(lookup).astype(object).where(folded.isin(lookup.index), mail)
    order = frame["order_id"] if "order_id" in frame.columns else pd.Series(frame.index.astype(str), index=frame.index)
    own = "guest order " + order.astype(str)
    return frame.assign(account_id=frame["account_id"].astype(object).where(~guest, mail.fillna(own)))


# ---------------------------------------------------------------------------------------------------- deals
def outcome_of(value: object) -> str | None:
    """"won", "lost" or "open" for a deal status value ("Abandoned" is lost); None for anything else.

    >>> outcome_of(" WON "), outcome_of("Abandoned"), outcome_of("open"), outcome_of("Proposal")
    ('won', 'lost', 'open', None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    for outcome, words in OUTCOME_WORDS.items():
        if _has_word(str(value), words):
            return outcome
    return None


def _deal_decisions(file: str, frame: pd.DataFrame, mapping: dict[str, str]) -> list[Decision]:
    out: list[Decision] = []
    status = mapping.get("status")
    if status is not None:
        values = _values(frame[status])
        known = [v for v in values if outcome_of(v) is not None]
        if "stage" not in mapping and len(known) < len(values):
            # A "Status" column holding stage names is the stage, as it was before deals had an outcome field.
            mapping["stage"] = mapping.pop("status")
            out.append(Decision(file, status, "stage", "outcome", f'stage from column "{status}"',
                                "its values are stage names, not only won / lost / open",
                                "map the columns on the Data page"))
        else:
            parts = "; ".join(f"{o} = {', '.join(v for v in known if outcome_of(v) == o) or '(none)'}"
                              for o in ("won", "lost", "open"))
            out.append(Decision(file, status, "status", "outcome", f'deal outcome from column "{status}" ({parts})',
                                "a status column decides won / lost / open; the stage says where a deal stands or "
                                "stopped", "map another column (or none) to Outcome on the Data page"))
    elif "won" in mapping:
        closed = mapping.get("closed")
        rule = (f'won where "{mapping["won"]}" is yes; lost where "{closed}" is yes and won is no; open where '
                f'"{closed}" is no' if closed else f'won where "{mapping["won"]}" is yes; otherwise lost when the '
                'stage name says lost, else open')
        out.append(Decision(file, mapping["won"], "status", "outcome", f"deal outcome from the flags: {rule}",
                            "the file has won / closed flags and no status column; they decide over the stage name "
                            "(a closed stage such as Disqualified need not say lost)",
                            "map a status column to Outcome on the Data page"))
    elif "stage" in mapping:
        out.append(Decision(file, mapping["stage"], "stage", "outcome",
                            f'deal outcome from the stage names in "{mapping["stage"]}" (won / lost stages)',
                            "the file has no status column", "map a status column to Outcome on the Data page"))
    if "stage" in mapping:
        for column, stage in stage_date_columns(frame, mapping["stage"]).items():
            out.append(Decision(file, column, "stage", "stage_date",
                                f'a deal with a date in "{column}" reached the stage "{stage}"',
                                "the header names the stage; a lost deal counts up to its last dated stage",
                                "rename the column, or map the stage order on the Funnel page", (stage,)))
    return out


def stage_date_columns(frame: pd.DataFrame, stage_column: str) -> dict[str, str]:
    """Date columns whose header names an open stage ("engage_date" for "Engaging"): column -> stage.

    >>> stage_date_columns(pd.DataFrame({"stage": ["Engaging", "Won"], "engage_date": ["2024-01-02", None]}), "stage")
    {'engage_date': 'Engaging'}
    """
    from cs_logic.read.detect import looks_like_timestamps  # detect's date recognition, one place

    stages = [v for v in _values(frame[stage_column]) if outcome_of(v) is None]
    stems = {stage: {w[:STEM] for w in _fold(stage).split() if len(w) >= STEM} for stage in stages}
    out: dict[str, str] = {}
    for column in map(str, frame.columns):
        if column == stage_column:
            continue
        words = {w[:STEM] for w in normalise_header(column).split() if len(w) >= STEM}
        hits = [s for s in stages if stems[s] & words]
        if len(hits) == 1 and looks_like_timestamps(frame[column]):
            out[column] = hits[0]
    return out


# ------------------------------------------------------------------------------------------------- reading
EVERY_COLUMN = "(every column)"


def reading_decisions(read: ReadResult, mapping: Mapping[str, str], file: str) -> tuple[Decision, ...]:
    """How the file's text was read, where the app decided it rather than the file saying so: columns separated by
    runs of spaces, no header row (columns named by their values), and which of two id columns that pair one to one
    is the customer's. The manager changes them by mapping columns, or by saving the file another way.

    >>> from cs_logic.read.ingest import read_table
    >>> read = read_table(b"00004 0001 19970101 2 29.33\\n00004 0001 19970118 2 29.73\\n00021 0002 19970101 3 63.34\\n",
    ...                   "sample.txt")
    >>> [d.decided for d in reading_decisions(read, {"account_id": "customer id"}, "sample.txt")]
    ['columns separated by runs of spaces', 'no header row found: columns named by their values', 'customer id: "customer id" (column 1)']
    """
    out: list[Decision] = []
    if read.delimiter == SPACE_RUNS:
        out.append(Decision(file, EVERY_COLUMN, "", "delimiter", f"columns separated by {DELIMITER_NAMES[SPACE_RUNS]}",
                            "no comma, semicolon, tab or bar splits its lines into the same number of values; runs "
                            "of spaces do", "if a value holds spaces, save the file as CSV and upload it again"))
    if not read.named_by_values:
        return tuple(out)
    columns = [str(c) for c in read.frame.columns]
    named = "; ".join(f'column {columns.index(n) + 1} "{n}": {why}' for n, _, why in read.named_by_values
                      if n in columns)
    out.append(Decision(file, EVERY_COLUMN, "", "header", "no header row found: columns named by their values",
                        "the first row holds numbers and dates like the rows below, not column names; " + named,
                        "map each field to its column in the Data page's mapping, as for any file"))
    ids = [n for n, kind, _ in read.named_by_values if kind == "id" and n in columns]
    used = mapping.get("account_id")
    if used in ids and len(ids) > 1:
        others = " or ".join(f'"{n}"' for n in ids if n != used)
        why = {n: why for n, _, why in read.named_by_values}[used]
        why = (f"the file has {len(ids)} id columns and no header to tell them apart; this one holds {why}"
               if used == "customer id" else f"your mapping, of {len(ids)} id columns")
        out.append(Decision(file, used, "account_id", "id_column",
                            f'customer id: "{used}" (column {columns.index(used) + 1})', why,
                            f"map Customer id to {others} in the Data page's mapping if that is the id you use"))
    return tuple(out)


# ------------------------------------------------------------------------------------------------------ all
def decide(frame: pd.DataFrame, table: str, mapping: Mapping[str, str], file: str,
           choices: Mapping[str, tuple[str, ...]] | None = None) -> tuple[tuple[Decision, ...], dict[str, str]]:
    """Every unit and meaning decided for a mapped file, and the mapping with what they add.

    ``choices`` are the manager's overrides (field -> values), as saved in the settings file. The mapping
    returned may map ``churned`` to a status or "active" column, or move a deal "Status" holding stage names
    to ``stage``.

    >>> f = pd.DataFrame({"id": ["a", "b"], "Status": ["Active", "Cancelled"]})
    >>> ds, m = decide(f, "accounts", {"account_id": "id", "status": "Status"}, "a.csv")
    >>> m["churned"], ds[0].choice
    ('Status', ('Cancelled',))
    """
    choices = choices or {}
    mapping = dict(mapping)
    if table not in schema.TABLES:
        return (), mapping
    t = schema.table(table)
    out: list[Decision] = []
    durations = [mapping[f.name] for f in t.fields if f.kind == schema.DURATION and f.name in mapping]
    unitless = [c for c in durations if c in frame.columns and unit_from_header(c) is None]
    gap = gap_unit(frame) if unitless else None
    for f in t.fields:
        if f.name not in mapping or mapping[f.name] not in frame.columns:
            continue
        column = mapping[f.name]
        if f.kind == schema.DURATION:
            siblings = [c for c in durations if c != column]
            out.append(_unit_decision(file, f, column, frame[column], siblings, tuple(choices.get(f.name, ())), gap))
        elif f.name == "tenure":
            out.append(_tenure_decision(file, column, frame[column], tuple(choices.get("tenure", ()))))
        elif f.kind == schema.CSAT:
            chosen = tuple(choices[f.name]) if f.name in choices else None
            rating = _rating_decision(file, f, column, frame[column], chosen)
            out += [rating] if rating is not None else []
    if "churned" in t.field_names:
        source = _churn_source(frame, mapping)
        if source is not None:
            mapping["churned"] = source[0]
            chosen = tuple(choices["churned"]) if "churned" in choices else None
            out.append(_churn_decision(file, source[0], frame[source[0]], source[1], chosen))
    if table == "deals":
        out += _deal_decisions(file, frame, mapping)
    if table == "orders":
        guest = _guest_decision(file, frame, mapping)
        out += [guest] if guest is not None else []
    return tuple(out), mapping


def with_flag_outcome(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed deals frame with a ``status`` of Won / Lost / Open read from its ``won`` and ``closed`` flags,
    when it has a won flag and no status of its own (unchanged otherwise). A deal neither flag decides (no
    closed flag, not won) is lost when its stage name says lost, else open; a blank won flag stays unknown.

    >>> f = pd.DataFrame({"stage": ["Closed Won", "Disqualified", "Proposal"],
    ...                   "won": pd.array([True, False, False]), "closed": pd.array([True, True, False])})
    >>> with_flag_outcome(f)["status"].tolist()
    ['Won', 'Lost', 'Open']
    """
    if "won" not in frame.columns or "status" in frame.columns:
        return frame
    won = frame["won"].astype("boolean")
    if "closed" in frame.columns:
        closed = frame["closed"].astype("boolean")
        otherwise = closed.map(lambda c: None if pd.isna(c) else "Lost" if c else "Open")
    else:
        stages = frame["stage"] if "stage" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        otherwise = stages.map(lambda v: "Lost" if outcome_of(v) == "lost" else "Open")
    status = pd.Series(np.where(won.fillna(False), "Won", otherwise.astype(object)), index=frame.index, dtype=object)
    return frame.assign(status=status.where(won.notna(), None))


def with_last_stage(frame: pd.DataFrame, decisions: tuple[Decision, ...], mapping: Mapping[str, str]) -> pd.DataFrame:
    """A typed deals frame with ``last_stage``: per deal, the stage of its latest dated stage column (blank when
    none is dated); the frame unchanged when the file has no stage dates or records ``last_stage`` itself.

    >>> f = pd.DataFrame({"stage": ["Lost", "Lost"], "created_date": pd.to_datetime(["2024-01-02", None])})
    >>> d = Decision("d.csv", "engage_date", "stage", "stage_date", "", "", "", ("Engaging",))
    >>> with_last_stage(f, (d,), {"created_date": "engage_date"})["last_stage"].fillna("-").tolist()
    ['Engaging', '-']
    """
    dated = [d for d in decisions if d.kind == "stage_date" and d.choice]
    if not dated or "last_stage" in frame.columns:
        return frame
    by_source = {src: name for name, src in mapping.items()}
    latest = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    stage = pd.Series(None, index=frame.index, dtype=object)
    for d in dated:
        column = by_source.get(d.column, d.column)
        if column not in frame.columns or not pd.api.types.is_datetime64_any_dtype(frame[column]):
            continue
        when = frame[column]
        later = when.notna() & (latest.isna() | (when > latest))
        latest, stage = latest.where(~later, when), stage.where(~later, d.choice[0])
    return frame.assign(last_stage=stage)
