"""The floor a weight move cannot go under here: a Streamlit app with the Scorecard's band range and one slider,
no data. `python -m bench.soak --floor` moves its slider as the soak moves the Scorecard's weights, so a soak
figure can be read against what Streamlit itself costs per move on this machine (issue 18.1)."""

import streamlit as st

st.title("Floor")
low, high = st.slider("Bands: red below · green from", 0.0, 100.0, (40.0, 70.0), 1.0)
weight = st.slider("Weight", 0, 100, 50)
st.write(f"Weight {weight}, bands {low:g}-{high:g}")
