"""E-mail addresses, phone numbers, LinkedIn URLs and personal names."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from nameparser import HumanName

from signalseq.errors import InputRejected

_LINKEDIN_PATH = re.compile(r"^/(?:in|pub)/([^/?#]+)", re.IGNORECASE)


def normalize_email(value: str) -> str:
    """Syntax-checked, lower-cased address; raises InputRejected when unusable."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputRejected(f"not a valid e-mail address: {value.strip()!r} ({exc})") from exc
    return str(result.normalized).lower()


def normalize_phone(value: str, country: str | None) -> str:
    """E.164 form; raises InputRejected when it cannot be a phone number."""
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException as exc:
        raise InputRejected(f"not a phone number: {value!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InputRejected(f"not a possible phone number: {value!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def linkedin_slug(value: str | None) -> str | None:
    """``https://www.linkedin.com/in/Jane-Doe-123/`` → ``jane-doe-123``."""
    if not value:
        return None
    text = value.strip()
    if "linkedin.com" not in text.lower():
        return None
    if "://" not in text:
        text = "https://" + text
    match = _LINKEDIN_PATH.match(urlsplit(text).path)
    return unquote(match.group(1)).casefold() if match else None


def split_name(full_name: str) -> tuple[str | None, str | None]:
    name = HumanName(full_name)
    return (name.first or None, name.last or None)
