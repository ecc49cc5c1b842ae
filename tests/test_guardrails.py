"""Guardrails on planted failures, and the offline drafter: every shipped prompt, every
signal kind, within limits and grounded; deterministic; varied."""

from __future__ import annotations

import pytest
from tests.drafting_support import GOOD_BODY, GOOD_SUBJECT, job_for

from signalseq.drafting.library import shipped_library
from signalseq.drafting.samples import SAMPLE_KINDS
from signalseq.drafting.service import OfflineDrafter


def failures(
    subject: str | None, body: str, prompt_id: str = "email-opener-funding"
) -> dict[str, list[str]]:
    _, _, report = job_for(prompt_id).checked(subject, body)
    return {c.name: [s.text for s in c.spans] for c in report.failures}


def test_the_reference_draft_passes() -> None:
    assert failures(GOOD_SUBJECT, GOOD_BODY) == {}


@pytest.mark.parametrize(
    ("change", "check", "spans"),
    [
        (
            ("Worth a 20-minute", "Hope this finds you well. Worth a 20-minute"),
            "banned_phrases",
            ["Hope this finds you well"],
        ),
        (("Hi Ada,", "Hi {first_name},"), "placeholders", ["{first_name}"]),
        (("Hi Ada,", "Hi [First Name],"), "placeholders", ["[First Name]"]),
        (
            ("compare notes?", "compare notes? See https://evil.example/x"),
            "links",
            ["https://evil.example/x"],
        ),
        (("$10M", "$12M"), "grounding", ["$12M"]),
        (("41%", "45%"), "grounding", ["45%"]),
        (("led by Example Ventures", "led by Sequoia Capital"), "grounding", ["Sequoia Capital"]),
        (("Best,", "Are you around Tuesday? Best,"), "call_to_action", []),
    ],
)
def test_each_planted_failure_is_caught_with_its_span(
    change: tuple[str, str], check: str, spans: list[str]
) -> None:
    found = failures(GOOD_SUBJECT, GOOD_BODY.replace(*change))
    assert check in found, found
    assert found[check] == spans


def test_word_limits_subject_and_reply_prefix() -> None:
    assert "word_count" in failures(
        GOOD_SUBJECT, "Hi Ada,\n\nWorth a 20-minute call next week to compare notes?"
    )
    assert "subject" in failures("x" * 61, GOOD_BODY)
    assert "subject" in failures(None, GOOD_BODY)
    assert failures("Re: Series A and your pipeline", GOOD_BODY)["reply_prefix"] == ["Re:"]
    # a threaded bump keeps the thread's subject with Re:, whatever the model wrote
    bump = job_for("email-bump")
    subject, _, report = bump.checked("Totally new subject", GOOD_BODY)
    assert subject == "Re: Example Co's next stage"
    assert "reply_prefix" not in {c.name for c in report.failures}


def test_a_linkedin_note_has_no_subject_and_a_character_limit() -> None:
    long_note = "Hi Ada, congratulations on the Series A. " * 9
    found = failures(None, long_note, "linkedin-connect")
    assert "length" in found
    assert "subject" in failures(
        "Hello", "Hi Ada, congratulations on the Series A at Example.", "linkedin-connect"
    )


COMBINATIONS = [
    (prompt.id, kind)
    for prompt in sorted(shipped_library().prompts.values(), key=lambda p: p.id)
    for kind in SAMPLE_KINDS
    if prompt.signal in (None, kind)  # an opener is written for one signal kind
]


@pytest.mark.parametrize(("prompt_id", "kind"), COMBINATIONS)
def test_the_offline_drafter_passes_every_guardrail(prompt_id: str, kind: str) -> None:
    prompt = shipped_library().prompts[prompt_id]
    result = OfflineDrafter().draft(job_for(prompt_id, kind))
    assert result.guardrails.passed, (result.body, result.guardrails.feedback())
    assert "Ada" in result.body
    assert (result.subject is None) == (prompt.channel != "email")


