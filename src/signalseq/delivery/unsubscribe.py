"""Unsubscribe links: a signed token naming the contact and the address written to.

The token never expires (an old email's link must keep working) and cannot be forged or
pointed at another contact without the secret key. The same token rides in the
``mailto:`` link's subject, so an unsubscribe sent by email is matched the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

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


def make_token(secret: str, contact_id: int, address: str) -> str:
    return str(_serializer(secret).dumps([contact_id, address.lower()]))


def read_token(secret: str, token: str) -> UnsubscribeToken:
    try:
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


def find_token(secret: str, text: str) -> UnsubscribeToken | None:
    """A valid token anywhere in ``text`` (the subject of a mailto: unsubscribe)."""
    for candidate in TOKEN_PATTERN.findall(text or ""):
        try:
            return read_token(secret, candidate)
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
