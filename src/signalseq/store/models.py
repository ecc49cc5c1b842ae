"""Every model, imported in one place so Alembic and ``Base.metadata`` see them all."""

from signalseq.crm.models import Account, Contact
from signalseq.deadletters.models import DeadLetter
from signalseq.signals.models import ConnectorState, Signal, VisitorIdentity, WebhookReceipt
from signalseq.store.base import Base

__all__ = [
    "Account",
    "Base",
    "ConnectorState",
    "Contact",
    "DeadLetter",
    "Signal",
    "VisitorIdentity",
    "WebhookReceipt",
]