def test_the_offline_drafter_uses_the_signal_facts_and_is_deterministic() -> None:
    funding = OfflineDrafter().draft(job_for("email-opener-funding", "funding"))
    assert "$10M Series A" in funding.body and "Example Ventures" in funding.body
    job_change = OfflineDrafter().draft(job_for("email-opener-job-change", "job_change"))
    assert "VP Sales" in job_change.body
    again = OfflineDrafter().draft(job_for("email-opener-funding", "funding"))
    assert (again.subject, again.body) == (funding.subject, funding.body)


def test_the_offline_drafter_varies_by_contact_and_by_step() -> None:
    bodies = set()
    for name in ("Ada Example", "Grace Sample", "Linus Demo", "Margaret Test"):
        job = job_for("email-opener-funding")
        job.context.data["contact"]["full_name"] = name
        bodies.add(OfflineDrafter().draft(job).body)
    assert len(bodies) > 1
    opener = OfflineDrafter().draft(job_for("email-opener-funding")).body
    angle = OfflineDrafter().draft(job_for("email-new-angle")).body
    assert opener.split("\n\n")[2] != angle.split("\n\n")[2]  # a different value proposition


@pytest.mark.parametrize("subject", ["Series A\nand your pipeline", "Series A\r\nBcc: x@y.z",
                                     "Series A\\nand more", "Series A\x00"])  # fmt: skip
def test_a_subject_with_a_line_break_fails(subject: str) -> None:
    assert "subject_one_line" in failures(subject, GOOD_BODY)


def test_grounding_catches_planted_hallucinations_and_passes_faithful_paraphrases() -> None:
    from tests.grounding_suite import score

    result = score()
    assert sum(result.planted.values()) >= 80 and sum(result.faithful.values()) >= 80
    assert result.recall >= 0.95, "\n".join(result.errors)
    assert result.false_positives <= 0.03, "\n".join(result.errors)


def _offline(prompt_id: str, kind: str = "funding", **contact: object):  # type: ignore[no-untyped-def]
    job = job_for(prompt_id, kind)
    job.context.data["contact"].update(contact)
    return job, OfflineDrafter().draft(job)


def test_the_offline_drafter_writes_for_the_contacts_role() -> None:
    written = {}
    for persona, department, title in [("security", "security", "Head of Security"),
                                       ("people", "people", "Head of People"),
                                       ("sales", "sales", "VP Sales")]:  # fmt: skip
        job, written[persona] = _offline("email-opener-funding", department=department, title=title)
        sender = job.context.data["sender"]
        tagged = [text.lower() for text, personas in
                  zip(sender["value_propositions"], sender["value_personas"], strict=True)
                  if persona in personas]  # fmt: skip
        assert any(text in written[persona].body.lower() for text in tagged), persona
        assert f"{persona} leader" in written[persona].body, persona
    security, people, sales = written["security"], written["people"], written["sales"]
    assert len({security.body, people.body, sales.body}) == 3


def test_the_offline_drafter_never_sends_a_claim_twice_to_one_person() -> None:
    from signalseq.drafting.grounding import claims_made

    job = job_for("email-new-angle")
    sender = job.context.data["sender"]
    already = claims_made([p["claim"] for p in sender["proof_points"]], sender)
    already += claims_made(sender["value_propositions"][:2], sender)
    job.context.data["already_claimed"] = already
    result = OfflineDrafter().draft(job)
    assert result.guardrails.passed, result.guardrails.feedback()
    again = {c["claim"] for c in claims_made([result.body], sender)}
    assert not again & {c["claim"] for c in already}, again
    assert "repeated_claim" not in {c.name for c in result.guardrails.checks if c.warning}


def test_a_visit_note_never_names_what_was_read_and_a_value_add_does_not_ask() -> None:
    visit = OfflineDrafter().draft(job_for("email-opener-visit", "website_visit"))
    text = f"{visit.subject}\n{visit.body}".lower()
    assert "pricing" not in text and "/pricing" not in text and "visit" not in text
    value = OfflineDrafter().draft(job_for("email-value-add"))
    assert value.guardrails.passed and "?" not in value.body
