"""A seeded synthetic portfolio (accounts, usage, tickets, surveys, orders, deals) at sizes S, M and L, for the benchmarks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

VERSION = 4  # bump when the data's shape changes, so cached files are regenerated
OUT = Path(__file__).resolve().parent / "out"
AS_OF = dt.date(2025, 12, 31)  # the portfolio's "today": every date is on or before it
CHUNK_ACCOUNTS = 100_000  # L is written in chunks of this many accounts (and their rows)
# Plain values and a plain header line (pyarrow would quote the header): no generated text holds a comma or quote.
CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none")

HEADERS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id", "owner", "segment", "plan", "start_date", "end_date", "churned", "revenue", "seats"),
    "usage": ("account_id", "date", "events"),
    "tickets": ("ticket_id", "account_id", "created_at", "first_response_at", "resolved_at", "status", "priority",
                "agent", "subject", "csat"),
    "surveys": ("response_id", "account_id", "date", "nps", "csat", "comment", "ces", "rating_ease_of_use",
                "rating_support", "rating_value", "rating_reliability", "which_feature"),
    # Every page is timed with its content (issue 18.5): the Loyalty page's repeat purchase needs orders, the
    # Funnel needs deals, the Feedback page's key drivers need attribute ratings.
    "orders": ("order_id", "account_id", "date", "amount", "product", "quantity"),
    "deals": ("deal_id", "account_id", "owner", "product", "stage", "created_date", "close_date", "amount"),
}


@dataclass(frozen=True)
class Size:
    """How big a portfolio is: rows per table and the file format it is written in."""

    name: str
    accounts: int
    usage: int
    tickets: int
    surveys: int
    orders: int
    deals: int
    fmt: str  # "csv" or "parquet"

    def rows(self, table: str) -> int:
        return int(getattr(self, table))


SIZES = {
    "S": Size("S", 1_000, 50_000, 5_000, 2_000, 5_000, 1_000, "csv"),
    "M": Size("M", 100_000, 5_000_000, 500_000, 200_000, 500_000, 100_000, "csv"),
    "L": Size("L", 1_000_000, 50_000_000, 5_000_000, 2_000_000, 5_000_000, 1_000_000, "parquet"),
}

OWNERS = np.array([f"Rep {i:02d}" for i in range(1, 41)], dtype=object)
AGENTS = np.array([f"Agent {i:02d}" for i in range(1, 61)], dtype=object)
SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"], dtype=object)
PLANS = np.array(["Basic", "Pro", "Enterprise"], dtype=object)
STATUSES = np.array(["closed", "resolved", "open", "pending"], dtype=object)
PRIORITIES = np.array(["low", "normal", "high", "urgent"], dtype=object)
SUBJECTS = np.array(["Cannot log in", "Invoice question", "Export fails", "Feature request", "Slow dashboard",
                     "Add a user", "Integration error", "Data missing"], dtype=object)
COMMENTS = np.array(["Great support - thank you", "Too expensive for what we use", "Reports are slow",
                     "Easy to use", "Missing integrations we need", "Onboarding was confusing",
                     "How do I export my data?", "The new dashboard is much faster", "Billing is hard to understand",
                     "Support took days to answer", "Can we get single sign-on?", "Reliable and simple"], dtype=object)
FEATURES = np.array(["Reports", "Integrations", "Single sign-on", "Mobile app", "API", "Reports;API",
                     "Integrations;Mobile app"], dtype=object)
RATINGS = ("rating_ease_of_use", "rating_support", "rating_value", "rating_reliability")
PRODUCTS = np.array(["Seats", "API add-on", "SSO add-on", "Storage pack", "Training"], dtype=object)
PRICES = np.array([40.0, 250.0, 150.0, 60.0, 500.0])
OPEN_STAGES = np.array(["Prospecting", "Qualification", "Proposal", "Negotiation"], dtype=object)


def _ids(prefix: str, start: int, n: int, width: int) -> pa.Array:
    """Zero-padded text ids such as ``A0000001`` (the leading zeros must survive a read as text)."""
    nums = pa.array(np.arange(start, start + n, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def _days(as_of_offsets: np.ndarray) -> np.ndarray:
    """Dates (datetime64[D]) ``as_of_offsets`` days before AS_OF."""
    return np.datetime64(AS_OF, "D") - as_of_offsets.astype("timedelta64[D]")


def _pick(rng: np.random.Generator, choices: np.ndarray, n: int, p: list[float] | None = None) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(rng.choice(len(choices), n, p=p).astype(np.int32)),
                                          pa.array(list(choices))).cast(pa.string())


def _accounts(rng: np.random.Generator, start: int, n: int) -> tuple[pa.Table, dict[str, np.ndarray]]:
    ids = _ids("A", start, n, 7)
    seg = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    started = _days(rng.integers(30, 6 * 365, n))
    churned = rng.random(n) < 0.15
    ended = started + rng.integers(20, 6 * 365, n).astype("timedelta64[D]")
    ended = np.minimum(ended, np.datetime64(AS_OF, "D"))
    seats = np.round(rng.lognormal(np.array([1.5, 3.0, 4.5])[seg], 0.6)).clip(1)
    revenue = np.round(seats * np.array([25.0, 40.0, 60.0])[seg] * rng.uniform(0.8, 1.2, n), 2)
    table = pa.table({
        "account_id": ids,
        "owner": _pick(rng, OWNERS, n),
        "segment": pa.array(SEGMENTS[seg].tolist(), pa.string()),
        "plan": _pick(rng, PLANS, n, [0.5, 0.35, 0.15]),
        "start_date": pa.array(started, pa.date32()),
        "end_date": pa.array(np.where(churned, ended, np.datetime64("NaT")), pa.date32()),
        "churned": pa.array(churned),
        "revenue": pa.array(revenue),
        "seats": pa.array(seats.astype(np.int64)),
    })
    return table, {"ids": ids, "churned": churned, "ended": ended, "activity": rng.gamma(2.0, 1.0, n)}


def _owner_of(rng: np.random.Generator, acc: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Row -> account index, busier accounts getting more rows."""
    p = acc["activity"] / acc["activity"].sum()
    return rng.choice(len(p), n, p=p)


