"""Classification in its fixed order, on messages shaped like real ones."""

from __future__ import annotations

from datetime import date

import pytest
from tests import inbound_messages as m

from signalseq.inbound.classify import classify
from signalseq.inbound.dates import return_date
from signalseq.inbound.parse import UnreadableMessage, parse

SENDER = "person@example-corp.com"
REF = "<t1.abc@tallyforge-demo.com>"


@pytest.mark.parametrize(
    ("template", "kind", "status", "back"),
    [
        (m.REPLY_OUTLOOK, "reply", None, None),
        (m.AUTO_REPLY_EN, "auto_reply", None, date(2026, 12, 7)),
        (m.AUTO_REPLY_FR_SUBJECT_ONLY, "auto_reply", None, date(2026, 12, 9)),
        (m.AUTO_REPLY_PL, "auto_reply", None, date(2026, 12, 4)),
        (m.AUTO_REPLY_NL_XAUTOREPLY, "auto_reply", None, date(2026, 11, 30)),
        (m.DSN_HARD, "bounce", "5.1.1", None),
        (m.DSN_SOFT, "soft_bounce", "4.4.1", None),
        (m.DSN_POLICY, "policy_block", "5.7.1", None),
        (m.DSN_DELAYED, "delivery_report", "4.4.7", None),
        (m.QMAIL_BOUNCE, "bounce", "5.1.1", None),
        (m.ARF_COMPLAINT, "complaint", None, None),
        (m.UNSUBSCRIBE_ES, "unsubscribe", None, None),
        (m.STRANGER, "reply", None, None),
    ],
)
def test_each_message_is_read_as_what_it_is(template, kind, status, back):
    found = classify(parse(m.render(template, SENDER, REF)))
    assert found.kind == kind, found.reason
    assert found.status == status
    assert found.return_date == back
    if kind in ("bounce", "soft_bounce", "policy_block", "complaint"):
        assert found.recipient == SENDER
    if template in (m.DSN_HARD, m.ARF_COMPLAINT, m.QMAIL_BOUNCE):
        assert REF in found.original_ids, "the bounced message is named, to match its touch"


def test_a_reply_quoting_our_unsubscribe_footer_is_still_a_reply():
    found = classify(parse(m.render(m.REPLY_OUTLOOK, SENDER, REF)))
    assert found.kind == "reply", "only what the person wrote counts, not the quoted footer"


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: your note",
        "Abwesenheitsnotiz: Ihre Nachricht",
        "Réponse automatique : votre message",
        "Respuesta automática: su mensaje",
        "Resposta automática: sua mensagem",
        "Automatisch antwoord: uw bericht",
        "Risposta automatica: il tuo messaggio",
        "Automatyczna odpowiedź: wiadomość",
        "Automatiskt svar: ditt meddelande",
        "Autosvar: din besked",
        "Fravær: din melding",
        "Automaattinen vastaus: viestisi",
    ],
)
def test_out_of_office_subjects_in_many_languages(subject):
    raw = f"From: a@b.example\r\nSubject: {subject}\r\nMessage-ID: <x@y>\r\n\r\nHi.\r\n"
    assert classify(parse(raw.encode())).kind == "auto_reply"


@pytest.mark.parametrize(
    "text",
    [
        "Please unsubscribe me.",
        "Remove me from this list",
        "Not interested, thanks.",
        "stop emailing me",
        "Bitte austragen, kein Interesse.",
        "Merci de me désinscrire.",
        "Geen interesse.",
        "Non sono interessato.",
        "Nie jestem zainteresowany.",
        "Inte intresserad, tack.",
    ],
)
def test_requests_to_stop(text):
    raw = f"From: a@b.example\r\nSubject: Re: hello\r\nMessage-ID: <x@y>\r\n\r\n{text}\r\n"
    assert classify(parse(raw.encode())).kind == "unsubscribe"


def test_return_dates_in_several_formats():
    sent = date(2026, 11, 24)
    assert return_date("back on 2026-12-03", sent) == date(2026, 12, 3)
    assert return_date("bis zum 3. Dezember", sent) == date(2026, 12, 3)
    assert return_date("de regreso el 3 de diciembre", sent) == date(2026, 12, 3)
    assert return_date("away from 1 to 10 December", sent) == date(2026, 12, 10)
    assert return_date("back January 5", sent) == date(2027, 1, 5), "next year's January"
    assert return_date("I am away", sent) is None
    assert return_date("back on 2025-01-01", sent) is None, "a past date is not a return"


@pytest.mark.parametrize("raw", [b"", b"   ", b"\x00\x01 not mail at all"])
def test_unreadable_input_is_refused_clearly(raw):
    with pytest.raises(UnreadableMessage):
        parse(raw)


@pytest.mark.parametrize("value", ["<@>", "<a@", "<[>", "<a@b", "<", "<\x00@x>"])
def test_a_broken_message_id_is_kept_as_written_not_raised(value):
    raw = f"From: a@b.example\r\nMessage-ID: {value}\r\nIn-Reply-To: {value}\r\n\r\nHi\r\n"
    inbound = parse(raw.encode())
    assert classify(inbound).kind == "reply"


def _prose(subject: str, body: str, sender: str = "MAILER-DAEMON@mx.example-corp.com",
           extra: str = "") -> bytes:  # fmt: skip
    raw = (
        f"From: {sender}\r\nTo: maya@tallyforge-demo.com\r\nSubject: {subject}\r\n"
        f"Date: Mon, 23 Nov 2026 14:15:02 +0000\r\nMessage-ID: <p1@mx.example-corp.com>\r\n"
        f"{extra}\r\n{body}\r\n"
    )
    return raw.encode()


