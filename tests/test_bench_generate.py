"""The benchmark generator: the S portfolio is deterministic, has the stated row counts and canonical headers."""

import csv
import json

import pytest

from bench.generate import HEADERS, SIZES, generate


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_out")
    return out, generate("S", seed=7, out=out)


def _rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("table", sorted(HEADERS))
def test_s_size_has_the_stated_rows_and_the_canonical_header(small, table):
    """S is 1,000 accounts, 50,000 usage rows, 5,000 tickets and 2,000 survey answers, each with a plain header."""
    _, paths = small
    rows = _rows(paths[table])
    assert tuple(rows[0]) == HEADERS[table]
    assert len(rows) - 1 == SIZES["S"].rows(table)
    assert {1_000, 50_000, 5_000, 2_000} == {SIZES["S"].rows(t) for t in HEADERS}


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(small, tmp_path):
    _out, paths = small
    again = generate("S", seed=7, out=tmp_path / "again")
    other = generate("S", seed=8, out=tmp_path / "other")
    for table in HEADERS:
        assert again[table].read_bytes() == paths[table].read_bytes()
    assert other["usage"].read_bytes() != paths["usage"].read_bytes()


def test_files_with_the_same_seed_and_size_are_not_rewritten(small):
    out, paths = small
    before = {t: p.stat().st_mtime_ns for t, p in paths.items()}
    generate("S", seed=7, out=out)
    assert {t: p.stat().st_mtime_ns for t, p in paths.items()} == before
    assert json.loads((out / "S" / "manifest.json").read_text())["seed"] == 7


def test_ids_are_unique_and_every_row_points_at_a_generated_account(small):
    _, paths = small
    accounts = [r[0] for r in _rows(paths["accounts"])[1:]]
    assert len(set(accounts)) == len(accounts) and accounts[0] == "A0000001"
    known = set(accounts)
    for table in ("usage", "tickets", "surveys"):
        rows = _rows(paths[table])
        col = rows[0].index("account_id")
        assert {r[col] for r in rows[1:]} <= known