def _usage(rng: np.random.Generator, acc: dict[str, np.ndarray], n: int) -> pa.Table:
    who = np.sort(_owner_of(rng, acc, n))
    day = _days(rng.integers(0, 180, n))
    # Churned accounts stop using the product at their end date.
    gone = acc["churned"][who] & (day > acc["ended"][who])
    day = np.where(gone, acc["ended"][who] - rng.integers(0, 60, n).astype("timedelta64[D]"), day)
    events = rng.poisson(3.0 * np.where(acc["churned"][who], 0.5, 1.0) + 1.0)
    return pa.table({"account_id": acc["ids"].take(pa.array(who)), "date": pa.array(day, pa.date32()),
                     "events": pa.array(events.astype(np.int64))})


def _seconds(t: np.ndarray, hours: np.ndarray) -> np.ndarray:
    return t + (hours * 3600).astype("timedelta64[s]")


def _tickets(rng: np.random.Generator, acc: dict[str, np.ndarray], start: int, n: int) -> pa.Table:
    who = _owner_of(rng, acc, n)
    created = _days(rng.integers(0, 365, n)).astype("datetime64[s]") + rng.integers(0, 86_400, n).astype("timedelta64[s]")
    first = _seconds(created, rng.exponential(6.0, n))
    status = rng.choice(4, n, p=[0.55, 0.3, 0.1, 0.05])
    resolved = np.where(status < 2, _seconds(first, rng.exponential(30.0, n)), np.datetime64("NaT"))
    no_response = rng.random(n) < 0.03
    csat = np.where(rng.random(n) < 0.4, rng.choice(5, n, p=[0.05, 0.1, 0.15, 0.35, 0.35]) + 1.0, np.nan)
    return pa.table({
        "ticket_id": _ids("T", start, n, 8),
        "account_id": acc["ids"].take(pa.array(who)),
        "created_at": pa.array(created, pa.timestamp("s")),
        "first_response_at": pa.array(np.where(no_response, np.datetime64("NaT"), first), pa.timestamp("s")),
        "resolved_at": pa.array(resolved, pa.timestamp("s")),
        "status": pa.array(STATUSES[status].tolist(), pa.string()),
        "priority": _pick(rng, PRIORITIES, n, [0.3, 0.45, 0.2, 0.05]),
        "agent": _pick(rng, AGENTS, n),
        "subject": _pick(rng, SUBJECTS, n),
        "csat": pa.array(csat, from_pandas=True),
    })


