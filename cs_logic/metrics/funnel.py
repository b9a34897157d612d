"""The sales funnel from a current-stage deals export: stage order, reach, conversion, win rate and forecast."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cs_logic.core import fmt
from cs_logic.core.stats import wilson_interval
from cs_logic.read.meanings import outcome_of

ASSUMPTION = (
    "The deals file records each deal's current stage only. A status column (won / lost / open; abandoned = lost) decides a deal's outcome when the file has one; "
    "otherwise the stage name does. An open deal at a stage is counted as having reached every stage before "
    "it; a won deal has reached every stage; a lost deal counts up to its last recorded stage: the stage "
    "column beside a status, a lost_at_stage / last_stage column, or the last stage date it has (such as an "
    "engage date); with none of these it counts as reaching the first stage only. "
    "Win rate = won / (won + lost), closed deals only."
)

# Columns in which some CRMs record the stage a lost deal had reached.
LAST_STAGE_COLUMNS = ("lost_at_stage", "last_stage", "stage_before_lost", "stage_lost_at", "previous_stage")

_WON_WORDS = (
    "won", "closed won", "win", "deal won", "ganho", "ganha", "fechado ganho", "ganado", "ganada",
    "gagne", "gagnee", "gewonnen", "vinto", "выиграна", "выиграно", "выигран", "успешно реализовано",
    "برنده", "موفق", "فروش موفق", "فاز", "فاز شد",
)
_LOST_WORDS = (
    "lost", "closed lost", "loss", "deal lost", "perdido", "perdida", "fechado perdido", "perdu", "perdue",
    "verloren", "perso", "проиграна", "проиграно", "проигран", "потеряна", "از دست رفته", "باخته",
    "ناموفق", "شکست", "closed dead", "dead",
)
# Open CRM stages in their usual sequence; the position is the rank.
_OPEN_STAGE_WORDS = (
    ("lead", "new", "prospecting", "prospect", "identified", "prospeccao", "prospeccion", "prospection",
     "open", "سرنخ"),
    ("contacted", "engaging", "engaged", "contact", "connected", "attempted", "first meeting"),
    ("qualification", "qualified", "qualify", "discovery", "needs analysis", "needs defined", "meeting"),
    ("demo", "presentation", "evaluation", "solution", "value proposition", "trial", "poc", "proof of concept"),
    ("proposal", "quote", "proposta", "propuesta", "offer", "angebot", "pricing"),
    ("negotiation", "negotiating", "review", "negociacao", "negociacion", "verhandlung", "contract"),
    ("commit", "closing", "verbal", "decision", "pending signature", "contract sent"),
)


def _fold(text: object) -> str:
    """Text folded for matching: no accents, casefolded, punctuation as single spaces."""
    raw = unicodedata.normalize("NFKD", str(text))
    raw = "".join(c for c in raw if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in raw).split())


def _mentions(text: str, words: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``words`` as whole words, a plural too ("Negotiations Started").

    >>> _mentions("Negotiations Started", ["negotiation"]), _mentions("Renegotiate", ["negotiation"])
    (True, False)
    """
    padded = f" {_fold(text)} "
    return any(f" {w} " in padded or f" {w}s " in padded for w in map(_fold, words))


def stage_kind(stage: object) -> str:
    """``"won"``, ``"lost"`` or ``"open"`` for one stage name, read by meaning.

    >>> stage_kind("Closed Won"), stage_kind("از دست رفته"), stage_kind("Proposal")
    ('won', 'lost', 'open')
    """
    won, lost = _mentions(str(stage), _WON_WORDS), _mentions(str(stage), _LOST_WORDS)
    return "won" if won and not lost else "lost" if lost and not won else "open"


def _stages(deals: pd.DataFrame) -> pd.Series:
    if "stage" not in deals.columns:
        return pd.Series([None] * len(deals), index=deals.index, dtype=object)
    # Each distinct stage is read once: a lambda per deal was 0.4 s of the Overview's first run at 100,000 deals.
    stage = deals["stage"]
    read = {v: (str(v).strip() or None) for v in stage.dropna().unique()}
    shown = stage.map(read).astype(object)
    return shown.where(shown.notna(), None)


