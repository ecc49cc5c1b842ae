"""Does the recipient's domain take mail? Checked before an SMTP send (email-validator:
syntax, then MX records, else an address record, a null MX refused), once per domain per
TTL in the store, so a domain that cannot receive mail costs no reputation and one DNS
lookup, whatever the number of its contacts."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import dns.resolver
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.delivery.models import RecipientDomain
from signalseq.settings import Settings

KNOWN_GOOD_FOR = timedelta(days=7)
KNOWN_BAD_FOR = timedelta(days=1)


def resolver(settings: Settings) -> dns.resolver.Resolver:
    """A resolver on the configured servers (``SIGNALSEQ_DNS_SERVERS``), else the system's."""
    servers = [s.strip() for s in (settings.dns_servers or "").split(",") if s.strip()]
    found = dns.resolver.Resolver(configure=not servers)
    if servers:
        found.nameservers = [s.rsplit(":", 1)[0] if s.count(":") == 1 else s for s in servers]
        found.nameserver_ports = {
            s.rsplit(":", 1)[0]: int(s.rsplit(":", 1)[1]) for s in servers if s.count(":") == 1
        }
    found.lifetime = found.timeout = settings.dns_timeout
    return found


def _check(address: str, settings: Settings) -> tuple[str | None, bool]:
    """(the problem or None, whether the answer is worth keeping): a lookup that timed
    out proves nothing, so it neither blocks the send nor is remembered."""
    try:
        info = validate_email(address, check_deliverability=True, dns_resolver=resolver(settings))
    except EmailUndeliverableError as exc:
        return str(exc)[:300], True
    except EmailNotValidError as exc:
        return f"not a valid address: {exc}"[:300], True
    return None, not getattr(info, "unknown_deliverability", None)


def recipient_problem(
    session: Session, address: str, settings: Settings, now: datetime
) -> str | None:
    """Why mail to ``address`` cannot be delivered, or None (cached per domain)."""
    domain = address.rsplit("@", 1)[-1].lower()
    row = session.get(RecipientDomain, domain)
    if row is not None:
        ttl = KNOWN_BAD_FOR if row.problem else KNOWN_GOOD_FOR
        if now - ensure_utc(row.checked_at) < ttl:
            return row.problem
    problem, definitive = _check(address, settings)
    if not definitive:
        return None
    if row is not None:
        row.checked_at, row.problem = now, problem
        return problem
    with contextlib.suppress(IntegrityError), session.begin_nested():  # another worker won
        session.add(RecipientDomain(domain=domain, checked_at=now, problem=problem))
    return problem
