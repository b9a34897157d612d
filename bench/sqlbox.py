"""`python -m bench.sqlbox [--size M]`: what isolating the SQL box costs and what it saves (issue 19.6).

On the demo data and on the bench's data of --size, in this one process (as the server would): the one-off
export of the read-only copy (`Store.sql_snapshot`, the first SQL query after a load), the per-query overhead of
the worker (`SELECT 1` through `run_sql_isolated` against `run_readonly_sql` on the session's connection), a
group-by over the usage table both ways, and how far this process's resident memory rises (its own high-water
mark, reset first; the worker is not counted) during the export and while the worker refuses
`SELECT repeat('x', 1000000) FROM range(10000)` (on the demo also in-process, the path before). Appended to
bench/results.md. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb
import pandas as pd

import cs_logic  # noqa: F401 - sets Arrow's allocator options before pyarrow loads, as app.py does
from bench.generate import generate
from cs_logic.metrics.explore import run_readonly_sql, run_sql_isolated
from cs_logic.read.store import SqlSnapshot, Store
from cs_logic.read.workspace import combine, load_file

RESULTS = Path(__file__).resolve().parent / "results.md"
HUGE = "SELECT repeat('x', 1000000) FROM range(10000)"


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_growth_mb(fn: Callable[[], object]) -> tuple[float, object]:
    """How far this process's resident memory rose above where it stood while ``fn`` ran (MB), and its result.

    The high-water mark is reset first (/proc/self/clear_refs), as ru_maxrss would hide anything below the
    peak the data load already set.
    """
    before = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    result = fn()
    return _status_mb("VmHWM") - before, result


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(label: str, paths: list[Path], repeat: int, in_process: bool = False) -> list[tuple[str, str]]:
    """(figure, value) rows for one data set."""
    files = [load_file(p.name, p.read_bytes()) for p in paths]
    tables, _ = combine(files)
    store = Store()
    store.load(tables)
    rows = sum(len(t) for t in tables.values())
    t0 = time.perf_counter()
    export_mb, snapshot = _peak_growth_mb(store.sql_snapshot)
    export_s = time.perf_counter() - t0
    assert isinstance(snapshot, SqlSnapshot)
    size_mb = os.path.getsize(snapshot.path) / 2**20
    group = "SELECT account_id, count(*) AS n, sum(events) AS events FROM usage GROUP BY 1 ORDER BY 1"
    ok = run_sql_isolated(snapshot, group)
    assert ok[0] is not None, ok[1]
    inside = _median_s(lambda: run_readonly_sql(store.con, "SELECT 1 AS x"), repeat)
    worker = _median_s(lambda: run_sql_isolated(snapshot, "SELECT 1 AS x"), repeat)
    group_inside = _median_s(lambda: run_readonly_sql(store.con, group), repeat)
    group_worker = _median_s(lambda: run_sql_isolated(snapshot, group), repeat)
    t0 = time.perf_counter()
    grown, (_, message) = _peak_growth_mb(lambda: run_sql_isolated(snapshot, HUGE))  # type: ignore[misc]
    huge_s = time.perf_counter() - t0
    if in_process:
        with store.query_cursor() as cursor:
            old_mb, (_, old_message) = _peak_growth_mb(lambda: run_readonly_sql(cursor, HUGE))  # type: ignore[misc]
    store.close()
    return [
        (f"{label}: rows in all tables", f"{rows:,}"),
        (f"{label}: export of the read-only copy (first SQL query after a load)",
         f"{export_s:.2f} s, {size_mb:,.0f} MB file, server peak RSS +{export_mb:,.0f} MB"),
        (f"{label}: SELECT 1, in-process / worker (median of {repeat})", f"{inside * 1000:.0f} ms / {worker * 1000:.0f} ms"),
        (f"{label}: group-by over usage ({len(ok[0]):,} rows back), in-process / worker",
         f"{group_inside:.2f} s / {group_worker:.2f} s"),
        (f"{label}: {HUGE}, worker", f"{huge_s:.1f} s, server peak RSS +{grown:.0f} MB; says: {message}"),
    ] + ([(f"{label}: the same in-process (the path before)", f"server peak RSS +{old_mb:,.0f} MB; says: {old_message}")]
         if in_process else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)
    demo = sorted((ROOT / "data").glob("*.csv"))
    bench_paths = list(generate(args.size).values())
    load_before = os.getloadavg()
    figures = measure("demo", demo, args.repeat, in_process=True) + measure(args.size, bench_paths, args.repeat)
    lines = [f"## {dt.datetime.now():%Y-%m-%d %H:%M}, SQL box in a worker process (issue 19.6), demo and size {args.size}",
             "",
             (f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, duckdb "
              f"{duckdb.__version__}, pandas {pd.__version__}; load average {load_before[0]:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after (other work shares these CPUs when above about 2)."),
             "", "| Figure | Value |", "|---|---|", *(f"| {f} | {v} |" for f, v in figures), ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
