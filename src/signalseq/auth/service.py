"""Users (argon2id password hashes, roles) and their browser sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from signalseq.auth.models import ROLES, User, WebSession
from signalseq.errors import (
    AuthenticationFailed,
    ConflictError,
    InputRejected,
    NotFoundError,
)

MIN_PASSWORD = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
_hasher = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and timing does not tell which names exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputRejected(f"a password needs at least {MIN_PASSWORD} characters")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def add_user(session: Session, username: str, password: str, role: str, now: datetime) -> User:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InputRejected(
            f"user name {username!r}: 2–100 of a-z 0-9 . _ @ -, starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputRejected(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(f"user {name!r} already exists")
    user = User(username=name, password_hash=_hasher.hash(password), role=role, created_at=now)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, username: str, password: str) -> User:
    """New password; every session of the user ends."""
    _check_password(password)
    user = _user(session, username)
    user.password_hash = _hasher.hash(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def set_disabled(session: Session, username: str, disabled: bool = True) -> User:
    """A disabled user cannot sign in, and is signed out everywhere at once."""
    user = _user(session, username)
    user.disabled = disabled
    if disabled:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong user name or password") from None
    if user is None:
        raise AuthenticationFailed("wrong user name or password")
    if user.disabled:
        raise AuthenticationFailed("this account is disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime, hours: float) -> str:
    """A new session for ``user``; returns the cookie's token (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def resolve_session(
    session: Session, token: str | None, now: datetime
) -> tuple[User, WebSession] | None:
    if not token:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))
