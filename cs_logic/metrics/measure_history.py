"""The derived measures at many days at once (the health history's month ends), in one DuckDB statement.

:func:`cs_logic.metrics.measures.derived_measures` answers for one as-of day and reads every source table
once per call; the twelve-month health history called it twelve times, and at 100,000 accounts each call
spent most of its time scanning the session's frames (2-3 s a month). Here a ``months`` table holds the
days and each table's rows are joined to the days whose windows they fall in (usage: the 60 days before;
tickets: the last 90 days, or still open; surveys and orders: everything up to the day), so each table is
read once for all the days. The definitions are those of :mod:`cs_logic.metrics.measures` with the
parameter ``$as_of`` turned into the column ``as_of``; which measures exist is decided by its query
builders, and a test checks that both give the same figures, day by day, on the demo data and real exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

import duckdb
import pandas as pd

from cs_logic.metrics import measures as ms

MONTHS = "months AS (SELECT CAST(unnest($days) AS DATE) AS as_of WHERE $first <= $last)"  # both bound always
# Rows no window of any day can reach are dropped at the scan, on the raw column, when it is typed.
USAGE_SPAN = " AND {col} >= CAST($first - 59 AS TIMESTAMP) AND {col} < CAST($last + 1 AS TIMESTAMP)"
UP_TO_LAST = " AND {col} < CAST($last + 1 AS TIMESTAMP)"

USAGE_SQL = """
WITH u AS ({rows}), w AS (
  SELECT u.account_id, m.as_of, CAST(m.as_of - u.day AS INTEGER) AS d, u.events, u.user_id
  FROM u JOIN months AS m ON u.day <= m.as_of AND u.day > m.as_of - 60),
agg AS (
  SELECT account_id, as_of,
    bit_count(bit_or(CAST(1 AS UBIGINT) << CAST(d AS UBIGINT))
      & ((CAST(1 AS UBIGINT) << 30) - 1)) AS usage_active_days_30d,
    SUM(CASE WHEN d < 30 THEN events ELSE 0 END) AS usage_events_30d,
    SUM(CASE WHEN d >= 30 THEN events ELSE 0 END) AS events_prior_30d,
    {users} AS users_30d
  FROM w GROUP BY account_id, as_of)
SELECT account_id, as_of, usage_active_days_30d, usage_events_30d, users_30d,
  CASE WHEN events_prior_30d > 0 THEN 100.0 * (usage_events_30d / events_prior_30d - 1) END AS usage_trend_30d
FROM agg"""

# A ticket counts for a day when created on or before it and either created in its last 90 days or still open
# then (whether it is open depends on the day: a resolved date after it); older closed tickets change no figure.
TICKETS_SQL = """
WITH t AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(created_at AS DATE) AS day, {high} AS is_high,
    {frh} AS frh{carried}
  FROM tickets WHERE account_id IS NOT NULL AND created_at IS NOT NULL{span}),
tm AS (
  SELECT t.account_id, t.day, t.is_high, t.frh, m.as_of, {is_open} AS is_open
  FROM t JOIN months AS m ON t.day <= m.as_of),
k AS (SELECT * FROM tm WHERE day > as_of - 90 OR is_open)
SELECT account_id, as_of,
  COUNT(*) FILTER (WHERE is_open) AS open_tickets,
  COUNT(*) FILTER (WHERE day > as_of - 90) / 3.0 AS tickets_per_month,
  100.0 * COUNT(*) FILTER (WHERE day > as_of - 90 AND is_high)
    / NULLIF(COUNT(is_high) FILTER (WHERE day > as_of - 90), 0) AS high_priority_share,
  median(frh) FILTER (WHERE day > as_of - 90 AND frh >= 0) AS median_first_response_hours
FROM k GROUP BY account_id, as_of"""

SURVEYS_SQL = """
WITH s AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, {day} AS day, {nps} AS nps, {csat} AS csat
  FROM surveys WHERE account_id IS NOT NULL),
v AS (
  SELECT s.*, m.as_of, nps = floor(nps) AND nps BETWEEN 0 AND 10 AS nps_ok,
    csat = floor(csat) AND csat BETWEEN 1 AND 5 AS csat_ok
  FROM s JOIN months AS m ON {in_window})
