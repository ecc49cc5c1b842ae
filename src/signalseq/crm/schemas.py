"""How accounts and contacts are shown to scripts (``--json``) and people."""

from __future__ import annotations

from typing import Any

from signalseq.crm.models import Account, Contact


def account_dict(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "domain": account.domain,
        "name": account.name,
        "tier": account.tier,
        "industry": account.industry,
        "employees": account.employees,
        "country": account.country,
        "timezone": account.timezone,
        "is_customer": account.is_customer,
        "has_open_opportunity": account.has_open_opportunity,
        "owner": account.owner,
        "crm_id": account.crm_id,
        "source": account.source,
        "attributes": account.attributes,
    }


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "email": contact.email,
        "email_source": contact.email_source,
        "email_confidence": contact.email_confidence,
        "full_name": contact.full_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "seniority": contact.seniority,
        "department": contact.department,
        "account_domain": contact.account.domain if contact.account else None,
        "linkedin_url": contact.linkedin_url,
        "phone": contact.phone,
        "country": contact.country,
        "timezone": contact.timezone,
        "owner": contact.owner,
        "crm_id": contact.crm_id,
        "attributes": contact.attributes,
    }
