"""Who a contact is, for writing: a persona from their department and title, and what
that persona weighs (said without numbers or names, so it needs no grounding)."""

from __future__ import annotations

import re

PERSONAS = (
    "sales", "revops", "marketing", "data", "people", "security", "product",
    "engineering", "success", "finance", "operations", "executive", "general",
)  # fmt: skip
_BY_DEPARTMENT = {
    "sales": "sales", "marketing": "marketing", "data": "data", "people": "people",
    "security": "security", "it": "security", "product": "product",
    "engineering": "engineering", "customer_success": "success", "finance": "finance",
    "operations": "operations", "executive": "executive",
}  # fmt: skip
_BY_TITLE = (
    (re.compile(r"\b(?:rev\s?ops|revenue operations|sales ops|gtm ops)\b", re.I), "revops"),
    (
        re.compile(r"\b(?:ceo|founder|co-founder|(?<!vice )president|managing director)\b", re.I),
        "executive",
    ),
)

# What each persona weighs, as noun phrases ("thinking about …", "is … on your list")
CONCERNS = {
    "sales": ("the accounts reps work each week", "the time reps lose on accounts that are not ready", "the speed of follow-up when an account shows interest"),
    "revops": ("testing routing rules before they go live", "explaining every enrollment afterwards", "a clean CRM while sequences multiply"),
    "marketing": ("the speed at which sales acts on warmed-up accounts", "knowing which accounts are actually in market", "turning intent data into meetings"),
    "data": ("the source and scoring of intent data", "matching signals to the right account", "testing rules against past data"),
    "people": ("the ramp time of new reps", "the number of reps the plan needs", "giving new hires accounts worth calling from day one"),
    "security": ("the prospect data that is stored and who can see it", "tracing why each contact was written to", "the review of outreach tools before rollout"),
    "product": ("getting buying signals to the people who sell the product", "the product pages that turn into conversations", "the speed of feedback from prospects"),
    "engineering": ("the glue code that sales tooling needs", "keeping the rules in version control", "tooling that copes with messy data"),
    "success": ("spotting expansion signals in existing accounts", "a clean hand-off of warm accounts from sales to success", "knowing which accounts are changing"),
    "finance": ("the pipeline each rep hour buys", "the payback of the new sales spend", "a pipeline forecast with fewer surprises"),
    "operations": ("the manual steps between a signal and a first touch", "simple processes as the team grows", "the tools the team can retire"),
    "executive": ("a pipeline target the current team can reach", "the way the sales team spends its week", "early results from the new plan"),
    "general": ("the accounts that deserve a conversation this week", "the way outreach gets started today", "the time spent on accounts that are not ready"),
}  # fmt: skip


def persona(department: str | None, title: str | None) -> str:
    for pattern, name in _BY_TITLE:
        if title and pattern.search(title):
            return name
    return _BY_DEPARTMENT.get((department or "").lower(), "general")
