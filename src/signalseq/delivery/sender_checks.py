"""Is a mailbox's sending domain set up so mailbox providers accept its mail?

Per sending domain: SPF (a record authorizing the SMTP server's addresses, evaluated with
RFC 7208's limit of 10 lookups), DKIM (the selector's public key published), DMARC (a
policy, and From aligned with SPF and DKIM), MX (replies and bounces come back), and
the one-click unsubscribe URL (https, on a host that resolves). Each check gives a
verdict — ok, warn or fail — and what to fix.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.resolver

from signalseq.delivery.mailboxes import Mailbox

SPF_LOOKUP_LIMIT = 10


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # ok, warn, fail
    detail: str
    fix: str = ""


@dataclass
class DomainReport:
    mailbox: str
    domain: str
    checks: list[Check] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        found = {c.verdict for c in self.checks}
        return "fail" if "fail" in found else "warn" if "warn" in found else "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"mailbox": self.mailbox, "domain": self.domain, "verdict": self.verdict,
                "checks": [asdict(c) for c in self.checks]}  # fmt: skip


class _Dns:
    def __init__(self, resolver: dns.resolver.Resolver):
        self.resolver = resolver
        self.lookups = 0

    def txt(self, name: str) -> list[str] | None:
        """TXT strings at ``name``; None when the name does not exist or did not answer."""
        answer = self._ask(name, "TXT")
        if answer is None:
            return None
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    def addresses(self, name: str) -> list[str]:
        found = []
        for kind in ("A", "AAAA"):
            answer = self._ask(name, kind)
            found += [r.to_text() for r in answer or []]
        return found

    def mx(self, name: str) -> list[str]:
        answer = self._ask(name, "MX")
        return [str(r.exchange).rstrip(".") for r in answer or []]

    def _ask(self, name: str, kind: str) -> dns.resolver.Answer | list[Any] | None:
        self.lookups += 1
        try:
            return self.resolver.resolve(name, kind)
        except dns.resolver.NoAnswer:
            return []
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers, dns.exception.Timeout):
            return None
        except dns.exception.DNSException:
            return None


def _spf_allows(dns_: _Dns, domain: str, ips: list[str], depth: int = 0) -> tuple[bool, str]:
    """Whether the domain's SPF record authorizes every one of ``ips`` (a pass)."""
    records = [t for t in dns_.txt(domain) or [] if t.lower().startswith("v=spf1")]
    if len(records) != 1:
        return False, f"{domain}: {len(records)} SPF records"
    pending = {ip for ip in ips}
    for term in records[0].split()[1:]:
        if dns_.lookups > SPF_LOOKUP_LIMIT + 4:  # the record's lookups, plus our own
            return False, f"{domain}: more than {SPF_LOOKUP_LIMIT} DNS lookups (permerror)"
        qualifier = term[0] if term[0] in "+-~?" else "+"
        mechanism = term.lstrip("+-~?").lower()
        matched: set[str] = set()
        if mechanism.startswith(("ip4:", "ip6:")):
            network = ipaddress.ip_network(mechanism[4:], strict=False)
            matched = {ip for ip in pending if ipaddress.ip_address(ip) in network}
        elif mechanism in ("a", "mx") or mechanism.startswith(("a:", "mx:")):
            target = mechanism.split(":", 1)[1] if ":" in mechanism else domain
            hosts = dns_.mx(target) if mechanism.startswith("mx") else [target]
            allowed = {a for host in hosts for a in dns_.addresses(host)}
            matched = pending & allowed
        elif mechanism.startswith("include:") and depth < 5:
            target = mechanism.split(":", 1)[1]
            matched = {ip for ip in pending if _spf_allows(dns_, target, [ip], depth + 1)[0]}
        elif mechanism == "all":
            matched = set(pending)
        if matched:
            if qualifier != "+":
                return False, f"{domain}: {sorted(matched)[0]} meets {term!r}"
            pending -= matched
        if not pending:
            return True, f"{domain}: {records[0]}"
    return False, f"{domain}: {records[0]} does not name {sorted(pending)[0]}"


