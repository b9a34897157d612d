"""Support metrics: durations, medians and percentiles, weekly volume, backlog, per-agent tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.charts.support import response_time_chart, tickets_per_week_chart
from cs_logic.metrics.support import (
    backlog,
    by_agent,
    by_dim,
    response_percentiles,
    support_summary,
    ticket_durations,
    tickets_per_week,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data (real test exports) is absent")


def _tickets():
    created = pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-02 10:00",
                              "2024-01-03 12:00", "2024-01-15 12:00"])
    return pd.DataFrame({
        "ticket_id": list("abcde"), "agent": ["Ann", "Ann", "Bob", "Bob", None], "created_at": created,
        "first_response_at": created + pd.to_timedelta([1, 2, 3, -1, 10], unit="h"),
        "resolved_at": [created[0] + pd.Timedelta(hours=5), pd.NaT, created[2] + pd.Timedelta(hours=24),
                        created[3] + pd.Timedelta(hours=2), pd.NaT],
        "first_response_hours": [np.nan, 4.0, np.nan, np.nan, np.nan],
        "csat": [5.0, 4.0, 2.0, np.nan, 3.0],
        "answered": pd.array([True, True, False, None, True], dtype="boolean"),
    })


def test_durations_prefer_exported_hours_then_timestamps_and_drop_negatives():
    """Ticket b exports 4 h (its timestamps say 2 h): 4 wins. Ticket d replied 1 h before creation:
    left out and counted."""
    d = ticket_durations(_tickets())
    assert d.first_response_hours.tolist()[:3] == [1.0, 4.0, 3.0]
    assert np.isnan(d.first_response_hours.iloc[3]) and d.negative_first_response == 1
    assert d.resolution_hours.tolist()[0] == 5.0 and d.negative_resolution == 0


def test_summary_medians_and_90th_percentile_by_hand():
    """First response hours 1, 4, 3, 10 (d excluded): median (3+4)/2 = 3.5; p90 at rank 0.9*3 = 2.7
    between 4 and 10 -> 4 + 0.7*6 = 8.2. Resolution 5, 24, 2 -> median 5."""
    s = support_summary(_tickets())
    assert s["count"] == 5 and s["n_first_response"] == 4
    assert s["median_first_response_hours"] == pytest.approx(3.5)
    assert s["p90_first_response_hours"] == pytest.approx(8.2)
    assert s["median_resolution_hours"] == pytest.approx(5.0)


def test_summary_without_any_timestamps_gives_none():
    """No time columns at all: counts still work, times are None."""
    s = support_summary(pd.DataFrame({"ticket_id": ["x"]}))
    assert s["count"] == 1 and s["median_first_response_hours"] is None and s["median_resolution_hours"] is None


def test_tickets_per_week_fills_empty_weeks_with_zero():
    """Mon 1 Jan: 4 tickets; week of 8 Jan: none; week of 15 Jan: 1."""
    out = tickets_per_week(_tickets())
    assert out["week"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert out["tickets"].tolist() == [4, 0, 1]


def test_backlog_counts_tickets_open_at_the_date():
    """At 2024-01-02 12:00: a resolved at 13:00 on 1 Jan; b never resolved (open); c resolves on the 3rd
    (open); d and e not created yet -> b and c."""
    out = backlog(_tickets(), pd.Timestamp("2024-01-02 12:00"))
    assert out["ticket_id"].tolist() == ["b", "c"]
    assert out["age_days"].tolist() == pytest.approx([27 / 24, 2 / 24])


def test_backlog_and_the_open_tickets_measure_agree_on_a_closed_ticket_without_a_resolved_date():
    """No resolved date but status 'Closed': not open (as the health measure open_tickets counts it);
    no resolved date and status 'Pending' or blank: open."""
    t = pd.DataFrame({"ticket_id": ["a", "b", "c"], "created_at": pd.to_datetime(["2024-01-01"] * 3),
                      "resolved_at": pd.to_datetime([None, None, None]), "status": ["Closed", "Pending", None]})
    out = backlog(t, pd.Timestamp("2024-02-01"))
    assert out["ticket_id"].tolist() == ["b", "c"] and "closed status" in out.attrs["method"]


def test_backlog_falls_back_to_status_without_resolution_dates():
    """Only status: 'Closed' and 'resolved' are not open."""
    t = pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01"] * 3), "status": ["Open", "Closed", "resolved"]})
    out = backlog(t, pd.Timestamp("2024-02-01"))
    assert len(out) == 1 and "status" in out.attrs["method"]


def test_by_agent_reports_volume_times_answered_share_and_flagged_csat():
    """Ann: 2 tickets, responses 1 and 4 h -> median 2.5, CSAT 5 and 4 -> 100% of 2 (small sample);
    Bob: answered flags False and <NA> -> share 0 of 1; CSAT 2 -> 0%. The blank agent is its own row.
    No resolved flag, so resolved = has a resolved_at: Ann a of a, b -> 0.5; Bob c, d -> 1; blank e -> 0."""
    out = by_agent(_tickets()).set_index("agent", drop=False)
    assert out.loc["Ann", "tickets"] == 2 and out.loc["Ann", "median_first_response_hours"] == 2.5
    assert out.loc["Ann", "csat"] == 100.0 and out.loc["Ann", "csat_n"] == 2 and out.loc["Ann", "small_sample"]
    assert out.loc["Bob", "answered_share"] == 0.0 and out.loc["Bob", "csat"] == 0.0
    assert out["agent"].isna().sum() == 1
    assert out["resolved_share"].tolist() == [0.5, 1.0, 0.0]  # sorted by volume: Ann, Bob, then the blank agent


def test_answered_share_without_a_flag_is_the_share_with_a_first_response():
    """No answered flag: a, b, c, d have a first response, e has none -> Ann 1, Bob 1; without any response
    or resolution column the shares are None (the page then leaves those columns out)."""
    tickets = _tickets().drop(columns="answered")
    tickets.loc[4, "first_response_at"] = pd.NaT
    out = by_agent(tickets)
    assert out["answered_share"].tolist() == [1.0, 1.0, 0.0]
    bare = by_agent(tickets[["ticket_id", "agent", "created_at"]])
    assert bare["answered_share"].isna().all() and bare["resolved_share"].isna().all()


@pytest.mark.parametrize("dim", ["agent", "priority", "answered"])
def test_by_dim_groups_only_the_columns_it_reads_and_gives_the_whole_frames_table(dim):
    """by_dim copies only the grouping column and BY_DIM_READS before grouping (5M tickets at size L): the table
    is the one grouping the whole frame gives, text columns, a resolved flag, and a grouping column that is
    itself one the figures read included."""
    tickets = _tickets().assign(priority=["high", "low", "high", None, "low"], subject=list("vwxyz"),
                                resolved=pd.array([True, None, True, False, False], dtype="boolean"))
    whole = tickets.assign(**{c: tickets[c] for c in tickets.columns})  # every column, as it was grouped before
    expected = []
    d = ticket_durations(whole)
    for key, group in whole.assign(_first=d.first_response_hours, _res=d.resolution_hours).groupby(
            dim, dropna=False, sort=False):
        expected.append((key, len(group), group["_first"].median(), group["_res"].median()))
    out = by_dim(tickets, dim)
    assert out.columns[0] == dim and out["tickets"].sum() == 5
    got = {(k if pd.notna(k) else None): (n, a, b) for k, n, a, b in
           out[[dim, "tickets", "median_first_response_hours", "median_resolution_hours"]].itertuples(index=False)}
    for key, n, first, res in expected:
        g = got[key if pd.notna(key) else None]
        assert g[0] == n and (g[1] == first or (pd.isna(g[1]) and pd.isna(first)))
        assert g[2] == res or (pd.isna(g[2]) and pd.isna(res))


def test_by_dim_refuses_a_missing_column_with_a_clear_message():
    """No channel column -> ValueError naming it (the page checks first and explains)."""
    with pytest.raises(ValueError, match="channel"):
        by_dim(_tickets(), "channel")


def test_support_charts_carry_titles_types_and_tooltips():
    """Weekly bars are temporal on x; the percentile chart layers whisker, box and median."""
    weekly = tickets_per_week_chart(tickets_per_week(_tickets())).to_dict()
    assert weekly["encoding"]["x"]["type"] == "temporal" and weekly["title"] == "Tickets per week"
    box = response_time_chart(response_percentiles(_tickets())).to_dict()
    assert len(box["layer"]) == 3 and "tooltip" in box["layer"][0]["encoding"]


@pytest.fixture(scope="module")
def calls():
    if not DATA.exists():
        pytest.skip("../shared/data (real test exports) is absent")
    c = pd.read_excel(DATA / "call_center" / "call_center.xlsx", engine="calamine")
    tickets = pd.DataFrame({
        "ticket_id": c["Call Id"], "agent": c["Agent"], "topic": c["Topic"],
        "answered": c["Answered (Y/N)"].map({"Y": True, "N": False}).astype("boolean"),
        "resolved": c["Resolved"].map({"Y": True, "N": False}).astype("boolean"),
        "first_response_hours": c["Speed of answer in seconds"] / 3600.0,
        "csat": c["Satisfaction rating"],
    })
    return c, tickets


@needs_data
def test_call_center_per_agent_csat_and_speed_match_an_independent_groupby(calls):
    """For each of the 8 agents: CSAT = share of ratings 4-5 among rated calls, median speed of answer
    in seconds, volume and resolved share, all from pandas groupby on the raw columns."""
    raw, tickets = calls
    out = by_agent(tickets).set_index("agent")
    rated = raw.dropna(subset=["Satisfaction rating"])
    g = rated.groupby("Agent")["Satisfaction rating"]
    expected_csat = 100 * g.apply(lambda s: (s >= 4).mean())
    expected_speed = raw.groupby("Agent")["Speed of answer in seconds"].median()
    assert len(out) == 8 and out["tickets"].sum() == 5000
    for agent in expected_csat.index:
        assert out.loc[agent, "csat"] == pytest.approx(expected_csat[agent])
        assert out.loc[agent, "csat_n"] == g.size()[agent]
        assert out.loc[agent, "median_first_response_hours"] * 3600 == pytest.approx(expected_speed[agent])
        assert out.loc[agent, "resolved_share"] == pytest.approx((raw.loc[raw["Agent"] == agent, "Resolved"] == "Y").mean())
    assert out.loc["Jim", "tickets"] == 666


@needs_data
def test_support_tickets_negative_durations_are_excluded_and_counted():
    """SOURCE.txt: 'Time to Resolution' is earlier than 'First Response Time' for 1,365 of 2,769 closed
    tickets. Measured from the first response, those 1,365 are counted as negative and left out."""
    t = pd.read_csv(DATA / "support_tickets" / "customer_support_tickets.csv")
    tickets = pd.DataFrame({"created_at": pd.to_datetime(t["First Response Time"]),
                            "resolved_at": pd.to_datetime(t["Time to Resolution"])})
    s = support_summary(tickets)
    gap = (tickets["resolved_at"] - tickets["created_at"]).dt.total_seconds() / 3600
    assert s["negative_resolution"] == (gap < 0).sum() == 1365
    assert s["n_resolution"] == (gap >= 0).sum()
    assert s["median_resolution_hours"] == pytest.approx(gap[gap >= 0].median())


def test_backlog_without_a_date_counts_the_current_status():
    """No as-of date and no created date (a status-only export): open, pending and hold are not resolved,
    Solved and closed are -> 3 of 5; the age is unknown (NaN), never days since 1970."""
    t = pd.DataFrame({"status": ["open", "Solved", "pending", "closed", "hold"]})
    out = backlog(t, None)
    assert len(out) == 3 and out["age_days"].isna().all()


def test_backlog_is_unknown_without_status_flag_or_resolved_date():
    """A calls report (wait and talk times only) says nothing about resolution: backlog None, not 0."""
    assert backlog(pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01"]), "first_response_hours": [0.1]}),
                   pd.Timestamp("2024-02-01")) is None


@pytest.mark.parametrize("status_type", [object, "str", "category"])
def test_backlog_size_counts_what_backlog_lists_with_statuses_folded_once_each(status_type):
    """The Support page and the summary count the backlog without copying the open tickets, folding each distinct
    status once: the count and the rule equal len(backlog(...)) and its method, and the closed statuses are those
    stripping and case-folding every status gives (blanks, padding, capitals), with and without resolved dates."""
    from cs_logic.metrics.support import CLOSED_STATUSES, _closed_status, backlog_size

    rng = np.random.default_rng(2)
    n = 600
    status = pd.Series(rng.choice([" Solved", "open", "CLOSED ", "pending", None, "resolved", "Solved"], n),
                       dtype=status_type)
    created = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    resolved = pd.Series(created + pd.to_timedelta(rng.integers(0, 30, n), unit="D")).where(rng.random(n) < 0.6)
    tickets = pd.DataFrame({"created_at": created, "resolved_at": resolved, "status": status})
    every = status.astype(str).str.strip().str.casefold().isin(CLOSED_STATUSES)
    assert _closed_status(status).tolist() == every.tolist()
    for frame in (tickets, tickets.drop(columns="resolved_at"), tickets.drop(columns="status")):
        for as_of in (None, pd.Timestamp("2024-05-01 23:59:59")):
            listed = backlog(frame, as_of)
            assert backlog_size(frame, as_of) == (len(listed), listed.attrs["method"])
    assert backlog_size(tickets.drop(columns=["status", "resolved_at"]), None) is None
