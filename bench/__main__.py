"""`python -m bench [--size S|M|L]`: time the app on a synthetic portfolio against its targets, append to results.md."""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import importlib
import inspect
import io
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb
import pandas as pd

import cs_logic  # noqa: F401 - before pandas loads pyarrow: it sets Arrow's allocator options, as app.py does
from bench import baseline_pandas
from bench.generate import AS_OF, HEADERS, SIZES, generate

RESULTS = Path(__file__).resolve().parent / "results.md"
FIGURES = ("memory", "ingest", "scoring", "what-if", "pages", "charts")  # what --only may name

# The benchmark's scorecard (METRICS.md file format): derived measures from every table and a plan points table.
SCORECARD: dict[str, Any] = {
    "name": "Benchmark",
    "bands": {"red_below": 50, "green_from": 75},
    "measures": [
        {"column": "usage_active_days_30d", "weight": 20, "method": "linear", "worst": 0, "best": 20},
        {"column": "usage_events_30d", "weight": 10, "method": "percentile", "higher_is_better": True},
        {"column": "usage_trend_30d", "weight": 10, "method": "linear", "worst": -50, "best": 20},
        {"column": "open_tickets", "weight": 15, "method": "linear", "worst": 5, "best": 0},
        {"column": "median_first_response_hours", "weight": 10, "method": "linear", "worst": 48, "best": 1},
        {"column": "nps_latest", "weight": 15, "method": "linear", "worst": 0, "best": 10},
        {"column": "csat_pct", "weight": 10, "method": "linear", "worst": 0, "best": 100},
        {"column": "plan", "weight": 10, "method": "points", "points": {"Basic": 30, "Pro": 70, "Enterprise": 100}},
    ],
}


# Chart builders whose input the benchmark portfolio cannot provide, or that are not wired below yet.
NO_INPUTS = {
    "loyalty.mrr_movements_chart": "needs a subscriptions table; the portfolio has none",
    **{f"buyers.{fn}": "not wired in the benchmark yet (the buyers' view builds its inputs)" for fn in
       ("gaps_chart", "alive_chart", "check_by_frequency_chart", "check_by_week_chart")},
}


# What a manager picks on a page that shows nothing until asked (issue 18.5: a page is timed with its content).
PAGE_CHOICES: dict[str, dict[str, Any]] = {
    "explore": {"explore_table": "usage", "explore_by_usage": ["date"]},  # events per day over every usage row
}


# The scoring reference (issue 18.4): the measures need one aggregation per table they read, so the floor is
# one plain group-by by account over each of usage, tickets and surveys (and orders, which the M and L data
# now hold and the measures read too), fetched as frames, on the session's connection.
REFERENCE_SQL: tuple[tuple[str, str], ...] = (
    ("usage", "SELECT account_id, count(*) AS days, sum(events) AS events FROM usage GROUP BY 1"),
    ("tickets", "SELECT account_id, count(*) AS tickets, count(first_response_at) AS answered FROM tickets GROUP BY 1"),
    ("surveys", "SELECT account_id, count(*) AS answers, avg(nps) AS nps FROM surveys GROUP BY 1"),
    ("orders", "SELECT account_id, count(*) AS orders, sum(amount) AS spend FROM orders GROUP BY 1"),
)


SAMPLED_LINES = 30  # functions listed in a sampled profile


@dataclass
class Figure:
    """One measured figure against its target; ``ok`` None means not measured."""

    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else "PASS" if self.ok else "MISS"

    def value_text(self) -> str:
        if self.value is None:
            return "-"
        v = self.value
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"


def first_line(exc: BaseException, limit: int) -> str:
    """The first line of an exception's message (MemoryError has none)."""
    return (str(exc).splitlines() or ["(no message)"])[0][:limit]


def not_measured(name: str, target: str, why: str) -> Figure:
    return Figure(name, None, "", target, None, f"not measured: {why}")


def machine() -> str:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"{mem_kb / 1024**2:,.1f} GiB RAM, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
            f"pandas {pd.__version__}; load average {os.getloadavg()[0]:.1f} (other work shares these CPUs when above "
            f"about {os.cpu_count()})")