def check_domain(
    mailbox: Mailbox, resolver: dns.resolver.Resolver, public_url: str, dkim_selector: str | None
) -> DomainReport:
    dns_ = _Dns(resolver)
    domain = mailbox.domain
    report = DomainReport(mailbox.id, domain)
    add = report.checks.append
    if mailbox.smtp is not None:
        host = mailbox.smtp.host
        try:
            ips = [str(ipaddress.ip_address(host))]
        except ValueError:
            ips = dns_.addresses(host)
        if not ips:
            add(Check("spf", "fail", f"the SMTP host {host} does not resolve",
                      f"check the mailbox's smtp.host ({host})"))  # fmt: skip
        else:
            dns_.lookups = 0
            allowed, detail = _spf_allows(dns_, domain, ips)
            add(Check("spf", "ok" if allowed else "fail", detail, "" if allowed else
                      f"publish one TXT record at {domain}: v=spf1 include:<your provider> -all "
                      f"naming {host}'s addresses ({', '.join(ips[:3])})"))  # fmt: skip
    if dkim_selector:
        name = f"{dkim_selector}._domainkey.{domain}"
        keys = [t for t in dns_.txt(name) or [] if "p=" in t]
        key = _dkim_key(keys[0]) if keys else None
        add(Check("dkim", "ok" if key else "fail",
                  f"{name}: " + ("public key published" if key else "no usable public key"),
                  "" if key else f"publish the DKIM key your provider gives you at {name}"))  # fmt: skip
    else:
        add(Check("dkim", "warn", "no DKIM selector configured, so the key was not checked",
                  "set dkim_selector on the mailbox in delivery/mailboxes.yaml"))  # fmt: skip
    add(_dmarc(dns_, domain))
    exchangers = dns_.mx(domain)
    add(Check("mx", "ok" if exchangers else "fail",
              f"{domain}: " + (", ".join(exchangers[:3]) if exchangers else "no MX record"),
              "" if exchangers else f"publish MX records for {domain}: replies and bounces "
              "must reach you"))  # fmt: skip
    add(_one_click(dns_, public_url))
    return report


def _dkim_key(record: str) -> bytes | None:
    tags = dict(p.strip().split("=", 1) for p in record.split(";") if "=" in p)
    value = "".join(tags.get("p", "").split())
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) >= 64 else None


def _dmarc(dns_: _Dns, domain: str) -> Check:
    records = [t for t in dns_.txt(f"_dmarc.{domain}") or [] if t.lower().startswith("v=dmarc1")]
    if len(records) != 1:
        return Check("dmarc", "fail", f"_dmarc.{domain}: {len(records)} DMARC records",
                     f"publish one TXT record at _dmarc.{domain}: v=DMARC1; p=quarantine; "
                     "rua=mailto:<you>")  # fmt: skip
    tags = {k.strip().lower(): v.strip() for k, v in
            (p.split("=", 1) for p in records[0].split(";") if "=" in p)}  # fmt: skip
    policy = tags.get("p", "none").lower()
    strict = [t for t in ("adkim", "aspf") if tags.get(t, "r").lower() == "s"]
    detail = f"p={policy}, alignment {'strict: ' + ', '.join(strict) if strict else 'relaxed'}"
    if policy == "none":
        return Check("dmarc", "warn", detail + " (monitoring only)",
                     "move to p=quarantine once reports show your mail passes")  # fmt: skip
    return Check(
        "dmarc", "ok", detail + "; From is the mailbox's own domain, so SPF and DKIM align"
    )


def _one_click(dns_: _Dns, public_url: str) -> Check:
    parts = urlsplit(public_url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        return Check("one_click", "fail", f"{public_url} is not https",
                     "set SIGNALSEQ_PUBLIC_URL to the https:// address of `signalseq serve`")  # fmt: skip
    if not dns_.addresses(host):
        return Check("one_click", "fail", f"{host} does not resolve",
                     f"publish an address record for {host}")  # fmt: skip
    return Check("one_click", "ok", f"{public_url} is https and {host} resolves")


def check_mailboxes(
    mailboxes: list[Mailbox], resolver: dns.resolver.Resolver, public_url: str
) -> list[DomainReport]:
    """One report per SMTP mailbox (an outbox mailbox sends nothing to check)."""
    return [
        check_domain(m, resolver, public_url, m.dkim_selector)
        for m in mailboxes
        if m.transport == "smtp"
    ]
