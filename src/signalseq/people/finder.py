"""Finding a person's address at a new employer.

In order: the address the job-change provider gave, an address the CRM already holds at
the new domain, the pattern finder (the address pattern of the domain, learned from the
contacts we hold there, on a domain with MX records), then an enrichment API
(``delivery/email_finder.yaml``). Each answer carries its source and confidence; one
under ``min_confidence`` is not used. A finder that times out or answers garbage gives a
reason, never an exception.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.resolver
import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.errors import InputRejected
from signalseq.normalize.domains import is_free_mail, normalize_domain
from signalseq.normalize.people import normalize_email
from signalseq.people.employments import Address
from signalseq.people.schema import EmailFinderFile, HttpFinderSettings, PatternSettings

if TYPE_CHECKING:
    from signalseq.workspace.loader import Workspace

MAX_ANSWER_BYTES = 65536
MAX_EXAMPLES = 500
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# letters NFKD does not take apart
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
                       "ı": "i"})  # fmt: skip

# local-part templates over {first}, {last} and their initials {fi}, {li}
TEMPLATES: dict[str, str] = {
    "first.last": "{first}.{last}",
    "firstlast": "{first}{last}",
    "flast": "{fi}{last}",
    "f.last": "{fi}.{last}",
    "first_last": "{first}_{last}",
    "first-last": "{first}-{last}",
    "last.first": "{last}.{first}",
    "lastf": "{last}{fi}",
    "firstl": "{first}{li}",
    "first": "{first}",
    "last": "{last}",
}


def local_part(template: str, first: str, last: str) -> str:
    return TEMPLATES[template].format(first=first, last=last, fi=first[:1], li=last[:1])


@dataclass
class FindResult:
    address: Address | None
    reasons: list[str] = field(default_factory=list)  # why each finder found nothing

    @property
    def summary(self) -> str:
        if self.address is not None:
            return f"{self.address.email} ({self.address.source}, {self.address.confidence:.2f})"
        return "no address: " + ("; ".join(self.reasons) or "no finder configured")


def ascii_names(name: str | None) -> list[str]:
    """Spellings of a name part as a mailbox would have it: 'Müller' → mueller, muller."""
    if not name:
        return []
    found = []
    for text in (name.casefold().translate(_GERMAN).translate(_FOLD),
                 name.casefold().translate(_FOLD)):  # fmt: skip
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        plain = re.sub(r"[^a-z]", "", plain)
        if plain and plain not in found:
            found.append(plain)
    return found


def learn_pattern(
    examples: list[tuple[str | None, str | None, str]],
) -> tuple[str, int, int, str] | None:
    """The template most examples (first, last, local part) follow: (template, matches,
    examples, spelling) — spelling ``german`` when umlauts were written out as ae/oe/ue."""
    votes: Counter[str] = Counter()
    spelling: Counter[str] = Counter()
    usable = 0
    for first, last, local in examples:
        firsts, lasts = ascii_names(first), ascii_names(last)
        if not firsts or not lasts:
            continue
        usable += 1
        fitting = {
            name
            for name in TEMPLATES
            for given in firsts
            for family in lasts
            if local_part(name, given, family) == local
        }
        votes.update(fitting)
        if fitting and (len(firsts) > 1 or len(lasts) > 1):
            german = any(local_part(name, firsts[0], lasts[0]) == local for name in fitting)
            spelling["german" if german else "plain"] += 1
    if not votes:
        return None
    # the most specific template wins a tie (first.last over first when both fit)
    order = list(TEMPLATES)
    template, count = max(votes.items(), key=lambda kv: (kv[1], -order.index(kv[0])))
    style = spelling.most_common(1)[0][0] if spelling else "german"
    return template, count, usable, style


def has_mx(domain: str, settings: PatternSettings) -> str | None:
    """None when the domain publishes MX records, else why not."""
    resolver = dns.resolver.Resolver(configure=not settings.nameservers)
    if settings.nameservers:
        resolver.nameservers = list(settings.nameservers)
        resolver.port = settings.port
    resolver.lifetime = settings.timeout
    resolver.timeout = settings.timeout
    try:
        answer = resolver.resolve(domain, "MX")
    except dns.resolver.NXDOMAIN:
        return f"{domain} does not exist (NXDOMAIN)"
    except dns.resolver.NoAnswer:
        return f"{domain} publishes no MX record"
    except dns.exception.Timeout:
        return f"MX lookup of {domain} timed out after {settings.timeout:g}s"
    except dns.exception.DNSException as exc:
        return f"MX lookup of {domain} failed: {type(exc).__name__}"
    hosts = [str(r.exchange).rstrip(".") for r in answer]
    if not any(hosts):
        return f"{domain} refuses mail (null MX)"
    return None


def pattern_address(
    session: Session, first: str | None, last: str | None, domain: str, settings: PatternSettings
) -> Address | str:
    rows = session.execute(
        select(Contact.first_name, Contact.last_name, Contact.email)
        .where(func.lower(Contact.email).like(f"%@{domain}"))
        .limit(MAX_EXAMPLES)
    ).all()
    examples = [(given, family, e.rsplit("@", 1)[0]) for given, family, e in rows if e]
    learned = learn_pattern(examples)
    if learned is None or learned[1] < settings.min_examples:
        found = learned[1] if learned else 0
        return f"pattern: {found} of the {settings.min_examples} examples needed at {domain}"
    template, matches, usable, style = learned
    names = [ascii_names(first), ascii_names(last)]
    if not names[0] or not names[1]:
        return "pattern: the person's first and last name are needed"
    pick = 0 if style == "german" else -1
    local = local_part(template, names[0][pick], names[1][pick])
    share = matches / max(usable, 1)
    detail = f"{template}, learned from {matches} of {usable} contacts at {domain}"
    confidence = 0.5 + 0.3 * share
    if settings.check_mx:
        problem = has_mx(domain, settings)
        if problem is not None:
            return f"pattern: {problem}"
        confidence += 0.15
        detail += "; MX found"
    else:
        detail += "; MX not checked"
    return Address(f"{local}@{domain}", "pattern", round(min(confidence, 0.95), 2), detail)


def http_address(
    first: str | None,
    last: str | None,
    full_name: str,
    domain: str,
    settings: HttpFinderSettings,
    transport: httpx.BaseTransport | None = None,
) -> Address | str:
    """Ask an enrichment API: GET url?first_name=&last_name=&full_name=&domain=, answered
    with JSON ``{"email": ..., "confidence": 0..1 or 0..100}``."""
    headers = {"Accept": "application/json"}
    if settings.api_key_env:
        key = os.environ.get(settings.api_key_env)
        if not key:
            return f"http: the environment variable {settings.api_key_env} is not set"
        headers["Authorization"] = f"Bearer {key}"
    params = {"first_name": first or "", "last_name": last or "", "full_name": full_name,
              "domain": domain}  # fmt: skip
    try:
        with (
            httpx.Client(timeout=settings.timeout, transport=transport) as client,
            client.stream("GET", settings.url, params=params, headers=headers) as response,
        ):
            if response.status_code == 404:
                return "http: the provider knows no address"
            if response.status_code == 429:
                wait = response.headers.get("Retry-After", "?")[:20]
                return f"http: the provider is rate limiting (Retry-After {wait})"
            if response.status_code != 200:
                return f"http: the provider answered {response.status_code}"
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    return "http: the answer is too large"
    except httpx.TimeoutException:
        return f"http: no answer within {settings.timeout:g}s"
    except httpx.HTTPError as exc:
        return f"http: {type(exc).__name__}"
    return _read_answer(body, domain)


def _read_answer(body: bytes, domain: str) -> Address | str:
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "http: the answer is not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return "http: the answer has no email"
    raw = data.get("confidence", data.get("score", 0.7))
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return "http: the confidence is not a number"
    confidence = float(raw) / 100 if raw > 1 else float(raw)
    if not 0 <= confidence <= 1:
        return "http: the confidence is out of range"
    try:
        email = normalize_email(data["email"][:320])
    except InputRejected:
        return "http: the address is not valid"
    if not at_domain(email, domain):
        return f"http: the address is not at {domain}"
    return Address(email, "http", round(confidence, 2), "enrichment API")


def at_domain(email: str, domain: str) -> bool:
    host = email.rsplit("@", 1)[-1].lower()
    return host == domain or host.endswith("." + domain)


def provider_address(value: Any, domain: str | None) -> Address | str | None:
    """The work address a job-change provider gave, when it is at the new employer."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        email = normalize_email(value[:320])
    except InputRejected:
        return "provider: the address is not valid"
    host = normalize_domain(email.rsplit("@", 1)[-1])
    if is_free_mail(host):
        return "provider: a free-mail address is not a work address"
    if domain is None or not at_domain(email, domain):
        return f"provider: {email} is not at the new employer's domain"
    return Address(email, "provider", 0.9, "given by the job-change provider")