SELECT account_id, as_of,
  arg_max(nps, {latest_key}) FILTER (WHERE nps_ok) AS nps_latest,
  100.0 * (COUNT(*) FILTER (WHERE nps_ok AND nps >= 9) - COUNT(*) FILTER (WHERE nps_ok AND nps <= 6))
    / NULLIF(COUNT(*) FILTER (WHERE nps_ok), 0) AS account_nps,
  100.0 * COUNT(*) FILTER (WHERE csat_ok AND csat >= 4) / NULLIF(COUNT(*) FILTER (WHERE csat_ok), 0) AS csat_pct
FROM v GROUP BY account_id, as_of"""
SURVEY_DATED = "(s.day IS NULL OR s.day <= m.as_of)"

# The last order before each day through an ASOF join (the latest order day on or before it), so only the 180 days
# the windows look at are joined to each day: joining every order to every later month end was 4.7M rows at M.
ORDERS_SQL = """
WITH o AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, CAST("date" AS DATE) AS day, {amount} AS amount, {key} AS order_key
  FROM orders WHERE account_id IS NOT NULL AND "date" IS NOT NULL),
days AS (SELECT DISTINCT account_id, day FROM o),
latest AS (
  SELECT a.account_id, m.as_of, m.as_of - d.day AS days_since_last_order
  FROM (SELECT DISTINCT account_id FROM days) AS a CROSS JOIN months AS m
  ASOF JOIN days AS d ON d.account_id = a.account_id AND m.as_of >= d.day),
win AS (
  SELECT o.account_id, m.as_of,
    COUNT(DISTINCT order_key) FILTER (WHERE o.day > m.as_of - 90) AS orders_90d,
    COALESCE(SUM(amount) FILTER (WHERE o.day > m.as_of - 90), 0) AS spend_90d,
    COALESCE(SUM(amount) FILTER (WHERE o.day <= m.as_of - 90), 0) AS spend_prior_90d
  FROM o JOIN months AS m ON o.day <= m.as_of AND o.day > m.as_of - 180 GROUP BY 1, 2)
SELECT l.account_id, l.as_of, l.days_since_last_order, COALESCE(w.orders_90d, 0) AS orders_90d,
  CASE WHEN w.spend_prior_90d > 0 THEN 100.0 * (w.spend_90d / w.spend_prior_90d - 1) END AS spend_trend_90d
FROM latest AS l LEFT JOIN win AS w ON w.account_id = l.account_id AND w.as_of = l.as_of"""

SEATS_SQL = """
WITH agg AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, m.as_of,
    COALESCE(SUM(seats) FILTER (WHERE CAST(start_date AS DATE) <= m.as_of AND {active_now}), 0) AS seats_now,
    COALESCE(SUM(seats) FILTER (WHERE CAST(start_date AS DATE) <= m.as_of - 90 AND {active_then}), 0) AS seats_then
  FROM subscriptions CROSS JOIN months AS m WHERE account_id IS NOT NULL GROUP BY 1, 2)
SELECT account_id, as_of, CASE WHEN seats_then > 0 THEN 100.0 * (seats_now / seats_then - 1) END AS seat_change_pct
FROM agg"""

UNIVERSE_SQL = (
    "SELECT a.account_id, m.as_of, a.seats FROM (SELECT CAST(account_id AS VARCHAR) AS account_id, {seats} AS seats, "
    "{start} AS started FROM accounts WHERE account_id IS NOT NULL GROUP BY 1) AS a JOIN months AS m ON {started}"
)
STARTED_BY_AS_OF = "(a.started IS NULL OR CAST(a.started AS DATE) <= m.as_of)"


def _at_day(expression: str) -> str:
    """A one-day SQL expression of :mod:`measures` (its ``$as_of`` parameter) as one over the months' column."""
    return expression.replace("$as_of", "m.as_of")


