"""Match a signal's company and person to stored accounts and contacts.

Accounts: exact domain, then exact normalized name, then fuzzy name (rapidfuzz WRatio) —
``auto_match`` and above is a match, ``review_match`` up to it is recorded as
"needs_review", below is unmatched. People: e-mail, LinkedIn slug, then name within the
account. Indexes are loaded once per run so a large batch costs one query, not one per
signal.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.normalize.companies import normalize_company_name
from signalseq.normalize.domains import is_free_mail, normalize_domain
from signalseq.normalize.people import linkedin_slug
from signalseq.signals.schemas import SignalIn

AUTO_MATCH = 92.0
REVIEW_MATCH = 85.0


@dataclass(frozen=True)
class AccountMatch:
    account_id: int | None
    method: str  # domain, name, fuzzy, created, none
    score: float
    status: str  # matched, needs_review, unmatched


@dataclass(frozen=True)
class ContactMatch:
    contact_id: int | None
    method: str  # email, linkedin, name, none


NO_ACCOUNT = AccountMatch(None, "none", 0.0, "unmatched")
NO_CONTACT = ContactMatch(None, "none")


class Resolver:
    def __init__(
        self,
        session: Session,
        *,
        auto_match: float = AUTO_MATCH,
        review_match: float = REVIEW_MATCH,
    ):
        self.session = session
        self.auto_match = auto_match
        self.review_match = review_match
        self._loaded = False
        self.by_domain: dict[str, int] = {}
        self.by_crm_id: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.names: list[str] = []
        self.by_email: dict[str, tuple[int, int | None]] = {}
        self.by_slug: dict[str, tuple[int, int | None]] = {}
        self.by_account_name: dict[tuple[int, str], int] = {}

    def _load(self) -> None:
        if self._loaded:
            return
        for account_id, domain, normalized, crm_id in self.session.execute(
            select(Account.id, Account.domain, Account.normalized_name, Account.crm_id)
        ):
            self._index_account(account_id, domain, normalized)
            if crm_id:
                self.by_crm_id[crm_id] = account_id
        for contact_id, contact_account, email, slug, name in self.session.execute(
            select(
                Contact.id,
                Contact.account_id,
                Contact.email,
                Contact.linkedin_slug,
                Contact.full_name,
            )
        ):
            if email:
                self.by_email[email] = (contact_id, contact_account)
            if slug:
                self.by_slug[slug] = (contact_id, contact_account)
            if contact_account is not None and name:
                self.by_account_name[(contact_account, name.casefold())] = contact_id
        self._loaded = True

    def _index_account(self, account_id: int, domain: str | None, normalized: str) -> None:
        if domain:
            self.by_domain[domain] = account_id
        if normalized:
            if normalized not in self.by_name:
                self.names.append(normalized)
            self.by_name.setdefault(normalized, []).append(account_id)

    def account_for_domain(self, domain: str | None) -> int | None:
        self._load()
        normalized = normalize_domain(domain)
        if normalized is None or is_free_mail(normalized):
            return None
        return self.by_domain.get(normalized)

    def match_account(
        self, name: str | None, domain: str | None, crm_id: str | None = None
    ) -> AccountMatch:
        self._load()
        by_domain = self.account_for_domain(domain)
        if by_domain is not None:
            return AccountMatch(by_domain, "domain", 100.0, "matched")
        if crm_id and crm_id in self.by_crm_id:
            return AccountMatch(self.by_crm_id[crm_id], "crm_id", 100.0, "matched")
        normalized = normalize_company_name(name)
        if not normalized:
            return NO_ACCOUNT
        exact = self.by_name.get(normalized, [])
        if len(exact) == 1:
            return AccountMatch(exact[0], "name", 100.0, "matched")
        if len(exact) > 1:
            return AccountMatch(None, "name", 100.0, "needs_review")  # ambiguous: two accounts
        if not self.names:
            return NO_ACCOUNT
        best = process.extractOne(
            normalized, self.names, scorer=fuzz.WRatio, score_cutoff=self.review_match
        )
        if best is None:
            return NO_ACCOUNT
        candidate, score, _ = best
        ids = self.by_name[candidate]
        status = "matched" if score >= self.auto_match and len(ids) == 1 else "needs_review"
        return AccountMatch(ids[0], "fuzzy", round(float(score), 1), status)

    def match_contact(
        self,
        *,
        email: str | None,
        linkedin_url: str | None,
        name: str | None,
        account_id: int | None,
    ) -> tuple[ContactMatch, int | None]:
        """The contact, and the account the contact belongs to (if any)."""
        self._load()
        if email and email.strip().lower() in self.by_email:
            contact_id, contact_account = self.by_email[email.strip().lower()]
            return ContactMatch(contact_id, "email"), contact_account
        slug = linkedin_slug(linkedin_url)
        if slug and slug in self.by_slug:
            contact_id, contact_account = self.by_slug[slug]
            return ContactMatch(contact_id, "linkedin"), contact_account
        if name and account_id is not None:
            by_name = self.by_account_name.get((account_id, name.strip().casefold()))
            if by_name is not None:
                return ContactMatch(by_name, "name"), account_id
        return NO_CONTACT, None

    def resolve_signal(
        self, signal: SignalIn, *, create_accounts: bool = False
    ) -> tuple[AccountMatch, ContactMatch]:
        """A signal's account and contact. A person we know lends their account when the
        company did not match; an unknown company becomes a prospect account only when
        ``create_accounts`` says so."""
        company, person = signal.company, signal.person
        account = self.match_account(company.name, company.domain, company.crm_id)
        contact, contact_account = NO_CONTACT, None
        if person is not None:
            contact, contact_account = self.match_contact(
                email=person.email,
                linkedin_url=person.linkedin_url,
                name=person.name,
                account_id=account.account_id,
            )
        moved = (signal.attributes or {}).get("change_type") == "new_company"
        if account.status == "unmatched" and contact_account is not None and not moved:
            account = AccountMatch(contact_account, "contact", 100.0, "matched")
        if account.status == "unmatched" and company.name and create_accounts:
            account = self.create_prospect_account(company.name, company.domain)
        if account.status == "unmatched" and moved:
            # never the employer the person left; a person decides (or the connector's
            # create_accounts) where the new one is
            account = AccountMatch(None, "new_employer_unknown", 0.0, "needs_review")
        return account, contact

    def create_prospect_account(self, name: str, domain: str | None) -> AccountMatch:
        """An account for a company we did not know, when the connector asks for it."""
        self._load()
        normalized = normalize_company_name(name) or (domain or name).casefold()
        account = Account(
            name=name[:300],
            normalized_name=normalized[:300],
            domain=normalize_domain(domain),
            source="prospect",
        )
        self.session.add(account)
        self.session.flush()
        self._index_account(account.id, account.domain, normalized)
        return AccountMatch(account.id, "created", 100.0, "matched")