def _open_rank(stage: str) -> int | None:
    for rank, words in enumerate(_OPEN_STAGE_WORDS):
        if _mentions(stage, words):
            return rank
    return None


def stage_order(deals: pd.DataFrame) -> list[str]:
    """The funnel's stages from the data: open stages in sequence, then the won stage(s) last.

    Lost stages are left out (they are outcomes, not steps). Open stages are ordered by common CRM
    stage words when all are recognised; otherwise by median created_date (newest first, since older
    deals have moved further) when every open stage has dates; otherwise by deal count, largest first.

    >>> stage_order(pd.DataFrame({"stage": ["Won", "Engaging", "Lost", "Prospecting"]}))
    ['Prospecting', 'Engaging', 'Won']
    """
    stages = _stages(deals).dropna()
    counts = stages.value_counts()
    kinds = {s: stage_kind(s) for s in counts.index}
    open_ = [s for s in counts.index if kinds[s] == "open"]
    won = [s for s in counts.index if kinds[s] == "won"]
    status = _status(deals)
    if status is not None:  # the stage column holds steps only; the won step is the status's won value
        won = [str(v).strip() for v in status.dropna().unique() if outcome_of(v) == "won"][:1] or ["Won"]
        open_ = [s for s in open_ if s not in _closing_stages(stages, status.loc[stages.index], kinds)]
    ranks = {s: _open_rank(s) for s in open_}
    if all(r is not None for r in ranks.values()):
        open_.sort(key=lambda s: (ranks[s], -counts[s]))
    elif "created_date" in deals.columns and _all_dated(deals, stages, open_):
        created = pd.to_datetime(deals.loc[stages.index, "created_date"], errors="coerce")
        medians = created.groupby(stages).median()
        open_.sort(key=lambda s: (-medians[s].value, -counts[s]))
    else:
        open_.sort(key=lambda s: -counts[s])
    return open_ + won


def _closing_stages(stages: pd.Series, status: pd.Series, kinds: dict[str, str]) -> set[str]:
    """Stages that are outcomes, not steps, in an export whose status column decides the outcome.

    When lost deals sit in a stage named lost ("Closed Lost"), the CRM moves a closed deal to a closing stage
    (Salesforce does), so another stage that holds lost deals only (a custom "Disqualified") is one too. Where no
    stage says lost (Pipedrive keeps a lost deal at the stage it reached), a stage holding lost deals only is
    where they stopped, and stays a step.

    >>> st = pd.Series(["Closed Lost", "Disqualified", "Proposal", "Proposal"])
    >>> sorted(_closing_stages(st, pd.Series(["lost", "lost", "lost", "open"]), {s: stage_kind(s) for s in st}))
    ['Disqualified']
    >>> _closing_stages(st.replace("Closed Lost", "Demo"), pd.Series(["lost", "lost", "lost", "open"]),
    ...                 {"Demo": "open", "Disqualified": "open", "Proposal": "open"})
    set()
    """
    outcome = status.map(outcome_of)
    lost_named = [s for s, kind in kinds.items() if kind == "lost"]
    if not (outcome[stages.isin(lost_named)] == "lost").any():
        return set()
    only_lost = outcome.eq("lost").groupby(stages).all()
    return {str(s) for s, all_lost in only_lost.items() if all_lost and kinds.get(str(s)) == "open"}


def _all_dated(deals: pd.DataFrame, stages: pd.Series, open_: list[str]) -> bool:
    created = pd.to_datetime(deals.loc[stages.index, "created_date"], errors="coerce")
    dated = created.notna().groupby(stages).any()
    return all(bool(dated.get(s, False)) for s in open_)


def _status(deals: pd.DataFrame) -> pd.Series | None:
    """The deals' outcome column (won / lost / open) when the export has one apart from the stage."""
    if "status" not in deals.columns or not deals["status"].map(outcome_of).notna().any():
        return None
    return deals["status"]


