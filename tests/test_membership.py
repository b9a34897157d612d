"""cs_logic.core.membership: Arrow's hash set answers exactly what pandas' isin answers, for every kind of id."""

import numpy as np
import pandas as pd
import pytest

from cs_logic.core.membership import isin, text_isin

IDS = {
    "text": pd.Index(["A1", "B2", "C3", "A1"]),
    "text with blanks": pd.Index(["A1", None, np.nan, "C3"], dtype=object),
    "Arrow text": pd.Index(pd.array(["A1", None, "C3"], dtype="string[pyarrow]")),
    "categorical text": pd.Index(pd.Categorical(["A1", "C3", "A1"])),
    "numbers": pd.Index([1, 2, 3]),
    "a mix": pd.Index(["A1", 3, None], dtype=object),
}
KNOWN = {"text": pd.Index(["C3", "A1", "Z9"]), "numbers": pd.Index([3, 1]), "a set": {"A1", "3"}}


@pytest.mark.parametrize("known", KNOWN.values(), ids=KNOWN.keys())
@pytest.mark.parametrize("ids", IDS.values(), ids=IDS.keys())
def test_isin_answers_what_pandas_isin_answers(ids: pd.Index, known: object) -> None:
    """Whatever the ids are (text, blanks, numbers, a mix), one bool per id as pandas gives, for known ids without
    a blank (with one, see the next test)."""
    found = isin(ids, known)
    assert found.dtype == bool
    assert found.tolist() == ids.isin(known).tolist()


def test_text_isin_leaves_ids_that_are_not_text_to_the_caller() -> None:
    """Numbers, and text mixed with a number, are not Arrow text: None, so each caller compares them its way."""
    assert text_isin(pd.Index([1, 2]), {"1"}) is None
    assert text_isin(pd.Series(["A1", 7], dtype=object), {"A1"}) is None
    assert text_isin(pd.Series(["A1", None]), {"A1"}).tolist() == [True, False]


def test_a_blank_id_matches_any_blank_known_one_where_pandas_tells_none_from_nan() -> None:
    """Arrow reads None and NaN alike as missing: with a blank among the known ids, both blanks are found; pandas'
    isin on object ids finds the None only. Kept as the Overview, the Feedback view and validate always matched."""
    ids, known = pd.Index(["A1", None, np.nan], dtype=object), pd.Index(["A1", None], dtype=object)
    assert isin(ids, known).tolist() == [True, True, True]
    assert ids.isin(known).tolist() == [True, True, False]