def _usage(cols: ms.Columns) -> str | None:
    u = cols.get("usage", {})
    events = "COALESCE(CAST(events AS DOUBLE), 1)" if "events" in u else "1"
    user = "CAST(user_id AS VARCHAR)" if "user_id" in u else "NULL"
    if "account_id" in u:
        rows = ms.USAGE_ROWS_DIRECT.format(events=events, user=user) + ms._window(u, "date", USAGE_SPAN)
    else:  # the one-day builder allowed it, so the usage rows reach accounts through subscriptions
        rows = ms.USAGE_ROWS_VIA_SUBSCRIPTIONS.format(events=events, user=user) + ms._window(
            u, "date", USAGE_SPAN, 'u."date"')
    users = "COUNT(DISTINCT CASE WHEN d < 30 THEN user_id END)" if "user_id" in u else "NULL::BIGINT"
    return USAGE_SQL.format(rows=rows, users=users)


def _tickets(cols: ms.Columns) -> str | None:
    t = cols.get("tickets", {})
    if "resolved_at" in t:
        unresolved = [f"NOT {ms.CLOSED_BY_STATUS}"] if "status" in t else []
        unresolved += ["NOT COALESCE(resolved, false)"] if "resolved" in t else []
        is_open = ms.OPEN_BY_RESOLVED_AT.format(unresolved=" AND ".join(unresolved) or "TRUE")
    else:
        is_open = ms.OPEN_BY_STATUS if "status" in t else ms.OPEN_BY_FLAG if "resolved" in t else "NULL"
    carried = "".join(f", {ms._quote(c)}" for c in ("resolved_at", "status", "resolved") if c in t)
    high = ms.HIGH_PRIORITY if "priority" in t else "NULL"
    frh = ms.FRH_FROM_HOURS if "first_response_hours" in t else ms.FRH_FROM_TIMES if "first_response_at" in t \
        else "NULL"
    return TICKETS_SQL.format(high=high, frh=frh, carried=carried, is_open=_at_day(is_open),
                              span=ms._window(t, "created_at", UP_TO_LAST))


def _surveys(cols: ms.Columns) -> str | None:
    s = cols.get("surveys", {})
    dated = "date" in s
    return SURVEYS_SQL.format(
        day=ms.SURVEY_DAY if dated else "NULL::DATE",
        nps="TRY_CAST(nps AS DOUBLE)" if "nps" in s else "NULL::DOUBLE",
        csat="TRY_CAST(csat AS DOUBLE)" if "csat" in s else "NULL::DOUBLE",
        in_window=SURVEY_DATED if dated else "TRUE",
        latest_key=ms.LATEST_KEY,
    )


def _orders(cols: ms.Columns) -> str | None:
    o = cols.get("orders", {})
    amount = "TRY_CAST(amount AS DOUBLE)" if "amount" in o else "NULL::DOUBLE"
    key = "CAST(order_id AS VARCHAR)" if "order_id" in o else "row_number() OVER ()"
    return ORDERS_SQL.format(amount=amount, key=key)


def _seats(cols: ms.Columns) -> str | None:
    now, then = (ms.ACTIVE_NOW, ms.ACTIVE_THEN) if "end_date" in cols.get("subscriptions", {}) else ("TRUE", "TRUE")
    return SEATS_SQL.format(active_now=_at_day(now), active_then=_at_day(then))


# The many-day query of each source table; it runs where the one-day builder (measures.QUERIES) gives a query,
# and yields that query's measures.
QUERIES: dict[str, Callable[[ms.Columns], str | None]] = {
    "usage": _usage, "tickets": _tickets, "surveys": _surveys, "orders": _orders, "subscriptions": _seats,
}


# Rows are fetched about a million at a time (2,048 rows a vector) and handed on a day at a time, so pandas
# never holds more than one day's measures plus one chunk (at 1M accounts twelve days would be 12M rows).
CHUNK_VECTORS = 512


