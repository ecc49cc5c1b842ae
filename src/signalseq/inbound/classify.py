"""What an inbound message is, structure first:

1. a complaint report (ARF, RFC 5965) → ``complaint``;
2. a delivery report (``inbound.dsn``: RFC 3464 and the prose bounces of the big MTAs),
   its kind from the per-recipient action and the diagnostic text (``bounce_rules``):
   ``bounce`` (hard), ``soft_bounce`` (full mailbox, gave up, temporary),
   ``policy_block`` (spam, block list, authentication: about our mailbox, not the
   contact) or ``delivery_report`` (delayed, delivered: no effect);
3. a request to stop — our unsubscribe token (the mailto: link), or the words —
   ``unsubscribe``, before any auto-reply header is believed (Apple Mail's mailto
   unsubscribe carries ``Auto-Submitted``);
4. an automatic reply (RFC 3834 ``Auto-Submitted``, ``X-Autoreply``, ``Precedence``,
   Exchange's markers, subject prefixes in a dozen languages) → ``auto_reply``, with the
   return date when one is stated;
5. anything else is a person answering → ``reply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.message import Message

from signalseq.inbound import dsn
from signalseq.inbound.bounce_rules import CHALLENGE
from signalseq.inbound.dates import return_date
from signalseq.inbound.parse import Inbound, header

Kind = str  # bounce, soft_bounce, policy_block, delivery_report, complaint, auto_reply,
#             unsubscribe, reply

STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@", "mail-daemon@", "mailerdaemon@")
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery failure|failure notice|"
    r"returned mail|mail delivery failed|delivery has failed|nicht zustellbar|"
    r"unzustellbar|non remis|no se puede entregar|non recapitabile|onbestelbaar",
    re.IGNORECASE,
)
AUTO_SUBJECTS = re.compile(
    r"\bis out of (?:the )?office|\((?:automatic|auto) (?:reply|response)\)|"
    r"^\s*(?:\[[^\]]*\]\s*)?(?:"
    # English
    r"auto:|out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"away from (?:the )?office|on vacation|on leave|"
    # German
    r"abwesenheitsnotiz|automatische antwort|abwesend|nicht im büro|urlaub|"
    # French
    r"réponse automatique|reponse automatique|absence|absent du bureau|"
    # Spanish
    r"respuesta automática|respuesta automatica|fuera de la oficina|ausente|"
    # Portuguese
    r"resposta automática|resposta automatica|ausência|ausencia|fora do escritório|"
    # Dutch
    r"automatisch antwoord|afwezig|niet aanwezig|buiten kantoor|"
    # Italian
    r"risposta automatica|fuori sede|fuori ufficio|assente|"
    # Polish
    r"automatyczna odpowiedź|odpowiedź automatyczna|automatyczna odpowiedz|nieobecność|"
    r"nieobecnosc|poza biurem|"
    # Swedish, Danish, Norwegian
    r"automatiskt svar|autosvar|automatisk svar|frånvaro|franvaro|fraværende|fravær|"
    r"ej på kontoret|inte på kontoret|ikke på kontoret|"
    # Finnish
    r"automaattinen vastaus|poissa toimistolta|poissa|lomalla"
    r")",
    re.IGNORECASE,
)
STOP_PHRASES = re.compile(
    r"\b(?:"
    r"unsubscribe|remove me|take me off|opt[- ]?out|not interested|no interest|"
    r"stop (?:e-?mailing|emailing|contacting|sending|writing)|do not (?:contact|email)|"
    r"don'?t (?:contact|email) me|"
    r"abmelden|austragen|kein interesse|bitte entfernen|"
    r"désabonner|desabonner|désinscrire|desinscrire|pas intéressée?|pas interessee?|"
    r"darme de baja|darse de baja|no me interesa|no estoy interesad[oa]|"
    r"descadastrar|não tenho interesse|nao tenho interesse|"
    r"afmelden|geen interesse|uitschrijven|"
    r"disiscrivi|cancellami|non sono interessat[oa]|non mi interessa|"
    r"wypisz|nie jestem zainteresowan[ya]|"
    r"avregistrera|inte intresserad|afmeld|ikke interesseret|ikke interessert|"
    r"ei kiinnosta"
    r")\b",
    re.IGNORECASE,
)
QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*original message|-{2,}\s*ursprüngliche nachricht|"
    r"on .{0,200} wrote:|am .{0,200} schrieb|le .{0,200} a écrit|el .{0,200} escribió|"
    r"from: )",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
    status: str | None = None  # the enhanced status code of a DSN
    recipient: str | None = None  # the address a DSN or complaint is about
    original_ids: tuple[str, ...] = ()  # Message-IDs of the message it is about
    return_date: date | None = None


def new_text(text: str) -> str:
    """The part a person wrote: up to the quoted message and the signature."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if QUOTE_START.match(stripped) or stripped == "--":
            break
        lines.append(line)
    return "\n".join(lines).strip()


def _parts(message: Message, content_type: str) -> list[Message]:
    return [p for p in message.walk() if p.get_content_type() == content_type]


