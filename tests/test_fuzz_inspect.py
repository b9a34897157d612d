"""Issue 19: generated malformed CSV and XLSX files through `inspect`: exit 0 or 2, never an exception.

A small fixed-seed sample (the 11 kinds in tests/fuzzinputs.py in turn); `python -m bench.fuzz --count 1000`
runs a thousand in subprocesses with time and memory limits and records the figures in bench/results.md.
"""

from __future__ import annotations

import contextlib
import io
import time

import pytest

from cs_logic.__main__ import main
from tests.fuzzinputs import KINDS, generate

COUNT = 55  # five of each kind
SEED = 19


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    found = []
    for kind, name, data in generate(COUNT, SEED):
        path = folder / name
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["inspect", str(path), "--json"])
                crash = None
            except Exception as exc:  # noqa: BLE001 - any exception is the failure this test exists to find
                code, crash = 1, f"{type(exc).__name__}: {exc}"
        found.append((kind, name, code, crash, err.getvalue(), time.perf_counter() - start))
    return found


def test_every_kind_is_generated():
    assert {kind for kind, _, _ in generate(COUNT, SEED)} == set(KINDS)


def test_inspect_reads_or_refuses_every_malformed_file_and_never_crashes(outcomes):
    crashes = [(name, crash) for _, name, code, crash, _, _ in outcomes if code not in (0, 2) or crash]
    assert crashes == []


def test_a_refusal_is_one_line_without_a_traceback(outcomes):
    for _, name, code, _, err, _ in outcomes:
        if code == 2:
            assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, (name, err)


def test_each_input_takes_under_ten_seconds(outcomes):
    slow = [(name, round(seconds, 1)) for _, name, _, _, _, seconds in outcomes if seconds >= 10]
    assert slow == []


def test_some_inputs_are_read_and_some_refused(outcomes):
    """The sample exercises both outcomes (a generator producing only refusals would test little)."""
    codes = {code for _, _, code, _, _, _ in outcomes}
    assert codes == {0, 2}
