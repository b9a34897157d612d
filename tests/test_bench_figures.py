"""The benchmark itself runs: on the S portfolio every wired figure is measured (no timing is checked here)."""

import re

from bench.__main__ import NO_INPUTS, Bench


def test_scoring_what_if_and_chart_figures_all_run_on_s():
    """A function moved to another module once left a chart silently unmeasured at M; here every figure has a
    value, only the charts the portfolio cannot feed are left out, and the app's scores equal the plain pandas
    implementation's (bench/baseline_pandas.py, written independently) to 1e-9."""
    bench = Bench("S", 1, False, only=frozenset({"scoring", "what-if", "charts"}))
    bench.measure()
    assert [f.name for f in bench.figures if f.value is None] == []
    marks = next(f for f in bench.figures if f.name == "Largest number of marks in a chart")
    assert marks.note.endswith(f"charts measured, {len(NO_INPUTS)} not")
    versus_pandas = next(f for f in bench.figures if f.name == "Full scoring (pandas baseline / app)")
    difference = float(re.search(r"largest score difference ([0-9.e+-]+)", versus_pandas.note).group(1))
    assert difference < 1e-9
