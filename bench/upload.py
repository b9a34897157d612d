"""`python -m bench.upload`: in a real browser, upload a portfolio's exports on the Data page until the Overview shows.

One Streamlit server on a free loopback port and one Debian chromium (as `bench.soak`). The clock starts when the
files are handed to the uploader; the Overview is opened from the sidebar link as soon as the sidebar says the
accounts are loaded. Three times are taken from there:

- **Overview shown**: the tiles are on screen: `--tiles` (8, as the M and S data give) tile values visible. The
  page writes its "Top risks" heading right after the last tile, and that heading is waited for too (a fresh browser
  may draw the heading before the tiles, whose component it fetches on first use).
- **History drawn**: the "Health over time" chart (the twelve-month health history, computed after the tiles) is
  drawn: a chart or a notice inside the page's ``ov_history`` container.
- **Run finished**: the page's script run is over (the report, written last, is ready to download).

The Data page's progress bar is read every 50 ms meanwhile: each different text it showed is listed with the second
it first appeared, so the record says what the bar told the manager, not only how long it took. `--repeat` runs,
each in a fresh browser context (its own session); the medians and each run are reported and appended to
`bench/results.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import HEADERS, SIZES, generate
from bench.soak import CHROMIUM, IDLE, OUT, RESULTS, start_server, stop_server

TARGET_S = 10.0  # issue 18.2: upload to Overview shown, M, in the browser


async def one_run(browser: Any, base: str, files: list[str], accounts: int, timeout_s: float,
                  tiles: int = 8) -> dict[str, Any]:
    """Data page -> upload -> sidebar says the accounts are loaded -> Overview link -> tiles shown -> history
    drawn -> run finished."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.route(lambda url: not url.startswith(base), lambda route: route.abort())
    ms = int(timeout_s * 1000)
    try:
        await page.goto(base, timeout=60_000)
        await page.get_by_text("Upload exports").first.wait_for(timeout=60_000)
        texts: list[tuple[float, str]] = []
        done = asyncio.Event()

        async def watch(t0: float) -> None:  # what the progress bar says, as it changes
            bar = page.get_by_test_id("stProgress")
            while not done.is_set():
                try:
                    if await bar.count():
                        text = (await bar.first.inner_text(timeout=200)).strip()
                        if text and (not texts or texts[-1][1] != text):
                            texts.append((time.monotonic() - t0, text))
                except Exception:  # noqa: BLE001, S110 - the bar is replaced or removed between two reads
                    pass
                await asyncio.sleep(0.05)

        t0 = time.monotonic()
        watcher = asyncio.create_task(watch(t0))
        await page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(files)
        await page.get_by_test_id("stSidebar").get_by_text(f"accounts {accounts:,} rows").first.wait_for(timeout=ms)
        loaded = time.monotonic() - t0
        await page.get_by_test_id("stSidebarNavLink").filter(has_text="Overview").first.click()
        await page.get_by_role("heading", name="Overview").first.wait_for(timeout=ms)
        await page.get_by_role("heading", name="Top risks").first.wait_for(timeout=ms)
        await page.get_by_test_id("stMetricValue").nth(tiles - 1).wait_for(timeout=ms)
        shown = time.monotonic() - t0
        tiles = await page.get_by_test_id("stMetricValue").count()
        history = page.locator(".st-key-ov_history").locator("[data-testid=stVegaLiteChart], [data-testid=stAlert]")
        await history.first.wait_for(timeout=ms)
        drawn = time.monotonic() - t0
        await page.wait_for_function(IDLE, polling=50, timeout=ms)
        finished = time.monotonic() - t0
        done.set()
        await watcher
        errors = await page.get_by_test_id("stException").count()
        await page.screenshot(path=str(OUT / "upload_overview.png"), full_page=True)
        return {"loaded": loaded, "shown": shown, "tiles": tiles, "drawn": drawn, "finished": finished,
                "texts": texts, "errors": errors}
    finally:
        await context.close()


async def run(args: argparse.Namespace, base: str) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    paths = generate(args.size)
    files = [str(paths[t]) for t in args.tables.split(",")]
    out = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"])
        try:
            for i in range(args.repeat):
                r = await one_run(browser, base, files, SIZES[args.size].accounts, args.timeout, args.tiles)
                print(f"  run {i + 1}: loaded {r['loaded']:.1f} s, Overview shown {r['shown']:.1f} s "
                      f"({r['tiles']} tiles), history drawn {r['drawn']:.1f} s, run finished {r['finished']:.1f} s; "
                      f"{len(r['texts'])} progress texts", flush=True)
                out.append(r)
        finally:
            await browser.close()
    return out


def report(args: argparse.Namespace, runs: list[dict[str, Any]], size_mb: float) -> str:
    shown = [r["shown"] for r in runs]
    median = statistics.median(shown)
    verdict = "PASS" if median <= TARGET_S and args.size == "M" else "MISS" if args.size == "M" else "n/a"
    texts = runs[-1]["texts"]
    said = "; ".join(f"{t:.1f} s “{text}”" for t, text in texts[:14]) + (" …" if len(texts) > 14 else "")
    def runs_of(key: str) -> str:
        return ", ".join(f"{r[key]:.1f}" for r in runs) + " s"

    rows = [
        ("Upload to Overview shown, median", f"{median:.1f} s", f"target <= {TARGET_S:.0f} s at M: {verdict}; the "
         f"tiles visible ({runs[-1]['tiles']} tiles, then the “Top risks” heading the page writes after them); runs: "
         + runs_of("shown")),
        ("Upload to data loaded, median", f"{statistics.median(r['loaded'] for r in runs):.1f} s",
         "until the sidebar says the accounts are loaded; runs: " + runs_of("loaded")),
        ("Upload to health history drawn, median", f"{statistics.median(r['drawn'] for r in runs):.1f} s",
         "the Overview's “Health over time” chart (twelve month ends scored) on screen; runs: " + runs_of("drawn")),
        ("Upload to Overview run finished, median", f"{statistics.median(r['finished'] for r in runs):.1f} s",
         "the page's run over: the report (written last) ready to download; runs: " + runs_of("finished")),
        ("Files", f"{len(args.tables.split(','))}", f"{args.tables} ({size_mb:,.0f} MB), one browser context per run"),
        ("Progress bar said (last run)", f"{len(texts)} texts", said.replace("|", "/")),
        ("Errors", f"{sum(r['errors'] for r in runs)}", "stException elements on the Overview"),
    ]
    return "\n".join(["| Figure | Value | Note |", "|---|---:|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["S", "M"], default="M")
    parser.add_argument("--tables", default=",".join(HEADERS), help="which of the portfolio's files to upload")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each in a fresh browser context")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for one run")
    parser.add_argument("--tiles", type=int, default=8, help="tiles the Overview shows on this data (8 at S and M)")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to results.md")
    args = parser.parse_args(argv)
    if CHROMIUM is None:
        print("chromium is missing: `make chromium` installs Debian's browser", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    paths = generate(args.size)
    size_mb = sum(paths[t].stat().st_size for t in args.tables.split(",")) / 1e6
    server, base = start_server(OUT / "upload_server.log")
    try:
        runs = asyncio.run(run(args, base))
    finally:
        stop_server(server)
    from bench.__main__ import machine

    table = report(args, runs, size_mb)
    head = f"## {dt.datetime.now():%Y-%m-%d %H:%M}, upload to Overview in a browser, size {args.size}, {args.repeat} runs"
    print(f"\n{head}\n\nMachine: {machine()}\n\n{table}")
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(f"\n{head}\n\nMachine: {machine()}\n\n{table}\n")
    return 1 if any(r["errors"] for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
