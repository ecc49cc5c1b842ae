"""The default transport: nothing leaves the machine. Emails become ``.eml`` files in
the outbox folder; calls, LinkedIn steps and tasks become task files for the owner.

Each file is named after its touch and written atomically (temporary file, then
rename), so delivering the same touch twice — a worker that died after writing and
before committing — finds the file and writes nothing new.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from signalseq.crm.models import Contact
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import Touch


class OutboxTransport:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder

    def path_for(self, touch: Touch) -> Path:
        if touch.channel == "email":
            return self.folder / f"touch-{touch.id:08d}.eml"
        return self.folder / "tasks" / f"touch-{touch.id:08d}-{touch.channel}.json"

    def deliver(self, touch: Touch, draft: Draft, contact: Contact, now: datetime) -> Path:
        path = self.path_for(touch)
        if path.exists():
            return path  # delivered before a crash: never twice
        if touch.channel == "email":
            message = EmailMessage()
            message["To"] = contact.email or ""
            message["Subject"] = draft.subject or ""
            message["Date"] = format_datetime(now)
            message["Message-ID"] = make_msgid(f"touch{touch.id}", domain="signalseq.local")
            message["X-Signalseq-Touch"] = str(touch.id)
            message.set_content(draft.body)
            data = bytes(message)
        else:
            task = {
                "touch": touch.id,
                "channel": touch.channel,
                "purpose": touch.purpose,
                "contact": {"name": contact.full_name, "email": contact.email,
                            "phone": contact.phone, "linkedin": contact.linkedin_url},
                "due_at": touch.due_at.isoformat(),
                "text": draft.body,
            }  # fmt: skip
            data = json.dumps(task, indent=2).encode()
        _write_atomically(path, data)
        return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
