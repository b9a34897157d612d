"""Combining files into tables: stacking, and checks across files."""

import pandas as pd

from cs_logic.read.workspace import combine, load_file, rows_with


def test_data_check_reports_a_product_the_product_list_does_not_know(shared_data):
    """Maven's pipeline sells 'GTXPro' (1,480 rows); products.csv lists 'GTX Pro': the check says so."""
    folder = shared_data / "maven_crm_sales_opportunities"
    files = [load_file(p.name, p.read_bytes()) for p in (folder / "sales_pipeline.csv", folder / "products.csv")]
    _, problems = combine(files)
    gtx = [p for p in problems if p.value == "GTXPro"]
    assert len(gtx) == 1
    assert "1,480 rows" in gtx[0].message and "'GTX Pro'" in gtx[0].message
    assert gtx[0].file == "sales_pipeline.csv" and gtx[0].column == "product"
    # Every other product of the pipeline is on the list: nothing else is reported against it.
    pipeline = pd.read_csv(folder / "sales_pipeline.csv")
    listed = set(pd.read_csv(folder / "products.csv")["product"])
    assert set(pipeline["product"]) - listed == {"GTXPro"}
    assert [p.value for p in problems if "products.csv" in p.message] == ["GTXPro"]


def test_rows_with_leaves_out_rows_of_a_file_that_never_had_the_field():
    """Two survey files stacked: only the NPS file's rows count for NPS, blanks included."""
    a = load_file("nps.csv", b"response_id,nps\nR1,9\nR2,\n")
    b = load_file("reviews.csv", b"review_id,review_score,comment\nV1,5,great\nV2,1,bad\n")
    tables, _ = combine([a, b])
    surveys = tables["surveys"]
    assert len(surveys) == 4 and set(surveys["source_file"]) == {"nps.csv", "reviews.csv"}
    assert list(rows_with(surveys, "nps")["response_id"]) == ["R1", "R2"]


def test_a_loaded_file_keeps_a_preview_of_its_text_and_every_typed_row(shared_data):
    """Telco churn (7,043 rows): the raw text grid is not kept whole (a session held hundreds of MB of it for a
    20-row preview); the preview has every column, the row count and the typed table have every row."""
    path = shared_data / "telco_churn" / "Telco-Customer-Churn.csv"
    lf = load_file(path.name, path.read_bytes())
    source = pd.read_csv(path, dtype=str)
    assert lf.rows == len(source) == 7043
    assert len(lf.read.frame) == 20 and list(lf.read.frame.columns) == list(source.columns)
    assert lf.read.frame["customerID"].tolist() == source["customerID"].head(20).tolist()
    assert len(lf.prepared.frame) == 7043
    assert lf.prepared.frame["account_id"].tolist() == source["customerID"].tolist()


def test_a_reference_list_longer_than_the_preview_is_checked_whole(shared_data):
    """sales_teams.csv lists all 35 agents of Maven's pipeline: none is reported missing (keeping only its first
    20 rows, as a table's preview, reported 12 agents as not listed)."""
    folder = shared_data / "maven_crm_sales_opportunities"
    names = ("sales_pipeline.csv", "sales_teams.csv", "products.csv", "accounts.csv")
    files = [load_file(n, (folder / n).read_bytes()) for n in names]
    teams = files[1]
    assert teams.table == "unknown" and teams.rows == len(teams.read.frame) == 35
    _, problems = combine(files)
    pipeline, listed = pd.read_csv(folder / "sales_pipeline.csv"), pd.read_csv(folder / "sales_teams.csv")
    assert set(pipeline["sales_agent"]) <= set(listed["sales_agent"])  # independent check: every agent is listed
    assert [p.value for p in problems if "does not list" in p.message] == ["GTXPro"]


def test_a_digest_the_caller_has_is_not_computed_again(monkeypatch) -> None:
    """The Data page hashes each upload once (its key in the session); load_file takes that digest."""
    import hashlib

    from cs_logic.read import workspace

    data = b"account_id,revenue\nA1,10\nA2,20\n"
    assert workspace.load_file("a.csv", data).digest == hashlib.sha256(data).hexdigest()
    calls = []
    monkeypatch.setattr(workspace, "sha256", lambda b: calls.append(b) or hashlib.sha256(b).hexdigest())
    assert workspace.load_file("a.csv", data, digest="known").digest == "known"
    assert calls == []


def test_progress_is_told_each_step_of_a_load_in_order(shared_data):
    """The Data page's bar says what a long load is doing: reading, recognising the columns, typing the values;
    a file the app cannot place in any table is read and recognised, never typed."""
    from cs_logic.read.workspace import LOAD_STEPS

    steps: list[str] = []
    path = shared_data / "maven_crm_sales_opportunities" / "sales_pipeline.csv"
    lf = load_file(path.name, path.read_bytes(), progress=steps.append)
    assert lf.table == "deals"
    assert steps == list(LOAD_STEPS) == ["reading", "recognising the columns", "typing the values"]
    steps.clear()
    load_file("notes.csv", b"colour,shade\nred,dark\nblue,light\n", progress=steps.append)
    assert steps == ["reading", "recognising the columns"]
