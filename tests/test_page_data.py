"""AppTest flows on the Data page: upload a real export, check its mapping, change it, load the demo,
and carry the mapping to next month's export through the settings file."""

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from cs_logic.core.settings import dumps, loads
from tests.badfiles import shown

ROOT = Path(__file__).resolve().parents[1]


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()


def _upload(at: AppTest, path: Path, name: str | None = None) -> AppTest:
    at.file_uploader(key="data_upload").set_value((name or path.name, path.read_bytes(), "text/csv")).run()
    return at.run() if not at.exception else at


def _mapping(at: AppTest) -> dict[str, str]:
    """The mapping editor's rows as field label -> column in the file."""
    frame = at.data_editor[0].value
    return dict(zip(frame["field"], frame["column in your file"]))


def test_a_real_export_is_recognised_mapped_and_checked(shared_data):
    at = _upload(_page(), shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
    assert not at.exception
    assert "Telco-Customer-Churn.csv" in shown(at.expander[0].label) and "Accounts (CRM)" in shown(at.expander[0].label)
    assert "7,043 rows" in shown(at.expander[0].label)
    mapping = _mapping(at)
    assert mapping["Account id"] == "customerID" and mapping["Churned"] == "Churn"
    assert mapping["Revenue"] == "MonthlyCharges"
    store = at.session_state["store"]
    assert len(store.tables["accounts"]) == 7043
    assert int(store.tables["accounts"]["churned"].sum()) == int((pd.read_csv(
        shared_data / "telco_churn" / "Telco-Customer-Churn.csv").Churn == "Yes").sum())
    # The telco TotalCharges blanks are reported as findings (11 blank-space values stay blank, not 0).
    assert store.tables["accounts"]["TotalCharges"].isna().sum() == 11


def test_changing_the_table_remaps_and_an_unknown_file_is_left_out(shared_data):
    at = _upload(_page(), shared_data / "maven_crm_sales_opportunities" / "products.csv")
    assert "not recognised" in shown(at.expander[0].label)
    assert at.session_state["store"] is None or not at.session_state["store"].tables
    at.selectbox(key=next(k for k in at.session_state if str(k).startswith("data_table_"))).set_value("orders").run()
    at.run()
    assert not at.exception
    assert "Orders" in shown(at.expander[0].label)


def test_demo_replaces_the_upload():
    at = _page()
    at.button(key="data_demo").click().run()
    at.run()
    assert not at.exception
    assert at.session_state["data_label"] == "Demo data"
    assert set(at.session_state["store"].tables) == {"accounts", "usage", "tickets", "surveys", "orders", "deals"}


def test_saved_settings_map_next_months_export_with_the_same_headers(tmp_path):
    """Map a file by hand, save settings, load them in a new session: a renamed copy maps the same way."""
    csv = tmp_path / "crm_october.csv"
    csv.write_text("Ref,Company,Bucket\nA1,Acme,gold\nA2,Beta,silver\n", encoding="utf-8")
    at = _upload(_page(), csv)
    key = next(k for k in at.session_state if str(k).startswith("data_table_"))
    at.selectbox(key=key).set_value("accounts").run()
    at.run()
    digest = key.removeprefix("data_table_")
    at.session_state["uploads"][digest]["mapping"] = {"account_id": "Ref", "account_name": "Company",
                                                      "segment": "Bucket"}
    at.run()
    assert [b for b in at.get("download_button") if b.proto.label == "Save settings"]
    # What "Save settings" writes: the session's settings with each loaded file's mapping.
    settings = at.session_state["settings"]
    for lf in at.session_state["files"]:
        settings = settings.with_mapping(lf.remembered())
    text = dumps(settings)
    assert loads(text).mapping_for("crm_november.csv", ["Ref", "Company", "Bucket"]) is not None

    fresh = _page()
    fresh.file_uploader(key="data_load_settings").set_value(("cs_settings.json", text.encode(), "application/json")).run()
    fresh.run()
    assert any("Settings loaded" in s.value for s in fresh.success)
    fresh = _upload(fresh, csv, name="crm_november.csv")
    assert "Accounts (CRM)" in shown(fresh.expander[0].label)
    assert _mapping(fresh)["Segment"] == "Bucket"


def test_the_uploader_is_emptied_after_taking_files_in_and_takes_more(shared_data):
    """Streamlit would keep its own copy of every upload while the uploader lists it: once taken in, the
    uploader is a fresh, empty one; the files are listed below it, and a second upload adds to them."""
    at = _upload(_page(), shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
    assert not at.exception and at.session_state["upload_round"] == 1
    uploaders = [u for u in at.get("file_uploader") if u.key.startswith("data_upload")]
    assert [u.key for u in uploaders] == ["data_upload_1"] and not uploaders[0].value
    products = shared_data / "maven_crm_sales_opportunities" / "products.csv"
    at.file_uploader(key="data_upload_1").set_value((products.name, products.read_bytes(), "text/csv")).run()
    at.run()
    assert not at.exception and at.session_state["upload_round"] == 2
    names = [shown(e.label) for e in at.expander if "rows" in shown(e.label)]
    assert len(names) == 2 and "Telco-Customer-Churn.csv" in names[0] and "products.csv" in names[1]
    assert len(at.session_state["store"].tables["accounts"]) == 7043


def test_a_large_export_read_by_arrow_shows_its_preview_and_typed_rows(shared_data):
    """support_tickets (3.9 MB, over ARROW_MIN_BYTES, multi-line descriptions): recognised as tickets, 8,469
    rows, the preview holds the file's text (Python strings, blanks None) and the typed table every row."""
    path = shared_data / "support_tickets" / "customer_support_tickets.csv"
    at = _upload(_page(), path)
    assert not at.exception
    assert "Helpdesk tickets · 8,469 rows" in shown(at.expander[0].label)
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(at.session_state["store"].tables["tickets"]) == 8469
    assert at.session_state["store"].tables["tickets"]["ticket_id"].tolist() == source["Ticket ID"].tolist()
    preview = at.expander[0].dataframe[1].value  # [0] is the mapping editor
    assert preview.shape == (20, source.shape[1])
    assert preview["Customer Email"].tolist() == source["Customer Email"].head(20).tolist()
    read = at.session_state["files"][0].read.frame
    assert read.map(lambda v: v is None or isinstance(v, str)).all().all()
    assert read["Customer Satisfaction Rating"].isna().sum() == (source["Customer Satisfaction Rating"].head(20) == "").sum()


def test_a_recognised_file_can_be_marked_not_a_table(shared_data):
    """A recognised export set to "not a table" is left out, without an error (it raised KeyError 'unknown')."""
    at = _upload(_page(), shared_data / "telco_churn" / "Telco-Customer-Churn.csv")
    assert len(at.session_state["store"].tables["accounts"]) == 7043
    at.selectbox(key=next(k for k in at.session_state if str(k).startswith("data_table_"))).set_value("unknown").run()
    at.run()
    assert not at.exception, at.exception
    assert "not recognised" in shown(at.expander[0].label) or "not a table" in shown(at.expander[0].label)
    store = at.session_state["store"]
    assert store is None or "accounts" not in store.tables
