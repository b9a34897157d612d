"""What the Feedback page needs beyond cs_logic.metrics.feedback: the searchable comment table, attribute ratings, filters."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cs_logic.core.escape import show_controls
from cs_logic.core.membership import isin
from cs_logic.core.schema import TABLES
from cs_logic.metrics.feedback import ces, csat, index_comments
from cs_logic.metrics.measures import MEASURE_DOCS
from cs_logic.metrics.nps import nps
from cs_logic.metrics.retention import churn_flags
from cs_logic.metrics.textnorm import is_rtl
from cs_logic.read.ingest import decode_text
from cs_logic.read.store import Filters, quote_ident
from cs_logic.views.loyalty_view import Tile

COMMENT_TABLE = "_fb_comments"
TEXT_COLUMNS = ["comment", "comment_title"]
ACCOUNT_COLUMNS = ("segment", "owner", "plan")
# Label shown in the search filter -> the group name cs_logic.metrics.feedback.search_comments understands.
GROUP_CHOICES = {"Promoters (NPS 9-10)": "promoter", "Passives (NPS 7-8)": "passive",
                 "Detractors (NPS 0-6)": "detractor", "Low CSAT (1-2)": "low", "Neutral CSAT (3)": "neutral",
                 "High CSAT (4-5)": "high"}
FEATURE_WORDS = ("feature", "which")
# Survey-based measures are outcomes (or copies of them), never operational drivers.
OUTCOME_MEASURES = ("nps_latest", "account_nps", "csat_pct")
TABLE_EXISTS_SQL = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
JOINED_SQL = ("CREATE OR REPLACE TABLE {target} AS SELECT s.*, {picked} FROM surveys AS s LEFT JOIN "
              "(SELECT CAST(account_id AS VARCHAR) AS _aid, {firsts} FROM accounts GROUP BY 1) AS a "
              "ON CAST(s.account_id AS VARCHAR) = a._aid")
PLAIN_SQL = "CREATE OR REPLACE TABLE {target} AS SELECT * FROM surveys"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {quote_ident(table)} LIMIT 0").description]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether ``name`` is a table of the connection (a new store has none of the page's tables).

    >>> table_exists(duckdb.connect(), "surveys")
    False
    """
    return bool(con.execute(TABLE_EXISTS_SQL, [name]).fetchone()[0])  # type: ignore[index]


def comment_index(con: duckdb.DuckDBPyConnection, tables: set[str]) -> tuple[str, str]:
    """Build the searchable survey table (with the account's segment, owner, plan) and its index.

    The surveys are copied to :data:`COMMENT_TABLE` with the account columns they lack (matched on
    account_id, one value per account), so the search can filter by segment and rep; then
    :func:`cs_logic.metrics.feedback.index_comments` folds its comment columns. Returns (table, index).
    ``Store.load`` drops both with the old data.

    >>> con = duckdb.connect(); _ = con.execute("CREATE TABLE surveys AS SELECT 'a1' AS account_id, 'Não' AS comment")
    >>> comment_index(con, {"surveys"})
    ('_fb_comments', '_cidx__fb_comments')
    """
    survey_cols = _columns(con, "surveys")
    wanted = []
    if "accounts" in tables and "account_id" in survey_cols:
        account_cols = _columns(con, "accounts")
        wanted = [c for c in ACCOUNT_COLUMNS if c in account_cols and c not in survey_cols] \
            if "account_id" in account_cols else []
    target = quote_ident(COMMENT_TABLE)
    if wanted:
        con.execute(JOINED_SQL.format(target=target, picked=", ".join(f"a.{quote_ident(c)}" for c in wanted),
                                      firsts=", ".join(f"min({quote_ident(c)}) AS {quote_ident(c)}" for c in wanted)))
    else:
        con.execute(PLAIN_SQL.format(target=target))
    return COMMENT_TABLE, index_comments(con, COMMENT_TABLE, TEXT_COLUMNS)


