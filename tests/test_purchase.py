"""The purchase model: BG/NBD and Gamma-Gamma against the published CDNOW figures, hand-worked cases,
an independent numerical integration of eq. (10), the holdout check, and every "not enough data" reason.

Reference figures (quoted, as lifelines quotes R):
- BG/NBD, Fader, Hardie & Lee (2005) section 4, CDNOW 1/10 sample, calibration to 1997-09-30 in weeks:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4 (../shared/data/cdnow/SOURCE.txt).
- Gamma-Gamma, Fader & Hardie (2013) "The Gamma-Gamma Model of Monetary Value", the same 946 repeat
  buyers: p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9; as quoted by CLVTools'
  tests/testthat/test_correctness_gg.R (p = 6.25, q = 3.74, gamma = 15.44, LL = -4055.9177).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from cs_logic.metrics.purchase import (
    MIN_CUSTOMERS,
    BgNbdParams,
    bgnbd_log_likelihood,
    conditional_expected_purchases,
    customer_summary,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_check,
    p_alive,
    purchase_model,
)

PAPER = BgNbdParams(0.243, 4.414, 0.793, 2.426, -9582.4, True, "", 2357, "weeks")


@pytest.fixture(scope="module")
def cdnow_sample(shared_data) -> pd.DataFrame:
    """The paper's 1/10 sample as a user's orders export (no header: master id, id, YYYYMMDD, CDs, $)."""
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "account_id", "date", "cds", "amount"], dtype={"date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


@pytest.fixture(scope="module")
def sample_model(cdnow_sample):
    return purchase_model(cdnow_sample, "1997-09-30", unit="weeks")


def _orders(rows: list[tuple[str, str]], amounts: list[float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    if amounts is not None:
        frame["amount"] = amounts
    return frame


# --- the paper reproduced -------------------------------------------------------------------------------

def test_bgnbd_reproduces_the_paper_on_the_cdnow_sample(sample_model):
    """r 0.243, alpha 4.414, a 0.793, b 2.426 (each within 0.005) and LL -9582.4 (within 0.5)."""
    fit = sample_model.params
    assert fit is not None and fit.converged and sample_model.reason is None
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=0.005)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    assert fit.customers == 2357


def test_calibration_counts_match_an_independent_count_of_customer_days(cdnow_sample, sample_model):
    """2,357 customers; purchases = distinct (customer, day) up to 1997-09-30, so repeat purchases =
    4,814 - 2,357 = 2,457 and 1,411 customers with none; the 1,959 later rows are left out."""
    days = cdnow_sample[["account_id", "date"]].drop_duplicates()
    calibration = days[days["date"] <= "1997-09-30"]
    table = sample_model.customers
    assert len(table) == calibration["account_id"].nunique() == 2357
    assert int(table["frequency"].sum()) == len(calibration) - 2357 == 2457
    assert int((table["frequency"] == 0).sum()) == 1411
    assert sample_model.rows_left_out == int((cdnow_sample["date"] > "1997-09-30").sum()) == 1959


def test_gamma_gamma_reproduces_fader_hardie_2013_on_the_cdnow_sample(sample_model):
    """p 6.25, q 3.74, gamma 15.44 (within 1%), LL -4055.9, over the 946 repeat buyers; spend and
    frequency correlate weakly (0.11 in the note), which is what the model assumes."""
    spend = sample_model.spend
    assert spend is not None and spend.converged and sample_model.spend_reason is None
    assert (spend.p, spend.q, spend.gamma) == pytest.approx((6.25, 3.74, 15.44), rel=0.01)
    assert spend.log_likelihood == pytest.approx(-4055.9, abs=0.5)
    assert spend.customers == 946
    assert spend.correlation == pytest.approx(0.11, abs=0.01)


def test_expected_spend_exists_only_for_repeat_buyers(sample_model):
    """Spend comes from repeat purchases: 946 customers have it, the 1,411 who never came back do not."""
    table = sample_model.customers
    has_spend = table["expected_spend_per_purchase"].notna()
    assert has_spend.sum() == 946
    assert (table.loc[has_spend, "frequency"] > 0).all()
    value = table.loc[has_spend, "expected_value"]
    expected = table.loc[has_spend, "expected_purchases"] * table.loc[has_spend, "expected_spend_per_purchase"]
    assert np.allclose(value, expected)


def test_units_change_alpha_by_seven_and_nothing_else(cdnow_sample):
    """In days every time is 7x: alpha_days = 7 * alpha_weeks, r, a, b unchanged, and each repeat
    purchase's density is 7x smaller, so LL_days = LL_weeks - 2,457 * ln 7 = -9582.4 - 4781.1."""
    weeks = purchase_model(cdnow_sample, "1997-09-30", unit="weeks")
    days = purchase_model(cdnow_sample, "1997-09-30", unit="days")
    w, d = weeks.params, days.params
    assert w is not None and d is not None
    assert d.alpha == pytest.approx(7 * w.alpha, rel=1e-3)
    assert (d.r, d.a, d.b) == pytest.approx((w.r, w.a, w.b), rel=1e-3)
    assert d.log_likelihood == pytest.approx(w.log_likelihood - 2457 * np.log(7), abs=0.05)
    assert np.allclose(days.customers["expected_purchases"], weeks.customers["expected_purchases"], rtol=1e-3)


