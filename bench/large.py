"""The L portfolio through the app's own loading path (issue 18.6): every file loaded from its path in batches into one
session Store (usage resident in DuckDB, spilling to the session's temp folder past its memory limit), the load time
and the process's peak memory, then every page's warm rerun with AppTest (bench.__main__'s page code).

    .venv/bin/python -m bench.large              # L; appends its table to bench/results.md
    .venv/bin/python -m bench.large --size M --no-append
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.__main__ import RESULTS, Bench, Figure, machine, table_markdown
from bench.generate import generate

# The server's budget at L is 4 GB: DuckDB's share (the usage table, every query's working memory) is bounded here and
# spills past it; the rest is the pandas tables (accounts, tickets, surveys, orders, deals) and Python.
MEMORY_LIMIT = {"L": "1GB"}
TARGET_GB = 4.0


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _buffer(values: Any) -> int:
    """The address of a column's first data buffer: columns that share it (copy-on-write) are one column."""
    import numpy as np

    arrow = getattr(values, "_pa_array", None)
    if arrow is not None:
        chunks = [b for c in arrow.chunks for b in c.buffers() if b is not None]
        return chunks[-1].address if chunks else id(values)
    array = np.asarray(values) if hasattr(values, "dtype") and values.dtype.kind in "biufcmMO" else None
    return int(array.__array_interface__["data"][0]) if array is not None and array.size else id(values)