def _by_day(chunks: Iterable[pd.DataFrame], days: list[dt.date]) -> Iterator[tuple[dt.date, pd.DataFrame]]:
    """Rows ordered by as_of, in chunks -> (day, that day's rows indexed by account_id) for each of ``days``."""
    pending, parts, empty = list(days), list[pd.DataFrame](), None
    for chunk in chunks:
        when = pd.to_datetime(chunk.pop("as_of")).dt.date.to_numpy()
        chunk = chunk.set_index("account_id")
        if empty is None:  # a day without rows: the columns, on an empty index (as DuckDB gives it)
            empty = chunk.iloc[:0].set_axis(pd.Index([], name="account_id", dtype=object))
        for day in dict.fromkeys(when):  # the days in this chunk, in order
            while pending and pending[0] != day:  # every day before it is complete
                yield pending.pop(0), (pd.concat(parts) if len(parts) > 1 else parts[0] if parts else empty.copy())
                parts = []
            parts.append(chunk[when == day])
    while pending:
        assert empty is not None  # the first chunk always comes, empty or not
        yield pending.pop(0), (pd.concat(parts) if len(parts) > 1 else parts[0] if parts else empty.copy())
        parts = []


def _chunks(result: duckdb.DuckDBPyConnection) -> Iterator[pd.DataFrame]:
    """A query's result as frames of about a million rows; always at least one (maybe empty) frame."""
    chunk = result.fetch_df_chunk(CHUNK_VECTORS)
    yield chunk
    while len(chunk):
        chunk = result.fetch_df_chunk(CHUNK_VECTORS)
        if len(chunk):
            yield chunk


def derived_measures_at(con: duckdb.DuckDBPyConnection, tables: set[str],
                        days: Sequence[dt.date]) -> Iterator[tuple[dt.date, pd.DataFrame]]:
    """:func:`cs_logic.metrics.measures.derived_measures` at each of ``days``, from one SQL statement.

    Yields (day, the frame ``derived_measures(con, tables, day)`` returns: index account_id, the same columns
    and rows in the same order) for each day, earliest first, one day at a time.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> usage = pd.DataFrame({"account_id": ["A", "A"], "date": pd.to_datetime(["2024-01-05", "2024-02-10"]),
    ...                       "events": [3.0, 4.0]})
    >>> con.register("usage", usage)  # doctest: +ELLIPSIS
    <...>
    >>> at = derived_measures_at(con, {"usage"}, [dt.date(2024, 1, 31), dt.date(2024, 2, 29)])
    >>> [(str(day), frame["usage_events_30d"].tolist()) for day, frame in at]
    [('2024-01-31', [3.0]), ('2024-02-29', [4.0])]
    """
    days = sorted(set(days))
    if not days:
        return
    cols = ms._columns(con, tables)
    plan = [(q.measures, QUERIES[table](cols)) for table, build in ms.QUERIES.items() if (q := build(cols)) is not None]
    names = [n for measures, _ in plan for n in measures]
    has_universe = "account_id" in cols.get("accounts", {})
    if not plan and not has_universe:
        for day in days:
            yield day, pd.DataFrame(index=pd.Index([], name="account_id", dtype=object))
        return
    ctes = [MONTHS] + [f"p{i} AS ({sql})" for i, (_, sql) in enumerate(plan)]
    if has_universe:
        a = cols["accounts"]
        ctes.append("ids AS (" + UNIVERSE_SQL.format(
            seats="max(TRY_CAST(seats AS DOUBLE))" if "seats" in a else "NULL::DOUBLE",
            start="min(start_date)" if "start_date" in a else "NULL",
            started=STARTED_BY_AS_OF if "start_date" in a else "TRUE") + ")")
    else:
        ctes.append("ids AS (" + " UNION ".join(f"SELECT account_id, as_of FROM p{i}" for i in range(len(plan))) + ")")
    source = {n: f"p{i}" for i, (measures, _) in enumerate(plan) for n in measures}
    select = [f"CAST({m.expression(source[m.name])} AS DOUBLE) AS {m.name}" for m in ms.MEASURES if m.name in names]
    joins = "".join(f" LEFT JOIN p{i} ON p{i}.account_id = ids.account_id AND p{i}.as_of = ids.as_of"
                    for i in range(len(plan)))
    sql = (f"WITH {', '.join(ctes)} SELECT {', '.join(['ids.as_of', 'ids.account_id', *select])} "
           f"FROM ids{joins} ORDER BY ids.as_of, ids.account_id")
    result = con.execute(sql, {"days": days, "first": days[0], "last": days[-1]})
    yield from _by_day(_chunks(result), days)
