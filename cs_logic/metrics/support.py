"""Support desk metrics: response and resolution times, volume per week, backlog, per-agent tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cs_logic.metrics import measures
from cs_logic.metrics.feedback import csat

SMALL_SAMPLE = 30
CLOSED_STATUSES = frozenset(measures.CLOSED_STATUSES)


@dataclass(frozen=True)
class Durations:
    """Hours per ticket (aligned with the tickets' index; NaN where unknown or negative)."""

    first_response_hours: pd.Series
    resolution_hours: pd.Series
    negative_first_response: int
    negative_resolution: int


def _hours(tickets: pd.DataFrame, hours_col: str, at_col: str) -> tuple[pd.Series, int]:
    out = pd.Series(np.nan, index=tickets.index, dtype=float)
    if hours_col in tickets.columns:
        out = pd.to_numeric(tickets[hours_col], errors="coerce").astype(float)
    if at_col in tickets.columns and "created_at" in tickets.columns:
        gap = (pd.to_datetime(tickets[at_col], errors="coerce")
               - pd.to_datetime(tickets["created_at"], errors="coerce")).dt.total_seconds() / 3600.0
        out = out.fillna(gap.astype(float))
    negative = out < 0
    return out.mask(negative), int(negative.sum())


def ticket_durations(tickets: pd.DataFrame) -> Durations:
    """First response and resolution hours per ticket.

    Each is the exported ``*_hours`` value where present, else ``*_at - created_at`` in hours.
    Negative durations (a reply stamped before the ticket) are left out and counted.

    >>> t = pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 10:00"]),
    ...                   "first_response_at": pd.to_datetime(["2024-01-01 10:30", "2024-01-01 09:00"])})
    >>> d = ticket_durations(t); d.first_response_hours.tolist(), d.negative_first_response
    ([2.5, nan], 1)
    """
    first, neg_first = _hours(tickets, "first_response_hours", "first_response_at")
    resolution, neg_res = _hours(tickets, "resolution_hours", "resolved_at")
    if "resolved" in tickets.columns:  # METRICS.md: resolution time counts resolved tickets only
        resolution = resolution.where(tickets["resolved"].astype("boolean").fillna(False).to_numpy(dtype=bool))
    return Durations(first, resolution, neg_first, neg_res)


def _quantile(values: pd.Series, q: float) -> float | None:
    values = values.dropna()
    return float(values.quantile(q)) if len(values) else None


def support_summary(tickets: pd.DataFrame) -> dict[str, Any]:
    """Ticket count and the median / 90th percentile of first response and resolution hours.

    Times are over the tickets that have them (METRICS.md: Support); None where none has.
    Also returns how many tickets each time rests on and how many negative ones were left out.

    >>> support_summary(pd.DataFrame({"first_response_hours": [1.0, 3.0, None]}))["median_first_response_hours"]
    2.0
    """
    d = ticket_durations(tickets)
    return {
        "count": len(tickets),
        "median_first_response_hours": _quantile(d.first_response_hours, 0.5),
        "p90_first_response_hours": _quantile(d.first_response_hours, 0.9),
        "median_resolution_hours": _quantile(d.resolution_hours, 0.5),
        "p90_resolution_hours": _quantile(d.resolution_hours, 0.9),
        "n_first_response": int(d.first_response_hours.notna().sum()),
        "n_resolution": int(d.resolution_hours.notna().sum()),
        "negative_first_response": d.negative_first_response,
        "negative_resolution": d.negative_resolution,
    }


def tickets_per_week(tickets: pd.DataFrame, date_col: str = "created_at") -> pd.DataFrame:
    """Tickets created per week (weeks start on Monday; weeks without tickets show 0).

    >>> tickets_per_week(pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-17"])}))["tickets"].tolist()
    [2, 0, 1]
    """
    dates = pd.to_datetime(tickets[date_col], errors="coerce").dropna()
    if dates.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "tickets": pd.Series(dtype=int)})
    weeks = dates.dt.to_period("W-SUN").dt.start_time
    counts = weeks.value_counts().sort_index()
    full = pd.date_range(counts.index.min(), counts.index.max(), freq="7D")
    counts = counts.reindex(full, fill_value=0)
    return pd.DataFrame({"week": full, "tickets": counts.to_numpy().astype(int)})


