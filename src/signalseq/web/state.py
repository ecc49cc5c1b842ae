"""What the web app holds: settings, the store, the clock, and the workspace, reloaded
when its files change (so editing connectors/*.yaml, prompts/ or review/policy.yaml
needs no restart), the throttles, and the few threads that check passwords."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from signalseq.clock import Clock
from signalseq.errors import ValidationFailed
from signalseq.rules.watcher import LoadedRules, RulesWatcher
from signalseq.settings import Settings
from signalseq.store.db import Database
from signalseq.web.limiter import LoginLimiter, RefusalBudget
from signalseq.workspace.loader import Workspace, load_workspace

PASSWORD_THREADS = 2


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Clock
    _workspace: Workspace | None = None
    _failure: ValidationFailed | None = None
    _stamp: tuple[tuple[str, float], ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock)
    login_limiter: LoginLimiter = field(init=False)
    refusals: RefusalBudget = field(default_factory=RefusalBudget)
    password_checks: ThreadPoolExecutor = field(init=False)
    _watcher: RulesWatcher | None = None

    def __post_init__(self) -> None:
        self.login_limiter = LoginLimiter(
            self.settings.login_attempts, self.settings.login_attempts_per_address
        )
        # argon2 is slow by design: a burst of sign-ins waits here, never in the
        # shared request pool that serves signed-in pages
        self.password_checks = ThreadPoolExecutor(PASSWORD_THREADS, "signalseq-password")

    def rules(self) -> LoadedRules:
        """Rules, sequences and prompts (reloaded when their files change)."""
        with self._lock:
            if self._watcher is None:
                self._watcher = RulesWatcher(self.settings.workspace_path)
        return self._watcher.current()

    def _files_stamp(self) -> tuple[tuple[str, float], ...]:
        root = self.settings.workspace_path
        files = [
            root / "workspace.yaml",
            *root.glob("connectors/*.y*ml"),
            *root.glob("review/*.yaml"),
            *root.glob("delivery/*.yaml"),
            *root.glob("prompts/*"),
        ]
        return tuple(sorted((str(p), p.stat().st_mtime) for p in files if p.is_file()))

    def workspace(self) -> Workspace:
        """The workspace, loaded again only when its files change; a load that failed
        fails again at once (cached with its files' stamp), never re-parsed per request."""
        stamp = self._files_stamp()
        with self._lock:
            if stamp != self._stamp or (self._workspace is None and self._failure is None):
                self._stamp = stamp
                try:
                    self._workspace, self._failure = (
                        load_workspace(self.settings.workspace_path),
                        None,
                    )
                except ValidationFailed as exc:
                    self._workspace, self._failure = None, exc
            if self._failure is not None:
                raise self._failure
            assert self._workspace is not None
            return self._workspace