def _by_status(deals: pd.DataFrame, order: list[str], last_col: str | None) -> pd.DataFrame:
    """Per deal from a status column: won reached every stage; an open deal its stage; a lost deal the stage
    it stopped at (its stage column, else its last recorded stage, else the first)."""
    index = {s: i for i, s in enumerate(order[:-1])}
    outcomes = deals["status"].map(outcome_of)
    stages = _stages(deals)
    last = deals[last_col] if last_col is not None else pd.Series(None, index=deals.index, dtype=object)
    outcome, reached = [], []
    for kind, stage, stopped in zip(outcomes, stages, last):
        if kind == "won":
            k = len(order) - 1
        elif kind == "open":
            k = index.get(stage, -1) if stage is not None else -1
            kind = kind if k >= 0 else "unknown"
        elif kind == "lost":
            where = stage if stage in index else str(stopped).strip() if pd.notna(stopped) else ""
            k = index.get(where, 0)
        else:
            kind, k = "unknown", -1
        outcome.append(kind)
        reached.append(k)
    return pd.DataFrame({"outcome": outcome, "reached": reached}, index=deals.index)


def _positions(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None) -> pd.DataFrame:
    """Per deal: outcome (open/won/lost/unknown) and the index of the last stage it reached (-1: none).

    Each distinct stage name is read once (reading a name by meaning folds its text; per deal, that took 40 s
    for 100,000 deals), then every deal takes its stage's reading.
    """
    order = [str(s).strip() for s in order]
    lost_set = {str(s).strip() for s in lost} if lost is not None else None
    index = {s: i for i, s in enumerate(order[:-1])}
    last_col = next((c for c in LAST_STAGE_COLUMNS if c in deals.columns), None)
    if order and _status(deals) is not None:  # METRICS.md: never an outcome from a stage name beside a status
        return _by_status(deals, order, last_col)
    stages = _stages(deals)
    read = {stage: _stage_position(stage, order, index, lost_set) for stage in stages.dropna().unique()}
    kinds = stages.map({stage: kind for stage, (kind, _) in read.items()}).astype(object)
    outcome = kinds.where(kinds.notna(), "unknown").to_numpy(object)
    reached = stages.map({stage: k for stage, (_, k) in read.items()}).fillna(-1).to_numpy(int, copy=True)
    lost_rows = outcome == "lost"
    if last_col is not None and lost_rows.any():  # a lost deal reached the last stage recorded for it
        reached[lost_rows] = [index.get(str(last).strip(), 0) if pd.notna(last) else 0
                              for last in deals[last_col].to_numpy(object)[lost_rows]]
    return pd.DataFrame({"outcome": outcome, "reached": reached}, index=deals.index)


def _stage_position(stage: str, order: Sequence[str], index: dict[str, int], lost_set: set[str] | None
                    ) -> tuple[str, int]:
    """Outcome and stage index of a deal at ``stage`` (a lost deal: 0, before its last recorded stage is read)."""
    if not order:
        return "unknown", -1
    if stage == order[-1]:
        return "won", len(order) - 1
    if stage in index:
        return "open", index[stage]
    if (stage in lost_set) if lost_set is not None else stage_kind(stage) == "lost":
        return "lost", 0
    if stage_kind(stage) == "won":
        return "won", len(order) - 1
    return "unknown", -1


def _days(deals: pd.DataFrame, start: str, end: pd.Series | pd.Timestamp) -> pd.Series:
    if start not in deals.columns:
        return pd.Series(np.nan, index=deals.index)
    first = pd.to_datetime(deals[start], errors="coerce")
    return (pd.to_datetime(end, errors="coerce") - first) / pd.Timedelta(days=1)