def backlog(tickets: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame | None:
    """Tickets open at ``as_of``: created by then and not resolved by then, with their age in days.

    The rule of the health measure ``open_tickets``: with ``resolved_at``, a ticket is open when it was
    resolved after ``as_of``, or has no resolved date and no status or resolved flag saying it is closed.
    Without ``resolved_at`` the current status or resolved flag decides, which is only right for ``as_of`` =
    the export date; ``attrs["method"]`` says which rule was used. None (unknown) when the export has no
    resolved date, status or resolved flag: a ticket is then not known to be open. With no ``as_of`` (no file
    has a date) or no created date, every ticket counts as created and a resolved date as resolved; the age is
    then unknown (NaN).

    >>> t = pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01", "2024-01-05"]),
    ...                   "resolved_at": pd.to_datetime(["2024-01-02", None])})
    >>> len(backlog(t, pd.Timestamp("2024-01-10")))
    1
    >>> len(backlog(pd.DataFrame({"status": ["open", "Solved", "pending"]}), None))
    2
    """
    found = _open_tickets(tickets, as_of)
    if found is None:
        return None
    is_open, created, method = found
    as_of = None if as_of is None else pd.Timestamp(as_of)
    age = (as_of - created[is_open]).dt.total_seconds() / 86400.0 if as_of is not None else np.nan
    out = tickets[is_open.to_numpy()].assign(age_days=age)
    out.attrs["method"] = method
    return out


def backlog_size(tickets: pd.DataFrame, as_of: pd.Timestamp | None) -> tuple[int, str] | None:
    """``len(backlog(tickets, as_of))`` and its rule (``attrs["method"]``), without copying the open tickets
    (the Support page and the summary show the count only; millions of tickets at size L).

    >>> backlog_size(pd.DataFrame({"status": ["open", "Solved", "pending"]}), None)
    (2, 'current status or resolved flag says not resolved (no resolution dates in the export)')
    """
    found = _open_tickets(tickets, as_of)
    return None if found is None else (int(found[0].sum()), found[2])


def _open_tickets(tickets: pd.DataFrame, as_of: pd.Timestamp | None) -> tuple[pd.Series, pd.Series, str] | None:
    """Which tickets :func:`backlog` counts as open at ``as_of``, their created stamps and the rule, in words."""
    as_of = None if as_of is None else pd.Timestamp(as_of)
    if "created_at" in tickets.columns:
        created = pd.to_datetime(tickets["created_at"], errors="coerce")
    else:
        created = pd.Series(pd.NaT, index=tickets.index, dtype="datetime64[ns]")
    is_open = created.le(as_of) if as_of is not None and "created_at" in tickets.columns else \
        pd.Series(True, index=tickets.index)
    closed = _closed_status(tickets["status"]) if "status" in tickets.columns else None
    if "resolved" in tickets.columns:
        flagged = tickets["resolved"].astype("boolean").fillna(False).astype(bool)
        closed = flagged if closed is None else closed | flagged
    if "resolved_at" in tickets.columns:
        resolved = pd.to_datetime(tickets["resolved_at"], errors="coerce")
        unresolved = resolved.isna() if closed is None else resolved.isna() & ~closed
        is_open &= unresolved | (resolved.gt(as_of) if as_of is not None else False)
        method = "created on or before the date and not resolved by then" + (
            "; without a resolved date, a closed status counts as resolved" if closed is not None else "")
    elif closed is not None:
        is_open &= ~closed
        method = "current status or resolved flag says not resolved (no resolution dates in the export)"
    else:
        return None
    return is_open, created, method


def _closed_status(status: pd.Series) -> pd.Series:
    """Whether each status reads as closed (stripped, case folded, in CLOSED_STATUSES), worked out once per
    distinct status: folding 5M statuses one by one made three text copies of them at size L.

    >>> _closed_status(pd.Series([" Solved", "open", None, "solved"])).tolist()
    [True, False, False, True]
    """
    codes, distinct = pd.factorize(status)
    blank = pd.Series([np.nan], dtype=status.dtype)  # a blank status, as the whole column's rule reads it
    names = pd.concat([pd.Series(distinct, dtype=status.dtype), blank], ignore_index=True)
    closed = names.astype(str).str.strip().str.casefold().isin(CLOSED_STATUSES).to_numpy(bool)
    return pd.Series(closed[codes], index=status.index)  # code -1 (blank) takes the last: the blank's answer


def format_hours(hours: float | None) -> str:
    """A duration in hours in the unit that shows it: seconds under a minute, minutes under an hour (a call
    centre's 72-second answer is not "0.0 h").

    >>> format_hours(0.02), format_hours(0.5), format_hours(3.25), format_hours(72.0), format_hours(None)
    ('1 min 12 s', '30 min', '3.2 h', '72.0 h', '–')
    """
    if hours is None or pd.isna(hours):
        return "–"
    seconds = hours * 3600
    if abs(seconds) < 60:
        return f"{seconds:.0f} s"
    if abs(hours) < 1:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest and minutes < 10 else f"{seconds / 60:.0f} min"
    return f"{hours:,.1f} h"


def _flag_share(values: pd.Series) -> float | None:
    flags = values.astype("boolean").dropna()
    return float(flags.mean()) if len(flags) else None


def _share_with(group: pd.DataFrame, flag: str, evidence: tuple[str, ...]) -> float | None:
    """Share of tickets with ``flag`` true (over those with the flag) or, without that column, with a value in
    the first ``evidence`` column present (a first-response or resolution time); None when neither exists."""
    if flag in group.columns:
        return _flag_share(group[flag])
    column = next((c for c in evidence if c in group.columns), None)
    return float(group[column].notna().mean()) if column is not None and len(group) else None


# The columns by_dim's figures read besides the grouping column: CSAT, the answered / resolved flags and the times
# their shares fall back on (``_share_with``).
BY_DIM_READS = ("csat", "answered", "resolved", "first_response_at", "first_response_hours", "resolved_at",
                "resolution_hours")


def by_dim(tickets: pd.DataFrame, col: str) -> pd.DataFrame:
    """Per value of ``col`` (agent, channel, priority, topic): volume, median times, shares, CSAT %.

    Columns: ``col``, tickets, median_first_response_hours, p90_first_response_hours,
    median_resolution_hours, answered_share / resolved_share (the export's answered/resolved flags over
    the tickets that have one; without a flag, the share with a first-response / resolution time; None
    when the export has neither), csat (% of 4-5), csat_n, small_sample (csat_n < 30). Without a CSAT
    column the three are unknown (blank), never "0 answers". Blank values of ``col`` form a group of
    their own. Sorted by volume.

    >>> by_dim(pd.DataFrame({"agent": ["a", "a", "b"], "csat": [5, 2, 4]}), "agent")[["agent", "tickets", "csat"]].values.tolist()
    [['a', 2, 50.0], ['b', 1, 100.0]]
    """
    if col not in tickets.columns:
        raise ValueError(f"the tickets table has no {col} column")
    d = ticket_durations(tickets)
    # Only the columns a group's figures read: grouping sorts a copy of the frame, all 5M tickets at size L.
    used = dict.fromkeys(c for c in (col, *BY_DIM_READS) if c in tickets.columns)
    frame = tickets[list(used)].assign(_first=d.first_response_hours, _res=d.resolution_hours)
    rows = []
    for key, group in frame.groupby(col, dropna=False, sort=False):
        c = csat(group["csat"]) if "csat" in group.columns else None
        rows.append({
            col: key, "tickets": len(group),
            "median_first_response_hours": _quantile(group["_first"], 0.5),
            "p90_first_response_hours": _quantile(group["_first"], 0.9),
            "median_resolution_hours": _quantile(group["_res"], 0.5),
            "answered_share": _share_with(group, "answered", ("first_response_at", "first_response_hours")),
            "resolved_share": _share_with(group, "resolved", ("resolved_at", "resolution_hours")),
            "csat": c.csat if c else None, "csat_n": c.n if c else None,
        })
    out = pd.DataFrame(rows)
    out["csat_n"] = out["csat_n"].astype("Int64")
    out["small_sample"] = (out["csat_n"] < SMALL_SAMPLE).astype("boolean")
    return out.sort_values(["tickets", col], ascending=[False, True], ignore_index=True)


def by_agent(tickets: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_dim` over ``agent`` (METRICS.md: per-agent tables flag CSAT under 30 answers).

    >>> by_agent(pd.DataFrame({"agent": ["a"], "csat": [5]}))["small_sample"].tolist()
    [True]
    """
    return by_dim(tickets, "agent")


def response_percentiles(tickets: pd.DataFrame, col: str = "agent",
                         quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
    """First response hours per group at a few percentiles (long form, for a chart).

    >>> response_percentiles(pd.DataFrame({"agent": ["a", "a"], "first_response_hours": [1.0, 3.0]}), quantiles=(0.5,)).values.tolist()
    [['a', 0.5, 2.0, 2]]
    """
    hours = ticket_durations(tickets).first_response_hours
    frame = pd.DataFrame({col: tickets[col], "hours": hours}).dropna()
    rows = [(key, q, float(g["hours"].quantile(q)), len(g))
            for key, g in frame.groupby(col, sort=True) for q in quantiles]
    return pd.DataFrame(rows, columns=[col, "quantile", "hours", "n"])
