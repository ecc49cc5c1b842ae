"""CSV column names: ours, and those of HubSpot and Salesforce exports.

Headers are compared after dropping case, spaces and punctuation, so
"Company Domain Name", "company_domain_name" and "companydomainname" are one name.
"""

from __future__ import annotations

import re

ACCOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "domain": (
        "domain",
        "companydomainname",
        "companydomain",
        "website",
        "websiteurl",
        "companywebsite",
        "url",
        "web",
    ),
    "name": ("name", "companyname", "accountname", "company", "organization", "organisation"),
    "tier": ("tier", "accounttier", "icptier", "targettier"),
    "industry": ("industry", "sector", "vertical"),
    "employees": ("employees", "numberofemployees", "employeecount", "headcount", "companysize"),
    "country": (
        "country",
        "countryregion",
        "billingcountry",
        "hqcountry",
        "headquarterscountry",
        "countrycode",
    ),
    "timezone": ("timezone", "tz", "ianatimezone"),
    "is_customer": ("iscustomer", "customer"),
    "lifecycle": ("lifecyclestage", "type", "accounttype", "status"),
    "has_open_opportunity": (
        "hasopenopportunity",
        "openopportunity",
        "openopportunities",
        "numberofopendeals",
        "opendeals",
    ),
    "owner": ("owner", "accountowner", "companyowner", "owneremail", "ownername"),
    "crm_id": ("crmid", "recordid", "accountid", "companyid", "hubspotid", "salesforceid", "id"),
}

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "workemail", "businessemail"),
    "first_name": ("firstname", "first", "givenname"),
    "last_name": ("lastname", "last", "surname", "familyname"),
    "full_name": ("name", "fullname", "contactname"),
    "title": ("title", "jobtitle", "position", "role"),
    "seniority": ("seniority",),
    "department": ("department",),
    "company_domain": (
        "companydomain",
        "companydomainname",
        "accountdomain",
        "domain",
        "website",
        "companywebsite",
    ),
    "company_name": ("company", "companyname", "accountname", "organization", "organisation"),
    "linkedin_url": (
        "linkedin",
        "linkedinurl",
        "linkedinprofile",
        "linkedinprofileurl",
        "personlinkedinurl",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilephonenumber",
        "directphone",
        "workphone",
    ),
    "country": ("country", "countryregion", "mailingcountry", "countrycode"),
    "timezone": ("timezone", "tz", "ianatimezone"),
    "owner": ("owner", "contactowner", "owneremail", "ownername"),
    "crm_id": ("crmid", "recordid", "contactid", "hubspotid", "salesforceid", "id"),
}


def header_key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


def map_headers(
    headers: list[str], columns: dict[str, tuple[str, ...]]
) -> tuple[dict[str, list[str]], list[str]]:
    """Which headers feed each field (in alias order), and the headers nobody claimed."""
    by_key = {header_key(h): h for h in headers}
    mapping: dict[str, list[str]] = {}
    claimed: set[str] = set()
    for field, aliases in columns.items():
        sources = [by_key[a] for a in aliases if a in by_key and by_key[a] not in claimed]
        if sources:
            mapping[field] = sources
            claimed.update(sources)
    return mapping, [h for h in headers if h not in claimed and h.strip()]


def attribute_name(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")
