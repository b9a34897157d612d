"""Measures derived per account from usage, tickets, surveys, orders and subscriptions, computed in DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass

import duckdb
import pandas as pd


@dataclass(frozen=True)
class DerivedMeasure:
    """One measure derived per account: its name, the table it comes from, what it means (METRICS.md words),
    whether an account with no rows has 0 (a count) rather than a blank (a ratio or a latest value), and the
    SELECT expression over its source's CTE (``{source}``) when it is not simply the column of that name."""

    name: str
    table: str
    doc: str
    zero_when_absent: bool = False
    select: str | None = None

    def expression(self, source: str) -> str:
        """The measure's value in the final SELECT, ``source`` being its table's CTE."""
        if self.select is not None:
            return self.select.format(source=source)
        value = f"{source}.{self.name}"
        return f"COALESCE({value}, 0)" if self.zero_when_absent else value


# The registry of derived measures, in the order the scorecard editor and every table list them.
# Windows are relative to as_of and count days d with as_of - N < d <= as_of (timestamps by their date).
MEASURES: tuple[DerivedMeasure, ...] = (
    DerivedMeasure("usage_active_days_30d", "usage",
                   "Distinct days with any usage in the 30 days to the as-of date (0 when none).",
                   zero_when_absent=True),
    DerivedMeasure("usage_events_30d", "usage",
                   "Sum of usage events in the 30 days to the as-of date (a row without a count counts 1; 0 when none).",
                   zero_when_absent=True),
    DerivedMeasure("usage_trend_30d", "usage",
                   "Usage events in the last 30 days / events in the 30 days before, minus 1, in percent; blank when the earlier 30 days had none."),
    DerivedMeasure("active_users_per_seat", "usage",
                   "Distinct users with usage in the last 30 days / the account's seats (accounts table); blank without seats.",
                   select="COALESCE({source}.users_30d, 0) / CASE WHEN ids.seats > 0 THEN ids.seats END"),
    DerivedMeasure("open_tickets", "tickets",
                   "Tickets created on or before the as-of date and not closed by then: no resolved date on or before it, and not marked closed/resolved/solved/done/complete(d)/cancel(l)ed when there is no resolved date.",
                   zero_when_absent=True),
    DerivedMeasure("tickets_per_month", "tickets",
                   "Tickets created in the last 90 days / 3.",
                   zero_when_absent=True),
    DerivedMeasure("high_priority_share", "tickets",
                   "Percent of tickets created in the last 90 days (with a priority) whose priority is high, urgent or critical (any case)."),
    DerivedMeasure("median_first_response_hours", "tickets",
                   "Median hours from ticket creation to first response, over tickets created in the last 90 days that have it (negative durations left out)."),
    DerivedMeasure("nps_latest", "surveys",
                   "The account's most recent valid 0-10 answer on or before the as-of date (same-day ties: the lower answer; an answer without a date only when none has one)."),
    DerivedMeasure("account_nps", "surveys",
                   "NPS of the account's valid 0-10 answers on or before the as-of date: 100 * (promoters 9-10 - detractors 0-6) / answers."),
    DerivedMeasure("csat_pct", "surveys",
                   "Percent of the account's valid 1-5 CSAT answers on or before the as-of date that are 4 or 5 (top-2-box)."),
    DerivedMeasure("days_since_last_order", "orders",
                   "Days from the account's latest order on or before the as-of date to the as-of date."),
    DerivedMeasure("orders_90d", "orders",
                   "Orders (distinct order ids, else rows) in the last 90 days (0 when none).",
                   zero_when_absent=True),
    DerivedMeasure("spend_trend_90d", "orders",
                   "Order amount in the last 90 days / amount in the 90 days before, minus 1, in percent; blank when the earlier 90 days had none."),
    DerivedMeasure("seat_change_pct", "subscriptions",
                   "Seats on subscriptions active at the as-of date / seats active 90 days earlier, minus 1, in percent; blank when there were none then."),
)
MEASURE: dict[str, DerivedMeasure] = {m.name: m for m in MEASURES}
MEASURE_DOCS: dict[str, str] = {m.name: m.doc for m in MEASURES}
SOURCE_TABLES = ("accounts", "usage", "tickets", "surveys", "orders", "subscriptions")
EXISTING_TABLES_SQL = "SELECT DISTINCT table_name FROM information_schema.tables"
# Counts that are 0 (not blank) for an account with no rows in that table.
ZERO_WHEN_ABSENT = tuple(m.name for m in MEASURES if m.zero_when_absent)
# Ticket statuses that mean closed (any case, trimmed); the Support page uses the same list.
CLOSED_STATUSES = ("closed", "resolved", "solved", "done", "complete", "completed", "cancelled", "canceled")
HIGH_PRIORITIES = ("high", "urgent", "critical")

