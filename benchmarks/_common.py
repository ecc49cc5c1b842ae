"""Helpers shared by the benchmarks: temporary stores, timing, peak memory."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    )


def race_processes(target: Callable[..., None], args: list[tuple[object, ...]]) -> float:
    """Start one spawned process per ``args`` (each gets a start event as its last
    argument), let them import and connect, then release them at once; the seconds
    until the last one ends."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [context.Process(target=target, args=(*a, start)) for a in args]
    for process in processes:
        process.start()
    time.sleep(3)  # imports and connections before the clock starts
    began = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
    return time.perf_counter() - began
