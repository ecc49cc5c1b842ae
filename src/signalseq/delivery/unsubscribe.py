"""Unsubscribe links: an opaque token — the contact's id and a MAC over the id and the
address written to, never the address itself.

The token never expires (an old email's link must keep working) and cannot be forged or
pointed at another contact without the secret key. Reading it needs the contact's
addresses (current and past: a mover's old link still unsubscribes the address it was
sent to). The same token rides in the ``mailto:`` link's subject, so an unsubscribe
sent by email is matched the same way. Links of the earlier format (signed JSON that
carried the address) are still honoured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.errors import InputRejected

SALT = "signalseq.unsubscribe.v1"
TOKEN_PATTERN = re.compile(r"\b([A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,})\b")


class BadUnsubscribeToken(InputRejected):
    http_status = 404
    code = "bad_unsubscribe_token"


@dataclass(frozen=True)
class UnsubscribeToken:
    contact_id: int
    address: str


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


Addresses = Callable[[int], list[str]]  # a contact's addresses, current and past
OPAQUE = re.compile(r"^u(\d{7,12})\.([A-Za-z0-9_-]{27})$")


def _mac(secret: str, contact_id: int, address: str) -> str:
    digest = hmac.new(secret.encode(), f"{SALT}:{contact_id}:{address.lower()}".encode(),
                      hashlib.sha256).digest()  # fmt: skip
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def make_token(secret: str, contact_id: int, address: str) -> str:
    return f"u{contact_id:07d}.{_mac(secret, contact_id, address)}"


def read_token(secret: str, token: str, addresses: Addresses) -> UnsubscribeToken:
    opaque = OPAQUE.match(token)
    if opaque:
        contact_id = int(opaque.group(1))
        for address in addresses(contact_id):
            if hmac.compare_digest(_mac(secret, contact_id, address), opaque.group(2)):
                return UnsubscribeToken(contact_id, address.lower())
        raise BadUnsubscribeToken("this unsubscribe link is not valid")
    try:  # a link of the earlier format, in mail already sent
        value = _serializer(secret).loads(token)
    except BadSignature as exc:
        raise BadUnsubscribeToken("this unsubscribe link is not valid") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise BadUnsubscribeToken("this unsubscribe link is not valid")
    return UnsubscribeToken(value[0], value[1])


def find_token(secret: str, text: str, addresses: Addresses) -> UnsubscribeToken | None:
    """A valid token anywhere in ``text`` (the subject of a mailto: unsubscribe)."""
    for candidate in TOKEN_PATTERN.findall((text or "")[:2000]):
        try:
            return read_token(secret, candidate, addresses)
        except BadUnsubscribeToken:
            continue
    return None


@dataclass(frozen=True)
class UnsubscribeLinks:
    url: str
    mailto: str

    @property
    def header(self) -> str:
        return f"<{self.url}>, <{self.mailto}>"


def links(public_url: str, mailbox_address: str, token: str) -> UnsubscribeLinks:
    return UnsubscribeLinks(
        url=f"{public_url}/u/{token}",
        mailto=f"mailto:{mailbox_address}?subject={quote('unsubscribe ' + token)}",
    )


def contact_addresses(session: Session, contact_id: int) -> list[str]:
    """Every address the contact was written to: the current one and past employments'."""
    from signalseq.crm.models import Contact
    from signalseq.people.models import Employment

    found = [session.scalar(select(Contact.email).where(Contact.id == contact_id))]
    found += session.scalars(
        select(Employment.email).where(Employment.contact_id == contact_id)
    ).all()
    return list(dict.fromkeys(a for a in found if a))