UNIVERSE_SQL = (
    "SELECT CAST(account_id AS VARCHAR) AS account_id, {seats} AS seats FROM accounts "
    "WHERE account_id IS NOT NULL GROUP BY 1 HAVING {started}"
)
STARTED_BY_AS_OF = "(min(start_date) IS NULL OR CAST(min(start_date) AS DATE) <= $as_of)"
ANY_START = "$as_of IS NOT NULL"  # keeps the one parameter bound when accounts has no start_date

USAGE_ROWS_DIRECT = (
    'SELECT CAST(account_id AS VARCHAR) AS account_id, CAST("date" AS DATE) AS day, {events} AS events, '
    '{user} AS user_id FROM usage WHERE account_id IS NOT NULL AND "date" IS NOT NULL'
)
USAGE_ROWS_VIA_SUBSCRIPTIONS = (
    'SELECT CAST(s.account_id AS VARCHAR) AS account_id, CAST(u."date" AS DATE) AS day, {events} AS events, '
    "{user} AS user_id FROM usage AS u JOIN (SELECT subscription_id, min(account_id) AS account_id "
    "FROM subscriptions WHERE account_id IS NOT NULL GROUP BY subscription_id) AS s "
    'ON u.subscription_id = s.subscription_id WHERE u."date" IS NOT NULL'
)
# Only the 60 days the measures look at are grouped; d = days before as_of (0 = as_of). Distinct active days:
# one bit per day (bit d), OR-ed, the 30-day ones counted: the same number as COUNT(DISTINCT day) without a
# hash set per account. Windows are CASE sums rather than FILTER aggregates (DuckDB's FILTER was the cost).
USAGE_SQL = """
WITH u AS ({rows}), w AS (
  SELECT account_id, CAST($as_of - day AS INTEGER) AS d, events, user_id FROM u
  WHERE day <= $as_of AND day > $as_of - 60),
agg AS (
  SELECT account_id,
    bit_count(bit_or(CAST(1 AS UBIGINT) << CAST(d AS UBIGINT))
      & ((CAST(1 AS UBIGINT) << 30) - 1)) AS usage_active_days_30d,
    SUM(CASE WHEN d < 30 THEN events ELSE 0 END) AS usage_events_30d,
    SUM(CASE WHEN d >= 30 THEN events ELSE 0 END) AS events_prior_30d,
    {users} AS users_30d
  FROM w GROUP BY account_id)
SELECT account_id, usage_active_days_30d, usage_events_30d, users_30d,
  CASE WHEN events_prior_30d > 0 THEN 100.0 * (usage_events_30d / events_prior_30d - 1) END AS usage_trend_30d
FROM agg"""

# Rows outside the windows are dropped at the scan, on the raw date column (no cast per row), before grouping:
# a day d with as_of - 60 < d <= as_of is a timestamp in [as_of - 59, as_of + 1). Used where the column is typed.
TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"})
USAGE_WINDOW = " AND {col} >= CAST($as_of - 59 AS TIMESTAMP) AND {col} < CAST($as_of + 1 AS TIMESTAMP)"
# Tickets: the last 90 days, plus older tickets that are still open (they count in open_tickets).
TICKETS_WINDOW = (" AND {col} < CAST($as_of + 1 AS TIMESTAMP)"
                  " AND ({col} >= CAST($as_of - 89 AS TIMESTAMP) OR ({is_open}))")

