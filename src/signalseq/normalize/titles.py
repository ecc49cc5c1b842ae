"""Seniority and department from job titles, in the many ways people write them.

"SVP Eng" → (vp, engineering); "Vice President, Sales" → (vp, sales);
"Head of Growth" → (head, marketing); "CTO & Co-founder" → (c_level, engineering).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

SENIORITIES = ("c_level", "vp", "head", "director", "manager", "individual")
DEPARTMENTS = (
    "executive",
    "engineering",
    "product",
    "design",
    "data",
    "security",
    "it",
    "sales",
    "marketing",
    "customer_success",
    "finance",
    "operations",
    "people",
    "legal",
    "other",
)

_CHIEF_ACRONYM = re.compile(r"\bC(?:[A-Z]{1,3})O\b")
_ACRONYM_DEPARTMENTS = {
    "CEO": "executive",
    "CTO": "engineering",
    "CFO": "finance",
    "COO": "operations",
    "CMO": "marketing",
    "CRO": "sales",
    "CIO": "it",
    "CISO": "security",
    "CSO": "security",
    "CPO": "product",
    "CHRO": "people",
    "CPEO": "people",
    "CDO": "data",
    "CCO": "customer_success",
    "CAO": "finance",
    "CLO": "legal",
    "CBO": "sales",
    "CXO": "executive",
}

# First match wins, so the most specific patterns come first.
_SENIORITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("individual", re.compile(r"\b(executive |personal )?assistant\b|\bea to\b|\bintern\b")),
    (
        "c_level",
        re.compile(
            r"\bchief\b(?! of staff)|\bco-?founder\b|\bfounder\b|(?<!vice )(?<!vice-)\bpresident\b"
            r"|\bowner\b|\bmanaging director\b|\bmanaging partner\b|\bgeneral partner\b"
        ),
    ),
    (
        "vp",
        re.compile(
            r"\b(?:s|e|a|sr\.? |senior |executive |group )?v\.?p\.?\b"
            r"|\bvice[- ]president\b"
        ),
    ),
    ("head", re.compile(r"\bhead\b|\bchief of staff\b|\bgeneral manager\b|\bgm\b")),
    ("director", re.compile(r"\bdirector\b|\bdir\.?\b")),
    ("manager", re.compile(r"\bmanager\b|\bmgr\b|\blead\b|\bteam lead\b|\bsupervisor\b")),
]

_DEPARTMENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("security", re.compile(r"\bsecurity\b|\binfosec\b|\bciso\b|\bcyber")),
    (
        "data",
        re.compile(
            r"\bdata\b|\banalytics\b|\bbusiness intelligence\b|\bbi\b"
            r"|\bmachine learning\b|\bml\b|\bai\b"
        ),
    ),
    (
        "customer_success",
        re.compile(
            r"\bcustomer (success|experience|support)\b|\bsupport\b"
            r"|\bonboarding\b|\bcs\b|\bcx\b|\bimplementation\b"
        ),
    ),
    (
        "sales",
        re.compile(
            r"\bsales\b|\brevenue\b|\baccount executive\b|\bae\b|\bsdr\b|\bbdr\b"
            r"|\bbusiness development\b|\bpartnerships?\b|\baccount manag"
        ),
    ),
    (
        "marketing",
        re.compile(
            r"\bmarketing\b|\bgrowth\b|\bbrand\b|\bdemand gen|\bcontent\b"
            r"|\bcommunications?\b|\bpr\b|\bseo\b|\bcommunity\b"
        ),
    ),
    ("product", re.compile(r"\bproduct\b|\bpm\b")),
    ("design", re.compile(r"\bdesign|\bux\b|\bui\b|\bcreative\b")),
    (
        "engineering",
        re.compile(
            r"\beng(ineer(ing)?)?\b|\bdevelop|\bsoftware\b|\btechnolog"
            r"|\btechnical\b|\bdevops\b|\bsre\b|\bplatform\b|\binfrastructure\b"
            r"|\br&d\b|\barchitect\b|\bprogrammer\b|\bqa\b"
        ),
    ),
    ("it", re.compile(r"\bit\b|\binformation technology\b|\bsystems? admin|\bhelpdesk\b")),
    (
        "finance",
        re.compile(
            r"\bfinanc|\baccount(ing|ant)\b|\bcontroller\b|\bfp&a\b|\btreasur"
            r"|\bprocurement\b|\bpurchasing\b"
        ),
    ),
    ("people", re.compile(r"\bhr\b|\bhuman resources\b|\bpeople\b|\btalent\b|\brecruit")),
    ("legal", re.compile(r"\blegal\b|\bcounsel\b|\bcompliance\b|\battorney\b|\blawyer\b")),
    ("operations", re.compile(r"\boperations\b|\bops\b|\bsupply chain\b|\blogistics\b")),
    (
        "executive",
        re.compile(
            r"\bfounder\b|\bpresident\b|\bowner\b|\bmanaging director\b"
            r"|\bgeneral manager\b|\bchief executive\b"
        ),
    ),
]


class TitleInfo(NamedTuple):
    seniority: str
    department: str


def _clean(title: str) -> str:
    text = title.casefold().replace("&", " & ").replace("/", " / ")
    text = re.sub(r"[,;|()]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=65536)
def classify_title(title: str | None) -> TitleInfo:
    if not title or not title.strip():
        return TitleInfo("individual", "other")
    text = _clean(title)
    acronyms = _CHIEF_ACRONYM.findall(title.upper() if title.isupper() else title)
    is_assistant = _SENIORITY_PATTERNS[0][1].search(text) is not None
    if acronyms and not is_assistant:
        seniority = "c_level"
    else:
        seniority = next(
            (level for level, pattern in _SENIORITY_PATTERNS if pattern.search(text)),
            "individual",
        )
    department = next(
        (_ACRONYM_DEPARTMENTS[a] for a in acronyms if a in _ACRONYM_DEPARTMENTS), None
    ) or next((dept for dept, pattern in _DEPARTMENT_PATTERNS if pattern.search(text)), "other")
    return TitleInfo(seniority, department)


def canonical_title(title: str | None) -> str:
    """A form in which rewordings compare equal ("VP, Sales" == "Vice President Sales")."""
    if not title:
        return ""
    text = _clean(title).replace(".", "")
    replacements = {
        r"\bvp\b": "vice president",
        r"\bsvp\b": "senior vice president",
        r"\bevp\b": "executive vice president",
        r"\bsr\.?\b": "senior",
        r"\bjr\.?\b": "junior",
        r"\bmgr\b": "manager",
        r"\beng\b": "engineering",
        r"\bdir\b": "director",
        r"\bmktg\b": "marketing",
        r"\bops\b": "operations",
        r"\b&\b": "and",
        r"\bof\b": "",
        r"\bthe\b": "",
        r"\bfor\b": "",
    }
    for pattern, replacement in replacements.items():
        text = re.sub(pattern, replacement, text)
    return " ".join(sorted(text.replace("-", " ").split()))
