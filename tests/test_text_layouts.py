"""Text files laid out by runs of spaces, and files with no header row (issue 16 item 6): CDNOW's master file and its
1/10 sample, checked against an independent pandas read, and small hand-made files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cs_logic.read.csvtext import SPACE_RUNS, sniff_delimiter
from cs_logic.read.detect import detect
from cs_logic.read.headerless import first_row_is_data
from cs_logic.read.ingest import ARROW_MIN_BYTES, is_arrow_text, read_table
from cs_logic.read.workspace import load_file

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------- hand-made files
def test_runs_of_spaces_split_an_aligned_text_file():
    """Three columns aligned by 1-3 spaces, leading spaces and CRLF: three columns, ids keep their zeros."""
    data = b" id   date      amount\r\n 001  20240101    9.50\r\n 002  20240102   12.00\r\n"
    result = read_table(data, "aligned.txt")
    assert result.delimiter == SPACE_RUNS
    assert result.header_row == 1
    assert result.frame.to_dict("list") == {"id": ["001", "002"], "date": ["20240101", "20240102"],
                                            "amount": ["9.50", "12.00"]}
    assert "the columns are separated by runs of spaces" in [n.message for n in result.notes]


def test_tabs_mixed_with_spaces_are_one_separator():
    """Columns padded with a tab on some lines and spaces on others (no single character splits all alike)."""
    data = b"customer\tplan amount\n a1 \t basic  10\nb2\tpro\t\t20\n"
    result = read_table(data, "mixed.txt")
    assert result.delimiter == SPACE_RUNS
    assert result.frame.to_dict("list") == {"customer": ["a1", "b2"], "plan": ["basic", "pro"], "amount": ["10", "20"]}


@pytest.mark.parametrize("text", [
    "name,city,amount\nAnn Lee,New York,10\nBob Ray,San José,12\n",
    # every line holds exactly one space, so runs of spaces would split them alike too: commas still win
    "full name,plan\nAnn Lee,Pro\nBob Ray,Basic\n",
    "id;comment\n1;very good service\n2;slow to answer\n",
])
def test_a_csv_whose_values_hold_spaces_stays_split_at_its_delimiter(text):
    """Runs of spaces are a candidate only when no single-character delimiter splits the records consistently."""
    assert sniff_delimiter(text) != SPACE_RUNS
    result = read_table(text.encode(), "spaced.csv")
    assert result.delimiter in (",", ";")
    assert len(result.frame.columns) == 2 + text.startswith("name")


def test_a_whitespace_file_over_a_megabyte_goes_through_arrow_as_pandas_reads_it(tmp_path):
    """40,000 aligned rows (about 1.3 MB) take Arrow's reader (its text columns) and equal pandas' sep=r"\\s+"."""
    rng = np.random.default_rng(7)
    n = 40_000
    ids = rng.integers(1, 5_000, n)
    lines = [" customer_id  date number_of_cds  dollar_value"]
    lines += [f" {i:05d} {19970101 + d:8d} {q:2d} {a:9.2f}"
              for i, d, q, a in zip(ids, rng.integers(0, 28, n), rng.integers(1, 9, n), rng.uniform(0, 500, n))]
    data = ("\r\n".join(lines) + "\r\n").encode()
    assert len(data) >= ARROW_MIN_BYTES
    result = read_table(data, "big.txt")
    assert result.delimiter == SPACE_RUNS and is_arrow_text(result.frame["customer_id"])
    expected = pd.read_csv(tmp_path.joinpath("big.txt").write_bytes(data) and tmp_path / "big.txt", sep=r"\s+",
                           dtype=str)
    got = result.frame.astype(str)
    assert list(got.columns) == list(expected.columns)
    assert got.to_numpy().tolist() == expected.to_numpy().tolist()


def test_a_first_row_of_numbers_like_the_rows_below_is_data_not_a_header():
    """No word in the first row, each cell as the cells below: the file has no header; words or years make one."""
    assert first_row_is_data([["00004", "19970101", "2", "29.33"], ["00004", "19970118", "2", "29.73"],
                              ["00021", "19970101", "3", "63.34"]])
    assert not first_row_is_data([["id", "amount"], ["1", "9.50"], ["2", "3.00"]])
    assert not first_row_is_data([["2023", "2024"], ["5", "7"], ["6", "8"]])  # years over counts: a header
    assert not first_row_is_data([["1.5", "2"], ["x", "y"], ["z", "w"]])  # numbers over words: not the same kinds


def test_a_headerless_file_names_its_columns_by_their_values():
    """Hand-made purchases with no header: 2 customers, 5 rows; amounts 10.00 + 5.50 + 7.25 + 20.00 + 1.25 = 44.00."""
    data = (b"C-01,2024-01-05,2,10.00\nC-01,2024-02-05,1,5.50\nC-02,2024-01-09,1,7.25\n"
            b"C-02,2024-03-01,4,20.00\nC-01,2024-03-03,1,1.25\n")
    result = read_table(data, "purchases.csv")
    assert result.header_row == 0 and result.first_data_row == 1
    assert list(result.frame.columns) == ["customer id", "date", "quantity", "amount"]
    assert len(result.frame) == 5  # the first row is data, kept
    assert "no header row found" in result.notes[0].message
    lf = load_file("purchases.csv", data)
    assert lf.table == "orders"
    assert lf.mapping == {"account_id": "customer id", "date": "date", "quantity": "quantity", "amount": "amount"}
    assert lf.prepared.frame["amount"].sum() == pytest.approx(44.00)
    assert lf.prepared.frame["account_id"].nunique() == 2


def test_eight_digit_numbers_are_dates_only_when_they_are_real_dates():
    """YYYYMMDD values under "date" map as the order date; 8-digit refs with month 00 or 13+ are no dates."""
    frame = pd.DataFrame({"customer_id": ["1", "2", "2"], "date": ["19970101", "19971231", "19980630"],
                          "ref": ["20240001", "20241399", "20245001"], "dollar_value": ["1.00", "2.50", "3.25"]})
    d = detect(frame, "x.txt")
    assert d.table == "orders" and d.mapping["date"] == "date" and d.mapping["amount"] == "dollar_value"
    assert "ref" not in d.mapping.values()


# ------------------------------------------------------------------------------------------------- CDNOW
@pytest.fixture(scope="module")
def cdnow_dir() -> Path:
    folder = ROOT.parent / "shared" / "data" / "cdnow"
    if not folder.is_dir():
        pytest.skip(f"the CDNOW files are not at {folder}")
    return folder


def test_cdnow_master_is_read_as_orders_as_pandas_reads_it(cdnow_dir):
    """69,659 purchases by 23,570 customers from 1997-01-01 to 1998-06-30 (SOURCE.txt), every row, id, date, count
    and amount equal to pandas' own sep=r"\\s+" read of the same file."""
    path = cdnow_dir / "CDNOW_master.txt"
    lf = load_file(path.name, path.read_bytes())
    assert lf.read.delimiter == SPACE_RUNS and lf.read.header_row == 1
    assert lf.table == "orders"
    assert lf.mapping == {"account_id": "customer_id", "date": "date", "quantity": "number_of_cds",
                          "amount": "dollar_value"}
    got = lf.prepared.frame
    expected = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    assert lf.rows == len(got) == len(expected) == 69_659
    assert got["account_id"].nunique() == expected["customer_id"].nunique() == 23_570
    assert got["date"].min() == pd.Timestamp("1997-01-01") and got["date"].max() == pd.Timestamp("1998-06-30")
    assert got["account_id"].tolist() == expected["customer_id"].tolist()
    assert (got["date"] == pd.to_datetime(expected["date"], format="%Y%m%d")).all()
    assert got["quantity"].tolist() == expected["number_of_cds"].astype(float).tolist()
    assert np.allclose(got["amount"], expected["dollar_value"])
    assert [d.kind for d in lf.decisions][:1] == ["delimiter"]