def test_the_full_cdnow_cohort_fits(shared_data):
    """All 23,570 customers (69,659 rows, a header row) fit and converge; measured at about 1 s."""
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+", dtype={"date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    model = purchase_model(raw, "1997-09-30", customer="customer_id", amount="dollar_value")
    assert model.params is not None and model.params.converged and model.params.customers == 23570
    assert np.isfinite(model.customers["expected_purchases"]).all()


# --- hand-checkable cases -------------------------------------------------------------------------------

def test_log_likelihood_of_a_customer_who_never_returned_is_the_nbd_zero_term():
    """x = 0: L = (alpha / (alpha + T))^r, so r = 1, alpha = 1, T = 1 gives ln(1/2); the drop-out
    parameters cancel (B(a, b)/B(a, b))."""
    ll = bgnbd_log_likelihood(1.0, 1.0, 0.7, 2.0, np.array([0]), np.array([0.0]), np.array([1.0]))
    assert ll[0] == pytest.approx(np.log(0.5))


def test_log_likelihood_of_one_repeat_purchase_by_hand():
    """r = 1, alpha = 1, a = 1, b = 1, x = 1, t_x = 1, T = 2: G(2)/G(1) * 1 * [B(1, 2)/B(1, 1) / 3^2
    + B(2, 1)/B(1, 1) / 2^2] = (1/2)/9 + (1/2)/4 = 0.0556 + 0.125 = 0.18056."""
    ll = bgnbd_log_likelihood(1.0, 1.0, 1.0, 1.0, np.array([1]), np.array([1.0]), np.array([2.0]))
    assert np.exp(ll[0]) == pytest.approx(1 / 18 + 1 / 8)


def test_a_customer_who_never_came_back_is_alive_for_sure():
    """In BG/NBD a customer can drop out only just after a repeat purchase: x = 0 -> P(alive) = 1."""
    assert p_alive(PAPER, np.array([0, 0]), np.array([0.0, 0.0]), np.array([1.0, 60.0])).tolist() == [1.0, 1.0]


def test_p_alive_by_hand_with_the_paper_parameters():
    """x = 2, t_x = 30, T = 38: odds = 0.793/3.426 * (42.414/34.414)^2.243 = 0.2315 * 1.598 = 0.3699,
    P(alive) = 1/1.3699 = 0.730."""
    assert p_alive(PAPER, np.array([2]), np.array([30.0]), np.array([38.0]))[0] == pytest.approx(0.730, abs=1e-3)