def deep_bytes(value: Any, seen: dict[int, Any]) -> int:
    """Bytes a memoised result holds, each object and each column buffer counted once across ``seen`` (frames
    column by column, deep; dataclasses by field). Strings shared by two object columns are counted twice.
    ``seen`` keeps what it names alive, so no id or address is reused while it is walked."""
    import dataclasses

    import numpy as np
    import pandas as pd

    if id(value) in seen:
        return 0
    seen[id(value)] = value
    if isinstance(value, pd.DataFrame):
        return deep_bytes(value.index, seen) + sum(deep_bytes(value.iloc[:, i], seen) for i in range(value.shape[1]))
    if isinstance(value, pd.Series | pd.Index):
        key = _buffer(value.array)
        if key in seen:
            return 0
        seen[key] = value
        return int(value.memory_usage(deep=True) if isinstance(value, pd.Index) else value.memory_usage(deep=True, index=False))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(deep_bytes(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(deep_bytes(v, seen) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(deep_bytes(v, seen) for v in value)
    return 0


def memo_sizes(page: str, state: dict[str, Any]) -> None:
    """Print what the session's memo holds after ``page``'s first run, largest first (the loaded tables' columns
    not counted)."""
    seen: dict[int, Any] = {}
    for table in state["store"].tables.values():
        deep_bytes(table, seen)
    sizes = [(deep_bytes(box, seen), name) for name, box in state["memo"].items()]
    print("    memo after " + page + ": " + ", ".join(f"{name} {b / 1e6:,.0f} MB" for b, name in
                                                 sorted(sizes, reverse=True) if b >= 1e6), flush=True)


@contextlib.contextmanager
def where_peak(page: str, every: float = 0.01) -> Iterator[None]:
    """While ``page`` runs, sample the resident memory every ``every`` s and print where the script thread was
    (its frames in cs_logic/ and pages/) at the highest sample: which step makes a page's peak."""
    main, done = threading.get_ident(), threading.Event()
    page_size = os.sysconf("SC_PAGE_SIZE")
    high: list[Any] = [0, []]
    start = _resident(page_size)

    def sample() -> None:
        me = threading.get_ident()
        while not done.is_set():
            rss = _resident(page_size)
            if rss > high[0]:
                stacks = [traceback.extract_stack(f) for tid, f in sys._current_frames().items() if tid not in (main, me)]
                script = [st for st in stacks if any("/pages/" in fr.filename for fr in st)]  # not the store's sweeper
                high[:] = [rss, [f"{Path(fr.filename).parent.name}/{Path(fr.filename).name}:{fr.lineno} {fr.name}"
                                 for st in script[:1] for fr in st
                                 if "/cs_logic/" in fr.filename or "/pages/" in fr.filename]]
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        print(f"    {page}: resident {start / 1e9:.2f} GB before, highest sample {high[0] / 1e9:.2f} GB at "
              + (" > ".join(high[1][-6:]) or "(no app frame)"), flush=True)


def _resident(page_size: int) -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * page_size


def spilled(folder: str) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) if os.path.isdir(folder) else 0


def load(size: str) -> tuple[Any, list[Any], list[Figure]]:
    """Every file of ``size`` loaded from its path into one Store as the Data page does (no upload bytes held)."""
    from cs_logic.read.store import MEMORY_LIMIT as DEFAULT_LIMIT
    from cs_logic.read.store import Store
    from cs_logic.read.workspace import combine, load_file

    paths = generate(size)
    figures: list[Figure] = []
    store = Store(memory_limit=MEMORY_LIMIT.get(size, DEFAULT_LIMIT))
    t0 = time.perf_counter()
    files = []
    for table, path in paths.items():
        t1 = time.perf_counter()
        lf = load_file(path.name, path=str(path), con=store.con)
        files.append(lf)
        figures.append(Figure(f"Load {table} from its path", time.perf_counter() - t1, "s", "-", None,
                              f"{lf.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB; "
                              f"{'resident in DuckDB' if lf.resident is not None else 'pandas'}; "
                              f"{len(lf.problems)} problems; peak so far {peak_bytes() / 1e9:.2f} GB"))
        print(f"  {figures[-1].name}: {figures[-1].value:.1f} s ({figures[-1].note})", flush=True)
    tables, cross = combine(files)
    store.load(tables)
    seconds = time.perf_counter() - t0
    peak = peak_bytes()
    total = sum(p.stat().st_size for p in paths.values())
    figures.append(Figure(f"Load all {size} files through load_file(path=) + combine + Store.load", seconds, "s", "-",
                          None, f"{len(cross)} cross-file problems; {spilled(store._temp) / 1e6:,.0f} MB spilled"))
    figures.append(Figure("Peak server-process memory after the load", peak / 1e9, "GB", f"<= {TARGET_GB:g} GB",
                          peak / 1e9 <= TARGET_GB, f"{peak / total:.1f}x the {total / 1e6:,.0f} MB of files; "
                          f"DuckDB memory_limit {store.memory_limit}"))
    print(f"  loaded in {seconds:.1f} s, peak {peak / 1e9:.2f} GB", flush=True)
    return store, files, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.large", description=__doc__)
    parser.add_argument("--size", default="L")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--memo-sizes", action="store_true", help="after each page, what the session's memo holds")
    parser.add_argument("--where", action="store_true", help="where in the app each page's first run peaks")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    store, files, figures = load(args.size)
    bench = Bench(args.size, args.repeat, profile=True, only=frozenset({"pages"}))
    bench.store, bench.files = store, files
    bench.after_first_run = memo_sizes if args.memo_sizes else None
    bench.watch_first_run = where_peak if args.where else None
    if not args.no_pages:
        bench.fig_pages()
        for f in bench.figures:  # the target at L is 1 s a page (issue 18.5)
            if f.unit == "ms" and f.value is not None:
                f.target, f.ok = "<= 1,000 ms", f.value <= 1000
    peak = max(peak_bytes(), bench.peak)  # fig_pages resets the mark before each page and keeps the larger
    figures += bench.figures
    figures.append(Figure("Peak server-process memory, load and every page", peak / 1e9, "GB", f"<= {TARGET_GB:g} GB",
                          peak / 1e9 <= TARGET_GB, f"spilled now {spilled(store._temp) / 1e6:,.0f} MB"))
    table = table_markdown(figures)
    print(f"\nSize {args.size} on {machine()}\nLoad average at start {load_before:.1f}, at end "
          f"{os.getloadavg()[0]:.1f}\n\n{table}")
    for name, text in bench.profiles.items():
        print(f"\nProfile of '{name}':\n{text}")
    if not args.no_append:
        when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(f"\n## {when}, size {args.size} loaded from its files' paths (bench.large), {args.repeat} "
                    f"run(s) after a warm-up\n\nMachine: {machine()}; load average at start {load_before:.1f}\n\n"
                    f"{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