def _surveys(rng: np.random.Generator, acc: dict[str, np.ndarray], start: int, n: int) -> pa.Table:
    who = rng.integers(0, len(acc["churned"]), n)
    lean = np.where(acc["churned"][who], -2.0, 0.5)
    nps = np.clip(np.round(rng.normal(7.5 + lean, 2.2)), 0, 10)
    nps = np.where(rng.random(n) < 0.02, np.nan, nps)  # a few blank answers
    csat = np.where(rng.random(n) < 0.7, np.clip(np.round(nps / 2.2 + rng.normal(0.6, 0.7, n)), 1, 5), np.nan)
    comment = np.where(rng.random(n) < 0.3, COMMENTS[rng.integers(0, len(COMMENTS), n)], None)
    # Attribute ratings 1-5 that move with the NPS answer, support and reliability the most (key drivers).
    mood = np.nan_to_num(nps, nan=7.0) - 7.0
    ratings = {name: np.clip(np.round(3.5 + beta * mood + rng.normal(0.0, 0.9, n)), 1, 5).astype(np.int64)
               for name, beta in zip(RATINGS, (0.10, 0.30, 0.15, 0.25))}
    # Customer effort 1-7, half answered: without it the CES field took rating_ease_of_use ("ease" is its synonym).
    ces = np.where(rng.random(n) < 0.5, np.clip(np.round(5.0 + 0.3 * mood + rng.normal(0.0, 1.0, n)), 1, 7), np.nan)
    return pa.table({
        "response_id": _ids("R", start, n, 8),
        "account_id": acc["ids"].take(pa.array(who)),
        "date": pa.array(_days(rng.integers(0, 365, n)), pa.date32()),
        "nps": pa.array(nps, from_pandas=True),
        "csat": pa.array(csat, from_pandas=True),
        "comment": pa.array(comment.tolist(), pa.string()),
        "ces": pa.array(ces, from_pandas=True),
        **{name: pa.array(values) for name, values in ratings.items()},
        "which_feature": pa.array(np.where(rng.random(n) < 0.4, FEATURES[rng.integers(0, len(FEATURES), n)],
                                           None).tolist(), pa.string()),
    })


def _orders(rng: np.random.Generator, acc: dict[str, np.ndarray], start: int, n: int) -> pa.Table:
    """Add-on purchases: busier accounts buy more often; churned accounts stop buying at their end date."""
    who = np.sort(_owner_of(rng, acc, n))
    day = _days(rng.integers(0, 730, n))
    gone = acc["churned"][who] & (day > acc["ended"][who])
    day = np.where(gone, acc["ended"][who] - rng.integers(0, 120, n).astype("timedelta64[D]"), day)
    product = rng.choice(len(PRODUCTS), n, p=[0.5, 0.15, 0.1, 0.2, 0.05])
    quantity = rng.integers(1, 6, n)
    return pa.table({
        "order_id": _ids("O", start, n, 8),
        "account_id": acc["ids"].take(pa.array(who)),
        "date": pa.array(day, pa.date32()),
        "amount": pa.array(np.round(PRICES[product] * quantity * rng.uniform(0.9, 1.1, n), 2)),
        "product": pa.array(PRODUCTS[product].tolist(), pa.string()),
        "quantity": pa.array(quantity.astype(np.int64)),
    })


def _deals(rng: np.random.Generator, acc: dict[str, np.ndarray], start: int, n: int) -> pa.Table:
    """Pipeline: closed deals are Won (30%) or Lost; those whose close date is after the as-of date are open,
    at a stage that grows with the time elapsed. A tenth have no account (new business)."""
    who = rng.integers(0, len(acc["churned"]), n)
    created = _days(rng.integers(1, 540, n))
    duration = np.clip(rng.lognormal(np.log(45), 0.6, n), 7, 200).astype(np.int64)
    closed_on = created + duration.astype("timedelta64[D]")
    is_open = closed_on > np.datetime64(AS_OF, "D")
    elapsed = (np.datetime64(AS_OF, "D") - created).astype(np.int64) / duration
    stage = np.where(is_open, OPEN_STAGES[np.minimum((4 * elapsed).astype(np.int64), 3)],
                     np.where(rng.random(n) < 0.3, "Won", "Lost"))
    account = acc["ids"].take(pa.array(who))
    return pa.table({
        "deal_id": _ids("D", start, n, 8),
        "account_id": pc.if_else(pa.array(rng.random(n) < 0.1), pa.scalar(None, pa.string()), account),
        "owner": _pick(rng, OWNERS, n),
        "product": _pick(rng, PLANS, n, [0.5, 0.35, 0.15]),
        "stage": pa.array(stage.tolist(), pa.string()),
        "created_date": pa.array(created, pa.date32()),
        "close_date": pa.array(np.where(is_open, np.datetime64("NaT"), closed_on), pa.date32()),
        "amount": pa.array(np.round(rng.lognormal(np.log(8_000), 0.8, n), -1)),
    })


