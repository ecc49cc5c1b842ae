"""The enrollment and touch lifecycle, and scheduling touches in business time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.factories import enroll

from signalseq.crm.models import Contact
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.enrollments.scheduling import contact_calendar, schedule_next
from signalseq.enrollments.service import plan_touches
from signalseq.sequences.schema import SequenceFile

SEQUENCE = SequenceFile.model_validate(
    {
        "id": "outreach",
        "version": 2,
        "branches": {
            "main": {
                "steps": [
                    {
                        "id": "opener",
                        "channel": "email",
                        "day": 0,
                        "purpose": "opener",
                        "prompt": "p1",
                    },
                    {"id": "call", "channel": "call", "day": 2, "purpose": "call", "prompt": "p2"},
                    {
                        "id": "bump",
                        "channel": "email",
                        "after": 3,
                        "purpose": "bump",
                        "prompt": "p3",
                        "thread": "continue",
                    },
                ]
            }
        },
    }
)
MONDAY_NOON_BERLIN = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


@pytest.fixture
def enrollment(store):
    with store.database.unit_of_work() as session:
        return enroll(
            session,
            account={
                "name": "Acme",
                "normalized_name": "acme",
                "domain": "acme.de",
                "country": "DE",
                "timezone": "Europe/Berlin",
            },
            contact={"email": "ana@acme.de", "full_name": "Ana"},
            sequence_id="outreach",
            sequence_version=2,
            enrolled_at=MONDAY_NOON_BERLIN,
        ).id


def _load(session, enrollment_id):
    row = session.get(Enrollment, enrollment_id)
    contact = session.get(Contact, row.contact_id)
    return row, contact_calendar(contact, "UTC", None)


def test_steps_are_scheduled_one_at_a_time_in_local_business_hours(store, enrollment):
    berlin = ZoneInfo("Europe/Berlin")
    with store.database.unit_of_work() as session:
        row, calendar = _load(session, enrollment)
        opener = schedule_next(session, row, SEQUENCE, calendar, MONDAY_NOON_BERLIN)
        assert opener.step_id == "opener"
        local = opener.due_at.astimezone(berlin)
        assert local.date().isoformat() == "2026-11-23" and time(13, 0) <= local.time() < time(
            15, 0
        ), "noon is between windows: the afternoon window the same day"
        assert schedule_next(session, row, SEQUENCE, calendar, MONDAY_NOON_BERLIN) is None, (
            "one in flight"
        )
        for state in ("drafting", "approved", "sent"):
            lifecycle.move_touch(session, opener, state, "test", MONDAY_NOON_BERLIN)
        call = schedule_next(
            session, row, SEQUENCE, calendar, MONDAY_NOON_BERLIN + timedelta(hours=2)
        )
        assert (call.step_id, call.due_at.astimezone(berlin).date().isoformat()) == (
            "call",
            "2026-11-25",
        )
        lifecycle.move_touch(session, call, "skipped", "rep skipped the call", call.due_at)
        bump = schedule_next(session, row, SEQUENCE, calendar, call.due_at)
        assert bump.step_id == "bump"
        assert bump.due_at.astimezone(berlin).date().isoformat() == "2026-11-30", (
            "3 business days after the call was skipped (Wed 25 Nov, by the simulated clock)"
        )
        for state in ("drafting", "approved", "sent"):
            lifecycle.move_touch(session, bump, state, "test", bump.due_at)
        assert schedule_next(session, row, SEQUENCE, calendar, bump.due_at) is None
        assert row.state == "completed" and row.ended_at == bump.due_at


def test_an_exit_cancels_every_unsent_touch_and_records_why(store, enrollment):
    with store.database.unit_of_work() as session:
        row, _calendar = _load(session, enrollment)
        states = {"a": "scheduled", "b": "drafting", "c": "in_review", "d": "approved", "e": "sent"}
        for index, (step, state) in enumerate(states.items()):
            session.add(
                Touch(
                    enrollment_id=row.id,
                    branch="main",
                    step_id=step,
                    step_index=index,
                    channel="email",
                    purpose="bump",
                    due_at=MONDAY_NOON_BERLIN,
                    state=state,
                )
            )
        session.flush()
        cancelled = lifecycle.exit_enrollment(
            session, row, "replied", MONDAY_NOON_BERLIN, "reply from ana"
        )
        assert cancelled == 4
        assert (row.state, row.exit_reason) == ("exited", "replied")
        touches = session.query(Touch).filter_by(enrollment_id=row.id).order_by(Touch.step_id).all()
        assert [t.state for t in touches] == ["cancelled"] * 4 + ["sent"], "a sent touch stays sent"
        assert lifecycle.exit_enrollment(session, row, "unsubscribed", MONDAY_NOON_BERLIN) == 0, (
            "idempotent"
        )
        (change,) = lifecycle.history(session, "enrollment", row.id)
        assert (change.from_state, change.to_state, change.cause) == (
            "active",
            "exited",
            "reply from ana",
        )
        assert len(lifecycle.history(session, "touch", touches[0].id)) == 1


def test_illegal_transitions_raise(store, enrollment):
    with store.database.unit_of_work() as session:
        row, _calendar = _load(session, enrollment)
        lifecycle.complete_enrollment(session, row, MONDAY_NOON_BERLIN)
        with pytest.raises(lifecycle.IllegalTransition, match="cannot go from completed to active"):
            lifecycle.move_enrollment(session, row, "active", "manual", MONDAY_NOON_BERLIN)
        touch = Touch(
            enrollment_id=row.id,
            branch="main",
            step_id="x",
            step_index=0,
            channel="email",
            purpose="bump",
            due_at=MONDAY_NOON_BERLIN,
            state="sent",
        )
        session.add(touch)
        session.flush()
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.move_touch(session, touch, "scheduled", "again", MONDAY_NOON_BERLIN)


def test_a_resumed_enrollment_sends_its_overdue_touch_in_the_next_window(store, enrollment):
    with store.database.unit_of_work() as session:
        row, calendar = _load(session, enrollment)
        touch = schedule_next(session, row, SEQUENCE, calendar, MONDAY_NOON_BERLIN)
        later = MONDAY_NOON_BERLIN + timedelta(days=10)
        lifecycle.pause_enrollment(
            session, row, later, "out of office until 3 Dec", MONDAY_NOON_BERLIN
        )
        assert schedule_next(session, row, SEQUENCE, calendar, MONDAY_NOON_BERLIN) is None, "paused"
        report = plan_touches(
            session,
            {("outreach", 2): SEQUENCE},
            later,
            default_timezone="UTC",
            default_country=None,
        )
        assert report.resumed == 1 and report.reslotted == 1 and row.state == "active"
        local = touch.due_at.astimezone(ZoneInfo("Europe/Berlin"))
        # 3 Dec 2026 12:00 is between the windows: the touch goes out in the afternoon one
        assert touch.due_at > later and local.date().isoformat() == "2026-12-03"
        assert time(13) <= local.time() < time(15), local


def test_an_enrollment_keeps_its_pinned_version(store, enrollment):
    newer = SEQUENCE.model_copy(update={"version": 3})
    with store.database.unit_of_work() as session:
        row, calendar = _load(session, enrollment)
        with pytest.raises(ValueError, match="pinned to version 2"):
            schedule_next(session, row, newer, calendar, MONDAY_NOON_BERLIN)