# The median is its own aggregate over the 90 days' answered tickets only: as a FILTER beside the counts, DuckDB
# fed every row of the scan to it (half of the query's time on the benchmark's tickets).
TICKETS_SQL = """
WITH t AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(created_at AS DATE) AS day, {is_open} AS is_open,
    {high} AS is_high, {frh} AS frh
  FROM tickets WHERE account_id IS NOT NULL AND created_at IS NOT NULL{window})
SELECT * FROM (SELECT account_id,
  COUNT(*) FILTER (WHERE is_open) AS open_tickets,
  COUNT(*) FILTER (WHERE day > $as_of - 90) / 3.0 AS tickets_per_month,
  100.0 * COUNT(*) FILTER (WHERE day > $as_of - 90 AND is_high)
    / NULLIF(COUNT(is_high) FILTER (WHERE day > $as_of - 90), 0) AS high_priority_share
FROM t WHERE day <= $as_of GROUP BY account_id) AS counts
LEFT JOIN (SELECT account_id, median(frh) AS median_first_response_hours FROM t
  WHERE day <= $as_of AND day > $as_of - 90 AND frh >= 0 GROUP BY account_id) AS medians USING (account_id)"""
# With resolved dates: open when resolved after as_of, or not resolved and not marked closed. CASE runs the
# status test only on the rows without a resolved date (a NOT IN over every row was a third of the query).
OPEN_BY_RESOLVED_AT = "CASE WHEN resolved_at IS NULL THEN {unresolved} ELSE CAST(resolved_at AS DATE) > $as_of END"
# A whole-string regex rather than IN (...): DuckDB turns a long IN list into a join over every row.
_STATUS_IS_CLOSED = f"regexp_full_match(lower(trim(CAST(status AS VARCHAR))), '{'|'.join(CLOSED_STATUSES)}')"
CLOSED_BY_STATUS = f"COALESCE({_STATUS_IS_CLOSED}, false)"
# Status alone: open only when a status says so (a blank status is not evidence of an open ticket).
OPEN_BY_STATUS = f"COALESCE(NOT {_STATUS_IS_CLOSED}, false)"
OPEN_BY_FLAG = "COALESCE(NOT resolved, false)"
HIGH_PRIORITY = "lower(trim(CAST(priority AS VARCHAR))) IN ('high', 'urgent', 'critical')"
FRH_FROM_HOURS = "TRY_CAST(first_response_hours AS DOUBLE)"
FRH_FROM_TIMES = "date_diff('second', CAST(created_at AS TIMESTAMP), CAST(first_response_at AS TIMESTAMP)) / 3600.0"

SURVEYS_SQL = """
WITH s AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, {day} AS day, {nps} AS nps, {csat} AS csat
  FROM surveys WHERE account_id IS NOT NULL),
v AS (
  SELECT *, nps = floor(nps) AND nps BETWEEN 0 AND 10 AS nps_ok, csat = floor(csat) AND csat BETWEEN 1 AND 5 AS csat_ok
  FROM s WHERE {in_window})
SELECT account_id,
  arg_max(nps, {latest_key}) FILTER (WHERE nps_ok) AS nps_latest,
  100.0 * (COUNT(*) FILTER (WHERE nps_ok AND nps >= 9) - COUNT(*) FILTER (WHERE nps_ok AND nps <= 6))
    / NULLIF(COUNT(*) FILTER (WHERE nps_ok), 0) AS account_nps,
  100.0 * COUNT(*) FILTER (WHERE csat_ok AND csat >= 4) / NULLIF(COUNT(*) FILTER (WHERE csat_ok), 0) AS csat_pct
FROM v GROUP BY account_id"""
# The latest answer: dated before undated, later day first, on one day the lower answer. One BIGINT key ordered
# as the tuple (day IS NOT NULL, day, -nps) is: days since 1970 (an undated answer far below any date) times 16,
# plus 10 - nps (0..10 for the valid answers the FILTER keeps). Comparing a tuple per row was a third of the query.
LATEST_KEY = "COALESCE(CAST(day - DATE '1970-01-01' AS BIGINT), -100000000) * 16 + CAST(10 - nps AS BIGINT)"
SURVEY_DAY = 'CAST("date" AS DATE)'
SURVEY_DATED = "(day IS NULL OR day <= $as_of)"
SURVEY_UNDATED = "$as_of IS NOT NULL"  # no date column: every answer counts