def _once(fn: Callable[[], Any], teardown: Callable[[Any], None] | None = None) -> tuple[float, Any]:
    """Wall seconds of one run of ``fn`` (after a garbage collection) and its result; ``teardown`` runs untimed."""
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    if teardown:
        teardown(result)
    return elapsed, result


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeat`` runs after one warm-up run; returns (median, last result)."""
    times: list[float] = []
    result = None
    for i in range(repeat + 1):
        elapsed, result = _once(fn)
        if i > 0:
            times.append(elapsed)
    return statistics.median(times), result


def timed_pair(app: Callable[[], Any], ref: Callable[[], Any], repeat: int,
               teardown: Callable[[Any], None] | None = None) -> tuple[float, float, Any]:
    """Median wall seconds of ``app`` and of ``ref`` (its reference), run in turns after one warm-up of each;
    returns (app median, ref median, app's last result). In turns, so both medians come from the same minutes
    of a shared machine whose speed drifts (DuckDB's read of one file took 0.33 s on one run, 0.58 s on another)."""
    app_times: list[float] = []
    ref_times: list[float] = []
    result = None
    for i in range(repeat + 1):
        app_s, result = _once(app, teardown)
        ref_s, _ = _once(ref)
        if i > 0:
            app_times.append(app_s)
            ref_times.append(ref_s)
    return statistics.median(app_times), statistics.median(ref_times), result


def module(name: str) -> Any:
    """A cs_logic module, or None when it has not landed yet (or cannot import)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == name or name.startswith(exc.name)):
            return None
        raise


class Bench:
    """The measurements for one size; each figure method appends to ``figures`` and never raises."""

    def __init__(self, size: str, repeat: int, profile: bool, only: frozenset[str] = frozenset(FIGURES)) -> None:
        self.size, self.repeat, self.profile, self.only = size, repeat, profile, only
        self.paths = generate(size)
        self.figures: list[Figure] = []
        self.profiles: dict[str, str] = {}
        self.store: Any = None
        self.files: list[Any] = []
        self.scores: pd.DataFrame | None = None
        self.points: pd.DataFrame | None = None
        self.table: pd.DataFrame | None = None
        self.usage_child: dict[str, Any] | None = None
        self.page_memory: dict[str, str] = {}  # page -> its memory note after its first run (fig_pages)
        self.peak = 0  # the process's high-water mark before fig_pages last reset it (see reset_page_peak)
        self.after_first_run: Callable[[str, dict[str, Any]], None] | None = None  # (page, session state)
        self.watch_first_run: Callable[[str], contextlib.AbstractContextManager[Any]] | None = None  # (page)

    # ------------------------------------------------------------ helpers
    def add(self, fig: Figure) -> None:
        self.figures.append(fig)
        print(f"  {fig.name}: {fig.value_text()} {fig.unit} (target {fig.target}) {fig.verdict} {fig.note}".rstrip(),
              flush=True)

    def run(self, name: str, target: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failed figure must not stop the others
            traceback.print_exc()
            self.add(not_measured(name, target, f"{type(exc).__name__}: {first_line(exc, 160)}"))

    def profiled(self, name: str, fn: Callable[[], Any], lines: int = 25) -> None:
        if not self.profile:
            return
        prof = cProfile.Profile()
        prof.enable()
        try:
            fn()
        finally:
            prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("cumulative").print_stats(lines)
        stats.sort_stats("tottime").print_stats(12)
        stats.print_callers(4)
        self.profiles[name] = out.getvalue()
        path = self.paths["usage"].parent / f"profile_{name.split()[0].lower()}.txt"
        path.write_text(out.getvalue(), encoding="utf-8")
        print(f"    profile of the miss written to {path}", flush=True)

    def sampled(self, name: str, fn: Callable[[], Any], runs: int = 5, every: float = 0.002) -> None:
        """Where other threads spend time while ``fn`` runs (AppTest runs the page in its own thread, which
        cProfile cannot see): stacks sampled every ``every`` s, each function counted once per sample."""
        main, counts, samples = threading.get_ident(), {}, 0
        done = threading.Event()

        def sample() -> None:
            nonlocal samples
            me = threading.get_ident()
            while not done.is_set():
                idle = {t.ident for t in threading.enumerate() if t.name == "cs-store-sweeper"}  # asleep
                for tid, frame in sys._current_frames().items():
                    if tid in (main, me) or tid in idle:
                        continue
                    seen = set()
                    f = frame
                    while f is not None:
                        code = f.f_code
                        key = f"{Path(code.co_filename).name}:{code.co_firstlineno}({code.co_name})"
                        if key not in seen and "threading.py" not in key:
                            seen.add(key)
                            counts[key] = counts.get(key, 0) + 1
                        f = f.f_back
                    samples += 1 if seen else 0
                time.sleep(every)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for _ in range(runs):
            fn()
        done.set()
        sampler.join()
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:SAMPLED_LINES]
        text = f"{samples} samples of the script thread over {runs} runs; share of samples in each function (inclusive)\n"
        text += "\n".join(f"{100 * n / max(samples, 1):5.1f}%  {key}" for key, n in top)
        self.profiles[name] = text
        path = self.paths["usage"].parent / f"profile_{name}.txt"
        path.write_text(text, encoding="utf-8")
        print(f"    sampled profile of the miss written to {path}", flush=True)

    def query_breakdown(self) -> None:
        """Seconds of each part of derived_measures' statement run alone (cProfile cannot see inside DuckDB)."""
        ms = importlib.import_module("cs_logic.metrics.measures")
        if not (hasattr(ms, "_plan") and hasattr(ms, "_columns")):
            return
        cols = ms._columns(self.store.con, set(self.store.tables))
        lines = []
        for q in ms._plan(cols):
            t0 = time.perf_counter()
            self.store.con.execute(q.sql, {"as_of": AS_OF}).df()
            lines.append(f"{time.perf_counter() - t0:7.3f} s  {', '.join(q.measures)}")
        text = "Seconds per part of derived_measures (each run alone):\n" + "\n".join(lines)
        self.profiles["scoring queries"] = text
        print("    " + text.replace("\n", "\n    "), flush=True)

    def scorecard(self) -> Any:
        return importlib.import_module("cs_logic.scoring.health").scorecard_from_dict(SCORECARD)

    # ------------------------------------------------------------ ingest
    def ingest_one(self, table: str) -> Any:
        ws, st = importlib.import_module("cs_logic.read.workspace"), importlib.import_module("cs_logic.read.store")
        path = self.paths[table]
        store = st.Store()  # first, as the Data page does: a usage file's rows go straight into its database
        lf = ws.load_file(path.name, path.read_bytes(), con=store.con)
        tables, _ = ws.combine([lf])
        store.load(tables)
        return store

    def fig_ingest(self) -> None:
        name, target = "Ingest usage file (app / DuckDB read)", "<= 1.3x"
        if module("cs_logic.read.workspace") is None or module("cs_logic.read.store") is None:
            return self.add(not_measured(name, target, "cs_logic.read.workspace or cs_logic.read.store missing"))
        path = self.paths["usage"]
        reader = "read_csv" if path.suffix == ".csv" else "read_parquet"

        def duck() -> None:
            con = duckdb.connect()
            con.execute(f"CREATE TABLE usage AS SELECT * FROM {reader}($p)", {"p": str(path)})
            con.close()

        ws = importlib.import_module("cs_logic.read.workspace")
        if self.size == "L":  # one run in a capped subprocess: it may not fit, and must not take the harness down
            child = self.usage_child = run_child(self.size, ["usage"], cap=True)
            duck_s, _ = timed(duck, 1)
            if "error" in child:
                reached = (f" after {child['seconds']:.0f} s, peak {child['maxrss_bytes'] / 1e9:.1f} GB"
                           if "maxrss_bytes" in child else "")
                self.add(not_measured(name, target, f"the app did not finish{reached} "
                                                    f"(address space capped at 80% of RAM): {child['error']}"))
                return self.add(Figure("Ingest usage file, DuckDB alone", duck_s, "s", "-", None, f"{reader}, one run"))
            ratio = child["seconds"] / duck_s
            return self.add(Figure(name, ratio, "x", target, ratio <= 1.3,
                                   f"one run each: app {child['seconds']:.1f} s (peak {child['maxrss_bytes'] / 1e9:.1f} GB), "
                                   f"DuckDB {duck_s:.1f} s"))
        try:
            app_s, duck_s, _ = timed_pair(lambda: self.ingest_one("usage"), duck, self.repeat,
                                          teardown=lambda s: s.close())
        except ws.IngestError as exc:
            self.add(not_measured(name, target, f"the app refuses the file: {exc}"))
            duck_s, _ = timed(duck, self.repeat)
            return self.add(Figure("Ingest usage file, DuckDB alone", duck_s, "s", "-", None))
        ratio = app_s / duck_s
        self.add(Figure(name, ratio, "x", target, ratio <= 1.3, f"app {app_s:.2f} s, DuckDB {duck_s:.2f} s"))
        if ratio > 1.3:
            self.profiled(name, lambda: self.ingest_one("usage").close())

    def load_direct(self) -> None:
        """L: Parquet straight into typed frames (canonical dtypes) and a Store, skipping the upload path."""
        import pyarrow.parquet as pq

        st = importlib.import_module("cs_logic.read.store")
        t0 = time.perf_counter()
        tables = {}
        for t, path in self.paths.items():
            frame = pq.read_table(path).to_pandas()
            for col in frame.columns:
                if pd.api.types.is_string_dtype(frame[col]):
                    frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
                elif col in ("start_date", "end_date", "date", "created_at", "first_response_at", "resolved_at",
                             "created_date", "close_date"):
                    frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
                elif col == "churned":
                    frame[col] = frame[col].astype("boolean")
                else:
                    frame[col] = frame[col].astype(float)
            tables[t] = frame
        print(f"  (set-up) L tables read from Parquet in {time.perf_counter() - t0:.1f} s, "
              "bypassing the upload path (see the ingest figure for what it does with them)", flush=True)
        t0 = time.perf_counter()
        self.store = st.Store()
        try:
            self.store.load(tables)
        except Exception as exc:
            self.store = None
            print(f"  (set-up) Store.load failed after {time.perf_counter() - t0:.1f} s: {exc}", flush=True)
            raise
        spilled = sum(f.stat().st_size for f in Path(self.store._temp).rglob("*") if f.is_file())
        self.add(Figure("Store.load of all L tables", time.perf_counter() - t0, "s", "-", None,
                        f"DuckDB memory_limit {self.store.memory_limit}; {spilled / 1e6:,.0f} MB in its spill folder after"))

    def load_all(self) -> None:
        """Every table of the size into one Store, the way the Data page does it (untimed set-up)."""
        if self.size == "L":
            return self.load_direct()
        ws, st = importlib.import_module("cs_logic.read.workspace"), importlib.import_module("cs_logic.read.store")
        t0 = time.perf_counter()
        self.store = st.Store()
        self.files = [ws.load_file(p.name, p.read_bytes(), con=self.store.con) for p in self.paths.values()]
        tables, _ = ws.combine(self.files)
        self.store.load(tables)
        problems = sum(len(f.problems) for f in self.files)
        print(f"  (set-up) all {len(self.files)} files loaded in {time.perf_counter() - t0:.1f} s; "
              f"tables {sorted(tables)}; {problems} problems reported", flush=True)

    # ------------------------------------------------------------ scoring
    def app_score(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """What the Success page does on a data load: the measure frame, the points, the scores."""
        pf, health = importlib.import_module("cs_logic.scoring.portfolio"), importlib.import_module("cs_logic.scoring.health")
        sc = self.scorecard()
        table = pf.measure_frame(self.store.con, set(self.store.tables), self.store.tables["accounts"], AS_OF)
        points = pf.portfolio_points(table, sc)
        return table, points.frame, health.health_scores(points.frame, sc, points.prepared)

    def reference(self) -> list[pd.DataFrame]:
        """One plain group-by per table the measures read: what the full scoring is measured against."""
        return [self.store.con.execute(sql).df() for t, sql in REFERENCE_SQL if t in self.store.tables]

    def fig_scoring(self) -> None:
        names = ("Full scoring (app / a DuckDB group-by per table)", "Full scoring (pandas baseline / app)")
        targets = ("<= 1.5x", ">= 3x")
        missing = [m for m in ("cs_logic.metrics.measures", "cs_logic.scoring.health") if module(m) is None]
        if missing or self.store is None:
            why = f"{', '.join(missing)} missing" if missing else "no data loaded (ingest failed)"
            for n, t in zip(names, targets):
                self.add(not_measured(n, t, why))
            return
        app_s, duck_s, (self.table, self.points, self.scores) = timed_pair(self.app_score, self.reference, self.repeat)
        ratio = app_s / duck_s
        self.add(Figure(names[0], ratio, "x", targets[0], ratio <= 1.5,
                        f"app {app_s:.2f} s, group-bys of {', '.join(t for t, _ in REFERENCE_SQL if t in self.store.tables)} "
                        f"{duck_s:.3f} s"))
        tables = {t: self.store.frame(t, filtered=False) for t in HEADERS}  # pandas needs usage out of DuckDB
        pandas_s, base = timed(lambda: baseline_pandas.health_scores(tables, SCORECARD, AS_OF), self.repeat)
        speedup = pandas_s / app_s
        diff = (base["health_score"] - self.scores["health_score"].reindex(base.index)).abs().max()
        self.add(Figure(names[1], speedup, "x", targets[1], speedup >= 3,
                        f"pandas {pandas_s:.2f} s, app {app_s:.2f} s; largest score difference {diff:.2g}"))
        if ratio > 1.5 or speedup < 3:
            self.profiled("scoring", self.app_score)
            if self.profile:
                self.query_breakdown()

    def fig_what_if(self) -> None:
        name, target = "What-if rescore after a weight change", "<= 50 ms"
        if self.points is None:
            return self.add(not_measured(name, target, "no points matrix (scoring not measured)"))
        health = importlib.import_module("cs_logic.scoring.health")
        sc = self.scorecard()
        changed = replace(sc, measures=(replace(sc.measures[0], weight=sc.measures[0].weight + 15), *sc.measures[1:]))
        kwargs: dict[str, Any] = {}
        note = "median of 20"
        if "prepared" in inspect.signature(health.health_scores).parameters and hasattr(health, "prepare_points"):
            # The page caches the prepared matrix with the points: a weight change does not rebuild it.
            kwargs["prepared"] = health.prepare_points(self.points[[m.points_column for m in sc.measures]])
            note += "; prepared points cached, as with the points matrix"
        times = []
        health.health_scores(self.points, changed, **kwargs)  # warm-up
        for _ in range(20):
            t0 = time.perf_counter()
            health.health_scores(self.points, changed, **kwargs)
            times.append(time.perf_counter() - t0)
        ms = 1000 * statistics.median(times)
        self.add(Figure(name, ms, "ms", target, ms <= 50, note))
        if ms > 50:
            self.profiled("what-if", lambda: [health.health_scores(self.points, changed, **kwargs) for _ in range(5)])

    # ------------------------------------------------------------ pages
    def session(self) -> dict[str, Any]:
        """Session state as pages/_shared/loading.py leaves it after loading these files (uploads memoised, store built)."""
        settings_mod = importlib.import_module("cs_logic.core.settings")
        from cs_logic.read.store import Filters
        from pages._shared.uploads import upload_key
        from pages.state import UPLOAD_MEMO

        settings = settings_mod.Settings()
        uploads, memo = {}, {}
        for lf in self.files:
            # L is opened from its files' paths (issue 18.6), so the session holds no upload bytes for it.
            data = self.paths[lf.table].read_bytes() if lf.table in self.paths and self.size != "L" else b""
            up = {"name": lf.name, "data": data, "sheet": None, "table": None, "mapping": None}
            uploads[lf.digest] = up
            # The loaded file memoised as pages._shared.loading.load_upload keeps it: a page asking for it reads nothing again.
            memo[UPLOAD_MEMO + lf.digest] = {upload_key(up, tuple(str(c) for c in lf.read.frame.columns), settings): lf}
        loaded_key = tuple((f.digest, f.table, tuple(sorted(f.mapping.items())), f.read.sheet) for f in self.files)
        return {"store": self.store, "uploads": uploads, "files": self.files, "cross_problems": [],
                "loaded_key": loaded_key, "data_label": f"Benchmark {self.size}", "settings": settings,
                "filters": Filters(), "memo": memo}

    def fig_pages(self) -> None:
        target = "<= 300 ms"
        pages = sorted(ROOT / p for p in set(re.findall(r'st\.Page\("(pages/\w+\.py)"', (ROOT / "app.py").read_text())))
        if self.store is None:
            return self.add(not_measured("Page rerun", target, "no data loaded"))
        from streamlit.testing.v1 import AppTest

        state = self.session()
        for page in pages:
            name = f"Page rerun, warm: {page.stem}"
            try:
                at = AppTest.from_file(str(page), default_timeout=600)
                for k, v in {**state, **PAGE_CHOICES.get(page.stem, {})}.items():
                    at.session_state[k] = v
                self.peak = max(self.peak, reset_page_peak())
                first = time.perf_counter()
                with self.watch_first_run(page.stem) if self.watch_first_run else contextlib.nullcontext():
                    at.run()  # first run fills the caches
                first = time.perf_counter() - first
                self.page_memory[page.stem] = memory_after(page.stem, self.peak)
                if self.after_first_run:
                    self.after_first_run(page.stem, state)
                if at.exception:
                    exc = at.exception[0]  # the message is redacted in the page; the stack's last lines say what it was
                    where = " | ".join(line.strip() for line in list(getattr(exc, "stack_trace", []))[-2:])[:300]
                    self.add(not_measured(name, target, f"the page raised: {str(exc.value)[:160]} ({where})"))
                    continue
                times = []
                for i in range(self.repeat + 1):
                    t0 = time.perf_counter()
                    at.run()
                    if i:
                        times.append(time.perf_counter() - t0)
                ms = 1000 * statistics.median(times)
                shown = "; ".join(str(i.value) for i in at.info)[:140]
                # The session's memo is shared by the pages, in this order: a page's first run reuses what the
                # pages before it computed (the scored portfolio, the history), as when a manager goes from one to the next.
                notes = [f"first run {first:.1f} s", f"page says: {shown}" if shown else "", self.page_memory[page.stem]]
                self.add(Figure(name, ms, "ms", target, ms <= 300, "; ".join(n for n in notes if n)))
                if ms > 300 and self.profile:
                    self.sampled(f"page_{page.stem}", at.run)
            except Exception as exc:  # noqa: BLE001
                self.add(not_measured(name, target, f"{type(exc).__name__}: {str(exc)[:160]}"))
        for want in ("overview", "success", "scorecard", "loyalty", "feedback", "support", "funnel", "explore"):
            if not (ROOT / "pages" / f"{want}.py").exists():
                self.add(not_measured(f"Page rerun, warm: {want}", target, f"pages/{want}.py missing"))

    # ------------------------------------------------------------ charts
    def chart_inputs(self) -> dict[str, Callable[[], Any]]:
        """Builder name -> a call on this size's data; builders not listed here are reported as unmeasured."""
        t = self.store.tables
        scores = self.scores
        as_of = pd.Timestamp(AS_OF)

        def with_scores() -> pd.DataFrame:
            return t["accounts"].drop_duplicates("account_id").set_index("account_id").join(scores, how="inner")

        def h(n: str) -> Any:
            return getattr(importlib.import_module("cs_logic.charts.health"), n)

        def lo(n: str) -> Any:
            return getattr(importlib.import_module("cs_logic.charts.loyalty"), n)

        def sp(n: str) -> Any:
            return getattr(importlib.import_module("cs_logic.charts.support"), n)

        def fb(n: str) -> Any:
            return getattr(importlib.import_module("cs_logic.charts.feedback"), n)

        def m(mod: str) -> Any:  # a module by its name in its layer: "health" -> cs_logic.scoring.health
            layer = next(d.name for d in (ROOT / "cs_logic").iterdir() if (d / f"{mod}.py").exists())
            return importlib.import_module(f"cs_logic.{layer}.{mod}")

        return {
            "health.band_distribution_chart": lambda: h("band_distribution_chart")(scores),
            "health.score_histogram": lambda: h("score_histogram")(scores),
            "health.rep_portfolio_scatter": lambda: h("rep_portfolio_scatter")(with_scores()),
            "health.migration_heatmap": lambda: h("migration_heatmap")(m("backtest").band_migration(scores, scores)),
            "health.contributions_chart": lambda: h("contributions_chart")(
                m("health").contributions(self.points.iloc[0], self.scorecard())),
            "loyalty.nps_distribution_chart": lambda: lo("nps_distribution_chart")(m("nps").distribution(t["surveys"]["nps"])),
            "loyalty.nps_trend_chart": lambda: lo("nps_trend_chart")(m("nps").nps_trend(t["surveys"])),
            "loyalty.cohort_heatmap": lambda: lo("cohort_heatmap")(m("retention").cohort_matrix(t["accounts"], as_of)),
            "loyalty.survival_chart": lambda: lo("survival_chart")(m("survival").survival_by(t["accounts"], "segment", as_of)),
            "loyalty.owner_funnel_chart": lambda: lo("owner_funnel_chart")(m("owner_churn").churn_by_owner(t["accounts"], as_of)),
            "support.tickets_per_week_chart": lambda: sp("tickets_per_week_chart")(m("support").tickets_per_week(t["tickets"])),
            "support.response_time_chart": lambda: sp("response_time_chart")(m("support").response_percentiles(t["tickets"])),
            "feedback.csat_trend_chart": lambda: fb("csat_trend_chart")(m("feedback").csat_by(t["surveys"], "date", freq="M")),
            "feedback.themes_chart": lambda: fb("themes_chart")(m("feedback").themes(t["surveys"]["comment"])),
            "feedback.distinctive_terms_chart": lambda: fb("distinctive_terms_chart")(m("feedback").distinctive_terms(
                t["surveys"].loc[t["surveys"]["nps"] <= 6, "comment"], t["surveys"].loc[t["surveys"]["nps"] >= 9, "comment"])),
            "feedback.faq_chart": lambda: fb("faq_chart")(m("faq").faq_candidates(
                t["tickets"]["subject"], t["tickets"]["created_at"], questions_only=False, as_of=as_of)),
            "health.score_history_chart": lambda: h("score_history_chart")(self.history(), str(scores.index[0])),
            "health.health_trend_chart": lambda: h("health_trend_chart")(m("portfolio").health_over_time(
                self.history(), with_scores())),
            "funnel.funnel_chart": lambda: importlib.import_module("cs_logic.charts.funnel").funnel_chart(
                m("funnel").funnel_table(t["deals"], self.stage_order(), as_of=as_of)),
            "funnel.owner_conversion_chart": lambda: importlib.import_module("cs_logic.charts.funnel")
            .owner_conversion_chart(m("funnel").by_dim(t["deals"], "owner", self.stage_order()), "owner"),
            "funnel.forecast_chart": lambda: importlib.import_module("cs_logic.charts.funnel").forecast_chart(
                m("funnel").forecast_by_stage(t["deals"], self.stage_order()), self.stage_order()[:-1]),
            "feedback.driver_quadrant_chart": lambda: fb("driver_quadrant_chart")(*self.drivers()),
            "explore.group_chart": lambda: importlib.import_module("cs_logic.charts.explore").group_chart(
                m("explore").group_summary(self.store.con, "usage", ["account_id"], "sum", "events"), ["account_id"]),
        }

    def stage_order(self) -> list[str]:
        return list(importlib.import_module("cs_logic.metrics.funnel").stage_order(self.store.tables["deals"]))

    def drivers(self) -> tuple[pd.DataFrame, float | None, int]:
        """Key drivers of the NPS answer among the surveys' attribute ratings, as the Feedback page finds them."""
        fv, dr = importlib.import_module("cs_logic.views.feedback_view"), importlib.import_module("cs_logic.metrics.drivers")
        surveys = self.store.tables["surveys"]
        result = dr.relative_weights(surveys, "nps", fv.attribute_columns(surveys))
        return result.table, result.r2, result.n

    def history(self) -> pd.DataFrame:
        """Monthly scores over the last quarter, as the account page's history would compute them."""
        ms, health = importlib.import_module("cs_logic.metrics.measures"), importlib.import_module("cs_logic.scoring.health")
        accounts = self.store.tables["accounts"].drop_duplicates("account_id").set_index("account_id")
        return health.score_history(
            lambda d: ms.derived_measures(self.store.con, set(self.store.tables), d).join(accounts, how="left"),
            self.scorecard(), AS_OF - dt.timedelta(days=89), AS_OF)

    def fig_charts(self) -> None:
        name, target = "Largest number of marks in a chart", "<= 5,000"
        if self.store is None or self.scores is None:
            return self.add(not_measured(name, target, "no scores (scoring not measured)"))
        counts: dict[str, int] = {}
        skipped: list[str] = []
        for builder, call in self.chart_inputs().items():
            if module(f"cs_logic.charts.{builder.split('.')[0]}") is None:
                skipped.append(f"{builder} (module missing)")
                continue
            try:
                spec = call().to_dict()
            except Exception as exc:  # noqa: BLE001
                skipped.append(f"{builder} ({type(exc).__name__}: {str(exc)[:80]})")
                continue
            counts[builder] = sum(len(rows) for rows in spec.get("datasets", {}).values())
        known = set(self.chart_inputs())
        for path in sorted((ROOT / "cs_logic" / "charts").glob("*.py")):
            mod = module(f"cs_logic.charts.{path.stem}")
            for fn in [n for n in dir(mod) if n.endswith(("_chart", "_heatmap", "_histogram", "_scatter"))] if mod else []:
                if f"{path.stem}.{fn}" not in known and getattr(getattr(mod, fn), "__module__", "") == mod.__name__:
                    skipped.append(f"{path.stem}.{fn} ({NO_INPUTS.get(path.stem + '.' + fn, 'no inputs wired in the benchmark')})")
        if not counts:
            return self.add(not_measured(name, target, "; ".join(skipped) or "no chart builders"))
        worst = max(counts, key=lambda k: counts[k])
        for builder, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            print(f"    {builder}: {n:,} rows", flush=True)
        for s in skipped:
            print(f"    not measured: {s}", flush=True)
        self.add(Figure(name, counts[worst], "rows", target, counts[worst] <= 5000,
                        f"{worst}; {len(counts)} charts measured, {len(skipped)} not"))

    # ------------------------------------------------------------ memory
    def fig_memory(self) -> None:
        name, target = "Peak memory of ingest / CSV bytes", "<= 2x"
        if module("cs_logic.read.workspace") is None or module("cs_logic.read.store") is None:
            return self.add(not_measured(name, target, "cs_logic.read.workspace or cs_logic.read.store missing"))
        total = sum(p.stat().st_size for p in self.paths.values())
        spread = ""
        if self.usage_child is not None:  # L: the usage ingest already ran in a capped subprocess; reuse it
            total, peak = self.paths["usage"].stat().st_size, self.usage_child
            name += " (usage file only)"
        else:  # the peak varies by 50-100 MB from run to run (allocators, reader threads): the median of several
            runs = [run_child(self.size, list(self.paths), cap=True) for _ in range(self.repeat)]
            failed = [r for r in runs if "error" in r]
            done = sorted((r for r in runs if "error" not in r), key=lambda r: r["maxrss_bytes"])
            peak = failed[0] if failed else done[len(done) // 2]
            if len(done) > 1:
                spread = (f"median of {len(done)} runs, {done[0]['maxrss_bytes'] / 1e6:,.0f}-"
                          f"{done[-1]['maxrss_bytes'] / 1e6:,.0f} MB; ")
        if "error" in peak:
            reached = f" (peak {peak['maxrss_bytes'] / 1e9:.1f} GB before that)" if "maxrss_bytes" in peak else ""
            return self.add(not_measured(name, target, f"the app did not finish: {peak['error']}{reached}"))
        ratio = peak["maxrss_bytes"] / total
        self.add(Figure(name, ratio, "x", target, ratio <= 2,
                        f"peak {peak['maxrss_bytes'] / 1e6:,.0f} MB for {total / 1e6:,.0f} MB of files "
                        f"({spread}Python + libraries alone: {peak['baseline_bytes'] / 1e6:,.0f} MB; "
                        f"VmHWM {peak.get('vmhwm_bytes', 0) / 1e6:,.0f} MB)"))

    def measure(self) -> None:
        print(f"Benchmark size {self.size} ({SIZES[self.size]}), {self.repeat} timed runs after a warm-up", flush=True)
        # Memory first: on Linux a child's ru_maxrss starts at its parent's high-water mark, so the
        # parent must not hold the data yet when the child is forked.
        want = self.only | ({"scoring"} if self.only & {"what-if", "charts"} else set())  # they need the scores
        if self.size != "L" and "memory" in want:
            self.run("Peak memory", "<= 2x", self.fig_memory)
        if "ingest" in want:
            self.run("Ingest usage file", "<= 1.3x", self.fig_ingest)
        if want & {"scoring", "pages"}:
            self.run("Load all tables", "-", self.load_all)
        if "scoring" in want:
            self.run("Full scoring", "<= 1.5x", self.fig_scoring)
        if "what-if" in want:
            self.run("What-if rescore", "<= 50 ms", self.fig_what_if)
        if "pages" in want:
            self.run("Page rerun", "<= 300 ms", self.fig_pages)
        if "charts" in want:
            self.run("Chart marks", "<= 5,000", self.fig_charts)
        if self.size == "L" and "memory" in want:
            self.run("Peak memory", "<= 2x", self.fig_memory)


def child_ingest(size: str, tables: list[str]) -> None:
    """Run in a subprocess: ingest ``tables`` of ``size`` into a Store; print seconds, peak RSS or the error as JSON."""
    from cs_logic.read.store import Store
    from cs_logic.read.workspace import combine, load_file

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    paths = generate(size)
    t0 = time.perf_counter()
    out: dict[str, Any] = {"baseline_bytes": baseline}
    try:
        store = Store()
        files = [load_file(paths[t].name, paths[t].read_bytes(), con=store.con) for t in tables]
        combined, _ = combine(files)
        store.load(combined)
        out["seconds"] = time.perf_counter() - t0
        store.close()
    except Exception as exc:  # noqa: BLE001 - the parent reports what the app did instead of dying
        out["error"] = f"{type(exc).__name__}: {first_line(exc, 200)}"
        out["seconds"] = time.perf_counter() - t0
    out["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["vmhwm_bytes"] = _status_kb("VmHWM") * 1024  # this process's own peak, a cross-check of ru_maxrss
    print(json.dumps(out))


def process_peak() -> int:
    """The process's resident high-water mark in bytes since it started or since :func:`reset_page_peak`."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def reset_page_peak() -> int:
    """Start the high-water mark afresh from what is resident now, so after a page it is that page's own peak;
    returns the mark before the reset. On Linux this resets both VmHWM and ru_maxrss (one counter): the caller
    keeps the process's peak as the largest mark returned here. Elsewhere nothing is reset."""
    before = process_peak()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return before


def memory_after(page: str, earlier: int) -> str:
    """The process's peak so far (``earlier``: its mark before the last reset), this page's first run's own
    peak and what is resident after it."""
    own = process_peak()
    note = (f"peak after {page} {max(earlier, own) / 1e9:.2f} GB (first run's own {own / 1e9:.2f} GB, "
            f"resident after it {_status_kb('VmRSS') * 1024 / 1e9:.2f} GB)")
    print(f"  {note}", flush=True)
    return note


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _memory_cap() -> None:
    """In the child: cap the address space at 80% of RAM so a runaway ingest fails instead of freezing the box."""
    total = _mem_total_bytes()
    if total:
        resource.setrlimit(resource.RLIMIT_AS, (int(total * 0.8), int(total * 0.8)))


def _mem_total_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_child(size: str, tables: list[str], cap: bool) -> dict[str, Any]:
    """Ingest ``tables`` in a fresh interpreter; returns its JSON, or {"error": ...} when the process died."""
    proc = subprocess.run([sys.executable, "-m", "bench", "--size", size, "--child-ingest", ",".join(tables)],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=7200,
                          preexec_fn=_memory_cap if cap else None)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": f"the process died (exit {proc.returncode}): {tail[:200]}"}
    return json.loads(lines[-1])


def table_markdown(figures: list[Figure]) -> str:
    lines = ["| Figure | Value | Unit | Target | Result | Note |", "|---|---:|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.name} | {f.value_text()} | {f.unit} | {f.target} | {f.verdict} | {f.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs after the warm-up, median reported (default 3; 1 for L)")
    parser.add_argument("--no-profile", action="store_true", help="do not profile missed targets")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to results.md")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help=f"comma-separated figures to measure, of {', '.join(FIGURES)} (default: all)")
    parser.add_argument("--child-ingest", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_ingest:
        child_ingest(args.size, args.child_ingest.split(","))
        return 0
    only = frozenset(x.strip() for x in args.only.split(",") if x.strip())
    if not only or only - set(FIGURES):
        parser.error(f"--only takes figures of {', '.join(FIGURES)}; got {args.only!r}")
    if args.repeat is None:
        args.repeat = 1 if args.size == "L" else 3
    t0 = time.perf_counter()
    t_gen = time.perf_counter()
    generate(args.size)
    print(f"Data ready in {time.perf_counter() - t_gen:.1f} s under {Path(generate(args.size)['usage']).parent}")
    load_before = os.getloadavg()[0]
    bench = Bench(args.size, args.repeat, profile=not args.no_profile, only=only)
    bench.measure()
    print(f"Load average at start {load_before:.1f}, at end {os.getloadavg()[0]:.1f}")
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    table = table_markdown(bench.figures)
    print(f"\nSize {args.size} on {machine()}\n\n{table}\n\n(total {time.perf_counter() - t0:.0f} s)")
    for name, text in bench.profiles.items():
        print(f"\nProfile of '{name}' (top lines by cumulative time):\n{text}")
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as f:
            if f.tell() == 0:
                f.write("# Benchmark results\n\nAppended by `python -m bench` (`make bench`). Newest last.\n")
            f.write(f"\n## {when}, size {args.size}, {args.repeat} runs after a warm-up (median)\n\n"
                    f"Machine: {machine()}\n\n{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
