"""A worker process for the kill tests: the real pipeline on a clock that runs faster
than the wall clock (shared by every process, so leases expire for all of them alike),
sending through the test's SMTP server. Exits when nothing is left to send."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from signalseq.delivery.service import Delivery
from signalseq.enrollments.models import Touch
from signalseq.pipeline.tick import Pipeline
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.store.db import Database


class FastClock:
    def __init__(self, start: datetime, epoch: float, factor: float):
        self.start, self.epoch, self.factor = start, epoch, factor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.factor)


def main() -> None:
    url, root, outbox, start, epoch, factor, name = sys.argv[1:8]
    settings = Settings(_env_file=None, secret_key="test-secret-key-0123456789abcdef",
                        public_url="https://signalseq.test", outbox_dir=Path(outbox))  # fmt: skip
    database = Database(url)
    clock = FastClock(datetime.fromisoformat(start), float(epoch), float(factor))
    pipeline = Pipeline(database, RulesWatcher(Path(root)), clock, Delivery.from_settings(settings),
                        worker=name, batch=50, ingest=False, decide=False)  # fmt: skip
    idle = 0
    while idle < 20:
        report = pipeline.tick()
        with database.unit_of_work(read_only=True) as session:
            left = session.scalar(
                select(func.count())
                .select_from(Touch)
                .where(Touch.state.in_(("approved", "sending")))
            )
        idle = idle + 1 if not report.moves and not left else 0
        if not report.moves:
            time.sleep(0.2)


if __name__ == "__main__":
    main()
