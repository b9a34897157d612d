"""Customer-success analytics logic: reading exports, mapping, scoring and metrics (no UI)."""

import os

# Arrow's allocator (mimalloc) keeps freed memory for a while before giving it back. Reading a 110 MB CSV
# frees several hundred MB of short-lived blocks, so the process held ~150 MB more than it used (peak
# 780-860 MB for the benchmark's M files, 650 MB with this). mimalloc reads its options once, when pyarrow
# loads: import cs_logic before pandas or pyarrow (app.py and bench do; an explicit setting is kept).
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
# No transparent huge pages in its arenas: with them a block's memory is held in 2 MB pages, partly unused
# (peak of the M files: 531 -> 519 MB; the usage file's ingest takes ~0.07 s longer, from more page faults).
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")