def _address(value: str | None) -> str | None:
    if not value:
        return None
    found = re.search(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+\.\w+", value)
    return found.group(0).lower() if found else None


def _challenge(inbound: Inbound) -> Classification | None:
    said = CHALLENGE.search(dsn.own_text(inbound))
    if said is None:
        return None
    return Classification(
        "auto_reply", f"challenge/response filter ({said.group(0)!r}): waits for the sender"
    )


def _dsn(inbound: Inbound, own: frozenset[str]) -> Classification | None:
    if not dsn.is_report(inbound):
        return None
    report = dsn.read(inbound, own)
    return Classification(
        report.kind, report.reason, report.status, report.recipient, report.original_ids
    )


def _complaint(inbound: Inbound) -> Classification | None:
    message = inbound.message
    arf = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "feedback-report"
    )
    if not arf:
        return None
    feedback = ""
    recipient = None
    for part in _parts(message, "message/feedback-report"):
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if isinstance(block, Message):
                feedback = feedback or header(block, "Feedback-Type")
                recipient = recipient or _address(
                    header(block, "Original-Rcpt-To") or header(block, "Removal-Recipient")
                )
        if isinstance(payload, str):
            found = re.search(r"(?im)^feedback-type:\s*(\S+)", payload)
            feedback = feedback or (found.group(1) if found else "")
            rcpt = re.search(r"(?im)^original-rcpt-to:\s*(.+)$", payload)
            recipient = recipient or _address(rcpt.group(1) if rcpt else None)
    originals = dsn.original_ids(message, inbound.text)
    reason = f"complaint report ({feedback.strip() or 'abuse'})"
    return Classification("complaint", reason, None, recipient, originals)


def _auto_marker(inbound: Inbound) -> str | None:
    headers = inbound.headers
    auto_submitted = headers.get("auto-submitted", "").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "X-Autoreply" if "x-autoreply" in headers else "X-Autorespond"
    if headers.get("precedence", "").lower() in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {headers['precedence'].lower()}"
    if any(
        value in headers.get("x-auto-response-suppress", "").lower() for value in ("oof", "all")
    ) or headers.get("x-ms-exchange-inbox-rules-loop"):
        return "Exchange auto-reply markers"
    if AUTO_SUBJECTS.search(inbound.subject):
        return f"subject {inbound.subject[:60]!r}"
    return None


def _auto_reply(inbound: Inbound, marker: str) -> Classification:
    text = f"{inbound.subject}\n{new_text(inbound.text) or inbound.text}"
    back = return_date(text, inbound.date.date()) if inbound.date else None
    reason = f"automatic reply ({marker})" + (f"; back {back.isoformat()}" if back else "")
    return Classification("auto_reply", reason, return_date=back)


def _unsubscribe(inbound: Inbound, token: bool, automatic: bool) -> Classification | None:
    """A request to stop: our unsubscribe token (the mailto: link's subject), or the
    words in the subject or in what the person wrote. An automatic message counts only
    by its token or subject (its body may be a signature's boilerplate)."""
    if token:
        return Classification("unsubscribe", "our unsubscribe link (mailto: token)")
    places = [("subject", inbound.subject)]
    if not automatic:
        places.append(("text", new_text(inbound.text)))
    for where, text in places:
        found = STOP_PHRASES.search(text)
        if found:
            return Classification("unsubscribe", f"asks to stop ({where}: {found.group(0)!r})")
    return None


NEGATIVE = re.compile(
    r"\b(?:no thanks|no, thanks|not a (?:good )?fit|not a priority|not right now|not now|"
    r"not at this time|wrong person|not the right person|already (?:use|have|work with)|"
    r"no budget|happy with|kein bedarf|pas pour le moment|no es el momento|"
    r"geen behoefte|non ora)\b",
    re.IGNORECASE,
)
POSITIVE = re.compile(
    r"\b(?:interested|let'?s talk|let'?s chat|happy to (?:talk|chat|connect|meet)|"
    r"sounds (?:good|great|interesting)|set up a (?:call|meeting|time)|book|schedule|"
    r"calendar|available|does \w+ work|how about|tell me more|send (?:me )?more|"
    r"could (?:you|we) (?:do|meet|talk)|can (?:you|we) (?:do|meet|talk)|works for me|"
    r"good timing|monday|tuesday|wednesday|thursday|friday|"
    r"yes|sure|gerne|volontiers|con gusto|graag|volentieri|chętnie|gärna)\b",
    re.IGNORECASE,
)


def sentiment(text: str) -> str:
    """A reply's tone by simple rules on what the person wrote (a reviewer can correct
    it): negative phrases first, then positive ones, else neutral."""
    written = new_text(text)
    if NEGATIVE.search(written):
        return "negative"
    return "positive" if POSITIVE.search(written) else "neutral"


def classify(
    inbound: Inbound, *, own: frozenset[str] = frozenset(), token: bool = False
) -> Classification:
    """The class of a message, structure first: a delivery report or complaint report is
    recognised before any auto-reply header is looked at; a request to stop before an
    automatic reply. ``own``: our mailboxes' addresses (never a failed recipient);
    ``token``: the subject carries one of our unsubscribe tokens."""
    found = _complaint(inbound) or _challenge(inbound) or _dsn(inbound, own)
    if found is not None:
        return found
    marker = _auto_marker(inbound)
    stop = _unsubscribe(inbound, token, automatic=marker is not None)
    if stop is not None:
        return stop
    if marker is not None:
        return _auto_reply(inbound, marker)
    return Classification("reply", "a person replied")