def _shown(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def voice_tiles(surveys: pd.DataFrame) -> list[Tile]:
    """The headline tiles of the answers the surveys hold: CSAT % and mean rating, CES mean and % easy, NPS.

    Each tile's ``detail`` gives n (METRICS.md: always show n); CSAT and CES also say how many
    answers were blank or invalid and left out.

    >>> [(t.label, t.shown, t.detail) for t in voice_tiles(pd.DataFrame({"csat": [5, 4, 3, 1]}))]
    [('CSAT %', '50.0%', 'n = 4 answers · 0 blank or invalid left out'), ('Mean rating (1-5)', '3.25', 'n = 4 answers')]
    """
    tiles: list[Tile] = []
    if "csat" in surveys.columns:
        c = csat(surveys["csat"])
        left = f" · {c.invalid + c.blank:,} blank or invalid left out"
        tiles += [Tile("csat", "CSAT %", c.csat, _shown(c.csat, ".1f") + ("%" if c.csat is not None else ""),
                       f"n = {c.n:,} answers" + left, "Share of 1-5 answers that are 4 or 5 (top-2-box), times 100."),
                  Tile(None, "Mean rating (1-5)", c.mean_rating, _shown(c.mean_rating, ".2f"),
                       f"n = {c.n:,} answers", "The mean of the 1-5 CSAT answers (not a CSAT %); labelled mean rating, as METRICS.md asks.")]
    if "ces" in surveys.columns:
        e = ces(surveys["ces"])
        tiles += [Tile(None, "CES mean (1-7)", e.mean, _shown(e.mean, ".2f"), f"n = {e.n:,} answers",
                       "Customer effort, 1-7, higher = easier: the mean of the answers."),
                  Tile(None, "CES % easy (5-7)", e.pct_easy, _shown(e.pct_easy, ".1f") + ("%" if e.pct_easy is not None else ""),
                       f"n = {e.n:,} answers · {e.invalid + e.blank:,} blank or invalid left out",
                       "Share of 1-7 answers that are 5, 6 or 7, times 100.")]
    if "nps" in surveys.columns:
        p = nps(surveys["nps"])
        tiles.append(Tile("nps", "NPS", p.nps, _shown(p.nps, "+.1f"),
                          f"n = {p.n:,} valid answers" + (" · small sample" if p.small_sample else ""),
                          "100 × (promoters 9-10 − detractors 0-6) / valid 0-10 answers; the Loyalty page has the detail."))
    return tiles


def search_filters(global_filters: Filters, chosen: dict[str, Any]) -> dict[str, Any]:
    """The page's search choices combined with the sidebar's filters (both must hold).

    A page choice for segment, owner or agent is used as given (the page offers only values the
    filtered data has); otherwise the sidebar's segment / owner / plan selection applies. Dates: the
    later start and the earlier end of the two ranges.

    >>> import datetime as dt
    >>> f = search_filters(Filters(segment=("SMB",), date_from=dt.date(2025, 1, 1)),
    ...                    {"group": "detractor", "date_from": dt.date(2024, 6, 1), "owner": None})
    >>> f["segment"], f["group"], f["date_from"]
    (('SMB',), 'detractor', datetime.date(2025, 1, 1))
    """
    out: dict[str, Any] = {k: v for k, v in chosen.items() if v not in (None, (), []) and k not in ("date_from", "date_to")}
    for dim in ACCOUNT_COLUMNS:
        if dim not in out and getattr(global_filters, dim):
            out[dim] = tuple(getattr(global_filters, dim))
    starts = [d for d in (chosen.get("date_from"), global_filters.date_from) if d is not None]
    ends = [d for d in (chosen.get("date_to"), global_filters.date_to) if d is not None]
    if starts:
        out["date_from"] = max(starts)
    if ends:
        out["date_to"] = min(ends)
    return out


def filter_choices(surveys: pd.DataFrame, columns: tuple[str, ...] = ("segment", "owner", "agent")) -> dict[str, Any]:
    """What the comment search can filter on: the sorted values of each of ``columns`` the surveys have
    values in, and under ``"dates"`` the first and last answer dates (when there are dates).

    >>> filter_choices(pd.DataFrame({"owner": ["b", None, "a"], "date": pd.to_datetime(["2024-01-02", None, "2024-03-01"])}))
    {'owner': ['a', 'b'], 'dates': (datetime.date(2024, 1, 2), datetime.date(2024, 3, 1))}
    """
    out: dict[str, Any] = {}
    for col in columns:
        if col in surveys.columns and surveys[col].notna().any():
            out[col] = sorted(surveys[col].dropna().astype(str).unique())
    if "date" in surveys.columns and surveys["date"].notna().any():
        out["dates"] = (surveys["date"].min().date(), surveys["date"].max().date())
    return out


def attribute_columns(surveys: pd.DataFrame) -> list[str]:
    """Extra survey columns that read as attribute ratings: numeric, whole numbers 0-10, not constant.

    The canonical survey fields (nps, csat, ces, ids...) are never attributes; ``rating_*`` columns
    of the demo qualify, a revenue or a free count (values above 10) does not.

    >>> attribute_columns(pd.DataFrame({"nps": [9, 3], "rating_support": [4, 2], "spend": [120.0, 80.0]}))
    ['rating_support']
    """
    canonical = {f.name for f in TABLES["surveys"].fields}
    out = []
    for col in surveys.columns:
        series = surveys[col]
        if col in canonical or pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        values = series.dropna().astype(float)
        if values.nunique() > 1 and values.between(0, 10).all() and bool((values == np.floor(values)).all()):
            out.append(str(col))
    return out


def feature_columns(surveys: pd.DataFrame) -> list[str]:
    """Text columns whose header contains "feature" or "which" (a "which feature do you want?" question).

    >>> feature_columns(pd.DataFrame({"Which feature next?": ["API"], "comment": ["ok"], "feature_score": [3]}))
    ['Which feature next?']
    """
    return [str(c) for c in surveys.columns
            if any(w in str(c).casefold() for w in FEATURE_WORDS)
            and not pd.api.types.is_numeric_dtype(surveys[c]) and not pd.api.types.is_datetime64_any_dtype(surveys[c])]


def group_texts(surveys: pd.DataFrame, groups: pd.Series, name: str, col: str = "comment") -> pd.Series:
    """The non-blank ``col`` texts of the rows whose score group (from ``score_group``) is ``name``.

    >>> group_texts(pd.DataFrame({"comment": ["slow", None, "great"]}), pd.Series(["detractor"] * 2 + ["promoter"]), "detractor").tolist()
    ['slow']
    """
    texts = surveys.loc[groups.eq(name).to_numpy(), col]
    return texts[texts.notna() & texts.astype(str).str.strip().ne("")]


def account_outcomes(measures: pd.DataFrame, accounts: pd.DataFrame | None, as_of: Any,
                     health: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per account: derived operational measures, the health score if given, and the outcomes.

    Outcomes are ``account_nps`` (from the measures) and ``churned`` (:func:`cs_logic.metrics.retention.churn_flags`
    at ``as_of``). With ``accounts`` only its (filtered) accounts are kept. ``health`` may carry
    account_id as a column or as its index.

    >>> m = pd.DataFrame({"tickets_per_month": [2.0, 0.0]}, index=pd.Index(["a", "b"], name="account_id"))
    >>> account_outcomes(m, pd.DataFrame({"account_id": ["a"], "churned": [True]}), "2024-01-01").to_dict("records")
    [{'tickets_per_month': 2.0, 'churned': True}]
    """
    out = measures.copy(deep=False)  # copy-on-write: the columns added below leave the caller's frame as it is
    if health is not None and "health_score" in health.columns:
        scores = health.set_index("account_id") if "account_id" in health.columns else health
        out["health_score"] = scores["health_score"].groupby(level=0).first().reindex(out.index).astype(float)
    if accounts is not None and "account_id" in accounts.columns:
        flags = churn_flags(accounts, as_of).drop_duplicates("account_id").set_index("account_id")["churned"]
        out = out[isin(out.index, flags.index)]
        if flags.notna().any():
            out["churned"] = flags.reindex(out.index)
    return out


def operational_candidates(frame: pd.DataFrame, min_share: float = 0.5) -> tuple[list[str], list[str]]:
    """Columns of :func:`account_outcomes` that may drive an outcome, and those left out as mostly blank.

    Survey-based outcomes are never drivers. A measure known for fewer than ``min_share`` of the
    accounts is left out, so listwise deletion does not drop most accounts (a spend trend exists
    only for accounts that ordered twice).

    >>> f = pd.DataFrame({"open_tickets": [1, 2], "account_nps": [10, 0], "spend_trend_90d": [None, 5.0],
    ...                   "churned": [True, False], "orders_90d": [None, None]})
    >>> operational_candidates(f)
    (['open_tickets', 'spend_trend_90d'], ['orders_90d'])
    """
    columns = [c for c in frame.columns if c not in (*OUTCOME_MEASURES, "churned")]
    known = frame[columns].notna().mean() if len(frame) else pd.Series(0.0, index=columns)
    return [c for c in columns if known[c] >= min_share], [c for c in columns if known[c] < min_share]


def measure_definitions(columns: list[str]) -> pd.DataFrame:
    """The documented formula of each derived measure in ``columns`` (for the page's table of definitions).

    >>> measure_definitions(["open_tickets", "health_score"])["measure"].tolist()
    ['open_tickets', 'health_score']
    """
    docs = {**MEASURE_DOCS, "health_score": "The latest health score computed on the health score page (0-100)."}
    return pd.DataFrame({"measure": columns, "definition": [docs.get(c, "") for c in columns]})


def faq_lines(data: bytes, name: str) -> list[str]:
    """The questions of an uploaded FAQ list: one per line (.txt) or the first cell of each row (.csv).

    Decoded by the upload ladder (:func:`cs_logic.read.ingest.decode_text`: BOM, UTF-8, Windows-1256 for
    Arabic-script words, Mac Roman, Windows-1252). Blank lines are dropped.

    >>> faq_lines("How do I reset my password?\\n\\nچطور فاکتور بگیرم؟\\n".encode(), "faq.txt")
    ['How do I reset my password?', 'چطور فاکتور بگیرم؟']
    """
    text, _ = decode_text(data)
    if name.lower().endswith(".csv"):
        rows = [next((c for c in row if c.strip()), "") for row in csv.reader(io.StringIO(text))]
    else:
        rows = text.splitlines()
    return [r.strip() for r in rows if r.strip()]


def reading_text(text: object) -> str:
    """A comment ready for ``st.text``: right-to-left texts wrapped in a Unicode right-to-left isolate.

    ``st.text`` lays text out left to right, so a Persian sentence's final full stop lands on the
    wrong (right) end; inside U+2067 RIGHT-TO-LEFT ISOLATE ... U+2069 POP DIRECTIONAL ISOLATE the
    browser orders the whole comment right to left (the block itself stays left-aligned). Blank
    comments read "(no comment)".

    >>> reading_text("کند است."), reading_text("Slow."), reading_text(None)
    ('\u2067کند است.\u2069', 'Slow.', '(no comment)')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return "(no comment)"
    shown = show_controls(str(text))  # a control inside the comment would reorder the text around it
    return f"\u2067{shown}\u2069" if is_rtl(text) else shown


def faq_table(groups: pd.DataFrame) -> pd.DataFrame:
    """FAQ groups for display and download: example wordings joined by " | ", row lists dropped.

    >>> faq_table(pd.DataFrame({"label": ["x"], "examples": [["a?", "b?"]], "rows": [[1, 2]]})).to_dict("records")
    [{'label': 'x', 'examples': 'a? | b?'}]
    """
    out = groups.drop(columns=[c for c in ("rows",) if c in groups.columns])
    if "examples" in out.columns:
        out = out.assign(examples=[" | ".join(map(str, e)) for e in out["examples"]])
    return out.reset_index(drop=True)