# Distinct orders are counted over the 90 days' rows only: a COUNT(DISTINCT) FILTER beside the other aggregates
# made DuckDB group every order of the file by (account, order id) first (three quarters of the query's time).
ORDERS_SQL = """
WITH o AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, CAST("date" AS DATE) AS day, {amount} AS amount, {key} AS order_key
  FROM orders WHERE account_id IS NOT NULL AND "date" IS NOT NULL),
agg AS (
  SELECT account_id, $as_of - max(day) AS days_since_last_order,
    COALESCE(SUM(CASE WHEN day > $as_of - 90 THEN amount END), 0) AS spend_90d,
    COALESCE(SUM(CASE WHEN day > $as_of - 180 AND day <= $as_of - 90 THEN amount END), 0) AS spend_prior_90d
  FROM o WHERE day <= $as_of GROUP BY account_id),
recent AS (
  SELECT account_id, COUNT(DISTINCT order_key) AS orders_90d FROM o
  WHERE day <= $as_of AND day > $as_of - 90 GROUP BY account_id)
SELECT account_id, days_since_last_order, COALESCE(orders_90d, 0) AS orders_90d,
  CASE WHEN spend_prior_90d > 0 THEN 100.0 * (spend_90d / spend_prior_90d - 1) END AS spend_trend_90d
FROM agg LEFT JOIN recent USING (account_id)"""

SEATS_SQL = """
WITH agg AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id,
    COALESCE(SUM(seats) FILTER (WHERE CAST(start_date AS DATE) <= $as_of AND {active_now}), 0) AS seats_now,
    COALESCE(SUM(seats) FILTER (WHERE CAST(start_date AS DATE) <= $as_of - 90 AND {active_then}), 0) AS seats_then
  FROM subscriptions WHERE account_id IS NOT NULL GROUP BY 1)
SELECT account_id, CASE WHEN seats_then > 0 THEN 100.0 * (seats_now / seats_then - 1) END AS seat_change_pct FROM agg"""
ACTIVE_NOW = "(end_date IS NULL OR CAST(end_date AS DATE) > $as_of)"
ACTIVE_THEN = "(end_date IS NULL OR CAST(end_date AS DATE) > $as_of - 90)"


Columns = dict[str, dict[str, str]]  # table -> column -> DuckDB type


