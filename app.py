"""The router and frame: page config, session defaults, the shared sidebar, then the pages."""

import streamlit as st

import cs_logic  # noqa: F401 - first, before pandas loads pyarrow: it sets Arrow's allocator option
from pages._shared.frame import sidebar
from pages._shared.loading import current_store, open_data_argument
from pages.state import init_state

st.set_page_config(page_title="Customer-success analytics", page_icon="📈", layout="wide")
init_state()
open_data_argument()  # `streamlit run app.py -- --data PATH`: a folder or DuckDB file, on the first page view
loaded = current_store() is not None

PAGES = {
    "Start": [
        # The Overview opens first once data is loaded; before that, the Data page.
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=loaded),
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:", default=not loaded),
    ],
    "Health": [
        st.Page("pages/success.py", title="Success", icon=":material/monitor_heart:"),
        st.Page("pages/scorecard.py", title="Scorecard", icon=":material/tune:"),
    ],
    "Customers": [
        st.Page("pages/loyalty.py", title="Loyalty", icon=":material/favorite:"),
        st.Page("pages/feedback.py", title="Feedback", icon=":material/forum:"),
        st.Page("pages/support.py", title="Support", icon=":material/support_agent:"),
    ],
    "Sales": [
        st.Page("pages/funnel.py", title="Funnel", icon=":material/filter_alt:"),
    ],
    "Analyse": [
        st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
        st.Page("pages/targets.py", title="Targets", icon=":material/flag:"),
    ],
}

navigation = st.navigation(PAGES)
sidebar()
navigation.run()
