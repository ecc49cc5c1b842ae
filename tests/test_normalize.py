"""Titles, domains, countries and time zones."""

from __future__ import annotations

import pytest

from signalseq.normalize.companies import normalize_company_name
from signalseq.normalize.domains import normalize_domain
from signalseq.normalize.people import linkedin_slug
from signalseq.normalize.places import normalize_country, timezone_for_country
from signalseq.normalize.titles import canonical_title, classify_title


@pytest.mark.parametrize(
    ("title", "seniority", "department"),
    [
        ("SVP Eng", "vp", "engineering"),
        ("Vice President, Sales", "vp", "sales"),
        ("Head of Growth", "head", "marketing"),
        ("CTO & Co-founder", "c_level", "engineering"),
        ("Chief Revenue Officer", "c_level", "sales"),
        ("President & CEO", "c_level", "executive"),
        ("Executive Assistant to the CEO", "individual", "executive"),
        ("Director of Marketing", "director", "marketing"),
        ("Sr. Director, IT", "director", "it"),
        ("Engineering Manager", "manager", "engineering"),
        ("Staff Engineer", "individual", "engineering"),
        ("Account Executive", "individual", "sales"),
        ("CISO", "c_level", "security"),
        ("Chief of Staff", "head", "other"),
        ("Founder", "c_level", "executive"),
        ("", "individual", "other"),
    ],
)
def test_titles(title, seniority, department):
    assert tuple(classify_title(title)) == (seniority, department)


def test_title_rewording_compares_equal():
    assert canonical_title("VP, Sales") == canonical_title("Vice President of Sales")
    assert canonical_title("Sr. Director Eng") == canonical_title("Senior Director, Engineering")
    assert canonical_title("VP Sales") != canonical_title("SVP Sales")


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.Acme.co.uk/about?x=1", "acme.co.uk"),
        ("jane@mail.acme.io", "acme.io"),
        ("http://foo.com:8080", "foo.com"),
        ("acme", None),
        ("not a domain", None),
        ("", None),
    ],
)
def test_domains(raw, domain):
    assert normalize_domain(raw) == domain


def test_countries_and_unambiguous_time_zones():
    assert [
        normalize_country(c) for c in ("Germany", "DE", "DEU", "UK", "United States", "Atlantis")
    ] == ["DE", "DE", "DE", "GB", "US", None]
    assert timezone_for_country("DE") == "Europe/Berlin", "Büsingen keeps Berlin's time"
    assert timezone_for_country("IN") == "Asia/Kolkata"
    assert timezone_for_country("US") is None
    assert timezone_for_country("ES") is None, "the Canaries are an hour behind Madrid"


def test_company_names_and_linkedin():
    assert normalize_company_name("Acme, Inc. (US)") == normalize_company_name("ACME")
    assert normalize_company_name("Smith & Sons Ltd") == "smith and sons"
    assert linkedin_slug("linkedin.com/in/Jane-Doe-12/") == "jane-doe-12"
    assert linkedin_slug("https://example.com/in/x") is None
