"""Throttles of the web app: sign-in attempts, and the dead letters unauthenticated
requests may write. Moving windows from the `limits` library, in memory: each
``serve`` process counts its own. They run on the wall clock (the library's own time
base), never on a simulated one: a throttle protects the running process."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

LOGIN_WINDOW_MINUTES = 15
REFUSALS_KEPT_PER_MINUTE = 20


class LoginLimiter:
    """Sign-in attempts per user name and per client address. An attempt is counted
    *before* the password is checked, atomically, so parallel attempts cannot all pass
    the check; a successful sign-in clears its user name's count."""

    def __init__(self, per_user: int, per_address: int):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._user = RateLimitItemPerMinute(per_user, LOGIN_WINDOW_MINUTES)
        self._address = RateLimitItemPerMinute(per_address, LOGIN_WINDOW_MINUTES)

    def reserve(self, user: str, address: str) -> int:
        """Count one attempt; seconds to wait when over a limit (0: check it now)."""
        for item, key in ((self._address, f"addr:{address}"), (self._user, f"user:{user}")):
            if not self._limiter.hit(item, "login", key):
                reset = self._limiter.get_window_stats(item, "login", key).reset_time
                return max(1, math.ceil(reset - time.time()))  # the library's epoch seconds
        return 0

    def succeeded(self, user: str) -> None:
        self._limiter.clear(self._user, "login", f"user:{user}")


class RefusalBudget:
    """How many refused, unauthenticated requests per client address are kept as
    dead letters a minute; past it a refusal is answered but not stored (a flood
    cannot fill the store)."""

    def __init__(self, per_minute: int = REFUSALS_KEPT_PER_MINUTE):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._item = RateLimitItemPerMinute(per_minute, 1)

    def allows(self, address: str) -> bool:
        return self._limiter.hit(self._item, "refused", address)
