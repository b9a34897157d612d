"""NPS: valid answers, the score, its uncertainty, groups, trend, account variants, the real survey export."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from cs_logic.charts.loyalty import nps_distribution_chart, nps_trend_chart
from cs_logic.metrics.nps import (
    ACCOUNT_VARIANTS,
    NpsResult,
    account_nps,
    distribution,
    nps,
    nps_by,
    nps_differs,
    nps_trend,
    summary_nps,
    valid_scores,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VERBATIMS = DATA / "nps_verbatims" / "nps_verbatims.csv"


def _counts(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [8] * passives + [3] * detractors


@pytest.mark.parametrize("scores", [[0], [0, 6, 3], [6] * 40, ["0", "5", "6"]])
def test_nps_is_minus_100_when_all_detractors(scores: list[object]) -> None:
    """Every answer 0-6 -> 0 promoters, n detractors -> 100 * (0 - n) / n = -100."""
    assert nps(pd.Series(scores, dtype=object)).nps == -100.0


def test_nps_is_25_for_10_9_7_3() -> None:
    """10 and 9 are promoters, 7 a passive, 3 a detractor: 100 * (2 - 1) / 4 = 25."""
    r = nps(pd.Series([10, 9, 7, 3]))
    assert (r.n, r.promoters, r.passives, r.detractors, r.nps) == (4, 2, 1, 1, 25.0)


@pytest.mark.parametrize("bad", ["", "   ", "N/A", 11, -1, "9.5", 9.5, "ten", None, float("nan"), "11", "-1"])
def test_non_answers_are_counted_invalid_not_as_zero(bad: object) -> None:
    """Adding a non-answer to [10, 9, 7, 3] leaves NPS 25 over n = 4 and counts one invalid."""
    r = nps(pd.Series([10, 9, 7, 3, bad], dtype=object))
    assert (r.n, r.nps, r.invalid) == (4, 25.0, 1)


@pytest.mark.parametrize("good, expected", [("9", 9), (" 10 ", 10), ("0", 0), (9.0, 9), ("7.0", 7)])
def test_whole_numbers_written_as_text_or_floats_are_answers(good: object, expected: int) -> None:
    """Text is trimmed and 9.0 is the whole number 9 (a float column with blanks reads 9 as 9.0)."""
    assert valid_scores(pd.Series([good], dtype=object)).tolist() == [expected]


def test_margin_of_error_and_adjusted_wald_interval_at_n_10_match_hand_working() -> None:
    """5 promoters, 2 passives, 3 detractors (n = 10).

    NPS = 100 * (5 - 3) / 10 = 20.  p = 0.5, d = 0.3.
    se = sqrt((0.5 + 0.3 - 0.2^2) / 10) = sqrt(0.076) = 0.275681 -> 27.5681 points;
    moe95 = 100 * 1.96 * 0.275681 = 54.0335.
    Adjusted Wald: n' = 13, p' = 5.75/13 = 0.442308, d' = 3.75/13 = 0.288462, centre = 0.153846;
    se' = sqrt((0.730769 - 0.153846^2) / 13) = sqrt(0.707101 / 13) = 0.233222;
    interval = 100 * (0.153846 -+ 1.96 * 0.233222) = (-30.3268, 61.0961).
    """
    r = nps(pd.Series(_counts(5, 2, 3)))
    assert r.nps == pytest.approx(20.0)
    assert r.se == pytest.approx(27.5681, abs=1e-3)
    assert r.moe95 == pytest.approx(54.0335, abs=1e-3)
    assert r.ci_low == pytest.approx(-30.3268, abs=1e-3)
    assert r.ci_high == pytest.approx(61.0961, abs=1e-3)
    assert r.small_sample


def test_adjusted_wald_interval_stays_within_minus_100_and_100() -> None:
    """Two promoters: centre = 2.75/5 - 0.75/5 = 0.4, se' = sqrt((0.7 - 0.16)/5) = 0.3286 -> the upper end
    100 * (0.4 + 0.644) = 104.4 is clipped to 100; the lower end -24.41 is kept."""
    r = nps(pd.Series([10, 9]))
    assert r.ci_high == 100.0
    assert r.ci_low == pytest.approx(-24.41, abs=0.01)


def test_no_valid_answers_gives_none_and_does_not_crash() -> None:
    """n = 0: no score, no interval, every non-answer still counted."""
    r = nps(pd.Series(["", "N/A", None], dtype=object))
    assert (r.n, r.nps, r.moe95, r.ci_low, r.ci_high, r.se, r.invalid) == (0, None, None, None, None, None, 3)
    assert nps(pd.Series([], dtype=object)).nps is None
    assert summary_nps(pd.DataFrame({"nps": pd.Series([], dtype=object)}))["nps"] is None


@pytest.mark.parametrize("n, small", [(29, True), (30, False)])
def test_small_sample_flag_is_set_below_30_answers(n: int, small: bool) -> None:
    """METRICS.md: an NPS from fewer than 30 answers is flagged."""
    assert nps(pd.Series([10] * n)).small_sample is small


def test_two_nps_differ_significantly_on_hand_case() -> None:
    """A: 50 P / 30 pass / 20 D of 100 -> NPS 30, se = sqrt((0.7 - 0.09)/100) = 7.8102 points.
    B: 30 P / 30 pass / 40 D -> NPS -10, se = sqrt((0.7 - 0.01)/100) = 8.3066 points.
    z = 40 / sqrt(61 + 69) = 40 / 11.4018 = 3.508 > 1.96 -> differ.
    C: 40 P / 30 pass / 30 D -> NPS 10, se 8.3066; A vs C: z = 20 / 11.4018 = 1.754 -> do not differ.
    """
    a, b, c = nps(_counts(50, 30, 20)), nps(_counts(30, 30, 40)), nps(_counts(40, 30, 30))
    assert a.se == pytest.approx(7.8102, abs=1e-4) and b.se == pytest.approx(8.3066, abs=1e-4)
    assert nps_differs(a, b) and nps_differs(b, a)
    assert not nps_differs(a, c)


def test_nps_differs_is_false_when_a_side_has_no_answers() -> None:
    """Without answers there is nothing to compare."""
    assert not nps_differs(nps([10] * 40), nps([]))


def test_distribution_lists_all_eleven_answers_zero_filled() -> None:
    """[10, 10, 3, 'x'] -> count 2 at 10, 1 at 3, 0 elsewhere; 'x' is not an answer."""
    d = distribution(pd.Series([10, 10, 3, "x"], dtype=object))
    assert d["score"].tolist() == list(range(11))
    assert d["count"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2]
    assert d.loc[d["score"] == 8, "category"].item() == "passive"


def test_nps_by_group_gives_shares_and_drops_groups_under_min_n() -> None:
    """Group a: [10, 8, 2, 0] -> 25% P, 25% pass, 50% D, NPS -25; b has 1 answer, dropped at min_n = 2."""
    df = pd.DataFrame({"agent": ["a", "a", "a", "a", "b"], "nps": [10, 8, 2, 0, 9]})
    out = nps_by(df, "agent", min_n=2)
    assert out["agent"].tolist() == ["a"]
    row = out.iloc[0]
    shares = (row["promoters_pct"], row["passives_pct"], row["detractors_pct"], row["nps"])
    assert shares == (25.0, 25.0, 50.0, -25.0)
    assert bool(row["small_sample"])
    assert set(nps_by(df, ["agent"])["agent"]) == {"a", "b"}


def test_nps_trend_marks_only_significant_changes() -> None:
    """Jan: 50 P/30/20 D (NPS 30); Feb: 30/30/40 (NPS -10, z = 3.51 vs Jan); Mar: 30/30/40 (no change)."""
    frames = []
    for month, scores in [("2024-01-15", _counts(50, 30, 20)), ("2024-02-15", _counts(30, 30, 40)),
                          ("2024-03-15", _counts(30, 30, 40))]:
        frames.append(pd.DataFrame({"date": pd.Timestamp(month), "nps": scores}))
    trend = nps_trend(pd.concat(frames, ignore_index=True))
    assert trend["nps"].tolist() == pytest.approx([30.0, -10.0, -10.0])
    assert trend["significant_change"].tolist() == [False, True, False]
    assert trend["period"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))


def test_account_nps_gives_three_labelled_variants_on_hand_case() -> None:
    """Answers: account a [10, 0], b [10], c [8].
    Classic: 2 P, 1 D of 4 -> 25.  Per account: a = (+100 - 100)/2 = 0, b = 100, c = 0 -> 100/3 = 33.33.
    Revenue-weighted (a 100, b 300, c 0 -> c left out): (0 * 100 + 100 * 300) / 400 = 75.
    """
    surveys = pd.DataFrame({"account_id": ["a", "a", "b", "c"], "nps": [10, 0, 10, 8]})
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "revenue": [100.0, 300.0, 0.0]})
    out = account_nps(surveys, accounts).set_index("variant")
    assert list(out.index) == list(ACCOUNT_VARIANTS)
    assert out["nps"].tolist() == pytest.approx([25.0, 100 / 3, 75.0])
    assert out["n_accounts"].tolist()[1:] == [3, 2]


def test_account_nps_revenue_weighted_is_none_without_revenue() -> None:
    """No accounts table -> the revenue-weighted variant has no value and says why."""
    out = account_nps(pd.DataFrame({"account_id": ["a"], "nps": [10]}))
    row = out[out["variant"] == "revenue-weighted"].iloc[0]
    assert pd.isna(row["nps"]) and "revenue" in row["note"]


def test_summary_nps_returns_plain_full_precision_values() -> None:
    """[10, 9, 7, 3, 'N/A'] -> n 4, NPS 25.0, moe95 = 196 * sqrt((0.75 - 0.0625)/4) = 81.2573... (full
    precision: rounding is for display only, issue 14 item 7)."""
    s = summary_nps(pd.DataFrame({"nps": pd.Series([10, 9, 7, 3, "N/A"], dtype=object)}))
    assert s == {"n": 4, "promoters": 2, "passives": 1, "detractors": 1, "nps": 25.0,
                 "moe95": pytest.approx(196 * math.sqrt(0.6875 / 4), abs=1e-12), "invalid": 1}
    assert all(isinstance(s[k], int) for k in ("n", "promoters", "passives", "detractors", "invalid"))


def test_distribution_chart_colours_bars_by_group() -> None:
    """The chart carries the 11 aggregated rows, with the group as a nominal colour."""
    spec = nps_distribution_chart(distribution([10, 0, 7])).to_dict()
    assert spec["encoding"]["color"]["field"] == "category"
    assert spec["encoding"]["x"]["type"] == "ordinal"
    assert len(next(iter(spec["datasets"].values()))) == 11


def test_trend_chart_has_band_line_and_significance_marks() -> None:
    """Layers: the adjusted-Wald band (ci_low..ci_high), the NPS line, points where significant_change."""
    dates = pd.to_datetime(["2024-01-05"] * 3 + ["2024-02-05"] * 3)
    df = pd.DataFrame({"date": dates, "nps": [10] * 3 + [0] * 3})
    layers = nps_trend_chart(nps_trend(df)).to_dict()["layer"]
    assert layers[0]["encoding"]["y2"]["field"] == "ci_high"
    assert layers[1]["encoding"]["y"]["field"] == "nps"
    assert "significant_change" in str(layers[2]["transform"])


@pytest.mark.skipif(not VERBATIMS.exists(), reason="../shared/data/nps_verbatims is absent")
def test_real_verbatims_nps_is_minus_24_69_over_2353_answers() -> None:
    """SOURCE.txt: 2,385 rows, 32 blank; 1271 D / 392 pass / 690 P -> 100 * (690 - 1271) / 2353 = -24.69.
    Checked against a count written here with the csv module."""
    with VERBATIMS.open(newline="", encoding="utf-8") as fh:
        raw = [row["NPS_SCORE"] for row in csv.DictReader(fh)]
    scored = [int(v) for v in raw if v.strip() != ""]
    prom, det = sum(v >= 9 for v in scored), sum(v <= 6 for v in scored)
    independent = 100 * (prom - det) / len(scored)

    r = nps(pd.read_csv(VERBATIMS)["NPS_SCORE"])
    assert (r.n, r.detractors, r.passives, r.promoters, r.invalid) == (2353, 1271, 392, 690, 32)
    assert r.nps == pytest.approx(independent)
    assert round(r.nps, 2) == -24.69
    assert isinstance(r, NpsResult) and not r.small_sample


@pytest.mark.skipif(not VERBATIMS.exists(), reason="../shared/data/nps_verbatims is absent")
def test_real_verbatims_read_as_text_give_the_same_nps() -> None:
    """Reading every column as text (blank -> '') must not change the count: blanks are invalid, not 0."""
    df = pd.read_csv(VERBATIMS, dtype=str, keep_default_na=False)
    s = summary_nps(df.rename(columns={"NPS_SCORE": "nps"}))
    assert (s["n"], s["invalid"]) == (2353, 32)
    assert s["nps"] == pytest.approx(100 * (690 - 1271) / 2353, abs=1e-12)