def _chunks(size: Size, seed: int) -> Iterator[dict[str, pa.Table]]:
    """The portfolio in account chunks; each chunk's rows belong to its own accounts only."""
    n_chunks = max(1, -(-size.accounts // CHUNK_ACCOUNTS))
    done = {t: 0 for t in HEADERS}
    for k in range(n_chunks):
        rng = np.random.default_rng([seed, k])
        share = lambda t, k=k: size.rows(t) * (k + 1) // n_chunks - done[t]
        n = {t: share(t) for t in HEADERS}
        accounts, acc = _accounts(rng, done["accounts"] + 1, n["accounts"])
        out = {"accounts": accounts, "usage": _usage(rng, acc, n["usage"]),
               "tickets": _tickets(rng, acc, done["tickets"] + 1, n["tickets"]),
               "surveys": _surveys(rng, acc, done["surveys"] + 1, n["surveys"]),
               "orders": _orders(rng, acc, done["orders"] + 1, n["orders"]),
               "deals": _deals(rng, acc, done["deals"] + 1, n["deals"])}
        for t in HEADERS:
            done[t] += n[t]
        yield out


def paths(size: str, out: Path = OUT) -> dict[str, Path]:
    """Where each table of a size is written: ``out/<size>/<table>.<csv|parquet>``."""
    s = SIZES[size]
    return {t: out / size / f"{t}.{s.fmt}" for t in HEADERS}


def _manifest(size: Size, seed: int) -> dict[str, object]:
    return {"version": VERSION, "seed": seed, "size": asdict(size), "as_of": AS_OF.isoformat()}


def _cached(size: Size, seed: int, out: Path) -> bool:
    path = out / size.name / "manifest.json"
    if not path.exists() or not all(p.exists() for p in paths(size.name, out).values()):
        return False
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    files = saved.pop("files", {})
    return saved == _manifest(size, seed) and all(
        paths(size.name, out)[t].stat().st_size == b for t, b in files.items())


def _csv_writer(path: Path, schema: pa.Schema) -> pacsv.CSVWriter:
    sink = pa.OSFile(str(path), "wb")
    sink.write((",".join(schema.names) + "\n").encode("utf-8"))
    return pacsv.CSVWriter(sink, schema, write_options=CSV_OPTIONS)


def generate(size: str = "S", seed: int = 42, out: Path = OUT, force: bool = False) -> dict[str, Path]:
    """Write the portfolio of ``size`` (S, M or L) under ``out/<size>/`` and return the file paths.

    Deterministic for a seed. Skipped when a manifest with the same seed, size and version says the
    files are already there (and their byte sizes match). L is streamed chunk by chunk with
    ParquetWriter, so memory stays bounded by one chunk.

    Examples
    --------
    >>> # generate("S", seed=42)["usage"].name  -> 'usage.csv'
    """
    s = SIZES[size]
    where = paths(size, out)
    if not force and _cached(s, seed, out):
        return where
    (out / size).mkdir(parents=True, exist_ok=True)
    (out / size / "manifest.json").unlink(missing_ok=True)
    writers: dict[str, pq.ParquetWriter | pacsv.CSVWriter] = {}
    try:
        for chunk in _chunks(s, seed):
            for t, table in chunk.items():
                if t not in writers:
                    writers[t] = (pq.ParquetWriter(where[t], table.schema, compression="zstd") if s.fmt == "parquet"
                                  else _csv_writer(where[t], table.schema))
                writers[t].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    manifest = _manifest(s, seed) | {"files": {t: p.stat().st_size for t, p in where.items()}}
    (out / size / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return where


if __name__ == "__main__":
    import sys
    import time

    t0 = time.perf_counter()
    for name, p in generate(sys.argv[1] if len(sys.argv) > 1 else "S").items():
        print(f"{name}: {p} ({p.stat().st_size / 1e6:,.1f} MB)")
    print(f"{time.perf_counter() - t0:.1f} s")
