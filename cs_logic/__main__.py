"""The command line: check a file before upload, summarise exports, score accounts.

    python -m cs_logic inspect FILE [--sheet NAME] --json
    python -m cs_logic summary FILE... [--settings FILE.json] [--as-of DATE] --json
    python -m cs_logic score ACCOUNTS_FILE [OTHER_FILES...] --scorecard FILE.json [--settings FILE.json]
                             [--as-of DATE] -o OUT.csv [--json]
    python -m cs_logic report FILE... [--settings FILE.json] [--as-of DATE] -o REPORT.html

Exit code 0 when the command worked; 2 with a one-line reason on stderr when it could not.
``--json`` prints full precision (rounding is for display) and ``null`` for a figure the data cannot
support, with the reasons under ``notes`` (cs_logic.core.unknown).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from cs_logic.core.settings import Settings, loads
from cs_logic.core.unknown import note
from cs_logic.read.ingest import IngestError
from cs_logic.read.stream import STREAM_BYTES
from cs_logic.read.workspace import LoadedFile, combine, load_file
from cs_logic.scoring.health import Scorecard, load_scorecard, missing_columns
from cs_logic.scoring.portfolio import backtest, resolver, score_tables
from cs_logic.views.summary import SECTIONS, as_of_date, summary


class CliError(Exception):
    """A reason to stop with exit code 2."""


def _settings(path: str | None) -> Settings:
    if not path:
        return Settings()
    try:
        return loads(Path(path).read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read the settings file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"--as-of must be a date like 2024-12-31, not {text!r}") from exc


def _load(path: str, settings: Settings, sheet: str | None = None, as_of: dt.date | None = None) -> LoadedFile:
    try:
        # A big file is read from disk in batches (cs_logic.read.stream), never held whole.
        big = Path(path).stat().st_size >= STREAM_BYTES and sheet is None
        data = None if big else Path(path).read_bytes()
        if big:
            with open(path, "rb"):
                pass
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return load_file(Path(path).name, data, sheet=sheet, settings=settings, as_of=as_of,
                         path=path if big else None)
    except IngestError as exc:
        raise CliError(f"{Path(path).name}: {exc}") from exc


def inspect_report(lf: LoadedFile) -> dict[str, Any]:
    """The JSON object `inspect` prints for one loaded file."""
    return {
        "file": lf.name,
        "table": lf.table,
        "confidence": round(float(lf.detection.confidence), 3),
        "reason": lf.detection.reason,
        "rows": lf.rows,
        "columns": [str(c) for c in lf.read.frame.columns],
        "mapping": dict(lf.mapping),
        "file_type": lf.read.file_type,
        "encoding": lf.read.encoding,
        "delimiter": lf.read.delimiter,
        "header_row": lf.read.header_row,
        "sheet": lf.read.sheet,
        "sheets": list(lf.read.sheets),
        "notes": list(lf.prepared.notes) if lf.prepared else [],
        "problems": [{"column": p.column, "row": p.row, "value": p.value, "message": p.message,
                      "action": p.action, "severity": p.severity} for p in lf.problems],
    }


def _cmd_inspect(args: argparse.Namespace) -> int:
    lf = _load(args.file, _settings(getattr(args, "settings", None)), sheet=args.sheet)
    report = inspect_report(lf)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
    else:
        print(f"{lf.name}: {lf.table} ({lf.rows:,} rows); {len(report['problems'])} findings")
        for k, v in report["mapping"].items():
            print(f"  {k:<24} <- {v}")
    return 0


def _load_all(paths: list[str], settings: Settings, as_of: dt.date | None) -> tuple[dict[str, Any], list[LoadedFile]]:
    files = [_load(p, settings, as_of=as_of) for p in paths]
    tables, _ = combine(files)
    return tables, files


def _cmd_summary(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    tables, files = _load_all(args.files, _settings(args.settings), as_of)
    result = summary(tables, as_of)
    result["files"] = {f.name: f.table for f in files}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        for section in SECTIONS:
            print(f"{section}: {result[section]}")
        for line in result["notes"]:
            print(f"unknown: {line}")
    return 0


def _scorecard(path: str) -> Scorecard:
    try:
        return load_scorecard(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CliError(f"cannot read the scorecard {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CliError(f"the scorecard {Path(path).name} is not valid: {exc}") from exc


def score_accounts(files: list[LoadedFile], sc: Scorecard, as_of: dt.date | None) -> tuple[Any, Any, Any]:
    """(scored accounts, their measure frame, as-of date or None) for loaded files, the first being the accounts.

    With no date in any file (and no ``--as-of``) the as-of date is unknown: only the accounts' own
    columns can be scored then, so any other file is refused with the reason.
    """
    tables, _ = combine(files)
    if "accounts" not in tables:
        raise CliError(f"{files[0].name} is not an accounts file ({files[0].detection.reason})")
    day = as_of_date(tables, as_of)
    if day.value is None and set(tables) != {"accounts"}:
        raise CliError(str(day.reason))
    mapping = next(f.mapping for f in files if f.table == "accounts")
    # The same scoring as the app's pages and report. No date anywhere: only the accounts' own columns
    # count, and date.max is a bound parameter no row is compared with, never a figure's as-of date.
    scored = score_tables(tables, day.value or dt.date.max, sc, mapping)
    missing = missing_columns(scored.frame, sc, resolver(mapping))
    if missing:
        raise CliError("the scorecard names columns the accounts file does not have: " + ", ".join(missing))
    return scored.scored, scored.frame, day.value


def _cmd_score(args: argparse.Namespace) -> int:
    sc = _scorecard(args.scorecard)
    settings, as_of = _settings(args.settings), _as_of(args.as_of)
    files = [_load(p, settings, as_of=as_of) for p in [args.accounts_file, *args.other_files]]
    scored, frame, as_of = score_accounts(files, sc, as_of)
    points = [c for c in scored.columns if c.startswith("points_")]
    out = scored[["health_score", "health_band", "measures_used", *points]].reset_index()
    try:
        out.to_csv(args.output, index=False)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from exc
    if args.json:
        bands = scored["health_band"].value_counts()
        result = backtest(scored, frame, as_of if as_of is not None else dt.date.max)
        has_score = scored["health_score"].notna()
        notes: list[str] = []
        note(notes, "as_of", None if as_of is not None else "no file has a date")
        note(notes, "mean", None if has_score.any() else "n = 0: no account has a score")
        note(notes, "auc", result.reason)
        print(json.dumps({
            "as_of": None if as_of is None else as_of.isoformat(),
            "scored": int(has_score.sum()),
            "mean": float(scored["health_score"].mean()) if has_score.any() else None,
            "bands": {b: int(bands.get(b, 0)) for b in ("red", "yellow", "green")},
            "auc": result.auc,
            "auc_low": result.auc_low,
            "auc_high": result.auc_high,
            "auc_flag": result.flag,
            "notes": notes,
        }))
    return 0


def report_html(files: list[LoadedFile], settings: Settings, as_of: dt.date | None) -> str:
    """The Overview's report for loaded files: the same ``overview.build`` the page's download uses, with
    the same settings, as-of date (the latest date in the data unless given) and column mappings."""
    from cs_logic.views import overview

    tables, _ = combine(files)
    day = as_of_date(tables, as_of)
    if day.value is None:
        raise CliError(str(day.reason))
    notes = [n for f in files for n in (f.prepared.notes if f.prepared else ())]
    view = overview.build(tables, day.value, settings, files_mappings=[(f.name, f.table, dict(f.mapping))
                                                                      for f in files], notes=notes)
    return view.html


def _cmd_report(args: argparse.Namespace) -> int:
    settings, as_of = _settings(args.settings), _as_of(args.as_of)
    files = [_load(p, settings, as_of=as_of) for p in args.files]
    text = report_html(files, settings, as_of)
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from exc
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cs_logic", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="read one file and print what the app makes of it")
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--settings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_inspect)
    p = sub.add_parser("summary", help="headline figures of one or more exports")
    p.add_argument("files", nargs="+")
    p.add_argument("--settings")
    p.add_argument("--as-of")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_summary)
    p = sub.add_parser("score", help="score every account with a scorecard file")
    p.add_argument("accounts_file")
    p.add_argument("other_files", nargs="*")
    p.add_argument("--scorecard", required=True)
    p.add_argument("--settings")
    p.add_argument("--as-of")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_score)
    p = sub.add_parser("report", help="write the Overview's HTML report (self-contained, printable)")
    p.add_argument("files", nargs="+")
    p.add_argument("--settings")
    p.add_argument("--as-of")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
