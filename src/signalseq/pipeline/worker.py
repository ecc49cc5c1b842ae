"""``signalseq worker``: ticks until told to stop. SIGTERM or SIGINT stops it after the
item in hand; what it had claimed and not started is handed back at once."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from signalseq.pipeline.tick import Pipeline, TickReport

log = logging.getLogger("signalseq.worker")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received: stopping after the current item", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(
    pipeline: Pipeline,
    poll_seconds: float,
    stop: threading.Event,
    on_tick: Callable[[TickReport], None] | None = None,
    max_ticks: int | None = None,
) -> int:
    """Tick every ``poll_seconds`` until ``stop`` is set; returns the number of ticks."""
    pipeline.should_stop = stop.is_set
    ticks = 0
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        ticks += 1
        try:
            report = pipeline.tick()
        except Exception:  # one bad tick must not end the worker; its leases expire
            log.exception("tick %d failed; retrying after the poll interval", ticks)
        else:
            if on_tick is not None:
                on_tick(report)
            if report.moves:
                log.info("tick %d: %s", ticks, dict(report.moves))
        stop.wait(poll_seconds)
    return ticks
