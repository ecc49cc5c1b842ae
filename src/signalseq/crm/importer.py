"""``signalseq import accounts|contacts FILE.csv``: upsert, never half-write a row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalseq.crm import repository
from signalseq.crm.columns import ACCOUNT_COLUMNS, CONTACT_COLUMNS, map_headers
from signalseq.crm.csvfile import CsvRecord, open_csv
from signalseq.crm.models import Account, Contact
from signalseq.crm.rows import Row, RowRejected, account_values, contact_values
from signalseq.deadletters import repository as deadletters
from signalseq.errors import UsageError
from signalseq.people import employments

Progress = Callable[[int], None]


@dataclass
class RowProblem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.field}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    path: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unlinked: int = 0
    # rows placing a person at a company they are known to have left: kept as they are
    stale: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unlinked": self.unlinked,
            "stale": self.stale,
            "rejected": [
                {"line": p.line, "field": p.field, "message": p.message} for p in self.rejected
            ],
        }


def _apply(target: Any, values: dict[str, Any]) -> bool:
    """Set changed values; attributes are merged. Returns whether anything changed."""
    changed = False
    for name, value in values.items():
        if name.startswith("_"):
            continue
        if name == "attributes":
            merged = {**(target.attributes or {}), **value}
            if merged != (target.attributes or {}):
                target.attributes = merged
                changed = True
            continue
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


class _Importer:
    def __init__(
        self,
        session: Session,
        path: Path,
        kind: str,
        columns: dict[str, tuple[str, ...]],
        required: tuple[str, ...],
        now: datetime,
    ):
        self.session = session
        self.now = now
        self.path = path
        self.display = str(path)
        self.kind = kind
        self.columns = columns
        self.required = required
        self.source = f"import:{kind}"
        self.report = ImportReport(kind, self.display)
        self.mapping: dict[str, list[str]] = {}
        self.extra: list[str] = []
        self.seen: dict[tuple[str, str], int] = {}

    def _map_headers(self, headers: list[str]) -> None:
        self.mapping, self.extra = map_headers(headers, self.columns)
        if not any(name in self.mapping for name in self.required):
            wanted = " or ".join(f"'{self.columns[name][0]}'" for name in self.required)
            raise UsageError(
                f"{self.display}:1 header: no {wanted} column (found: {', '.join(headers)})"
            )

    def reject(self, record: CsvRecord, field_name: str, message: str) -> None:
        problem = RowProblem(self.display, record.line, field_name, message)
        self.report.rejected.append(problem)
        deadletters.record(
            self.session,
            source=self.source,
            kind="csv_row",
            raw=record.raw(),
            reason=f"{field_name}: {message}",
            location=f"{self.path.name}:{record.line}",
            now=self.now,
        )

    def duplicate_of(self, record: CsvRecord, keys: dict[str, str | None]) -> int | None:
        for name, value in keys.items():
            if value is not None and (name, value) in self.seen:
                return self.seen[(name, value)]
        for name, value in keys.items():
            if value is not None:
                self.seen[(name, value)] = record.line
        return None

    def run(self, upsert: Callable[[Row], str], progress: Progress | None) -> ImportReport:
        with open_csv(self.path) as (headers, records):
            self._map_headers(headers)
            for record in records:
                self._import_row(record, upsert)
                if progress:
                    progress(1)
        return self.report

    def _import_row(self, record: CsvRecord, upsert: Callable[[Row], str]) -> None:
        row = Row(record, self.mapping, self.extra)
        try:
            with self.session.begin_nested():
                outcome = upsert(row)
        except RowRejected as exc:
            self.reject(record, exc.field, str(exc))
        except IntegrityError as exc:
            self.reject(record, "row", f"conflicts with an existing record ({exc.orig})")
        else:
            setattr(self.report, outcome, getattr(self.report, outcome) + 1)


def import_accounts(
    session: Session, path: Path, now: datetime, progress: Progress | None = None
) -> ImportReport:
    importer = _Importer(session, path, "accounts", ACCOUNT_COLUMNS, ("domain", "crm_id"), now)

    def upsert(row: Row) -> str:
        values = account_values(row)
        first = importer.duplicate_of(
            row.record, {"domain": values["domain"], "crm_id": values["crm_id"]}
        )
        if first is not None:
            raise RowRejected("row", f"same account as line {first}")
        by_crm = (
            repository.account_by_crm_id(session, values["crm_id"]) if values["crm_id"] else None
        )
        by_domain = (
            repository.account_by_domain(session, values["domain"]) if values["domain"] else None
        )
        if by_crm and by_domain and by_crm.id != by_domain.id:
            raise RowRejected(
                row.header("domain"),
                f"domain {values['domain']} belongs to another account "
                f"(CRM id {by_domain.crm_id or 'none'})",
            )
        account = by_crm or by_domain
        if account is None:
            session.add(Account(source="import", **values))
            session.flush()
            return "created"
        changed = _apply(account, values)
        session.flush()
        return "updated" if changed else "unchanged"

    return importer.run(upsert, progress)


def import_contacts(
    session: Session, path: Path, now: datetime, progress: Progress | None = None
) -> ImportReport:
    importer = _Importer(
        session, path, "contacts", CONTACT_COLUMNS, ("email", "linkedin_url", "crm_id"), now
    )
    account_ids: dict[tuple[str, str], int | None] = {}

    def find_account(values: dict[str, Any]) -> int | None:
        domain, name = values["_company_domain"], values["_company_name"]
        if domain and ("domain", domain) not in account_ids:
            account = repository.account_by_domain(session, domain)
            account_ids[("domain", domain)] = account.id if account else None
        if domain and account_ids[("domain", domain)]:
            return account_ids[("domain", domain)]
        if name and ("name", name) not in account_ids:
            matches = repository.accounts_by_normalized_name(session, name)
            account_ids[("name", name)] = matches[0].id if len(matches) == 1 else None
        return account_ids.get(("name", name)) if name else None

    def upsert(row: Row) -> str:
        values = contact_values(row)
        keys = {
            "crm_id": values["crm_id"],
            "email": values["email"],
            "linkedin_slug": values["linkedin_slug"],
        }
        first = importer.duplicate_of(row.record, keys)
        if first is not None:
            raise RowRejected("row", f"same contact as line {first}")
        contact = None
        for column, value in keys.items():
            if value is not None and contact is None:
                contact = repository.contact_by(session, **{column: value})
        if contact is None and values["email"] is not None:  # an address the person had
            contact = employments.contact_by_past_email(session, values["email"])
        values["account_id"] = find_account(values)
        if values["email"] is not None:
            values["email_source"], values["email_confidence"] = "import", 1.0
        stale = contact is not None and employments.left_account(
            session, contact.id, values["account_id"]
        )
        if stale:  # the person left that company: the job change stands
            for name in (*employments.ROLE_FIELDS, "email", "email_source", "email_confidence"):
                values.pop(name, None)
            importer.report.stale += 1
        if contact is None:
            contact = Contact(**{k: v for k, v in values.items() if not k.startswith("_")})
            session.add(contact)
            outcome = "created"
        else:
            outcome = "updated" if _apply(contact, values) else "unchanged"
        session.flush()
        employments.sync_current(session, contact, importer.now, "import")
        if contact.account_id is None and not stale:
            importer.report.unlinked += 1
        return outcome

    return importer.run(upsert, progress)