@dataclass(frozen=True)
class _Query:
    sql: str
    measures: tuple[str, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, tables: set[str]) -> Columns:
    """Columns (name -> DuckDB type) of the tables this module reads, for those named in ``tables`` that exist."""
    existing = {row[0] for row in con.execute(EXISTING_TABLES_SQL).fetchall()}
    wanted = sorted(set(tables) & set(SOURCE_TABLES) & existing)
    return {t: {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {_quote(t)}").fetchall()}
            for t in wanted}


def _window(types: dict[str, str], column: str, template: str, ref: str | None = None, **extra: str) -> str:
    """``template`` (a filter on ``column``, written as ``ref``) when the column is a date or timestamp, else ""."""
    return template.format(col=ref or _quote(column), **extra) if types.get(column) in TEMPORAL_TYPES else ""


def _usage_query(cols: Columns) -> _Query | None:
    u = cols.get("usage", {})
    if "date" not in u:
        return None
    events = "COALESCE(CAST(events AS DOUBLE), 1)" if "events" in u else "1"
    user = "CAST(user_id AS VARCHAR)" if "user_id" in u else "NULL"
    if "account_id" in u:
        rows = USAGE_ROWS_DIRECT.format(events=events, user=user) + _window(u, "date", USAGE_WINDOW)
    elif "subscription_id" in u and {"subscription_id", "account_id"} <= cols.get("subscriptions", {}).keys():
        rows = USAGE_ROWS_VIA_SUBSCRIPTIONS.format(events=events, user=user) + _window(u, "date", USAGE_WINDOW, 'u."date"')
    else:
        return None
    names: tuple[str, ...] = ("usage_active_days_30d", "usage_events_30d", "usage_trend_30d")
    if "user_id" in u and "seats" in cols.get("accounts", {}):
        names += ("active_users_per_seat",)
    # Distinct users only when there is a user column (counting NULLs' distinct values cost a full pass).
    users = "COUNT(DISTINCT CASE WHEN d < 30 THEN user_id END)" if "user_id" in u else "NULL::BIGINT"
    return _Query(USAGE_SQL.format(rows=rows, users=users), names)


def _tickets_query(cols: Columns) -> _Query | None:
    t = cols.get("tickets", {})
    if not {"account_id", "created_at"} <= t.keys():
        return None
    names = ["tickets_per_month"]
    if "resolved_at" in t:
        unresolved = [f"NOT {CLOSED_BY_STATUS}"] if "status" in t else []
        unresolved += ["NOT COALESCE(resolved, false)"] if "resolved" in t else []
        is_open = OPEN_BY_RESOLVED_AT.format(unresolved=" AND ".join(unresolved) or "TRUE")
    else:
        is_open = OPEN_BY_STATUS if "status" in t else OPEN_BY_FLAG if "resolved" in t else "NULL"
    if is_open != "NULL":
        names.append("open_tickets")
    high = HIGH_PRIORITY if "priority" in t else "NULL"
    names += ["high_priority_share"] if "priority" in t else []
    frh = FRH_FROM_HOURS if "first_response_hours" in t else FRH_FROM_TIMES if "first_response_at" in t else "NULL"
    names += ["median_first_response_hours"] if frh != "NULL" else []
    window = _window(t, "created_at", TICKETS_WINDOW, is_open=is_open)
    return _Query(TICKETS_SQL.format(is_open=is_open, high=high, frh=frh, window=window), tuple(names))


def _surveys_query(cols: Columns) -> _Query | None:
    s = cols.get("surveys", {})
    if "account_id" not in s or not ({"nps", "csat"} & s.keys()):
        return None
    dated = "date" in s
    names = (["nps_latest"] if "nps" in s and dated else []) + (["account_nps"] if "nps" in s else [])
    names += ["csat_pct"] if "csat" in s else []
    sql = SURVEYS_SQL.format(
        day=SURVEY_DAY if dated else "NULL::DATE",
        nps="TRY_CAST(nps AS DOUBLE)" if "nps" in s else "NULL::DOUBLE",
        csat="TRY_CAST(csat AS DOUBLE)" if "csat" in s else "NULL::DOUBLE",
        in_window=SURVEY_DATED if dated else SURVEY_UNDATED,
        latest_key=LATEST_KEY,
    )
    return _Query(sql, tuple(names))


def _orders_query(cols: Columns) -> _Query | None:
    o = cols.get("orders", {})
    if not {"account_id", "date"} <= o.keys():
        return None
    amount = "TRY_CAST(amount AS DOUBLE)" if "amount" in o else "NULL::DOUBLE"
    key = "CAST(order_id AS VARCHAR)" if "order_id" in o else "row_number() OVER ()"
    names = ("days_since_last_order", "orders_90d") + (("spend_trend_90d",) if "amount" in o else ())
    return _Query(ORDERS_SQL.format(amount=amount, key=key), names)


def _seats_query(cols: Columns) -> _Query | None:
    s = cols.get("subscriptions", {})
    if not {"account_id", "seats", "start_date"} <= s.keys():
        return None
    now, then = (ACTIVE_NOW, ACTIVE_THEN) if "end_date" in s else ("TRUE", "TRUE")
    return _Query(SEATS_SQL.format(active_now=now, active_then=then), ("seat_change_pct",))


# One query builder per source table: each reads its table once and returns the measures the columns allow.
QUERIES: dict[str, Callable[[Columns], _Query | None]] = {
    "usage": _usage_query, "tickets": _tickets_query, "surveys": _surveys_query, "orders": _orders_query,
    "subscriptions": _seats_query,
}


def _plan(cols: Columns) -> list[_Query]:
    return [q for q in (build(cols) for build in QUERIES.values()) if q is not None]


def available_measures(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, str]:
    """Derived measures the loaded tables allow, name -> kind ("number"), for the scorecard editor.

    Examples
    --------
    >>> # available_measures(con, {"accounts", "tickets"})  -> {"tickets_per_month": "number", ...}
    """
    return {name: "number" for q in _plan(_columns(con, tables)) for name in q.measures}


def derived_measures(con: duckdb.DuckDBPyConnection, tables: set[str], as_of: dt.date,
                     ordered: bool = True, only: Collection[str] | None = None) -> pd.DataFrame:
    """One row per account (index account_id) with every derived measure the tables allow (MEASURE_DOCS), in
    account id order; in no set order when not ``ordered`` (a caller that joins them onto the accounts: sorting
    100,000 ids was a tenth of the statement's CPU, paid once for each of the history's twelve month ends).

    ``only``: the measures wanted (others may come too): a table none of them is read from is not read, when the
    accounts table gives the rows (without it the rows are the ids the tables hold, so every table is read).

    Accounts come from ``accounts`` (those started by ``as_of`` when it has start_date), else
    from the ids found in the other tables. Counts in ZERO_WHEN_ABSENT are 0 for an account with
    no rows; ratios and latest values stay blank. One SQL statement: each table is read once and
    the per-table aggregates are joined in DuckDB, so only the final frame crosses into pandas.

    Examples
    --------
    >>> # derived_measures(con, {"accounts", "usage"}, date(2024, 12, 31))["usage_events_30d"]
    """
    cols = _columns(con, tables)
    plan = _plan(cols)
    has_universe = "account_id" in cols.get("accounts", {})
    if only is not None and has_universe:
        plan = [q for q in plan if set(q.measures) & set(only)]
    names = [n for q in plan for n in q.measures]
    if not plan and not has_universe:
        return pd.DataFrame(index=pd.Index([], name="account_id", dtype=object))
    ctes = [f"p{i} AS ({q.sql})" for i, q in enumerate(plan)]
    if has_universe:
        a = cols["accounts"]
        ctes.insert(0, "ids AS (" + UNIVERSE_SQL.format(
            seats="max(TRY_CAST(seats AS DOUBLE))" if "seats" in a else "NULL::DOUBLE",
            started=STARTED_BY_AS_OF if "start_date" in a else ANY_START) + ")")
    else:
        ctes.append("ids AS (" + " UNION ".join(f"SELECT account_id FROM p{i}" for i in range(len(plan))) + ")")
    source = {n: f"p{i}" for i, q in enumerate(plan) for n in q.measures}
    select = []
    for m in (m for m in MEASURES if m.name in names):
        select.append(f"CAST({m.expression(source[m.name])} AS DOUBLE) AS {m.name}")
    joins = "".join(f" LEFT JOIN p{i} ON p{i}.account_id = ids.account_id" for i in range(len(plan)))
    sql = (f"WITH {', '.join(ctes)} SELECT {', '.join(['ids.account_id', *select])} "
           f"FROM ids{joins}{' ORDER BY ids.account_id' if ordered else ''}")
    return con.execute(sql, {"as_of": as_of}).df().set_index("account_id")
