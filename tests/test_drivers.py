"""Key drivers: Johnson's relative weights, performance on 0-100, quadrants, operational measures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.metrics.drivers import (
    johnson_weights,
    operational_drivers,
    quadrants,
    relative_weights,
    scale_of,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Three mutually orthogonal, zero-mean patterns with population variance 1.
X1 = np.array([1, -1, 1, -1] * 3, dtype=float)
X2 = np.array([1, 1, -1, -1] * 3, dtype=float)
E = np.array([1, -1, -1, 1] * 3, dtype=float)


def test_uncorrelated_drivers_get_their_squared_correlations():
    """y = x1 + 2 x2 + e with x1, x2, e uncorrelated, each variance 1: var(y) = 1 + 4 + 1 = 6,
    r(y, x1) = 1/sqrt(6), r(y, x2) = 2/sqrt(6). Uncorrelated drivers -> weights = r^2 = 1/6 and 4/6;
    R^2 = 5/6; importance 20% and 80%."""
    df = pd.DataFrame({"y": X1 + 2 * X2 + E + 3, "a": X1 + 3, "b": X2 + 3})
    res = relative_weights(df, "y", ["a", "b"])
    t = res.table.set_index("driver")
    assert t.loc["a", "raw_weight"] == pytest.approx(1 / 6)
    assert t.loc["b", "raw_weight"] == pytest.approx(4 / 6)
    assert res.r2 == pytest.approx(5 / 6)
    assert t.loc["a", "importance"] == pytest.approx(20.0) and t.loc["b", "importance"] == pytest.approx(80.0)
    assert res.n == 12


def test_correlated_drivers_weights_sum_to_the_regression_r2():
    """Two drivers: R^2 = (r1^2 + r2^2 - 2 r1 r2 r12) / (1 - r12^2), the textbook two-predictor formula.
    x2' = x2 + 0.5 x1 correlates with x1; the weights must add up to that R^2."""
    a, b = X1, X2 + 0.5 * X1
    y = X1 + 2 * X2 + E
    r1, r2, r12 = np.corrcoef(y, a)[0, 1], np.corrcoef(y, b)[0, 1], np.corrcoef(a, b)[0, 1]
    r2_hand = (r1 ** 2 + r2 ** 2 - 2 * r1 * r2 * r12) / (1 - r12 ** 2)
    raw = johnson_weights(np.column_stack([a, b]), y)
    assert raw.sum() == pytest.approx(r2_hand)
    assert r2_hand == pytest.approx(5 / 6)


def test_symmetric_correlated_drivers_share_r2_equally():
    """a = x1 + x2/2, b = x2 + x1/2 and y = x1 + x2 + e are symmetric in a and b, so each weight is R^2 / 2."""
    a, b, y = X1 + X2 / 2, X2 + X1 / 2, X1 + X2 + E
    raw = johnson_weights(np.column_stack([a, b]), y)
    assert raw[0] == pytest.approx(raw[1]) and raw.sum() == pytest.approx(2 / 3)


def test_performance_is_the_mean_rescaled_on_the_inferred_scale():
    """A 1-5 driver with mean 4 -> (4-1)/(5-1) = 75; a 0-10 driver with mean 8 -> 80; an unbounded
    measure uses its observed range."""
    df = pd.DataFrame({"y": [1, 2, 3, 4, 5, 6], "r5": [3, 4, 5, 3, 4, 5], "r10": [6, 7, 8, 8, 9, 10]})
    t = relative_weights(df, "y", ["r5", "r10"]).table.set_index("driver")
    assert t.loc["r5", "performance"] == pytest.approx(75.0)
    assert t.loc["r10", "performance"] == pytest.approx(80.0)


@pytest.mark.parametrize("values, scale", [
    ([1, 3, 5], (1, 5)), ([2, 6, 7], (1, 7)), ([0, 4, 10], (0, 10)), ([12, 40], (12.0, 40.0)), ([-1, 3], (-1.0, 3.0)),
])
def test_scale_is_inferred_from_the_values(values, scale):
    """1-5, then 1-7, then 0-10; anything else is its observed min..max."""
    assert scale_of(pd.Series(values)) == scale


