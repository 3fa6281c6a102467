"""Peak memory of one call, measured at the allocator of each library.

Both measurements count the bytes an array library allocates during one call above what it
held when the call started (parameters, gradients and optimiser state, allocated by an earlier
warm-up call, are the baseline); the peak is the largest sum of live allocations in between.

* juanji: NumPy reports every array allocation to ``tracemalloc`` (domain 389047), so the
  peak of ``tracemalloc.get_traced_memory()`` over the call is the peak of NumPy's buffers
  (plus the small Python objects tracemalloc also counts).
* PyTorch: ``torch.profiler`` with ``profile_memory=True`` records every allocation and free
  of its CPU allocator as a ``[memory]`` event with a signed byte count; their running sum in
  time order peaks at the same quantity.

Resident-set size would count what malloc keeps after ``free`` and what other threads do, and a
fresh process would count first-call caches; the allocator view compares like with like.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (the profiler's C++ start/stop lines) for the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (a captured stream): nothing to silence
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def peak_bytes_juanji(call: Callable[[], Any]) -> int:
    """Peak bytes allocated during ``call()`` above the start, via ``tracemalloc``."""
    call()  # warm-up: gradients and optimiser state exist before the measured call
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        return max(0, tracemalloc.get_traced_memory()[1] - base)
    finally:
        if not started:
            tracemalloc.stop()


def peak_bytes_torch(call: Callable[[], Any]) -> int | None:
    """Peak bytes PyTorch's CPU allocator holds during ``call()`` above the start.

    Returns None when this PyTorch's profiler does not expose its memory events.
    """
    from torch.profiler import ProfilerActivity, profile  # noqa: PLC0415 - optional

    call()
    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        call()
    try:
        events = prof.profiler.kineto_results.events()
        changes = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    except AttributeError:
        return None
    live = peak = 0
    for _, nbytes in changes:
        live += nbytes
        peak = max(peak, live)
    return peak
