"""Throttles of the web app: sign-in attempts, and the dead letters unauthenticated
requests may write. Moving windows in memory (each ``serve`` process counts its own),
counted under one lock and without threads of their own. (The `limits` library's memory
storage starts timer threads that, under a faked clock, keep the process from exiting.)
They run on the monotonic clock, never on a simulated one: a throttle protects the
running process."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

LOGIN_WINDOW_SECONDS = 15 * 60
REFUSALS_KEPT_PER_MINUTE = 20
MAX_KEYS = 10_000  # past this many, keys whose window is empty are dropped


class MovingWindow:
    """At most ``limit`` hits per key in any ``window`` seconds; a hit is counted and
    checked in one step, so parallel callers cannot all pass."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one hit: 0 when allowed, else the seconds until one is."""
        now = self._clock()
        with self._lock:
            stamps = self._hits.setdefault(key, deque())
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
            if len(stamps) >= self.limit:
                return stamps[0] + self.window - now
            stamps.append(now)
            if len(self._hits) > MAX_KEYS:
                self._forget_idle(now)
            return 0.0

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, s in self._hits.items() if not s or s[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]


class LoginLimiter:
    """Sign-in attempts per user name and per client address. An attempt is counted
    *before* the password is checked, so parallel attempts cannot all pass the check; a
    successful sign-in clears its user name's count."""

    def __init__(self, per_user: int, per_address: int):
        self._user = MovingWindow(per_user, LOGIN_WINDOW_SECONDS)
        self._address = MovingWindow(per_address, LOGIN_WINDOW_SECONDS)

    def reserve(self, user: str, address: str) -> int:
        """Count one attempt; seconds to wait when over a limit (0: check it now)."""
        for window, key in ((self._address, address), (self._user, user)):
            wait = window.hit(key)
            if wait:
                return max(1, math.ceil(wait))
        return 0

    def succeeded(self, user: str) -> None:
        self._user.clear(user)


class RefusalBudget:
    """How many refused, unauthenticated requests per client address are kept as
    dead letters a minute; past it a refusal is answered but not stored (a flood
    cannot fill the store)."""

    def __init__(self, per_minute: int = REFUSALS_KEPT_PER_MINUTE):
        self._window = MovingWindow(per_minute, 60)

    def allows(self, address: str) -> bool:
        return not self._window.hit(address)
