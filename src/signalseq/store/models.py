"""Every model, imported in one place so Alembic and ``Base.metadata`` see them all."""

from signalseq.auth.models import User, WebSession
from signalseq.crm.models import Account, Contact
from signalseq.deadletters.models import DeadLetter
from signalseq.decisions.models import Decision
from signalseq.delivery.models import (
    MailboxState,
    MailboxToken,
    RecipientDomain,
    RuleBreaker,
    SoftBounce,
)
from signalseq.drafting.models import Draft, DraftRevision
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch, Transition
from signalseq.inbound.models import InboundMessage
from signalseq.people.models import Employment
from signalseq.policy.models import SuppressionEntry
from signalseq.review.models import (
    AuditEntry,
    ReviewCount,
    ReviewItem,
    ReviewReason,
)
from signalseq.signals.models import ConnectorState, Signal, VisitorIdentity, WebhookReceipt
from signalseq.store.base import Base
from signalseq.tasks.models import Task

__all__ = [
    "Account",
    "AuditEntry",
    "DraftRevision",
    "ReviewCount",
    "ReviewItem",
    "ReviewReason",
    "User",
    "WebSession",
    "Base",
    "ConnectorState",
    "Contact",
    "DeadLetter",
    "Decision",
    "Draft",
    "EngagementEvent",
    "Enrollment",
    "Employment",
    "SuppressionEntry",
    "Touch",
    "Transition",
    "Signal",
    "VisitorIdentity",
    "WebhookReceipt",
    "MailboxState",
    "SoftBounce",
    "RecipientDomain",
    "RuleBreaker",
    "MailboxToken",
    "InboundMessage",
    "Task",
]