def test_p_alive_falls_as_the_silence_since_the_last_purchase_grows():
    """Same x = 3 and T = 40; the last purchase at week 39, 30, 20, 10, 1: the longer the silence, the
    less likely the customer is still one (0.838, 0.709, 0.445, 0.127, 0.006)."""
    t_x = np.array([39.0, 30.0, 20.0, 10.0, 1.0])
    alive = p_alive(PAPER, np.full(5, 3), t_x, np.full(5, 40.0))
    assert np.all(np.diff(alive) < 0)
    assert alive[0] > 0.8 and alive[-1] < 0.01


def test_expected_purchases_rise_with_frequency_at_fixed_recency():
    """Last purchase at week 35 of 38 for all; x = 1..6 -> more purchases expected in the next 13 weeks."""
    ahead = conditional_expected_purchases(PAPER, 13.0, np.arange(1, 7), np.full(6, 35.0), np.full(6, 38.0))
    assert np.all(np.diff(ahead) > 0)


def test_a_brand_new_customer_expects_what_the_cohort_formula_gives():
    """Eq. (10) with x = 0, t_x = 0, T = 0 is eq. (7): no history, so the population's expectation."""
    t = np.array([1.0, 13.0, 39.0, 78.0])
    assert np.allclose(conditional_expected_purchases(PAPER, t, 0, 0.0, 0.0), expected_purchases(PAPER, t))


@pytest.mark.parametrize("x, t_x, T", [(0, 0.0, 38.0), (1, 10.0, 38.0), (4, 30.0, 35.0), (12, 37.0, 38.0)])
def test_conditional_expectation_matches_a_numerical_integral_over_the_posterior(x, t_x, T):
    """Eq. (10) against the model written out, with no hypergeometric function. Given purchase rate lam
    and drop-out probability p, a customer alive at T buys (1/p)(1 - exp(-lam p t)) in the next t; being
    alive with this history has weight (1-p)^x lam^x e^(-lam T), and dropping out after the last purchase
    adds p (1-p)^(x-1) lam^x e^(-lam t_x). Priors Gamma(r, alpha) x Beta(a, b). The lam integrals are
    Gamma integrals, G(r+x) / c^(r+x); the p integrals are done numerically (quad with the Beta weight
    p^(a-1) (1-p)^(b-1) handled as an algebraic end-point singularity)."""
    r, alpha, a, b, t = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b, 39.0
    k = r + x  # every lam integral is G(k) c^-k; G(k) cancels in the ratio

    def buys_ahead(p: float) -> float:
        # int lam^(k-1) e^(-lam (alpha+T)) (1 - e^(-lam p t)) dlam / p, written to survive p -> 0
        per_p = k * t / (alpha + T) if p == 0 else -np.expm1(-k * np.log1p(p * t / (alpha + T))) / p
        return (1 - p) ** x * (alpha + T) ** -k * per_p

    def history(p: float) -> float:
        gone = p * (1 - p) ** (x - 1) * (alpha + t_x) ** -k if x > 0 else 0.0
        return (1 - p) ** x * (alpha + T) ** -k + gone

    weight = {"weight": "alg", "wvar": (a - 1, b - 1), "epsabs": 0, "epsrel": 1e-10, "limit": 200}
    top = integrate.quad(buys_ahead, 0, 1, **weight)[0]
    bottom = integrate.quad(history, 0, 1, **weight)[0]
    closed = conditional_expected_purchases(PAPER, t, np.array([x]), np.array([t_x]), np.array([T]))[0]
    assert closed == pytest.approx(top / bottom, rel=1e-6)


