"""`python -m bench.soak`: browser sessions on one loopback server load data and move Scorecard weights.

`--floor` moves the slider of bench/floor_app.py instead (no data, one slider): what Streamlit and the browser
cost per move here whatever the app does, the floor the Scorecard's figures are read against."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.generate import SIZES, generate

RESULTS = Path(__file__).resolve().parent / "results.md"
OUT = Path(__file__).resolve().parent / "out" / "soak"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if Path(p).exists()), None)
TABLES = ("accounts", "usage", "tickets", "surveys")
GB = 1024**3
FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"
FLOOR = "no data: a band range and one slider, the same moves (bench/floor_app.py)"
# Counts finished script runs (running -> notRunning on the stApp element), so a move can wait for its own rerun.
RUN_WATCH = """
window.__soak = {done: 0};
new MutationObserver(ms => { for (const m of ms) {
  if (m.target.getAttribute('data-test-script-state') === 'notRunning' && m.oldValue && m.oldValue !== 'notRunning')
    window.__soak.done++; } }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
  attributeFilter: ['data-test-script-state']});
"""
SETTLED = ("n => window.__soak.done > n && document.querySelector('[data-testid=stApp]')"
           "?.getAttribute('data-test-script-state') === 'notRunning'")
# Resolves as soon as SETTLED holds (checked on each script-state change), or with its value after ``ms``: one
# round trip per move instead of a poll every 20 ms, whose page, browser and driver CPU ten sessions queued for.
SETTLE_WAIT = """([n, ms]) => new Promise(resolve => {
  const ok = () => window.__soak.done > n && document.querySelector('[data-testid=stApp]')
    ?.getAttribute('data-test-script-state') === 'notRunning';
  if (ok()) return resolve(true);
  const watch = new MutationObserver(() => { if (ok()) { watch.disconnect(); resolve(true); } });
  watch.observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  setTimeout(() => { watch.disconnect(); resolve(ok()); }, ms);
})"""
# The sliders (range inputs, role slider) by CSS: Playwright's get_by_role computes every element's ARIA role,
# ~25 ms of the page's CPU per move at M, which is the harness's cost, not the app's.
SLIDERS = "input[type=range]"
IDLE = "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'"


# ------------------------------------------------------------------------------------------ memory
def rss_bytes(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants (0 for processes that are gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def status_kb(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (those still alive)."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15 of stat
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server (with children), chromium's renderers, the rest of chromium (browser,
    GPU, network processes) and Playwright's driver: the per-move split is the difference of two of these."""
    split = dict.fromkeys(("server", "renderer", "chromium", "driver"), 0.0)
    server = set(descendants(server_pid))
    split["server"] = sum(cpu_seconds(p) for p in server)
    for p in descendants(os.getpid())[1:]:
        if p in server:
            continue
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        kind = "renderer" if b"--type=renderer" in cmd else "chromium" if b"chrom" in cmd else "driver"
        split[kind] += cpu_seconds(p)
    return split


def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    """Every second: the server's RSS (with children) and the browser's (this process's other descendants)."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.stop_event = server_pid, threading.Event()
        self.server = self.server_peak = self.browser = self.browser_peak = 0
        self.window_peak = 0  # peak since the last reset_window()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(1.0)

    def sample(self) -> int:
        self.server = rss_bytes(self.server_pid)
        self.browser = rss_bytes(os.getpid()) - self.server - status_kb(os.getpid(), "VmRSS") * 1024
        self.server_peak, self.window_peak = max(self.server_peak, self.server), max(self.window_peak, self.server)
        self.browser_peak = max(self.browser_peak, self.browser)
        return self.server

    def reset_window(self) -> None:
        self.window_peak = self.sample()


# ------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(log_path: Path, app: Path = ROOT / "app.py") -> tuple[subprocess.Popen, str]:
    """One Streamlit server of ``app`` on a free loopback port (stdin /dev/null), after its health check answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the app server exited early; see {log_path}") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app server did not answer its health check within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------ sessions
@dataclass
class Session:
    """One browser context: its page and what went wrong in it."""

    n: int
    page: Any = None
    context: Any = None
    moves: int = 0
    repressed: int = 0
    settle: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: int = 0
    load_seconds: float = 0.0
    received: int = 0  # bytes the server sent this page over its websocket
    frames: int = 0  # websocket frames the page received; the two below are frame numbers
    last_start: int = 0  # of the last new_session message (a run or a fragment run started)
    last_finish: int = 0  # of the last script_finished message (a run ended)

    def error(self, what: str) -> None:
        self.errors.append(what[:300])
        print(f"  session {self.n}: ERROR {what[:300]}", flush=True)


