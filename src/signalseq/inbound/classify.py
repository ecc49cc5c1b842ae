"""What an inbound message is, decided in a fixed order (the first that fits wins):

1. a delivery status notification (RFC 3464, and the common non-standard bounces):
   hard (5.x.x, mailbox unknown) → ``bounce``; temporary (4.x.x, 5.2.x mailbox full)
   → ``soft_bounce``; 5.7.x (refused as spam or by policy) → ``policy_block``, which
   is about our mailbox, not the contact; delivered/delayed reports → ``delivery_report``;
2. an abuse or complaint report (ARF, RFC 5965) → ``complaint``;
3. an automatic reply (RFC 3834 ``Auto-Submitted``, ``X-Autoreply``, ``X-Autorespond``,
   ``Precedence: auto_reply|bulk|junk``, Exchange's markers, subject prefixes in a
   dozen languages) → ``auto_reply``, with the return date when one is stated;
4. a request to stop ("unsubscribe", "remove me", "not interested", "stop emailing", in
   the same languages) → ``unsubscribe``;
5. anything else is a person answering → ``reply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email import message_from_string, policy
from email.message import EmailMessage, Message

from signalseq.inbound.dates import return_date
from signalseq.inbound.parse import Inbound, header, ids_in

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
    r"^\s*(?:\[[^\]]*\]\s*)?(?:"
    # English
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
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


def _original_ids(message: EmailMessage, text: str) -> tuple[str, ...]:
    found: list[str] = []
    for part in _parts(message, "message/rfc822"):
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            found += ids_in(header(inner, "Message-ID"))
    for part in _parts(message, "text/rfc822-headers"):
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            headers = message_from_string(
                content.decode("utf-8", "replace"), policy=policy.compat32
            )
            found += ids_in(str(headers.get("Message-ID", "")))
    found += re.findall(r"(?im)^\s*message-id:\s*(<[^<>\s]+>)", text)
    return tuple(dict.fromkeys(found))


def _delivery_fields(message: EmailMessage) -> list[Message]:
    blocks: list[Message] = []
    for part in _parts(message, "message/delivery-status"):
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [b for b in payload if isinstance(b, Message)]
        elif isinstance(payload, str):  # some servers send it unparsed
            blocks += [message_from_string(chunk) for chunk in re.split(r"\n\s*\n", payload)]
    return blocks


def _address(value: str | None) -> str | None:
    if not value:
        return None
    found = re.search(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+\.\w+", value)
    return found.group(0).lower() if found else None


def _status_kind(action: str, status: str | None) -> tuple[Kind, str]:
    if action in ("delivered", "relayed", "expanded"):
        return "delivery_report", f"delivery report: {action}"
    if action == "delayed":
        return "delivery_report", f"delivery delayed ({status or 'no status'}); still trying"
    if status is None:
        return "bounce", "delivery failed (no status code)"
    klass, subject = status.split(".")[:2]
    if klass == "4":
        return "soft_bounce", f"temporary failure {status}"
    if subject == "7":
        return "policy_block", f"refused by policy or as spam ({status})"
    if subject == "2":
        return "soft_bounce", f"mailbox full or over quota ({status})"
    return "bounce", f"permanent failure {status}"


def _dsn(inbound: Inbound) -> Classification | None:
    message = inbound.message
    report = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    sender = inbound.from_address or ""
    looks_like_bounce = sender.startswith(BOUNCE_SENDERS) or (
        not inbound.headers.get("in-reply-to") and BOUNCE_SUBJECTS.search(inbound.subject)
    )
    if not report and not looks_like_bounce:
        return None
    originals = _original_ids(message, inbound.text)
    blocks = _delivery_fields(message) if report else []
    recipients = [
        b for b in blocks if header(b, "Final-Recipient") or header(b, "Original-Recipient")
    ]
    if recipients:
        failed = next(
            (b for b in recipients if header(b, "Action").lower() == "failed"),
            recipients[0],
        )
        action = (header(failed, "Action") or "failed").lower()
        found = STATUS.search(header(failed, "Status"))
        status = found.group(0) if found else None
        recipient = _address(
            header(failed, "Final-Recipient") or header(failed, "Original-Recipient")
        )
        diagnostic = " ".join(header(failed, "Diagnostic-Code").split())[:200]
    else:  # a bounce in prose: the first status code and address it names
        found = STATUS.search(inbound.text)
        status = found.group(0) if found else None
        action = "failed"
        final = re.search(r"(?im)^\s*final-recipient:\s*(.+)$", inbound.text)
        recipient = _address(final.group(1) if final else None) or next(
            (
                a
                for a in re.findall(r"[\w.+-]+@[\w.-]+\.\w+", inbound.text)
                if a.lower() != sender and not a.lower().startswith(BOUNCE_SENDERS)
            ),
            None,
        )
        recipient = recipient.lower() if recipient else None
        diagnostic = ""
        if status is None and not report:
            smtp = re.search(r"\b([45]\d\d)[ -]", inbound.text)
            status = f"{smtp.group(1)[0]}.0.0" if smtp else None
    kind, reason = _status_kind(action, status)
    if diagnostic:
        reason = f"{reason}: {diagnostic}"
    return Classification(kind, reason, status, recipient, originals)


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
    originals = _original_ids(message, inbound.text)
    reason = f"complaint report ({feedback.strip() or 'abuse'})"
    return Classification("complaint", reason, None, recipient, originals)


def _auto_reply(inbound: Inbound) -> Classification | None:
    headers = inbound.headers
    marker = None
    auto_submitted = headers.get("auto-submitted", "").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        marker = f"Auto-Submitted: {auto_submitted}"
    elif "x-autoreply" in headers or "x-autorespond" in headers:
        marker = "X-Autoreply" if "x-autoreply" in headers else "X-Autorespond"
    elif headers.get("precedence", "").lower() in ("auto_reply", "bulk", "junk"):
        marker = f"Precedence: {headers['precedence'].lower()}"
    elif any(
        value in headers.get("x-auto-response-suppress", "").lower() for value in ("oof", "all")
    ) or headers.get("x-ms-exchange-inbox-rules-loop"):
        marker = "Exchange auto-reply markers"
    elif AUTO_SUBJECTS.match(inbound.subject):
        marker = f"subject {inbound.subject[:60]!r}"
    if marker is None:
        return None
    text = f"{inbound.subject}\n{new_text(inbound.text) or inbound.text}"
    back = return_date(text, inbound.date.date()) if inbound.date else None
    reason = f"automatic reply ({marker})" + (f"; back {back.isoformat()}" if back else "")
    return Classification("auto_reply", reason, return_date=back)


def _unsubscribe(inbound: Inbound) -> Classification | None:
    written = new_text(inbound.text)
    for where, text in (("subject", inbound.subject), ("text", written)):
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


def classify(inbound: Inbound) -> Classification:
    for check in (_dsn, _complaint, _auto_reply, _unsubscribe):
        found = check(inbound)
        if found is not None:
            return found
    return Classification("reply", "a person replied")