def test_several_rows_of_one_day_are_one_purchase_and_a_blank_amount_is_unknown():
    """a: 2 rows on 1 Jan (10 + 5), 15 Jan (30), 22 Jan (blank): purchases 3, x = 2, t_x = 3 weeks,
    T = 4 weeks to 29 Jan; mean spend per repeat purchase = 30 over the 1 repeat with a known amount (the
    blank is not a 0, which would give 15). Rows after the as-of date and rows with no customer are out."""
    o = _orders([("a", "2024-01-01"), ("a", "2024-01-01"), ("a", "2024-01-15"), ("a", "2024-01-22"),
                 ("a", "2024-02-05"), (None, "2024-01-03")], amounts=[10.0, 5.0, 30.0, np.nan, 99.0, 1.0])
    s = customer_summary(o, "2024-01-29")
    row = s.iloc[0]
    assert (row["purchases"], row["frequency"], row["recency"], row["T"]) == (3, 2, 3.0, 4.0)
    assert (row["spend_purchases"], row["mean_spend"]) == (1, 30.0)
    assert s.attrs["rows_left_out"] == 2


def test_dates_with_a_time_zone_count_by_their_own_calendar_day():
    """Shopify-style 2024-01-01T23:30:00-05:00 is 1 January in the shop's zone, not 2 January in UTC."""
    o = pd.DataFrame({"account_id": ["a", "a", "a"],
                      "date": ["2024-01-01T09:00:00-05:00", "2024-01-01T23:30:00-05:00", "2024-01-08T10:00:00-05:00"]})
    o["date"] = pd.to_datetime(o["date"])
    row = customer_summary(o, "2024-01-15").iloc[0]
    assert (row["purchases"], row["recency"], row["T"]) == (2, 1.0, 2.0)


def test_regular_buyers_who_never_stop_are_alive_and_keep_their_pace():
    """40 customers buying every week for 20 weeks (x = 19, t_x = 19, T = 19.7-20): nobody looks gone,
    so P(alive) ~ 1 and the next 90 days (12.86 weeks) hold about 19/19.86 * 12.86 = 12.3 purchases."""
    rows = [(f"c{i}", str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * w + i % 3)).date()))
            for i in range(40) for w in range(20)]
    model = purchase_model(_orders(rows), "2024-05-20")
    assert model.reason is None
    assert model.customers["p_alive"].min() > 0.999
    assert model.customers["expected_purchases"].to_numpy() == pytest.approx(19 / 19.86 * 90 / 7, rel=0.01)


# --- the holdout check ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_holdout(cdnow_sample):
    return holdout_check(cdnow_sample, "1997-09-30", "1998-06-30")


def test_holdout_totals_on_the_cdnow_sample(cdnow_sample, sample_holdout):
    """Fitted to 1997-09-30, the 39-week holdout (1997-10-01 to 1998-06-30) holds 1,882 repeat
    purchases (distinct customer-days, counted here independently); the model predicts 1,653.4, i.e.
    12.1% too few. The brief asked for within 10%; the honest figure is 12.1% under, so this pins the
    figure and its direction. The weekly table shows where: level to week 5 (261 actual vs 254), then
    the November-December weeks pull ahead (week 13: 726 vs 628), a season the stationary model has no
    term for."""
    days = cdnow_sample[["account_id", "date"]].drop_duplicates()
    independent = int(((days["date"] > "1997-09-30") & (days["date"] <= "1998-06-30")).sum())
    h = sample_holdout
    assert h.reason is None and h.new_customers == 0
    assert h.actual_total == independent == 1882
    assert h.predicted_total == pytest.approx(1653.4, abs=0.5)
    assert 0.85 < h.predicted_total / h.actual_total < 1.0


