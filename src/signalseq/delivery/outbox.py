"""The default transport: nothing leaves the machine. Each email becomes an ``.eml``
file in the outbox folder, named after its touch and written atomically (temporary
file, then rename)."""

from __future__ import annotations

import os
import tempfile
from email.message import EmailMessage
from pathlib import Path

from signalseq.delivery.message import Letter
from signalseq.delivery.transport import SendResult


class OutboxTransport:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder

    def prepare(self) -> None:
        """Nothing to sign in to."""

    def path_for(self, touch_id: int) -> Path:
        return self.folder / f"touch-{touch_id:08d}.eml"

    def send(self, letter: Letter, message: EmailMessage) -> SendResult:
        path = self.path_for(letter.touch_id)
        if path.exists():  # written before a crash: a second copy would be a second send
            return SendResult("sent", f"already in the outbox as {path.name}")
        _write_atomically(path, bytes(message))
        return SendResult("sent", f"written to {path}")

    def close(self) -> None:
        pass


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
