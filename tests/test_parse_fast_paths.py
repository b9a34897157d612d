"""The large-file shortcuts of cs_logic.read.parse read a column exactly as the general reading does.

A large CSV's columns arrive as Arrow-backed text; three shortcuts type them without a dictionary of their
distinct values: whole numbers in one integer cast, plain YYYY-MM-DD dates in one date cast, ids grouped in runs
one Python string per run. Each case below is a long column (past DISTINCT_MIN_ROWS and RUN_SAMPLE) of a few
values repeated, read twice: as Arrow-backed text (the shortcut where it applies) and as Python strings (the
general reading, value by value); values, bad rows and notes must be equal. Dirty values (a bad date among good
ones, thousands separators, blanks, a two-digit year, a time zone...) must send the column to the general
reading, which the tests check by the result, and by which shortcut ran where that is the claim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cs_logic.read import dates, parse

ROWS = 12_000  # past DISTINCT_MIN_ROWS (10,000) and RUN_SAMPLE, so every long-column path is open


@pytest.fixture(autouse=True, params=["one slice", "slices of 1,000 rows"])
def _slices(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each case read whole and in slices (the casts go SLICE_ROWS rows at a time; a bad value in a later slice)."""
    if request.param != "one slice":
        monkeypatch.setattr(parse, "SLICE_ROWS", 1_000)
        monkeypatch.setattr(dates, "SLICE_ROWS", 1_000)