def test_quadrants_split_at_the_mean_of_each_axis():
    """Importance mean 25, performance mean 50: the four corners get the four labels."""
    labels = quadrants(pd.Series([40, 40, 10, 10]), pd.Series([20, 80, 20, 80]))
    assert labels == ["Fix first", "Keep it up", "Lower priority", "Possible overkill"]


def test_listwise_deletion_constant_drivers_and_small_samples_are_noted():
    """Two rows have a blank: n = 10 of 12; the constant driver is dropped; n < 30 is a small sample."""
    df = pd.DataFrame({"y": X1 + 2 * X2 + E, "a": X1, "b": X2, "flat": 3.0})
    df.loc[[0, 5], "a"] = np.nan
    res = relative_weights(df, "y", ["a", "b", "flat"])
    assert res.n == 10 and res.small_sample
    assert list(res.table["driver"]) == ["b", "a"]
    assert any("flat" in n for n in res.notes) and any("listwise" in n for n in res.notes)


def test_too_few_rows_give_no_weights_and_a_note():
    """Three rows cannot estimate two drivers: an empty table and R^2 None, no exception."""
    res = relative_weights(pd.DataFrame({"y": [1, 2, 3], "a": [1, 2, 2], "b": [3, 1, 2]}), "y", ["a", "b"])
    assert res.table.empty and res.r2 is None and res.notes


def test_operational_drivers_take_a_churn_flag_and_drop_constant_and_text_columns():
    """Churn (boolean) vs tickets and usage; 'plan' is text and 'region_count' constant: both noted."""
    rng = np.random.default_rng(7)
    tickets = rng.poisson(3, 200).astype(float)
    usage = rng.normal(50, 10, 200)
    churned = pd.array((tickets + rng.normal(0, 1, 200) > 4), dtype="boolean")
    frame = pd.DataFrame({"churned": churned, "tickets": tickets, "usage": usage,
                          "plan": rng.choice(["a", "b"], 200), "region_count": 1.0})
    res = operational_drivers(frame, "churned", ["tickets", "usage", "plan", "region_count"])
    assert res.table["driver"].tolist()[0] == "tickets"
    assert res.table["importance"].sum() == pytest.approx(100.0)
    assert any("plan" in n for n in res.notes) and any("region_count" in n for n in res.notes)
    assert not res.small_sample


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data (real test exports) is absent")
def test_call_center_satisfaction_drivers_match_an_independent_two_driver_r2():
    """Satisfaction vs speed of answer and talk seconds over answered calls: the weights sum to the
    two-predictor R^2 computed from the correlations directly."""
    c = pd.read_excel(DATA / "call_center" / "call_center.xlsx", engine="calamine")
    talk = pd.to_timedelta(c["AvgTalkDuration"].astype(str), errors="coerce").dt.total_seconds()
    df = pd.DataFrame({"csat": c["Satisfaction rating"], "speed": c["Speed of answer in seconds"], "talk": talk})
    res = relative_weights(df, "csat", ["speed", "talk"])
    full = df.dropna()
    r = full.corr().to_numpy()
    r1, r2, r12 = r[0, 1], r[0, 2], r[1, 2]
    assert res.n == len(full) == 4054
    assert res.r2 == pytest.approx((r1 ** 2 + r2 ** 2 - 2 * r1 * r2 * r12) / (1 - r12 ** 2))


def test_quadrant_chart_has_points_labels_and_mean_lines():
    """Points, text labels and two rules at the mean of each axis; R^2 and n in the subtitle."""
    from cs_logic.charts.feedback import driver_quadrant_chart
    df = pd.DataFrame({"y": X1 + 2 * X2 + E + 3, "a": X1 + 3, "b": X2 + 3})
    res = relative_weights(df, "y", ["a", "b"])
    spec = driver_quadrant_chart(res.table, res.r2, res.n).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["circle", "text", "rule", "rule"]
    assert spec["title"]["subtitle"] == "R² = 0.83, n = 12"
