"""Names written beside the dots of a scatter where a dot is a person or an account."""

from __future__ import annotations

import altair as alt
import pandas as pd

LABELLED_POINTS = 15  # more names than this on one scatter overlap


def point_labels(base: alt.Chart, data: pd.DataFrame, name: str, x: str, y: str, rank_by: str | None = None,
                 top: int = LABELLED_POINTS) -> alt.Chart:
    """Text beside each point naming it (a rep, an account), for the ``top`` points by ``rank_by`` when there are more.

    A dot that is a person or an account is read by its name; past ``top`` names the labels would overlap,
    so only the largest (e.g. most revenue at risk) are named and the tooltip names the rest.

    >>> d = pd.DataFrame({"rep": ["a", "b", "c"], "x": [1, 2, 3], "y": [3, 2, 1]})
    >>> point_labels(alt.Chart(d), d, "rep", "x:Q", "y:Q", rank_by="x", top=2).to_dict()["transform"]
    [{'filter': {'field': 'rep', 'oneOf': ['c', 'b']}}]
    """
    keep = data.nlargest(top, rank_by)[name] if rank_by and len(data) > top else data[name]
    return (base.transform_filter(alt.FieldOneOfPredicate(field=name, oneOf=[str(v) for v in keep]))
            .mark_text(align="left", dx=8, dy=-6, fontSize=11)
            .encode(x=x, y=y, text=alt.Text(f"{name}:N")))