async def open_session(browser: Any, base: str, n: int, files: list[str], accounts: int, timeout_s: float) -> Session:
    """New context -> Data page -> upload the files -> wait for the sidebar's row count -> Scorecard page settled
    (no ``files``: the floor app, open once its sliders are drawn)."""
    s = Session(n)
    s.context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = s.page = await s.context.new_page()
    await page.add_init_script(RUN_WATCH)

    async def abort(route: Any) -> None:
        s.blocked += 1
        await route.abort()

    await page.route(lambda url: not url.startswith(base), abort)

    def count(payload: Any) -> None:
        s.received += len(payload)
        s.frames += 1
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                s.last_start = s.frames
            elif kind == "script_finished":
                s.last_finish = s.frames

    page.on("websocket", lambda ws: ws.on("framereceived", count))
    page.on("pageerror", lambda exc: s.error(f"page error: {exc}"))
    page.on("console", lambda msg: s.error(f"console error: {msg.text}") if msg.type == "error"
            and not (s.blocked and "ERR_FAILED" in msg.text) else None)
    t0 = time.monotonic()
    ms = int(timeout_s * 1000)
    await page.goto(base, timeout=60_000)
    if not files:
        await page.locator(SLIDERS).nth(2).wait_for(timeout=ms)
        await page.wait_for_function(IDLE, polling=100, timeout=ms)
        s.load_seconds = time.monotonic() - t0
        return s
    await page.get_by_text("Upload exports").first.wait_for(timeout=60_000)
    await page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(files)
    await page.get_by_test_id("stSidebar").get_by_text(f"accounts {accounts:,} rows").first.wait_for(timeout=ms)
    await page.get_by_test_id("stSidebarNavLink").filter(has_text="Scorecard").first.click()
    await page.get_by_role("heading", name="Scorecard").first.wait_for(timeout=ms)
    await page.wait_for_function("() => document.querySelector('[data-testid=stApp]')?.getAttribute("
                                 "'data-test-script-state') === 'notRunning'", polling=100, timeout=ms)
    await page.get_by_role("slider").nth(2).wait_for(timeout=ms)  # band range (2 thumbs), then the weights
    s.load_seconds = time.monotonic() - t0
    await check_exceptions(s)
    print(f"  session {n}: loaded and on the Scorecard in {s.load_seconds:.0f} s", flush=True)
    return s


async def check_exceptions(s: Session) -> None:
    shown = await s.page.get_by_test_id("stException").count()
    if shown:
        s.error(f"{shown} stException element(s) on the page: "
                + (await s.page.get_by_test_id("stException").first.inner_text())[:200].replace("\n", " "))


