"""The Wilson interval every share's margin of error uses (churn per band and per rep, win rate)."""

import math

import pytest

from cs_logic.core.stats import wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (1, 2, 0.0945, 0.9055)],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    """8/10: centre (0.8 + 1.9208/10)/1.38416 = 0.7167, half 1.96 sqrt(0.016 + 0.0096)/1.38416 = 0.2266."""
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_is_blank_without_observations():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_wilson_interval_on_hand_case() -> None:
    """k = 2, n = 10, z = 1.96: p = 0.2, z^2 = 3.8416, denominator 1 + 0.38416 = 1.38416;
    centre = (0.2 + 0.19208) / 1.38416 = 0.283262; half = 1.96 * sqrt(0.016 + 0.009604) / 1.38416 = 0.226581
    -> (0.0567, 0.5098).  k = 0: (0, 0.2775)."""
    low, high = wilson_interval(2, 10)
    assert (low, high) == (pytest.approx(0.056682, abs=1e-5), pytest.approx(0.509843, abs=1e-5))
    low0, high0 = wilson_interval(0, 10)
    assert low0 == 0.0 and high0 == pytest.approx(0.27753, abs=1e-4)
