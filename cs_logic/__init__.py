"""Customer-success analytics logic: reading exports, mapping, scoring and metrics (no UI)."""

import ctypes
import ctypes.util
import os
import sys

# Arrow's allocator (mimalloc) keeps freed memory for a while before giving it back. Reading a 110 MB CSV
# frees several hundred MB of short-lived blocks, so the process held ~150 MB more than it used (peak
# 780-860 MB for the benchmark's M files, 650 MB with this). mimalloc reads its options once, when pyarrow
# loads: import cs_logic before pandas or pyarrow (app.py and bench do; an explicit setting is kept).
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
# No transparent huge pages in its arenas: with them a block's memory is held in 2 MB pages, partly unused
# (peak of the M files: 531 -> 519 MB; the usage file's ingest takes ~0.07 s longer, from more page faults).
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")


def _large_blocks_mapped(threshold: int = 1 << 20) -> None:
    """Have glibc's malloc map every block of ``threshold`` bytes or more on its own, and unmap it when freed.

    numpy and pandas take their arrays from malloc. By default glibc raises its mapping threshold to the size
    of each mapped block freed (up to 32 MB), so after the first few a page's 8-32 MB arrays come from the
    heaps instead, and a heap keeps memory freed below its top: at the L portfolio the server held 0.5-0.9 GB
    more after each page than its results. A fixed threshold turns that adjustment off. Linux with glibc only
    (elsewhere mallopt is missing or ignores it).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, threshold)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


_large_blocks_mapped()