async def move_once(s: Session, home: dict[int, float], timeout_s: float) -> None:
    """One keyboard step on a weight slider (away from its starting value, or back), then wait for the rerun to end."""
    page = s.page
    sliders = page.locator(SLIDERS)
    count = await sliders.count()
    idx = 2 + (s.moves // 2) % max(1, count - 2)
    slider = sliders.nth(idx)
    value, top = float(await slider.input_value()), float(await slider.get_attribute("max") or 100)
    start = home.setdefault(idx, value)
    key = ("ArrowRight" if start < top else "ArrowLeft") if value == start else (
        "ArrowLeft" if value > start else "ArrowRight")
    done, frames = await page.evaluate("() => window.__soak.done"), s.frames
    await slider.focus()
    t0 = time.monotonic()
    await slider.press(key)
    # A key pressed while the page redraws the slider can be lost (the slider keeps its value and no rerun
    # starts): press again once, and count it, rather than wait the whole timeout for a rerun never asked for.
    if not await _value_changed(slider, value):
        s.repressed += 1
        await slider.focus()
        await slider.press(key)
    await _settled(s, done, frames, timeout_s)
    s.settle.append(time.monotonic() - t0)
    s.moves += 1


async def _settled(s: Session, done: int, frames: int, timeout_s: float) -> None:
    """Until the rerun the move caused has ended on the page: the stApp element went running -> notRunning, or
    (a fragment run short enough that the page drew both states at once, so the observer saw no change: 1 move
    in ~500 timed out that way) the last run started after frame ``frames`` has finished and the page shows
    notRunning. TimeoutError after ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if await s.page.evaluate(SETTLE_WAIT, [done, 200]) or (
                s.last_start > frames and s.last_finish > s.last_start and await s.page.evaluate(IDLE)):
            return
    raise TimeoutError(f"the move's rerun did not end within {timeout_s:.0f} s")


async def _value_changed(slider: Any, before: float, wait_s: float = 5.0) -> bool:
    """Whether the slider shows another value than ``before`` within ``wait_s`` seconds."""
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        if float(await slider.input_value()) != before:
            return True
        await asyncio.sleep(0.05)
    return False


async def soak(s: Session, deadline: float, max_moves: int, timeout_s: float) -> None:
    """Move weights until the deadline or ``max_moves``; a timeout is counted and the session goes on."""
    home: dict[int, float] = {}
    shown = 0
    while time.monotonic() < deadline and s.moves < max_moves:
        try:
            await move_once(s, home, min(timeout_s, max(1.0, deadline + timeout_s - time.monotonic())))
        except Exception as exc:  # noqa: BLE001 - a timeout or a lost page is one error, then carry on
            s.error(f"move {s.moves + 1}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            s.moves += 1
        now = await s.page.get_by_test_id("stException").count()
        if now > shown:
            s.error(f"stException after move {s.moves}")
        shown = now
    state = await s.page.get_by_test_id("stApp").get_attribute("data-test-connection-state")
    if state != "CONNECTED":
        s.error(f"connection state at the end: {state}")


# ------------------------------------------------------------------------------------------ the run
@dataclass
class Plan:
    requested: int
    sessions: int
    note: str


def plan_sessions(requested: int, baseline: int, after_one: int, peak_one: int, browser_one: int,
                  budget: int, concurrency: int) -> Plan:
    """How many sessions fit: session 1's steady footprint each, plus its load-time surplus per parallel load."""
    per = max(after_one - baseline, 1)
    surplus = max(peak_one - after_one, 0)

    def need(n: int) -> int:
        return baseline + n * per + min(concurrency, max(n - 1, 0)) * surplus

    def server_fits(n: int) -> bool:
        return need(n) <= budget

    def machine_fits(n: int) -> bool:  # the new sessions and their browser tabs, with 1 GB to spare
        return (need(n) - after_one) + (n - 1) * browser_one + GB <= mem_available()

    n = requested
    while n > 1 and not (server_fits(n) and machine_fits(n)):
        n -= 1
    note = (f"one session: {per / GB:.2f} GB steady on the server (+{surplus / GB:.2f} GB while loading), "
            f"browser +{browser_one / GB:.2f} GB; {requested} sessions would need about {need(requested) / GB:.1f} GB "
            f"on the server (budget {budget / GB:.1f} GB) and {mem_available() / GB:.1f} GB was available")
    if n < requested:
        limit = "the server budget" if not server_fits(n + 1) else "the machine's free memory (other work holds some)"
        note += f": {n} sessions run instead of {requested}, limited by {limit}"
    return Plan(requested, n, note)


async def run(args: argparse.Namespace, base: str, sampler: Sampler, result: dict[str, Any]) -> None:
    """The whole browser side; fills ``result`` as it goes, so a run stopped by the time limit still reports."""
    from playwright.async_api import async_playwright

    size = SIZES[args.size]
    files = [] if args.floor else [str(p) for t, p in generate(args.size).items() if t in TABLES]
    started = time.monotonic()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"])
        try:
            baseline = sampler.sample()
            browser_empty = sampler.browser
            sampler.reset_window()
            print(f"Server up, {baseline / GB:.2f} GB. Session 1 alone (measures one session's footprint) ...",
                  flush=True)
            first = await open_session(browser, base, 1, files, size.accounts, args.load_timeout)
            await soak(first, time.monotonic() + 5, 2, args.move_timeout)  # its first rerun caches fill too
            peak_one, after_one = sampler.window_peak, sampler.sample()
            plan = plan_sessions(args.sessions, baseline, after_one, peak_one,
                                 max(sampler.browser_peak - browser_empty, 1), int(args.budget_gb * GB),
                                 args.load_concurrency)
            print("Plan: " + plan.note, flush=True)
            result.update(plan=plan, baseline=baseline, sessions=[first])
            gate = asyncio.Semaphore(args.load_concurrency)

            async def one(n: int) -> Session | Exception:
                async with gate:
                    try:
                        return await open_session(browser, base, n, files, size.accounts, args.load_timeout)
                    except Exception as exc:  # noqa: BLE001 - reported as an error of that session
                        print(f"  session {n}: could not load: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                        return exc

            t_load = time.monotonic()
            opened = await asyncio.gather(*(one(n) for n in range(2, plan.sessions + 1)))
            result["load_all_seconds"] = time.monotonic() - t_load
            sessions = result["sessions"] = [first] + [s for s in opened if isinstance(s, Session)]
            result["load_failures"] = [f"session {n}: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
                                       for n, e in enumerate(opened, start=2) if isinstance(e, Exception)]
            result["after_load"] = sampler.sample()
            print(f"{len(sessions)} sessions on the Scorecard; server {result['after_load'] / GB:.2f} GB. "
                  f"Moving weights for {args.duration:.0f} s ...", flush=True)
            first.moves, first.settle = 0, []  # the probe's moves are not part of the soak
            for s in sessions:
                s.received = 0
            t_soak = result["soak_start"] = time.monotonic()
            result["cpu_start"] = cpu_split(sampler.server_pid)
            await asyncio.gather(*(soak(s, t_soak + args.duration, args.max_moves, args.move_timeout)
                                   for s in sessions))
            result["soak_seconds"] = time.monotonic() - t_soak
            result["cpu_end"] = cpu_split(sampler.server_pid)
            for s in sessions:
                if s.errors or s.n == 1:
                    await s.page.screenshot(path=str(OUT / f"session_{s.n}.png"))
        finally:
            await browser.close()
    result["total_seconds"] = time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cpu_per_move(r: dict[str, Any], moves: int) -> tuple[str, str]:
    """The soak's CPU milliseconds per move, all processes, and the split (server, renderers, rest of chromium,
    Playwright's driver)."""
    if "cpu_end" not in r or not moves:
        return "-", "not measured (the soak did not finish)"
    ms = {k: 1000 * (r["cpu_end"][k] - r["cpu_start"][k]) / moves for k in r["cpu_start"]}
    split = (f"ms of CPU per move, all processes: server {ms['server']:,.0f}, "
             f"chromium renderers {ms['renderer']:,.0f}, rest of chromium {ms['chromium']:,.0f}, "
             f"Playwright driver {ms['driver']:,.0f} (utime + stime from /proc over the soak / moves)")
    return f"{sum(ms.values()):,.0f}", split


def report(args: argparse.Namespace, r: dict[str, Any], sampler: Sampler, log_path: Path) -> tuple[str, int]:
    """The markdown table of the run and its error count."""
    sessions: list[Session] = r.get("sessions", [])
    settle = [x for s in sessions for x in s.settle]
    moves = sum(s.moves for s in sessions)
    soak_seconds = r.get("soak_seconds", time.monotonic() - r["soak_start"] if "soak_start" in r else 0)
    tracebacks = len(re.findall(r"^Traceback", log_path.read_text(errors="replace"), flags=re.MULTILINE))
    errors = sum(len(s.errors) for s in sessions) + len(r.get("load_failures", [])) + tracebacks
    plan: Plan | None = r.get("plan")
    loads = [s.load_seconds for s in sessions]
    rows = [
        ("Sessions", f"{len(sessions)}",
         f"requested {args.sessions}; " + (plan.note if plan else "no plan (failed early)")),
        ("Data", "none" if args.floor else args.size,
         FLOOR if args.floor else (f"{', '.join(TABLES)}: {SIZES[args.size].accounts:,} accounts, "
                                   f"{SIZES[args.size].usage:,} usage rows; uploaded in each browser context")),
        ("Load to Scorecard, per session", f"{statistics.median(loads):.0f}" if loads else "-",
         f"s median, max {max(loads):.0f} s; the rest loaded {args.load_concurrency} at a time in "
         f"{r.get('load_all_seconds', 0):.0f} s" if loads else ""),
        ("Weight moves", f"{moves:,}", f"in {soak_seconds:.0f} s (limit {args.duration:.0f} s, at most "
                                      f"{args.max_moves} per session); per session "
                                      + ", ".join(str(s.moves) for s in sessions)
                                      + f"; {sum(s.repressed for s in sessions)} key presses were lost while the "
                                        "slider redrew and pressed again"),
        ("Move to settled, median", f"{1000 * statistics.median(settle):,.0f}" if settle else "-",
         "ms: key press until the rerun it caused ends (stApp script state back to notRunning)"),
        ("Move to settled, p95", f"{1000 * percentile(settle, 0.95):,.0f}" if settle else "-", "ms"),
        ("Sent per move", f"{sum(s.received for s in sessions) / max(moves, 1) / 1000:,.1f}",
         "KB from the server to the page per weight move (websocket frames), all sessions' bytes / moves"),
        ("CPU per move", cpu_per_move(r, moves)[0], cpu_per_move(r, moves)[1]),
        ("Errors", f"{errors}", ("stException, page or console errors, timeouts, load failures, server tracebacks "
                                 f"({tracebacks} in the server log)")),
        ("Peak server memory", f"{sampler.server_peak / GB:.2f}", (f"GB RSS (sampled every second; VmHWM "
                                                                    f"{r.get('server_vmhwm', 0) / GB:.2f} GB; "
                                                                    f"{r.get('baseline', 0) / GB:.2f} GB before any "
                                                                    f"session, {r.get('after_load', 0) / GB:.2f} GB "
                                                                    f"with all loaded)")),
        ("Peak browser memory", f"{sampler.browser_peak / GB:.2f}", "GB RSS, one chromium with all contexts"),
        ("Blocked requests", f"{sum(s.blocked for s in sessions)}", "requests not to the loopback server, aborted"),
    ]
    lines = ["| Figure | Value | Note |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {c.replace('|', '/')} |" for a, b, c in rows]
    details = [f"- {e}" for e in r.get("load_failures", [])]
    details += [f"- session {s.n}: {e}" for s in sessions for e in s.errors[:5]]
    if details:
        lines += ["", "Errors (first 5 per session):", "", *details[:40]]
    return "\n".join(lines), errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--size", choices=["S", "M"], default="M", help="data size (S is the quick fallback)")
    parser.add_argument("--sessions", type=int, default=10, help="browser contexts wanted (fewer when memory is short)")
    parser.add_argument("--duration", type=float, default=120, help="seconds of weight moves, all sessions at once")
    parser.add_argument("--max-moves", type=int, default=400, help="moves per session at most")
    parser.add_argument("--budget-gb", type=float, default=18, help="server memory the sessions may take")
    parser.add_argument("--load-concurrency", type=int, default=2, help="sessions loading data at the same time")
    parser.add_argument("--load-timeout", type=float, default=420, help="seconds for one session to load")
    parser.add_argument("--move-timeout", type=float, default=60, help="seconds for one move to settle")
    parser.add_argument("--timeout", type=float, default=900, help="hard limit for the whole run, seconds")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to results.md")
    parser.add_argument("--floor", action="store_true", help="move the slider of bench/floor_app.py (no data)")
    args = parser.parse_args(argv)
    if CHROMIUM is None:
        print("chromium is missing: `make chromium` installs Debian's browser", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    t_gen = time.monotonic()
    if not args.floor:
        generate(args.size)
    print(f"Data {args.size} ready in {time.monotonic() - t_gen:.0f} s", flush=True)
    log_path = OUT / "server.log"
    server, base = start_server(log_path, FLOOR_APP if args.floor else ROOT / "app.py")

    def hard_stop(*_: Any) -> None:  # the backstop when the asyncio limit below cannot cancel in time
        print(f"\nHard limit of {args.timeout + 60:.0f} s reached: stopping the server and exiting.", flush=True)
        stop_server(server)
        os._exit(3)

    signal.signal(signal.SIGALRM, hard_stop)
    signal.alarm(int(args.timeout) + 60)
    sampler = Sampler(server.pid)
    sampler.start()
    result: dict[str, Any] = {}
    failure = ""
    try:
        asyncio.run(asyncio.wait_for(run(args, base, sampler, result), args.timeout))
    except TimeoutError:
        failure = f"stopped by the overall limit of {args.timeout:.0f} s"
    except Exception as exc:  # noqa: BLE001 - still report what was measured
        failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    finally:
        sampler.stop_event.set()
        sampler.join(timeout=5)
        result["server_vmhwm"] = status_kb(server.pid, "VmHWM") * 1024
        stop_server(server)
        signal.alarm(0)
    from bench.__main__ import machine

    table, errors = report(args, result, sampler, log_path)
    if failure:
        errors += 1
        table += f"\n\nThe run failed: {failure}"
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    n = len(result.get("sessions", []))
    what = "the floor app (bench/floor_app.py)" if args.floor else f"size {args.size}"
    head = f"## {when}, soak: {n} browser sessions, {what}, {args.duration:.0f} s of weight moves, {errors} errors"
    print(f"\n{head}\n\nMachine: {machine()}\n\n{table}\n\nServer log: {log_path}; screenshots in {OUT}")
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(f"\n{head}\n\nMachine: {machine()}\n\n{table}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
