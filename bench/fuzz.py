"""`python -m bench.fuzz --count 1000`: malformed CSV/XLSX inputs through `inspect`, each with a time and memory limit.

Every input (tests/fuzzinputs.py, fixed seed) runs in its own process forked from one that has already imported
the app (a fresh interpreter per input would spend most of the run importing pandas and DuckDB). The child's
address space is capped (RLIMIT_AS: what the parent had mapped plus --memory-mb), its peak resident memory is
measured from its own start (its high-water mark is reset after the fork), and it is killed after --seconds.
Pass: exit 0 or 2, no traceback, within both limits. The figures are appended to bench/results.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import io
import os
import platform
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cs_logic.__main__ import main as cli_main
from tests.fuzzinputs import generate

RESULTS = Path(__file__).resolve().parent / "results.md"


def _status_kb(field: str, pid: str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _child(path: Path, out: Path, memory_mb: int) -> None:
    """In the forked child: cap memory, reset the peak, run inspect, write (code, peak KB, traceback?)."""
    code, crash = 1, ""
    try:
        vm = _status_kb("VmSize") * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + memory_mb * 2**20, vm + memory_mb * 2**20))
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here on: this input's own peak
        sink_out, sink_err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(sink_out), contextlib.redirect_stderr(sink_err):
            code = cli_main(["inspect", str(path), "--json"])
        if "Traceback" in sink_err.getvalue():
            code, crash = 1, sink_err.getvalue()[-500:]
    except MemoryError:
        code, crash = 3, "MemoryError"
    except BaseException:  # noqa: BLE001 - what the fuzz run exists to find
        code, crash = 1, traceback.format_exc()[-800:]
    try:
        out.write_text(f"{code}\n{_status_kb('VmHWM')}\n{crash}")
    finally:
        os._exit(0)


def run_one(path: Path, seconds: float, memory_mb: int, work: Path) -> tuple[int | None, float, int, str]:
    """(exit code or None when killed, seconds, peak MB, traceback text) for one input."""
    out = work / (path.name + ".out")
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        _child(path, out, memory_mb)
    killed = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - start > seconds:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            killed = True
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    if killed or not out.exists():
        return None, elapsed, 0, "killed after the time limit" if killed else f"died (status {status})"
    code, peak_kb, crash = (out.read_text().split("\n", 2) + ["", ""])[:3]
    return int(code), elapsed, int(peak_kb or 0) // 1024, crash


def run(count: int, seed: int, seconds: float, memory_mb: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="cs_fuzz_"))
    codes: collections.Counter[tuple[str, int | None]] = collections.Counter()
    failures, slowest, biggest = [], (0.0, ""), (0, "")
    for kind, name, data in generate(count, seed):
        path = work / name
        path.write_bytes(data)
        code, elapsed, peak_mb, crash = run_one(path, seconds, memory_mb, work)
        codes[(kind, code)] += 1
        slowest = max(slowest, (elapsed, name))
        biggest = max(biggest, (peak_mb, name))
        if code not in (0, 2):
            failures.append((name, code, crash.strip().splitlines()[-1:] if crash else ""))
        path.unlink()
    return {"codes": codes, "failures": failures, "slowest": slowest, "biggest": biggest, "count": count,
            "seed": seed}


def report(result: dict[str, object], seconds: float, memory_mb: int, wall: float) -> str:
    codes: collections.Counter = result["codes"]  # type: ignore[assignment]
    kinds = sorted({k for k, _ in codes})
    lines = [(f"## {dt.datetime.now():%Y-%m-%d %H:%M}, fuzz: {result['count']:,} malformed inputs through inspect "
              f"(seed {result['seed']})"), "",
             (f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end; limits {seconds:g} s and "
              f"{memory_mb:,} MB per input; {wall:,.0f} s in all."), "",
             "| Kind | exit 0 (read) | exit 2 (refused) | other (crash, killed) |", "|---|---:|---:|---:|"]
    for kind in kinds:
        other = sum(n for (k, c), n in codes.items() if k == kind and c not in (0, 2))
        lines.append(f"| {kind} | {codes[(kind, 0)]} | {codes[(kind, 2)]} | {other} |")
    slow, big = result["slowest"], result["biggest"]
    failures: list = result["failures"]  # type: ignore[assignment]
    lines += ["", (f"Slowest input {slow[0]:.2f} s ({slow[1]}); largest peak {big[0]:,} MB resident ({big[1]}). "
                   f"{'PASS' if not failures else 'FAIL'}: {len(failures)} input(s) ended other than exit 0 or 2."), ""]
    lines += [f"- {name}: {code} {detail}" for name, code, detail in failures[:20]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--no-append", action="store_true", help="print the figures without adding them to results.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run(args.count, args.seed, args.seconds, args.memory_mb)
    text = report(result, args.seconds, args.memory_mb, time.perf_counter() - start)
    print(text)
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
