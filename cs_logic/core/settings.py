"""The manager's settings as one JSON file: column mappings, the scorecard, targets and benchmarks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from cs_logic.core.schema import TABLE_NAMES, UNKNOWN

VERSION = 1
TARGET_KPIS = ("nps", "csat", "churn", "churn_share", "retention", "first_response", "win_rate", "red_accounts",
               "revenue_at_risk")  # the headline tiles, in their order (cs_logic.metrics.targets.KPIS)


@dataclass(frozen=True)
class FileMapping:
    """How one file's columns map: remembered by file name and by its exact set of headers."""

    file: str
    columns: tuple[str, ...]
    table: str
    mapping: tuple[tuple[str, str], ...]  # (canonical field, source column)
    sheet: str | None = None
    # The manager's overrides of what the app decided (cs_logic.read.meanings): field -> values, e.g.
    # ("first_response_hours", ("minutes",)), ("tenure", ("years",)), ("churned", ("Cancelled", "Former customer")).
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        doc = {"file": self.file, "columns": list(self.columns), "table": self.table,
               "mapping": dict(self.mapping), "sheet": self.sheet}
        return {**doc, "choices": {k: list(v) for k, v in self.choices}} if self.choices else doc


@dataclass(frozen=True)
class Settings:
    """Everything a manager saves and shares; each later feature adds its own key.

    Examples
    --------
    >>> s = Settings().with_target("nps", 30)
    >>> loads(dumps(s)) == s
    True
    """

    mappings: tuple[FileMapping, ...] = ()
    scorecard: str | None = None  # the scorecard JSON text (cs_logic.scoring.health's file format)
    targets: tuple[tuple[str, float], ...] = ()
    benchmarks: tuple[tuple[str, float, str], ...] = ()  # (kpi, value, source in words)
    extra: tuple[tuple[str, str], ...] = field(default=())  # other keys, kept as JSON text
    # The currency amounts are in (an ISO code such as "EUR" or a symbol), when the manager states it; None:
    # taken from the data (a currency column or sign) or else not shown. Never assumed to be dollars.
    currency: str | None = None

    def mapping_for(self, file: str, columns: list[str] | tuple[str, ...]) -> FileMapping | None:
        """The remembered mapping for a file with these headers (same headers win over same name)."""
        same_cols = [m for m in self.mappings if set(m.columns) == set(columns)]
        for m in same_cols:
            if m.file == file:
                return m
        if same_cols:
            return same_cols[-1]
        return None

    def with_mapping(self, fm: FileMapping) -> Settings:
        kept = tuple(m for m in self.mappings if not (m.file == fm.file and set(m.columns) == set(fm.columns)))
        return replace(self, mappings=kept + (fm,))

    def with_target(self, kpi: str, value: float | None) -> Settings:
        kept = tuple((k, v) for k, v in self.targets if k != kpi)
        return replace(self, targets=kept + (((kpi, float(value)),) if value is not None else ()))

    def target(self, kpi: str) -> float | None:
        return dict(self.targets).get(kpi)


def dumps(settings: Settings) -> str:
    """The settings as the JSON text "Save settings" writes."""
    doc: dict[str, Any] = {
        "version": VERSION,
        "mappings": [m.as_dict() for m in settings.mappings],
        "scorecard": json.loads(settings.scorecard) if settings.scorecard else None,
        "targets": dict(settings.targets),
        "benchmarks": [{"kpi": k, "value": v, "source": s} for k, v, s in settings.benchmarks],
    }
    if settings.currency:  # written only when set, so files saved before it existed read back the same
        doc["currency"] = settings.currency
    for key, text in settings.extra:
        doc[key] = json.loads(text)
    return json.dumps(doc, indent=2, ensure_ascii=False)


def loads(text: str | bytes) -> Settings:
    """Settings from JSON text; raises ValueError with a sentence saying what is wrong."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"The settings file is not valid JSON ({exc}).") from exc
    if not isinstance(doc, dict):
        raise ValueError("The settings file must hold a JSON object.")
    mappings = []
    for i, m in enumerate(doc.get("mappings") or []):
        try:
            table = str(m["table"])
            if table not in TABLE_NAMES and table != UNKNOWN:
                raise ValueError(f"unknown table {table!r}")
            mapping = tuple((str(k), str(v)) for k, v in dict(m.get("mapping") or {}).items())
            choices = tuple((str(k), tuple(str(x) for x in v)) for k, v in dict(m.get("choices") or {}).items()
                            if isinstance(v, list))  # a file saved before choices existed has none
            mappings.append(FileMapping(str(m["file"]), tuple(str(c) for c in m.get("columns") or ()),
                                        table, mapping, m.get("sheet"), choices))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Mapping number {i + 1} in the settings file is not valid ({exc}).") from exc
    scorecard = doc.get("scorecard")
    try:
        targets = tuple((str(k), float(v)) for k, v in dict(doc.get("targets") or {}).items())
        benchmarks = tuple((str(b["kpi"]), float(b["value"]), str(b.get("source", "")))
                           for b in doc.get("benchmarks") or [])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"Targets or benchmarks in the settings file are not valid ({exc}).") from exc
    currency = doc.get("currency")
    if currency is not None and not (isinstance(currency, str) and 0 < len(currency.strip()) <= 8):
        raise ValueError("The currency in the settings file must be a short text such as EUR or €.")
    known = {"version", "mappings", "scorecard", "targets", "benchmarks", "currency"}
    extra = tuple((k, json.dumps(v)) for k, v in doc.items() if k not in known)
    return Settings(tuple(mappings), json.dumps(scorecard) if scorecard else None, targets, benchmarks, extra,
                    currency.strip() if currency else None)
