"""The settings file: mappings, scorecard, targets and benchmarks round-trip as JSON."""

import json

import pytest

from cs_logic.core.settings import FileMapping, Settings, dumps, loads


def test_settings_round_trip_is_identical():
    fm = FileMapping("crm.csv", ("Id", "Churn"), "accounts", (("account_id", "Id"), ("churned", "Churn")))
    s = Settings(mappings=(fm,), scorecard=json.dumps({"name": "x", "measures": []}),
                 targets=(("nps", 30.0),), benchmarks=(("nps", 41.0, "Industry survey 2025"),))
    assert loads(dumps(s)) == s


def test_mapping_is_found_by_headers_even_under_another_name():
    """Next month's export has a new name but the same headers: the mapping is reused."""
    fm = FileMapping("crm_oct.csv", ("Id", "Churn"), "accounts", (("account_id", "Id"),))
    s = Settings().with_mapping(fm)
    assert s.mapping_for("crm_nov.csv", ["Churn", "Id"]) == fm
    assert s.mapping_for("crm_nov.csv", ["Other"]) is None


def test_unknown_keys_are_kept():
    s = loads('{"version": 1, "future_feature": {"a": 1}}')
    assert json.loads(dumps(s))["future_feature"] == {"a": 1}


@pytest.mark.parametrize("text, words", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"mappings": [{"file": "x", "table": "planets"}]}', "unknown table"),
    ('{"targets": {"nps": "high"}}', "Targets"),
])
def test_bad_settings_file_gets_a_sentence(text, words):
    with pytest.raises(ValueError, match=words):
        loads(text)
