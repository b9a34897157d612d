"""The SQL box's worker process: one query on a read-only copy of the session's tables, memory capped.

Run as ``python -m cs_logic.metrics.sqlworker`` by ``explore.run_sql_isolated``, never inside the server: DuckDB
builds a whole vector (2,048 rows) before the first batch can be counted against the byte budget, and its
memory_limit does not cover that (``SELECT repeat('x', 1000000) FROM range(10000)`` took the server to 2.1 GB).
Here the address space is capped (RLIMIT_AS, set after start-up so the cap is the query's own room), so such a
query ends this process, not the app.

Protocol. stdin: one JSON request (see :func:`run`). stdout: an Arrow IPC stream of the result, within the byte
budget (the last batch is cut to fit, so the parent never receives more). stderr: the last line is
``STATUS_PREFIX`` + JSON, one of ``{"ok": true, "cut": bool, "rows": n}``, ``{"refused": why}``,
``{"failed": why}``, ``{"timeout": true}``, ``{"memory": true}``. This module imports no pandas: the worker
starts once per query.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

import duckdb
import pyarrow as pa

from cs_logic.metrics.sqlcheck import limited

STATUS_PREFIX = "SQLBOX_STATUS "


def _vm_bytes() -> int | None:
    """This process's mapped address space (Linux), or None where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cap_memory(memory_mb: int) -> bool:
    """Cap the address space at what is mapped now plus ``memory_mb``; False where that is not possible.

    Relative to now, because Python, DuckDB and Arrow already map about 1 GB of address space they never touch
    (thread stacks, allocator arenas): an absolute 1 GB cap would refuse every query.
    """
    try:
        import resource
    except ImportError:  # Windows
        return False
    vm = _vm_bytes()
    if vm is None:
        return False
    cap = vm + int(memory_mb) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return True


def rows_within(batch: pa.RecordBatch, room: int) -> int:
    """How many leading rows of ``batch`` fit in ``room`` bytes (Arrow's count of the slice).

    >>> rows_within(pa.record_batch([pa.array(["x" * 100] * 10)], names=["t"]), 350)
    3
    """
    lo, hi = 0, batch.num_rows
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if batch.slice(0, mid).nbytes <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _is_memory(exc: BaseException) -> bool:
    return isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)) or "out of memory" in str(exc).casefold()


def run(request: dict[str, Any], out: IO[bytes]) -> dict[str, Any]:
    """Open the copy, rebuild the filter views, lock it, cap memory, run the checked query; the status.

    ``request`` keys: path (the copy), names (what the query may read), setup ([sql, params] pairs), sql,
    row_limit, byte_limit, batch_rows, timeout_ms, memory_mb, threads, spill (a folder for DuckDB's spill).
    """
    try:
        con = _open(request)
        query, problem = limited(con, request["sql"], int(request["row_limit"]), request["names"])
        if query is None:
            return {"refused": problem}
        return _stream(con, query, out, int(request["byte_limit"]), int(request["batch_rows"]))
    except duckdb.InterruptException:
        return {"timeout": True}
    except (duckdb.Error, MemoryError, OSError, ValueError, TypeError, OverflowError) as exc:
        if _is_memory(exc):
            return {"memory": True}
        return {"failed": str(exc).strip()[:500]}


def _open(request: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """The copy, read-only and locked like the session's database, with the filter views; memory capped after."""
    con = duckdb.connect(request["path"], read_only=True, config={
        "memory_limit": f"{max(64, int(request['memory_mb']) // 2)}MB",
        "threads": str(int(request["threads"])),
        "enable_external_access": "false",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "python_enable_replacements": "false",
        "max_execution_time": str(int(request["timeout_ms"])),
        "temp_directory": request["spill"],
        "max_temp_directory_size": "2GB",
    })
    for sql, params in request["setup"]:
        con.execute(sql, params)
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")
    cap_memory(int(request["memory_mb"]))
    return con


def _stream(con: duckdb.DuckDBPyConnection, query: str, out: IO[bytes], byte_limit: int, batch_rows: int) -> dict[str, Any]:
    """Write the result as Arrow IPC until ``byte_limit`` bytes; the batch that would pass it is cut to fit."""
    reader = con.sql(query).to_arrow_reader(batch_rows)
    size, rows, cut = 0, 0, False
    try:
        with pa.ipc.new_stream(out, reader.schema) as writer:
            for batch in reader:
                if size + batch.nbytes > byte_limit:
                    keep = rows_within(batch, byte_limit - size)
                    if keep:
                        writer.write_batch(batch.slice(0, keep))
                    rows, cut = rows + keep, True
                    break
                writer.write_batch(batch)
                size, rows = size + batch.nbytes, rows + batch.num_rows
    finally:
        reader.close()
    return {"ok": True, "cut": cut, "rows": rows}


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    try:
        status = run(request, sys.stdout.buffer)
    except MemoryError:
        status = {"memory": True}
    sys.stdout.buffer.flush()
    sys.stderr.write(STATUS_PREFIX + json.dumps(status) + "\n")
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    os._exit(main())  # no interpreter teardown: DuckDB's threads and a capped heap have nothing to flush