def funnel_table(
    deals: pd.DataFrame,
    order: Sequence[str],
    lost: Sequence[str] | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Deals reaching each stage, with step and overall conversion (see ``ASSUMPTION``).

    Columns: stage, reached, at_stage_now, step_conversion (reached k / reached k-1),
    overall_conversion (reached k / reached first), median_days. ``median_days`` is, for the won
    stage, the median days from created_date to close_date of won deals; for open stages the median
    age in days at ``as_of`` of the deals now there (blank without ``as_of`` or dates). ``lost``
    names the lost stages (default: recognised by meaning). Deals whose stage is in neither list
    are left out.

    >>> d = pd.DataFrame({"stage": ["Lead", "Demo", "Won", "Lost"]})
    >>> funnel_table(d, ["Lead", "Demo", "Won"])["reached"].tolist()
    [4, 2, 1]
    """
    pos = _positions(deals, order, lost)
    rows = []
    for k, stage in enumerate(order):
        reached = int((pos["reached"] >= k).sum())
        now = pos["outcome"].eq("won") if k == len(order) - 1 else pos["outcome"].eq("open") & pos["reached"].eq(k)
        if k == len(order) - 1:
            days = _days(deals, "created_date", deals["close_date"]) if "close_date" in deals.columns else None
        else:
            days = _days(deals, "created_date", as_of) if as_of is not None else None
        rows.append({"stage": stage, "reached": reached, "at_stage_now": int(now.sum()),
                     "median_days": float(days[now].median()) if days is not None and now.any() else np.nan})
    table = pd.DataFrame(rows, columns=["stage", "reached", "at_stage_now", "median_days"])
    reached = table["reached"].astype(float)
    table.insert(3, "step_conversion", reached / reached.shift(1).where(reached.shift(1) > 0))
    table.insert(4, "overall_conversion", reached / reached.iloc[0] if len(table) and reached.iloc[0] else np.nan)
    return table


def days_to_close(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None) -> pd.DataFrame:
    """Median days from created_date to close_date for won and for lost deals, with n (dated deals).

    >>> d = pd.DataFrame({"stage": ["Won"], "created_date": pd.to_datetime(["2024-01-01"]),
    ...                   "close_date": pd.to_datetime(["2024-01-11"])})
    >>> float(days_to_close(d, ["Won"]).loc[0, "median_days"])
    10.0
    """
    pos = _positions(deals, order, lost)
    days = _days(deals, "created_date", deals["close_date"]) if "close_date" in deals.columns else None
    rows = []
    for kind in ("won", "lost"):
        sel = days[pos["outcome"].eq(kind)].dropna() if days is not None else pd.Series(dtype=float)
        rows.append({"outcome": kind, "n": len(sel), "median_days": float(sel.median()) if len(sel) else np.nan})
    return pd.DataFrame(rows)


def outcome_counts(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None) -> dict[str, int]:
    """Counts of won, lost, open and unknown-stage deals.

    >>> outcome_counts(pd.DataFrame({"stage": ["Won", "Lost", "Lead"]}), ["Lead", "Won"])["won"]
    1
    """
    counts = _positions(deals, order, lost)["outcome"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("won", "lost", "open", "unknown")}


def win_rate(counts: dict[str, int]) -> float | None:
    """Won / (won + lost) from :func:`outcome_counts`; None when no deal is closed.

    >>> win_rate({"won": 3, "lost": 1, "open": 9})
    0.75
    """
    closed = counts["won"] + counts["lost"]
    return counts["won"] / closed if closed else None


def win_probability_by_stage(
    deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None
) -> pd.DataFrame:
    """Empirical P(won | reached stage) from closed deals: won / closed deals that reached the stage.

    Without a last-stage column lost deals reach only the first stage, so later stages show 1.0
    whenever any deal was won: the data cannot say more (see ``ASSUMPTION``).

    >>> d = pd.DataFrame({"stage": ["Won", "Lost", "Lost", "Demo"]})
    >>> win_probability_by_stage(d, ["Lead", "Demo", "Won"])["p_won"].round(3).tolist()
    [0.333, 1.0, 1.0]
    """
    pos = _positions(deals, order, lost)
    closed = pos[pos["outcome"].isin(["won", "lost"])]
    rows = []
    for k, stage in enumerate(order):
        reached = closed[closed["reached"] >= k]
        won = int(reached["outcome"].eq("won").sum())
        rows.append({"stage": stage, "closed_reached": len(reached), "won": won,
                     "p_won": won / len(reached) if len(reached) else np.nan})
    return pd.DataFrame(rows, columns=["stage", "closed_reached", "won", "p_won"])


@dataclass(frozen=True)
class Forecast:
    """A weighted pipeline forecast and what it rests on."""

    total: float | None  # None (unknown) when no open deal has an amount, recorded or imputed
    n_open: int
    n_without_amount: int
    n_imputed: int
    n_skipped: int
    method: str
    imputed_share: float | None = None  # share of the total resting on imputed amounts (1.0: all of it)

    @property
    def label(self) -> str:
        """The figure as a page shows it: with imputed amounts said in place.

        >>> Forecast(1500.0, 3, 3, 3, 0, "", 1.0).label
        '1,500 (all on imputed amounts)'
        """
        if self.total is None:
            return "–"
        if not self.imputed_share:
            return f"{self.total:,.0f}"
        part = "all" if self.imputed_share >= 0.999 else f"{self.imputed_share:.0%}"
        return f"{self.total:,.0f} ({part} on imputed amounts)"

    def shown(self, currency: str | None = None) -> str:
        """The figure as a tile shows money (``fmt.money`` shortened, with ``currency`` when one is known), with
        imputed amounts said in place.

        >>> Forecast(1_214_258.0, 80, 0, 0, 0, "").shown("EUR"), Forecast(1500.0, 3, 3, 3, 0, "", 0.4).shown()
        ('€1.21M', '1,500 (40% on imputed amounts)')
        """
        if self.total is None or not self.imputed_share:
            return fmt.money(self.total, currency, compact=True)
        part = "all" if self.imputed_share >= 0.999 else f"{self.imputed_share:.0%}"
        return f"{fmt.money(self.total, currency, compact=True)} ({part} on imputed amounts)"


def _deal_forecasts(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None) -> pd.DataFrame:
    """Per open deal: stage, amount used, whether it was imputed, probability and weighted value."""
    pos = _positions(deals, order, lost)
    probs = win_probability_by_stage(deals, order, lost)["p_won"].to_numpy()
    is_open = pos["outcome"].eq("open")
    amount = pd.to_numeric(deals["amount"], errors="coerce") if "amount" in deals.columns else pd.Series(np.nan, index=deals.index)
    medians = pd.Series(dtype=float)
    if "product" in deals.columns:
        won = pos["outcome"].eq("won") & amount.notna() & deals["product"].notna()
        medians = amount[won].groupby(deals.loc[won, "product"].astype(object)).median()
    out = pd.DataFrame({"reached": pos["reached"], "amount": amount, "blank": amount.isna()}, index=deals.index)[is_open]
    if "product" in deals.columns:
        fill = deals.loc[out.index, "product"].astype(object).map(medians)
        out["amount"] = out["amount"].fillna(fill.astype(float))
    out["imputed"] = out["blank"] & out["amount"].notna()
    out["p_won"] = [probs[k] if 0 <= k < len(probs) else np.nan for k in out["reached"]]
    out["weighted"] = out["amount"] * out["p_won"]
    return out


def weighted_forecast(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None) -> Forecast:
    """Sum over open deals of amount x P(won | reached its stage), probabilities from this file's closed deals.

    An open deal with no amount is valued at the median won amount for its product when there is one
    (counted in ``n_imputed``); otherwise it is left out (``n_skipped``), as is a deal at a stage no
    closed deal reached.

    >>> d = pd.DataFrame({"stage": ["Won", "Lost", "Lead"], "amount": [100.0, 0.0, 50.0]})
    >>> weighted_forecast(d, ["Lead", "Won"]).total
    25.0
    """
    per = _deal_forecasts(deals, order, lost)
    used = per["weighted"].notna()
    method = (
        "Sum over open deals of amount x P(won | reached its stage); P from the closed deals in this "
        f"file. {int(per['blank'].sum())} open deals had no amount: {int(per['imputed'].sum())} valued at "
        f"the median won amount for their product, {int((~used).sum())} left out."
    )
    recorded_stops = _status(deals) is not None or any(c in deals.columns for c in LAST_STAGE_COLUMNS)
    if len(order) > 2 and not recorded_stops:
        method += (" The file does not record where lost deals stopped, so P(won) after the first stage "
                   "comes out as 1.0 and this forecast is an upper bound.")
    total = float(per.loc[used, "weighted"].sum()) if used.any() else None
    imputed = float(per.loc[used & per["imputed"], "weighted"].sum())
    share = imputed / total if total else (1.0 if used.any() and per.loc[used, "imputed"].all() else None)
    if share:
        method += f" {share:.0%} of the forecast rests on imputed amounts."
    return Forecast(
        total=total,
        n_open=len(per),
        n_without_amount=int(per["blank"].sum()),
        n_imputed=int(per["imputed"].sum()),
        n_skipped=int((~used).sum()),
        method=method,
        imputed_share=share,
    )


def forecast_by_stage(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None) -> pd.DataFrame:
    """Per open stage: open deals, pipeline value (recorded amounts; blank when no open deal there has one),
    P(won) and weighted forecast.

    >>> d = pd.DataFrame({"stage": ["Won", "Lost", "Lead"], "amount": [100.0, 0.0, 50.0]})
    >>> forecast_by_stage(d, ["Lead", "Won"])["weighted_forecast"].tolist()
    [25.0]
    """
    per = _deal_forecasts(deals, order, lost)
    probs = win_probability_by_stage(deals, order, lost)["p_won"]
    rows = []
    for k, stage in enumerate(order[:-1]):
        at = per[per["reached"] == k]
        rows.append({"stage": stage, "open_deals": len(at), "pipeline_value": _recorded(at),
                     "p_won": float(probs.iloc[k]), "weighted_forecast": float(at["weighted"].sum())})
    return pd.DataFrame(rows, columns=["stage", "open_deals", "pipeline_value", "p_won", "weighted_forecast"])


def _recorded(per: pd.DataFrame) -> float:
    """Sum of the recorded amounts of open deals; NaN (unknown) when none has one: a sum over nothing is no 0."""
    amounts = per.loc[~per["blank"], "amount"]
    return float(amounts.sum()) if len(amounts) else np.nan


def pipeline_value(deals: pd.DataFrame, order: Sequence[str], lost: Sequence[str] | None = None) -> float | None:
    """Sum of the recorded amounts of open deals; None when no open deal has an amount (unknown, not 0).

    >>> d = pd.DataFrame({"stage": ["Won", "Lead", "Lead"], "amount": [100.0, None, 50.0]})
    >>> pipeline_value(d, ["Lead", "Won"]), pipeline_value(d.assign(amount=[100.0, None, None]), ["Lead", "Won"])
    (50.0, None)
    """
    value = _recorded(_deal_forecasts(deals, order, lost))
    return None if np.isnan(value) else value


def by_dim(
    deals: pd.DataFrame, col: str, order: Sequence[str] | None = None, lost: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per value of ``col`` (owner, product, segment): deals, outcomes, win rate with Wilson 95% interval,
    pipeline value (recorded amounts of open deals) and weighted forecast (probabilities from the whole file).

    Blank values are grouped as "(blank)". Raises ValueError when the column is absent.

    >>> d = pd.DataFrame({"owner": ["A", "A", "B"], "stage": ["Won", "Lost", "Lead"]})
    >>> by_dim(d, "owner", ["Lead", "Won"])["win_rate"].tolist()[:1]
    [0.5]
    """
    if col not in deals.columns:
        raise ValueError(f"The deals table has no {col!r} column.")
    order = list(order) if order is not None else stage_order(deals)
    pos = _positions(deals, order, lost)
    per = _deal_forecasts(deals, order, lost)
    keys = deals[col].astype(object).where(deals[col].notna(), "(blank)")
    rows = []
    for key, idx in keys.groupby(keys, sort=False).groups.items():
        outcome = pos.loc[idx, "outcome"]
        won, lost_n = int(outcome.eq("won").sum()), int(outcome.eq("lost").sum())
        low, high = wilson_interval(won, won + lost_n)
        open_ = per.loc[per.index.intersection(idx)]
        rows.append({col: key, "deals": len(idx), "won": won, "lost": lost_n, "open": int(outcome.eq("open").sum()),
                     "win_rate": won / (won + lost_n) if won + lost_n else np.nan,
                     "win_rate_low": low, "win_rate_high": high,
                     "pipeline_value": _recorded(open_),
                     "weighted_forecast": float(open_["weighted"].sum())})
    columns = [col, "deals", "won", "lost", "open", "win_rate", "win_rate_low", "win_rate_high",
               "pipeline_value", "weighted_forecast"]
    return pd.DataFrame(rows, columns=columns).sort_values("deals", ascending=False, ignore_index=True)


def summary_deals(deals: pd.DataFrame) -> dict[str, float | int]:
    """Headline figures with the stage order read from the data.

    Keys: count (all rows), won, lost, open, win_rate (0-1; nan without closed deals), weighted_forecast.

    >>> summary_deals(pd.DataFrame({"stage": ["Won", "Lost", "Lead"]}))["win_rate"]
    0.5
    """
    order = stage_order(deals)
    counts = outcome_counts(deals, order)
    closed = counts["won"] + counts["lost"]
    return {
        "count": len(deals),
        "won": counts["won"],
        "lost": counts["lost"],
        "open": counts["open"],
        "win_rate": counts["won"] / closed if closed else math.nan,
        "weighted_forecast": math.nan if (total := weighted_forecast(deals, order).total) is None else total,
    }


def owner_outcomes(
    deals: pd.DataFrame, accounts: pd.DataFrame, scores: pd.Series | None = None
) -> pd.DataFrame:
    """Per deal owner, what happened to the accounts they sold (won deals whose account_id is in accounts).

    Columns: owner, accounts_sold, churned, churn_share (of sold accounts with a known churn flag),
    churn_low / churn_high (Wilson 95%), mean_health_score (``scores`` indexed by account_id; blank
    when not given). Churn columns are blank when accounts has no ``churned`` column.

    >>> d = pd.DataFrame({"owner": ["A", "A"], "account_id": ["x", "y"], "stage": ["Won", "Won"]})
    >>> a = pd.DataFrame({"account_id": ["x", "y"], "churned": pd.array([True, False], dtype="boolean")})
    >>> owner_outcomes(d, a)["churn_share"].tolist()
    [0.5]
    """
    columns = ["owner", "accounts_sold", "churned", "churn_share", "churn_low", "churn_high", "mean_health_score"]
    if not {"owner", "account_id"} <= set(deals.columns) or "account_id" not in accounts.columns:
        return pd.DataFrame(columns=columns)
    won = _positions(deals, stage_order(deals), None)["outcome"].eq("won")
    sold = deals.loc[won & deals["account_id"].isin(accounts["account_id"]), ["owner", "account_id"]]
    sold = sold.dropna().drop_duplicates()
    info = accounts.drop_duplicates("account_id").set_index("account_id")
    rows = []
    for owner, ids in sold.groupby("owner")["account_id"]:
        row: dict[str, object] = {"owner": owner, "accounts_sold": len(ids)}
        if "churned" in info.columns:
            flags = info.loc[ids, "churned"].dropna().astype(bool)
            low, high = wilson_interval(int(flags.sum()), len(flags))
            row.update(churned=int(flags.sum()), churn_share=float(flags.mean()) if len(flags) else np.nan,
                       churn_low=low, churn_high=high)
        if scores is not None:
            row["mean_health_score"] = float(pd.to_numeric(scores.reindex(ids.to_numpy()), errors="coerce").mean())
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
