"""The login rate limit."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

LIMIT_WINDOW = timedelta(minutes=15)


class LoginLimiter:
    """Failed sign-ins per user name and per client address in a sliding window; past
    the limit the form answers 429 until the oldest failure ages out. In memory: each
    ``serve`` process counts its own."""

    def __init__(self, attempts: int):
        self.attempts = attempts
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, keys: list[str], now: datetime) -> int:
        """Seconds before another try is allowed (0: now)."""
        with self._lock:
            waits = [0]
            for key in keys:
                failures = self._failures[key]
                while failures and failures[0] <= now - LIMIT_WINDOW:
                    failures.popleft()
                if len(failures) >= self.attempts:
                    waits.append(int((failures[0] + LIMIT_WINDOW - now).total_seconds()) + 1)
            return max(waits)

    def failed(self, keys: list[str], now: datetime) -> None:
        with self._lock:
            for key in keys:
                self._failures[key].append(now)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)
