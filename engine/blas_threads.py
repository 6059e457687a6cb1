"""Run the fit's dense factorizations on one BLAS thread.

The rest block of a crossed model is a dense Cholesky of a few hundred to a few
thousand rows, repeated ~100 times. On the 2-core machines this project runs on,
OpenBLAS's second thread gains at most ~1.5x there, while on a busy machine its
threads wait for each other and the same factorization becomes 3-10x slower
(measured: 1,159 rows, 52-74 ms on one thread against 170-670 ms on two under load).
The thread count is set through OpenBLAS's own C entry points (found in the shared
libraries numpy and scipy loaded) and restored afterwards; where they cannot be
found nothing is changed.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

#: Threads the fit's dense algebra runs on; None leaves OpenBLAS's own setting alone
#: (benchmarks that want to compare thread counts set this).
FIT_BLAS_THREADS: int | None = 1

_PREFIXES = ("openblas", "scipy_openblas")
_SUFFIXES = ("", "64_")


@lru_cache(maxsize=1)
def _controls() -> tuple[tuple[object, object], ...]:
    """(getter, setter) pairs of every loaded OpenBLAS library."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return ()
    paths = {
        line.split()[-1]
        for line in maps.read_text().splitlines()
        if "openblas" in line.lower() and line.split()[-1].startswith("/")
    }
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    getter.restype = ctypes.c_int
                    found.append((getter, setter))
    return tuple(found)


@contextmanager
def fit_blas_threads() -> Iterator[None]:
    """Within the block OpenBLAS uses ``FIT_BLAS_THREADS`` threads; the previous counts
    come back after."""
    threads = FIT_BLAS_THREADS
    controls = _controls() if threads is not None else ()
    # only the libraries not already on that count are switched (and switched back)
    changed = [(setter, count) for getter, setter in controls if (count := getter()) != threads]
    for setter, _ in changed:
        setter(threads)
    try:
        yield
    finally:
        for setter, count in changed:
            setter(count)