def test_cdnow_sample_has_no_header_row_and_is_read_as_orders(cdnow_dir):
    """The 1/10 sample: no header, 6,919 rows (none lost to a header), 2,357 customers; the master id (column 1) is
    the customer id, said in a decision, with the sample id (column 2) kept beside it."""
    path = cdnow_dir / "CDNOW_sample.txt"
    lf = load_file(path.name, path.read_bytes())
    assert lf.read.header_row == 0 and lf.read.delimiter == SPACE_RUNS
    assert lf.table == "orders" and lf.mapping["account_id"] == "customer id"
    assert {lf.mapping[f] for f in ("date", "quantity", "amount")} == {"date", "quantity", "amount"}
    expected = pd.read_csv(path, sep=r"\s+", header=None, dtype={0: str, 1: str, 2: str})
    got = lf.prepared.frame
    assert lf.rows == len(got) == len(expected) == 6_919
    assert got["account_id"].nunique() == expected[0].nunique() == 2_357
    assert got["account_id"].tolist() == expected[0].tolist()
    assert got["id (column 2)"].tolist() == expected[1].tolist()
    assert (got["date"] == pd.to_datetime(expected[2], format="%Y%m%d")).all()
    assert np.allclose(got["amount"], expected[4])
    assert any("no header row found" in p.message for p in lf.problems)
    kinds = {d.kind: d for d in lf.decisions}
    assert kinds["header"].decided == "no header row found: columns named by their values"
    assert 'column 3 "date": dates (19970101, written YYYYMMDD)' in kinds["header"].why
    assert kinds["id_column"].column == "customer id" and '"id (column 2)"' in kinds["id_column"].change


def test_the_manager_can_map_cdnow_samples_other_id(cdnow_dir):
    """Mapped by hand to the sample id (column 2), the customers are the same 2,357 (the ids pair one to one)."""
    path = cdnow_dir / "CDNOW_sample.txt"
    mapping = {"account_id": "id (column 2)", "date": "date", "amount": "amount", "quantity": "quantity"}
    lf = load_file(path.name, path.read_bytes(), table="orders", mapping=mapping)
    assert lf.mapping["account_id"] == "id (column 2)"
    assert lf.prepared.frame["account_id"].nunique() == 2_357
    assert lf.prepared.frame["account_id"].iloc[0] == "0001"
    assert {d.kind: d for d in lf.decisions}["id_column"].why.startswith("your mapping")


def test_cli_inspect_reads_both_cdnow_files(cdnow_dir):
    """`python -m cs_logic inspect FILE --json` says orders, the delimiter, and no header row for the sample."""
    procs = {name: subprocess.Popen([sys.executable, "-m", "cs_logic", "inspect", str(cdnow_dir / name), "--json"],
                                    cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("CDNOW_master.txt", "CDNOW_sample.txt")}
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr.decode()
        out[name] = json.loads(stdout)
    master, sample = out["CDNOW_master.txt"], out["CDNOW_sample.txt"]
    assert master["table"] == sample["table"] == "orders"
    assert master["delimiter"] == sample["delimiter"] == r"\s+"
    assert (master["rows"], master["header_row"]) == (69_659, 1)
    assert (sample["rows"], sample["header_row"]) == (6_919, 0)
    assert sample["columns"] == ["customer id", "id (column 2)", "date", "quantity", "amount"]
    assert any(p["message"].startswith("no header row found") for p in sample["problems"])