def test_holdout_by_past_purchases_has_the_shape_of_the_papers_figure_4(sample_holdout):
    """Groups 0..6 and 7+ cover all 2,357 customers; actual and predicted holdout means both rise with
    past repeat purchases (x = 0: 0.237 actual vs 0.225 predicted; 7+: 6.36 vs 6.16)."""
    table = sample_holdout.by_frequency
    assert table["calibration_repeat_purchases"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357 and table["customers"].iloc[0] == 1411
    assert np.all(np.diff(table["actual_mean"]) > 0) and np.all(np.diff(table["predicted_mean"]) > 0)
    assert table["actual_mean"].iloc[0] == pytest.approx(334 / 1411, abs=1e-3)
    assert (table["predicted_mean"].iloc[0], table["predicted_mean"].iloc[-1]) == pytest.approx((0.225, 6.16),
                                                                                                 abs=0.005)


def test_holdout_week_by_week_ends_at_the_totals(sample_holdout):
    """39 weekly rows from 1997-10-07 to 1998-06-30; cumulative actual never falls; the last row is the
    totals; the cohort forecast from first-purchase dates alone (eq. 7) lands near the conditional one."""
    weeks = sample_holdout.by_week
    assert len(weeks) == 39
    assert weeks["through"].iloc[0] == pd.Timestamp("1997-10-07")
    assert weeks["through"].iloc[-1] == pd.Timestamp("1998-06-30")
    assert np.all(np.diff(weeks["actual_cumulative"]) >= 0)
    assert weeks["actual_cumulative"].iloc[-1] == sample_holdout.actual_total
    assert weeks["predicted_cumulative"].iloc[-1] == pytest.approx(sample_holdout.predicted_total)
    assert weeks["predicted_cohort_cumulative"].iloc[-1] == pytest.approx(sample_holdout.predicted_total, rel=0.02)


def test_holdout_leaves_out_customers_who_first_bought_after_the_split():
    """Holdout purchases of a customer unknown at the split are in no figure, and counted."""
    rows = [(f"c{i}", "2024-01-01") for i in range(MIN_CUSTOMERS)] + [("c0", "2024-02-01"),
                                                                      ("late", "2024-03-05")]
    h = holdout_check(_orders(rows), "2024-02-29", "2024-03-31")
    assert h.new_customers == 1
    assert h.actual_total == 0


# --- not enough data ------------------------------------------------------------------------------------

def test_too_few_customers_is_a_reason_not_a_fit():
    rows = [("a", "2024-01-01"), ("a", "2024-01-20"), ("b", "2024-01-05")]
    model = purchase_model(_orders(rows), "2024-02-01")
    assert model.params is None
    assert model.reason == f"only 2 customers bought by the as-of date; the model needs at least {MIN_CUSTOMERS}"
    assert model.customers["p_alive"].isna().all() and model.customers["expected_purchases"].isna().all()


def test_no_repeat_buyer_is_a_reason_not_a_fit():
    rows = [(f"c{i}", f"2024-01-{i % 28 + 1:02d}") for i in range(40)]
    params, reason = fit_bgnbd(customer_summary(_orders(rows), "2024-03-01"))
    assert params is None
    assert reason == "no customer bought twice by the as-of date, so nothing shows how often people return"


def test_holdout_end_before_the_split_is_a_reason():
    h = holdout_check(_orders([("a", "2024-01-01")]), "2024-02-01", "2024-01-15")
    assert h.reason == "the holdout end is not after the split" and h.actual_total is None


def test_spend_is_unknown_without_an_amount_column(cdnow_sample):
    model = purchase_model(cdnow_sample.drop(columns="amount"), "1997-09-30")
    assert model.params is not None
    assert model.spend is None and model.spend_reason == "the orders have no amount column"
    assert model.customers["expected_spend_per_purchase"].isna().all()
    assert model.customers["expected_value"].isna().all()


def test_spend_is_unknown_when_every_amount_is_blank(cdnow_sample):
    model = purchase_model(cdnow_sample.assign(amount=np.nan), "1997-09-30")
    assert model.spend is None and model.spend_reason == "no repeat purchase has an amount"


def test_spend_needs_enough_repeat_buyers_with_positive_amounts():
    """Refunds (amount <= 0) and customers with no repeat purchase do not count towards the 30."""
    params, reason = fit_gamma_gamma(np.array([1, 2, 3, 0]), np.array([10.0, -5.0, 12.0, 8.0]))
    assert params is None
    assert reason == ("only 2 customers have a repeat purchase with a positive amount; "
                      f"spend needs at least {MIN_CUSTOMERS}")


def test_an_optimiser_that_fails_is_said_and_predicts_nothing(cdnow_sample, monkeypatch):
    """When neither L-BFGS-B nor Nelder-Mead reports success the parameters are kept with
    converged = False and the optimiser's message, and no customer gets a P(alive) or a forecast."""
    from scipy import optimize

    from cs_logic.metrics import purchase

    def gives_up(fun, x0, **kwargs):
        return optimize.OptimizeResult(x=np.asarray(x0), fun=fun(np.asarray(x0)), success=False,
                                       message="iteration limit reached")

    monkeypatch.setattr(purchase.optimize, "minimize", gives_up)
    model = purchase_model(cdnow_sample, "1997-09-30")
    assert model.params is not None and not model.params.converged
    assert model.reason == "the maximum-likelihood fit did not converge (iteration limit reached)"
    assert model.customers["p_alive"].isna().all() and model.customers["expected_value"].isna().all()
    assert model.spend_reason == "the spend model's fit did not converge (iteration limit reached)"
    assert model.customers["expected_spend_per_purchase"].isna().all()
    assert holdout_check(cdnow_sample, "1997-09-30", "1998-06-30").predicted_total is None


def test_log_likelihood_per_distinct_repeat_count_is_the_per_customer_formula():
    """The gamma and beta terms are worked out once per distinct x; the values are eq. (6) worked out customer by
    customer with math.lgamma (no repeat, many repeats, t_x = T, T given as one number), to the last bits."""
    import math

    from cs_logic.metrics.purchase import bgnbd_log_likelihood

    def lbeta(p: float, q: float) -> float:
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    def one(r: float, alpha: float, a: float, b: float, x: float, t_x: float, T: float) -> float:
        head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        stay = lbeta(a, b + x) - lbeta(a, b) - (r + x) * math.log(alpha + T)
        if x == 0:
            return head + stay
        drop = lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * math.log(alpha + t_x)
        return head + max(stay, drop) + math.log1p(math.exp(-abs(stay - drop)))

    rng = np.random.default_rng(3)
    x = rng.integers(0, 40, 500).astype(float)
    T = rng.uniform(1, 80, 500)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 500), 0.0)
    t_x[:5] = T[:5]
    for r, alpha, a, b in ((0.243, 4.414, 0.793, 2.426), (1.8, 30.0, 66.0, 2020.0), (5.0, 0.5, 0.2, 0.3)):
        got = bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T)
        want = [one(r, alpha, a, b, *v) for v in zip(x, t_x, T)]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    scalar_T = bgnbd_log_likelihood(0.243, 4.414, 0.793, 2.426, x, np.minimum(t_x, 39.0), 39.0)
    np.testing.assert_allclose(scalar_T, [one(0.243, 4.414, 0.793, 2.426, v, min(t, 39.0), 39.0)
                                          for v, t in zip(x, t_x)], rtol=1e-12, atol=1e-9)


def test_the_fits_gradient_is_the_likelihoods_slope(cdnow_sample):
    """The analytic gradient the fit steps on equals central finite differences of the likelihood itself, at the
    paper's estimates and far from them (customers with and without repeat purchases, b below 1)."""
    from cs_logic.metrics import purchase

    s = purchase.customer_summary(cdnow_sample, "1997-09-30")
    g = s.groupby(["frequency", "recency", "T"]).size().reset_index(name="weight")
    x, t_x, T, w = (g[c].to_numpy(float) for c in ("frequency", "recency", "T", "weight"))
    each, at = np.unique(x, return_inverse=True)

    def value(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        return -float(np.sum(w * purchase.bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T)))

    for params in ((0.243, 4.414, 0.793, 2.426), (2.0, 30.0, 5.0, 0.4), (0.05, 0.5, 40.0, 900.0)):
        theta = np.log(params)
        got, grad = purchase._negative_ll_and_gradient(theta, x, t_x, T, w, each, at)
        assert got == pytest.approx(value(theta), rel=1e-12)
        h = 1e-6
        numeric = [(value(theta + h * e) - value(theta - h * e)) / (2 * h) for e in np.eye(4)]
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-3)
