"""Company domains: from URLs, hosts and e-mail addresses to the registrable domain."""

from __future__ import annotations

import re
from functools import lru_cache

import tldextract

# Offline: the public suffix list bundled with tldextract, never fetched at run time.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.co.in",
        "yahoo.fr",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "freenet.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "qq.com",
        "163.com",
        "126.com",
        "rediffmail.com",
        "orange.fr",
        "laposte.net",
        "free.fr",
        "wanadoo.fr",
        "libero.it",
        "virgilio.it",
        "btinternet.com",
        "sky.com",
        "naver.com",
        "daum.net",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
    ]
)


@lru_cache(maxsize=65536)
def normalize_domain(value: str | None) -> str | None:
    """``https://www.Acme.co.uk/about`` → ``acme.co.uk``; e-mail addresses give their domain.

    Returns None when nothing that looks like a registrable domain is found.
    """
    if not value:
        return None
    text = value.strip().lower()
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    text = _SCHEME.sub("", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if not text or " " in text:
        return None
    parts = _EXTRACT(text)
    if not parts.suffix or not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def is_free_mail(domain: str | None) -> bool:
    return domain is not None and domain in FREE_MAIL_DOMAINS


def normalize_domains(values: list[str]) -> list[str]:
    """Each entry of a user-written domain list normalized; ValueError names the first
    entry that is not a domain (for pydantic validators)."""
    domains = []
    for raw in values:
        domain = normalize_domain(raw)
        if domain is None:
            raise ValueError(f"not a domain: {raw!r}")
        domains.append(domain)
    return domains
