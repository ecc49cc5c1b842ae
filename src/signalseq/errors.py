"""The one exception hierarchy of signalseq.

Core code raises these; only ``cli`` and ``web`` translate them into exit codes and
HTTP responses. ``exit_code`` follows the CLI contract: 1 for a user error (bad input,
bad files), 2 for a usage error, 3 for an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass


class SignalseqError(Exception):
    """Base of every error signalseq raises on purpose."""

    exit_code = 1
    http_status = 400
    code = "error"


class UsageError(SignalseqError):
    """The command was called wrongly (a missing file, conflicting options)."""

    exit_code = 2
    code = "usage"


class ConfigError(SignalseqError):
    """A setting is missing or invalid."""

    code = "config"


class NotFoundError(SignalseqError):
    """Something named by the user does not exist."""

    http_status = 404
    code = "not_found"


class ConflictError(SignalseqError):
    """The action clashes with the current state (already claimed, already sent...)."""

    http_status = 409
    code = "conflict"


class PermissionDenied(SignalseqError):
    """The user is known but their role or the policy does not allow the action."""

    http_status = 403
    code = "forbidden"


class AuthenticationFailed(SignalseqError):
    """Wrong user name or password, or a disabled account."""

    http_status = 401
    code = "unauthenticated"


class StoreError(SignalseqError):
    """The database cannot be reached or is not in the expected shape."""

    exit_code = 3
    http_status = 503
    code = "store"


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a user file: ``path:line field: message``."""

    path: str
    line: int | None
    field: str
    message: str
    column: int | None = None
    snippet: str | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}{field} {self.message}"

    def render(self) -> str:
        """The one-line form plus, where known, the source line with a caret under it."""
        text = str(self)
        if self.snippet is not None and self.line is not None:
            gutter = f"{self.line:>5} | "
            caret = " " * (len(gutter) + max((self.column or 1) - 1, 0)) + "^"
            text += f"\n{gutter}{self.snippet}\n{caret}"
        return text


class ValidationFailed(SignalseqError):
    """One or more user files are invalid; carries every problem found."""

    code = "invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problems)" if more > 0 else ""))


class InputRejected(SignalseqError):
    """A single incoming record is unusable; the caller dead-letters it."""

    code = "rejected"
