"""What real models answer, served by a local OpenAI-compatible server to the real
``openai`` client: a valid draft wrapped in thinking, prose, a second object or one
level down is accepted; a draft with a Subject: line, a preamble, Markdown, HTML, a
placeholder, the wrong language, a second signature or invented claims is asked again,
then flagged for a person — never released."""

from __future__ import annotations

import json

import pytest
from tests.drafting_support import GOOD_BODY, GOOD_SUBJECT, job_for
from tests.openai_server import Answer, draft_json, openai_server
from tests.test_llm_drafting import run_one

from signalseq.drafting.service import DraftResult

GOOD = draft_json(GOOD_SUBJECT, GOOD_BODY)
FRENCH = (
    "Bonjour Ada,\n\nFélicitations pour votre levée de fonds de 10 M$ menée par Example "
    "Ventures. Une nouvelle levée s'accompagne souvent d'objectifs de pipeline plus "
    "ambitieux et de nouveaux commerciaux à former en même temps.\n\nSeriez-vous "
    "disponible pour un appel de 20 minutes la semaine prochaine ?\n\nBien à vous,\nMaya"
)


@pytest.mark.parametrize(
    "answer",
    [
        f"<think>The user wants an email. Mention the $99M? No.</think>\n{GOOD}",
        f"Here is the JSON you asked for:\n{GOOD}\nLet me know if you need changes.",
        f"{GOOD}\n{draft_json('Another', 'Hi Ada, a second version')}",
        json.dumps({"email": {"subject": GOOD_SUBJECT, "body": GOOD_BODY}}),
    ],
    ids=["think-block", "prose-around", "two-objects", "nested-object"],
)
def test_a_valid_draft_inside_a_messy_answer_is_accepted(answer: str) -> None:
    with openai_server(lambda r, n: Answer(answer)) as server:
        result = run_one(server.url)
    assert isinstance(result, DraftResult), result
    assert (result.subject, result.body) == (GOOD_SUBJECT, GOOD_BODY)
    assert result.guardrails.passed and result.retries == 0
    assert len(server.requests) == 1


BAD_BODIES = {
    "subject_line": f"Subject: {GOOD_SUBJECT}\n\n{GOOD_BODY}",
    "preamble": f"Here is your email:\n\n{GOOD_BODY}",
    "markdown": GOOD_BODY.replace("$10M Series A", "**$10M Series A**"),
    "html": GOOD_BODY.replace("Hi Ada,", "<p>Hi Ada,</p>"),
    "placeholders": GOOD_BODY.replace("next week", "on [date] (book at [link])"),
    "escaped_newline": GOOD_BODY.replace("\n\n", "\\n\\n", 1),
    "sign_off": f"{GOOD_BODY}\n\nBest regards,\nMaya Lindqvist",
    "language": FRENCH,
    "grounding": GOOD_BODY.replace(
        "Harbor Freightworks booked",
        "Half of our customers doubled replies. We integrate natively with your CRM. "
        "Harbor Freightworks booked",
    ),
}


# more shapes of the same failures, as models write them
MORE_BAD_BODIES = [
    ("subject_line", f"Subject - {GOOD_SUBJECT}\n\n{GOOD_BODY}"),
    ("subject_line", f"**Subject line:** {GOOD_SUBJECT}\n\n{GOOD_BODY}"),
    ("preamble", f"Draft:\n\n{GOOD_BODY}"),
    ("preamble", f"Email to Ada Example:\n\n{GOOD_BODY}"),
    ("afterword", f"{GOOD_BODY}\n\nNote: I kept this under 120 words and avoided jargon."),
    ("afterword", f"{GOOD_BODY}\n\n(Word count: 61)"),
    ("afterword", f"{GOOD_BODY}\n\nFeel free to adjust the tone for your audience."),
    ("markdown", f"{GOOD_BODY}\n\n---\n\nP.S. Congrats again."),
    ("placeholders", GOOD_BODY.replace("Hi Ada", "Hi FIRST_NAME")),
    ("placeholders", GOOD_BODY.replace("Hi Ada", "Hi ____")),
    ("placeholders", GOOD_BODY.replace("41%", "XX%")),
    ("placeholders", GOOD_BODY.replace("compare notes?", "compare notes? (insert calendar link)")),
    ("signature_block", f"{GOOD_BODY}\n\nMaya Lindqvist\nAccount Executive, Tallyforge"),
]


@pytest.mark.parametrize(
    ("check", "body"),
    [*sorted(BAD_BODIES.items()), *MORE_BAD_BODIES],
    ids=[*sorted(BAD_BODIES), *(f"{c}-{i}" for i, (c, _) in enumerate(MORE_BAD_BODIES))],
)
def test_a_bad_draft_is_asked_again_then_flagged_never_released(check: str, body: str) -> None:
    bad = draft_json(GOOD_SUBJECT, body)
    with openai_server(lambda r, n: Answer(bad)) as server:
        result = run_one(server.url)
    assert isinstance(result, DraftResult), result
    assert len(server.requests) == 3  # asked twice more, then kept for a person
    assert check in {c.name for c in result.guardrails.failures}, result.guardrails.feedback()
    assert not result.guardrails.passed  # flagged: review, never an automatic release
    assert check in server.requests[1].messages[-1]["content"]  # the re-ask says why


@pytest.mark.parametrize("check", ["preamble", "language", "sign_off"])
def test_a_bad_draft_fixed_on_the_re_ask_is_accepted(check: str) -> None:
    answers = [draft_json(GOOD_SUBJECT, BAD_BODIES[check]), GOOD]
    with openai_server(lambda r, n: Answer(answers[n])) as server:
        result = run_one(server.url)
    assert isinstance(result, DraftResult) and result.guardrails.passed
    assert result.retries == 1 and result.body == GOOD_BODY


def test_a_linkedin_message_has_no_sign_off() -> None:
    job = job_for("linkedin-message")
    body = (
        "Thanks for connecting, Ada. Harbor Freightworks booked 41% more first meetings in "
        "the quarter after switching to intent-triggered sequences. Open to a short call "
        "next week to see if it fits?\n\nBest,\nMaya"
    )
    with openai_server(lambda r, n: Answer(draft_json(None, body))) as server:
        result = run_one(server.url, job)
    assert isinstance(result, DraftResult)
    assert "sign_off" in {c.name for c in result.guardrails.failures}


@pytest.mark.parametrize(
    "subject",
    [f"Subject: {GOOD_SUBJECT}", f'"{GOOD_SUBJECT}"', f"**{GOOD_SUBJECT}**", f"“{GOOD_SUBJECT}”"],
)
def test_a_labelled_or_quoted_subject_is_sent_without_the_label(subject: str) -> None:
    with openai_server(lambda r, n: Answer(draft_json(subject, GOOD_BODY))) as server:
        result = run_one(server.url)
    assert isinstance(result, DraftResult) and result.guardrails.passed
    assert result.subject == GOOD_SUBJECT and len(server.requests) == 1


def test_a_ps_under_the_signature_and_a_call_scripts_notes_are_not_flagged() -> None:
    body = f"{GOOD_BODY}\n\nP.S. The write-up is on tallyforge-demo.com."
    with openai_server(lambda r, n: Answer(draft_json(GOOD_SUBJECT, body))) as server:
        result = run_one(server.url)
    assert isinstance(result, DraftResult)
    assert {"signature_block", "afterword"}.isdisjoint(c.name for c in result.guardrails.failures)
    job = job_for("call-script")
    names = {c.name for c in job.checked(None, "Opener: Hi Ada.\nNote: pause here.")[2].checks}
    assert "afterword" not in names and "signature_block" not in names