@dataclass
class EmailFinder:
    """The finders a workspace configures (``delivery/email_finder.yaml``)."""

    config: EmailFinderFile = field(default_factory=EmailFinderFile)
    transport: httpx.BaseTransport | None = None  # tests and the demo may swap it

    @classmethod
    def for_workspace(cls, workspace: Workspace | None) -> EmailFinder:
        loaded = workspace.one("email_finder") if workspace is not None else None
        return cls(loaded.model if loaded else EmailFinderFile())

    def find(
        self,
        session: Session,
        contact: Contact,
        domain: str | None,
        given: Any = None,
    ) -> FindResult:
        result = FindResult(None)
        if domain is None:
            result.reasons.append("the new employer's domain is unknown")
            return result
        candidates: list[Callable[[], Address | str | None]] = [
            lambda: provider_address(given, domain),
            lambda: self._held(contact, domain),
        ]
        if self.config.pattern.enabled:
            candidates.append(
                lambda: pattern_address(
                    session, contact.first_name, contact.last_name, domain, self.config.pattern
                )
            )
        if self.config.http is not None:
            http = self.config.http
            candidates.append(
                lambda: http_address(
                    contact.first_name,
                    contact.last_name,
                    contact.full_name,
                    domain,
                    http,
                    self.transport,
                )  # fmt: skip
            )
        for candidate in candidates:
            found = candidate()
            if isinstance(found, Address):
                owner = session.scalar(
                    select(Contact.id).where(Contact.email == found.email, Contact.id != contact.id)
                )
                if owner is not None:
                    result.reasons.append(f"{found.source}: {found.email} is contact #{owner}'s")
                elif found.confidence < self.config.min_confidence:
                    result.reasons.append(
                        f"{found.source}: {found.email} at confidence {found.confidence:.2f}, "
                        f"under {self.config.min_confidence:.2f}"
                    )
                else:
                    result.address = found
                    return result
            elif found:
                result.reasons.append(found)
        return result

    @staticmethod
    def _held(contact: Contact, domain: str) -> Address | None:
        """An address at the new domain the CRM already gave this contact."""
        if contact.email and at_domain(contact.email, domain):
            return Address(contact.email, contact.email_source or "crm",
                           contact.email_confidence or 1.0, "already held")  # fmt: skip
        return None
