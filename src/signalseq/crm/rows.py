"""One CSV row → the typed values of an account or a contact, or a located rejection."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from signalseq.crm.columns import attribute_name
from signalseq.crm.csvfile import CsvRecord
from signalseq.errors import InputRejected
from signalseq.normalize.companies import normalize_company_name
from signalseq.normalize.domains import is_free_mail, normalize_domain
from signalseq.normalize.people import linkedin_slug, normalize_email, normalize_phone, split_name
from signalseq.normalize.places import is_timezone, normalize_country, timezone_for_country
from signalseq.normalize.titles import DEPARTMENTS, SENIORITIES, classify_title

_TRUE = {"true", "yes", "y", "1", "x", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


class RowRejected(InputRejected):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass
class Row:
    record: CsvRecord
    mapping: dict[str, list[str]]
    extra_headers: list[str]

    def get(self, field: str) -> str | None:
        """The field's value; a mapped field is one line of text (names and titles end
        up in mail headers), so a line break or control character refuses the row."""
        for header in self.mapping.get(field, []):
            value = self.record.values.get(header, "").strip()
            if value:
                if CONTROL.search(value):
                    raise RowRejected(header, "contains a line break or control character")
                return value
        return None

    def header(self, field: str) -> str:
        return self.mapping.get(field, [field])[0]

    def attributes(self) -> dict[str, Any]:
        return {
            attribute_name(h): self.record.values[h].strip()
            for h in self.extra_headers
            if self.record.values.get(h, "").strip()
        }


def _bool(row: Row, field: str) -> bool | None:
    value = row.get(field)
    if value is None:
        return None
    text = value.casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text.isdigit():
        return int(text) > 0
    raise RowRejected(row.header(field), f"expected yes/no, got {value!r}")


def _int(row: Row, field: str, low: int, high: int) -> int | None:
    value = row.get(field)
    if value is None:
        return None
    match = re.search(r"\d[\d,.\s]*", value)
    if not match:
        raise RowRejected(row.header(field), f"expected a whole number, got {value!r}")
    digits = re.sub(r"[,.\s]", "", match.group(0))
    number = int(digits)
    if not low <= number <= high:
        raise RowRejected(row.header(field), f"must be between {low} and {high}, got {value!r}")
    return number


def _country(row: Row) -> str | None:
    value = row.get("country")
    if value is None:
        return None
    code = normalize_country(value)
    if code is None:
        raise RowRejected(row.header("country"), f"unknown country {value!r}")
    return code


def _timezone(row: Row, country: str | None) -> str | None:
    value = row.get("timezone")
    if value is None:
        return timezone_for_country(country)
    if not is_timezone(value):
        raise RowRejected(row.header("timezone"), f"unknown time zone {value!r}")
    return value


def account_values(row: Row) -> dict[str, Any]:
    raw_domain = row.get("domain")
    domain = normalize_domain(raw_domain)
    if raw_domain and domain is None:
        raise RowRejected(row.header("domain"), f"not a domain or URL: {raw_domain!r}")
    crm_id = row.get("crm_id")
    if domain is None and crm_id is None:
        raise RowRejected(row.header("domain"), "missing: a domain (or CRM id) is required")
    name = row.get("name") or domain or ""
    if not name:
        raise RowRejected(row.header("name"), "missing: a company name is required")
    country = _country(row)
    is_customer = _bool(row, "is_customer")
    if is_customer is None:
        lifecycle = (row.get("lifecycle") or "").casefold()
        is_customer = "customer" in lifecycle and "prospect" not in lifecycle
    return {
        "domain": domain,
        "crm_id": crm_id,
        "name": name[:300],
        "normalized_name": normalize_company_name(name)[:300] or (domain or ""),
        "tier": _int(row, "tier", 1, 5),
        "industry": row.get("industry"),
        "employees": _int(row, "employees", 0, 10_000_000),
        "country": country,
        "timezone": _timezone(row, country),
        "is_customer": is_customer,
        "has_open_opportunity": bool(_bool(row, "has_open_opportunity")),
        "owner": row.get("owner"),
        "attributes": row.attributes(),
    }


def contact_values(row: Row) -> dict[str, Any]:
    email = row.get("email")
    if email is not None:
        try:
            email = normalize_email(email)
        except InputRejected as exc:
            raise RowRejected(row.header("email"), str(exc)) from exc
    linkedin = row.get("linkedin_url")
    slug = linkedin_slug(linkedin)
    if linkedin and slug is None:
        raise RowRejected(row.header("linkedin_url"), f"not a LinkedIn profile URL: {linkedin!r}")
    crm_id = row.get("crm_id")
    if email is None and slug is None and crm_id is None:
        raise RowRejected(
            row.header("email"), "missing: an e-mail, LinkedIn URL or CRM id is required"
        )
    first, last = row.get("first_name"), row.get("last_name")
    full = row.get("full_name") or " ".join(p for p in (first, last) if p)
    if not full:
        raise RowRejected(row.header("full_name"), "missing: a name is required")
    if first is None and last is None:
        first, last = split_name(full)
    country = _country(row)
    phone = row.get("phone")
    if phone is not None:
        try:
            phone = normalize_phone(phone, country)
        except InputRejected as exc:
            raise RowRejected(row.header("phone"), str(exc)) from exc
    title = row.get("title")
    info = classify_title(title)
    seniority = (row.get("seniority") or info.seniority).casefold().replace("-", "_")
    if seniority not in SENIORITIES:
        raise RowRejected(
            row.header("seniority"),
            f"unknown seniority {seniority!r}; one of {', '.join(SENIORITIES)}",
        )
    department = (row.get("department") or info.department).casefold().replace(" ", "_")
    if department not in DEPARTMENTS:
        department = info.department
    company_domain = normalize_domain(row.get("company_domain"))
    if company_domain is None and email and not is_free_mail(normalize_domain(email)):
        company_domain = normalize_domain(email)
    return {
        "email": email,
        "crm_id": crm_id,
        "linkedin_url": linkedin,
        "linkedin_slug": slug,
        "first_name": first,
        "last_name": last,
        "full_name": full[:250],
        "title": title,
        "seniority": seniority,
        "department": department,
        "phone": phone,
        "country": country,
        "timezone": _timezone(row, country),
        "owner": row.get("owner"),
        "attributes": row.attributes(),
        "_company_domain": company_domain,
        "_company_name": normalize_company_name(row.get("company_name")) or None,
    }
