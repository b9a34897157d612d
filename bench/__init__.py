"""Benchmarks of the app on a synthetic portfolio: `python -m bench [--size S|M|L]`."""
