"""Draft jobs from the shipped prompts and an invented research context, and a draft
that passes every guardrail for them — shared by the drafting tests and the benchmark."""

from __future__ import annotations

from signalseq.drafting.library import shipped_library
from signalseq.drafting.prompts import render
from signalseq.drafting.samples import sample_context
from signalseq.drafting.service import DraftJob

# Grounded in the funding sample context (Ada at Example Co, $10M Series A led by Example
# Ventures) and the shipped sender profile; 60 words, one question.
GOOD_SUBJECT = "Series A and your pipeline"
GOOD_BODY = (
    "Hi Ada,\n\nCongratulations on the $10M Series A led by Example Ventures. A new round "
    "usually brings a bigger pipeline target and new reps to ramp at once.\n\n"
    "Harbor Freightworks booked 41% more first meetings in the quarter after switching "
    "to intent-triggered sequences.\n\nWorth a 20-minute call next week to compare notes?"
    "\n\nBest,\nMaya"
)


def job_for(
    prompt_id: str = "email-opener-funding", kind: str = "funding", touch_id: int = 1
) -> DraftJob:
    library = shipped_library()
    prompt = library.prompts[prompt_id]
    context = sample_context(kind, library.sender, prompt)
    return DraftJob(
        touch_id, prompt, render(prompt, context.prompt_variables()), context, library.sender
    )
