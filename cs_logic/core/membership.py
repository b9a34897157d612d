"""Which ids are among the known ones: ``ids.isin(known)`` through Arrow's hash set where the ids are text.

pandas' isin on text builds a Python list of every value before it hashes them: 1 s per 100,000 accounts in
the Overview (three times in its first run), half the Feedback page's rerun on 100,000 accounts, and about 5 s
of the 10 s from upload to the sidebar's row counts at 5.6 million usage rows (issue 18.2). Arrow hashes the
strings where they lie. Ids that are not text (numbers, dates, a mix) are left to pandas, each caller its way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text_isin(ids: pd.Index | pd.Series,
              known: pd.Index | pd.Series | Collection[Any]) -> npt.NDArray[np.bool_] | None:
    """Whether each of ``ids`` is in ``known``, one bool per id, through Arrow's hash set; None when ``ids`` or
    ``known`` are not all text (each caller then decides what a non-text id is compared as).

    A missing id (None, NaN, NA) is in ``known`` only when ``known`` holds a missing value too; unlike pandas'
    isin on object ids, any missing value matches any other (None matches NaN).

    >>> text_isin(pd.Index(["A", "B", None]), {"B", "C"}).tolist()
    [False, True, False]
    >>> text_isin(pd.Series([1, 2]), {"1"}) is None
    True
    """
    given = known if isinstance(known, (pd.Index, pd.Series)) else list(known)
    try:
        left = pa.array(ids, type=pa.string(), from_pandas=True)
        right = pa.array(given, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return np.asarray(pc.is_in(left, value_set=right).to_numpy(zero_copy_only=False), dtype=bool)


def isin(ids: pd.Index | pd.Series, known: pd.Index | pd.Series | Collection[Any]) -> npt.NDArray[np.bool_]:
    """``ids.isin(known)`` as a bool array: :func:`text_isin` for text ids, pandas' own isin for any other.

    >>> isin(pd.Index(["A", "B", "C"]), pd.Index(["C", "A"])).tolist()
    [True, False, True]
    >>> isin(pd.Index([1, 2, 3]), pd.Index([3, 1])).tolist()  # not text: pandas' isin, ints compared as ints
    [True, False, True]
    >>> isin(pd.Index(["A", None]), pd.Index(["A", None])).tolist()  # a missing id matches a missing known one
    [True, True]
    """
    found = text_isin(ids, known)
    return np.asarray(ids.isin(known), dtype=bool) if found is None else found
