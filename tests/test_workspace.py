"""Combining files into tables: stacking, and checks across files."""

import pandas as pd

from cs_logic.workspace import combine, load_file, rows_with


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