def _column(values: list[str | None], grouped: bool = False) -> list[str | None]:
    """``values`` repeated to ROWS rows: cycling (no two neighbours equal) or each value in one run."""
    if grouped:
        return [v for v in values for _ in range(ROWS // len(values))]
    return (values * (ROWS // len(values) + 1))[:ROWS]


def _both(parser, cells: list[str | None]):  # type: ignore[no-untyped-def]
    arrow = parser(pd.Series(pd.arrays.ArrowExtensionArray(pa.array(cells, pa.string()))))
    python = parser(pd.Series(cells, dtype=object))
    return arrow, python


def _assert_same(arrow: parse.Parsed, python: parse.Parsed) -> None:
    pd.testing.assert_series_equal(arrow.values, python.values, check_exact=True)
    pd.testing.assert_series_equal(arrow.bad, python.bad)
    assert arrow.note == python.note


NUMBER_CASES = {
    "whole counts": ["0", "7", "-3", "12", "007"],
    "with blanks": ["5", None, "9", None, "0"],
    "a blank word": ["5", "N/A", "9", "n/a", "0"],
    "thousands commas": ["1,234", "12", "5,678,901", "7"],
    "dots as thousands or decimals": ["1.234", "12", "7"],
    "decimal commas": ["1.234,5", "12,5", "3"],
    "a space inside": [" 5", "6 ", "7"],
    "decimals": ["1.5", "2", "3.25"],
    "past 2^53": ["9007199254740993", "1", "2"],
    "currency and percent": ["$5", "6%", "7"],
    "local digits": ["۱۲", "5", "6"],
    "a plus sign": ["+5", "6", "7"],
    "a word": ["5", "six", "7"],
}
NUMBER_CASES["one bad value in the last rows"] = ["5"] * 11_999 + ["5.5"]


@pytest.mark.parametrize("values", NUMBER_CASES.values(), ids=NUMBER_CASES.keys())
def test_numbers_read_in_one_cast_equal_the_general_reading(values: list[str | None]) -> None:
    _assert_same(*_both(parse.parse_numbers, _column(values)))


def _no_dictionary(monkeypatch: pytest.MonkeyPatch, parser, cells: list[str | None]):  # type: ignore[no-untyped-def]
    """The Arrow-backed reading with the dictionary path made to fail, then both readings (as _both)."""
    with monkeypatch.context() as patched:
        patched.setattr(parse, "_encoded", lambda *a, **k: pytest.fail("the column was dictionary-encoded"))
        arrow = parser(pd.Series(pd.arrays.ArrowExtensionArray(pa.array(cells, pa.string()))))
    return arrow, parser(pd.Series(cells, dtype=object))


def test_a_count_column_takes_the_one_cast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole numbers and blanks: no dictionary of the distinct values is made (the 5M-row usage counts)."""
    arrow, python = _no_dictionary(monkeypatch, parse.parse_numbers, _column(["3", None, "0", "41"]))
    _assert_same(arrow, python)
    assert arrow.values.iloc[:4].tolist()[::2] == [3.0, 0.0]


def test_numbers_read_in_one_cast_can_be_changed_in_place() -> None:
    """Not a view of Arrow's memory, which is read-only ("assignment destination is read-only")."""
    arrow, _ = _both(parse.parse_numbers, _column(["3", "4"]))
    arrow.values.iloc[0] = 5.0
    assert arrow.values.iloc[0] == 5.0


DATE_CASES = {
    "plain ISO dates": ["2025-01-31", "2024-02-29", "1990-06-15"],
    "with blanks": ["2025-01-31", None, "2024-02-29"],
    "a blank word": ["2025-01-31", "N/A", "2024-02-29"],
    "a bad date among good ones": ["2025-01-31", "2024-02-30", "2024-03-01"],
    "day-first slashes (ten characters)": ["31/01/2025", "01/02/2025", "15/06/2024"],
    "a two-digit year": ["2025-01-31", "31/01/25", "2024-02-29"],
    "a time zone": ["2025-01-31", "2025-01-31T10:00:00Z", "2024-02-29"],
    "times of day": ["2025-01-31", "2025-01-31 10:00", "2024-02-29 23:59:59"],
    "a Jalali year": ["1403-07-15", "1402-01-01", "1401-12-29"],
    "the nanosecond range's ends": ["1678-01-01", "2261-12-31", "2262-01-01"],
    "year zero": ["0000-01-01", "2024-01-01", "2024-01-02"],
    "a trailing space": ["2025-01-31 ", "2024-02-29", "2024-03-01"],
    "persian digits": ["۲۰۲۴-۰۱-۰۵", "2024-01-06", "2024-01-07"],
    "dots": ["2024.01.05", "2024-01-06", "2024-01-07"],
    "compact": ["20240105", "20240106", "20240107"],
}
DATE_CASES["one bad date in the last rows"] = ["2024-01-05"] * 11_999 + ["2024-13-05"]
DATE_CASES["one Jalali date in the last rows"] = ["2024-01-05"] * 11_999 + ["1403-01-05"]


@pytest.mark.parametrize("values", DATE_CASES.values(), ids=DATE_CASES.keys())
def test_dates_read_in_one_cast_equal_the_general_reading(values: list[str | None]) -> None:
    _assert_same(*_both(parse.parse_dates, _column(values)))


def test_plain_iso_dates_take_the_one_cast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """2024-02-29 is 19,782 days after 1970-01-01; a blank stays NaT; no dictionary is made."""
    arrow, python = _no_dictionary(monkeypatch, parse.parse_dates, _column(["2024-02-29", None]))
    _assert_same(arrow, python)
    assert arrow.values.iloc[0] == pd.Timestamp("1970-01-01") + pd.Timedelta(days=19_782)
    assert pd.isna(arrow.values.iloc[1])


@pytest.mark.parametrize("values", [["2024-02-30", "2024-03-01"], ["1403-07-15", "2024-03-01"],
                                    ["24-03-01 x", "2024-03-01"], ["2024/03/01", "2024-03-01"]])
def test_the_date_cast_refuses_what_the_general_reading_must_decide(values: list[str]) -> None:
    """An impossible date, a Jalali year, another length, another separator: no shortcut reading at all."""
    assert dates.plain_iso_days(pa.array(_column(values))) is None


ID_CASES = {
    "grouped ids": ["A0001", "A0002", "A0003"],
    "grouped with blanks": ["A0001", None, "A0003"],
    "grouped with blank words and spaces": ["A0001", "N/A", " A0003 ", "-"],
    "grouped with leading zeros": ["00123", "0042", "7"],
    "grouped local digits": ["۱۲۳", "456"],
}


@pytest.mark.parametrize("values", ID_CASES.values(), ids=ID_CASES.keys())
def test_ids_read_run_by_run_equal_the_general_reading(values: list[str | None]) -> None:
    _assert_same(*_both(parse.parse_ids, _column(values, grouped=True)))


@pytest.mark.parametrize("values", ID_CASES.values(), ids=ID_CASES.keys())
def test_ids_not_in_runs_equal_the_general_reading(values: list[str | None]) -> None:
    _assert_same(*_both(parse.parse_ids, _column(values)))


def test_grouped_ids_take_the_run_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three runs of 4,000 rows: three Python strings, each shared by its rows; no dictionary is made."""
    arrow, python = _no_dictionary(monkeypatch, parse.parse_ids, _column(["A1", "A2", "A3"], grouped=True))
    _assert_same(arrow, python)
    cells = arrow.values.to_numpy()
    assert cells[0] is cells[3_999] and cells[0] is not cells[4_000] and cells[4_000] == "A2"


def test_runs_are_looked_for_only_when_the_first_rows_come_in_runs() -> None:
    """Every row its own run in the first RUN_SAMPLE rows: the column is left to the dictionary."""
    cycling = pa.array(_column(["A1", "A2", "A3"]))
    grouped = pa.array(_column(["A1", "A2", "A3"], grouped=True))
    assert parse._runs(cycling) is None
    starts, lengths = parse._runs(grouped)  # type: ignore[misc]
    assert starts.tolist() == [0, 4_000, 8_000] and lengths.tolist() == [4_000] * 3
    assert np.repeat(np.array(["A1", "A2", "A3"]), lengths).tolist() == grouped.to_pylist()