def _report(status: str, diagnostic: str, action: str = "failed", text: str = "") -> bytes:
    body = (
        m.DSN_HARD.replace("Status: 5.1.1", f"Status: {status}")
        .replace("Diagnostic-Code: smtp; 550 5.1.1 User unknown", f"Diagnostic-Code: {diagnostic}")
        .replace("Action: failed", f"Action: {action}")
        .replace(
            "your message could not be delivered.", text or "your message could not be delivered."
        )
    )
    return m.render(body, SENDER, REF)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        # the text decides when the status is generic (or says something else)
        (
            _report("5.0.0", "smtp; 550 Message rejected: listed at zen.spamhaus.org"),
            "policy_block",
        ),
        (_report("5.0.0", "smtp; 554 Your message looks like SPAM to us"), "policy_block"),
        (_report("5.0.0", "smtp; 550 SPF check failed for the sending domain"), "policy_block"),
        (_report("5.7.1", "smtp; 550 5.7.1 No such user here"), "bounce"),
        (
            _report("5.7.0", "x-unix; the recipient mailbox has exceeded its disk space limit"),
            "soft_bounce",
        ),
        (_report("5.0.0", "smtp; 552 Mailbox full"), "soft_bounce"),
        (_report("5.4.7", "smtp; delivery time expired"), "soft_bounce"),
        (_report("5.0.0", "smtp; 550 junkmail@example-corp.com: user unknown"), "bounce"),
        # per-recipient action: a delay or a success report is no failure
        (_report("4.4.7", "smtp; 451 try again later", action="delayed"), "delivery_report"),
        (_report("2.0.0", "smtp; 250 ok", action="delivered"), "delivery_report"),
        (
            _prose(
                "Warning: could not send message for past 4 hours",
                "THIS IS A WARNING MESSAGE ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE.\r\n"
                "The mail system will continue to try to deliver it for 5 days.\r\n"
                "Remote host said: 451 4.3.0 temporary failure",
            ),
            "delivery_report",
        ),
        # gave up after retrying: soft
        (
            _prose(
                "failure notice",
                "I'm sorry, I couldn't deliver your message to "
                "<person@example-corp.com> for 5 days. Giving up.",
            ),
            "soft_bounce",
        ),
        # a bounce carrying auto-reply headers is still a bounce, with no return date
        (
            _prose(
                "Mail delivery failed",
                "This message was created automatically by mail "
                "delivery software.\r\n\r\n  person@example-corp.com\r\n    550 5.1.1 user "
                "unknown (on 29 April)",
                sender="bounces@relay.example",
                extra="Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\n",
            ),
            "bounce",
        ),
        # a version number is not a status code
        (
            _prose(
                "Undelivered Mail Returned to Sender",
                "This is Postfix 2.5.5 at host "
                "mx.example.\r\n<person@example-corp.com>: host does not exist (NXDOMAIN)",
            ),
            "bounce",
        ),
    ],
)
def test_what_decides_the_class_of_a_delivery_report(raw, kind):
    found = classify(parse(raw))
    assert found.kind == kind, found.reason
    assert found.return_date is None


def test_the_failed_recipient_is_never_one_of_our_addresses():
    google_groups = _prose(
        "Delivery Status Notification (Failure)",
        "Message from maya@tallyforge-demo.com could not be delivered to the group.",
        extra="X-Failed-Recipients: person@example-corp.com\r\n",
    )
    assert classify(
        parse(google_groups), own=frozenset({"maya@tallyforge-demo.com"})
    ).recipient == ("person@example-corp.com")
    only_ours = _prose("Undeliverable", "Delivery failed: maya@tallyforge-demo.com said 550 no.")
    found = classify(parse(only_ours), own=frozenset({"maya@tallyforge-demo.com"}))
    assert found.kind == "bounce" and found.recipient is None


def test_an_unsubscribe_is_read_before_auto_reply_headers():
    apple = classify(parse(m.render(m.UNSUBSCRIBE_APPLE, SENDER, REF, "tok")))
    assert apple.kind == "unsubscribe", "Apple Mail's mailto: unsubscribe is Auto-Submitted"
    only_token = m.UNSUBSCRIBE_APPLE.replace("Subject: unsubscribe {token}", "Subject: {token}")
    raw = m.render(only_token, SENDER, REF, "tok")
    assert classify(parse(raw)).kind == "auto_reply"
    assert classify(parse(raw), token=True).kind == "unsubscribe", "our token decides"


@pytest.mark.parametrize(
    ("text", "sent", "back"),
    [
        ("I'm away July 10-31, back in August", date(2010, 7, 5), date(2010, 7, 31)),
        ("Ich bin vom 10.–31. Juli nicht im Büro.", date(2010, 7, 5), date(2010, 7, 31)),
        ("I am away until 05/07/2010.", date(2010, 7, 5), date(2010, 7, 5)),
        (
            "Out of the office until 05/01/2010, returning 5th Jan",
            date(2010, 1, 4),
            date(2010, 1, 5),
        ),
        ("Je suis absente jusqu'au lundi 14 décembre.", date(2026, 12, 1), date(2026, 12, 14)),
        ("Jag är tillbaka måndag 7 december.", date(2026, 12, 1), date(2026, 12, 7)),
        ("Estaré fuera hasta el 15 de enero.", date(2026, 12, 20), date(2027, 1, 15)),
        ("Sent on 04/01/2010 10:55:58. I am away.", date(2010, 1, 4), date(2010, 1, 4)),
    ],
)
def test_return_dates_read_with_a_date_parser(text, sent, back):
    assert return_date(text, sent) == back
