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
