"""Rules throughput.

1. Decisions per second through the full decide step on SQLite (facts built, rules
   matched, policy applied, decisions and enrollments stored), side by side with raw
   durable_rules ``post`` throughput for the same compiled ruleset and events.
2. Wall time and peak memory of a backtest over 1,000,000 synthetic signals with 20
   rules (target: under 60 s on a 2-core machine), in a fresh process.

BENCH_DECIDE_SIGNALS and BENCH_BACKTEST_SIGNALS override the sizes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import peak_rss_mb, table, timed  # noqa: E402

from signalseq.clock import SimulatedClock  # noqa: E402
from signalseq.crm.models import Account, Contact  # noqa: E402
from signalseq.decisions.backtest import run_backtest  # noqa: E402
from signalseq.decisions.service import decide_pending  # noqa: E402
from signalseq.rules.engine import _LOCK, _event, _host  # noqa: E402
from signalseq.rules.facts import account_facts, contact_facts, signal_facts  # noqa: E402
from signalseq.signals.models import Signal  # noqa: E402
from signalseq.store.db import Database  # noqa: E402
from signalseq.workspace.loader import load_workspace  # noqa: E402

ACCOUNTS = 2000
ROUNDS = ["seed", "series_a", "series_b", "series_c", "growth"]
PAGES = ["pricing", "demo", "docs", "careers", "blog", "home"]
SENIORITY = ["c_level", "vp", "head", "director", "manager", "individual"]


def write_workspace(root: Path) -> None:
    (root / "rules" / "triggers").mkdir(parents=True)
    (root / "rules" / "sequences").mkdir(parents=True)
    (root / "workspace.yaml").write_text("name: bench\n")
    (root / "rules" / "policy.yaml").write_text("jurisdictions: {default: allowed}\n")
    (root / "rules" / "sequences" / "s.yaml").write_text(
        "id: s\nversion: 1\nbranches:\n  exec: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n  team: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n"
    )
    rules = ["rules:"]
    for n in range(20):  # 20 rules over the three signal kinds, varied thresholds
        kind = ("funding", "website_visit", "job_change")[n % 3]
        rules += [
            f"  - id: rule-{n:02d}",
            f"    on: {kind}",
            f"    priority: {100 + n}",
            "    when:",
        ]
        if kind == "funding":
            rules += [
                f"      - signal.amount_usd: {{gte: {(n + 1) * 2_000_000}}}",
                f"      - signal.round: {{in: [{', '.join(ROUNDS[1 + n % 3 :])}]}}",
                f"      - account.tier: {{lte: {1 + n % 4}}}",
            ]
        elif kind == "website_visit":
            rules += [
                f"      - account.pricing_visits_7d: {{gte: {2 + n % 5}}}",
                "      - signal.page_category: {in: [pricing, demo]}",
                f"      - account.tier: {{lte: {1 + n % 3}}}",
            ]
        else:
            rules += [
                "      - signal.change_type: {in: [new_company, promotion]}",
                f"      - signal.new_seniority: {{in: [{', '.join(SENIORITY[: 2 + n % 3])}]}}",
            ]
        rules += [
            "    who:",
            f"      seniority: [{', '.join(SENIORITY[: 3 + n % 3])}]",
            "      max_per_account: 2",
            "    enroll: s",
            "    branch: {cases: [{when: [{contact.seniority: {in: [c_level, vp]}}], use: exec}], default: team}",
        ]
    (root / "rules" / "triggers" / "bench.yaml").write_text("\n".join(rules) + "\n")


def seed(database: Database, signals: int) -> None:
    rng = random.Random(11)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as session:
        for i in range(ACCOUNTS):
            account = Account(
                domain=f"company{i}.com",
                name=f"Company {i}",
                normalized_name=f"company {i}",
                tier=1 + i % 4,
                country="US",
            )
            session.add(account)
            session.flush()
            for j in range(4):
                session.add(
                    Contact(
                        email=f"p{j}@company{i}.com",
                        full_name=f"P{j} C{i}",
                        seniority=SENIORITY[(i + j) % 6],
                        department="sales",
                        account_id=account.id,
                    )
                )
    rows = []
    table_insert = Signal.__table__.insert()
    with database.unit_of_work() as session:
        for n in range(signals):
            kind = rng.choices(["website_visit", "funding", "job_change"], [90, 5, 5])[0]
            account_id = 1 + rng.randrange(ACCOUNTS)
            when = start + timedelta(seconds=n * (365 * 86400 // max(signals, 1)))
            if kind == "funding":
                attrs = {
                    "round": rng.choice(ROUNDS),
                    "amount_usd": rng.randrange(1, 80) * 1_000_000,
                }
                subtype = attrs["round"]
            elif kind == "job_change":
                attrs = {
                    "change_type": rng.choice(["new_company", "promotion", "title_change"]),
                    "current": {"seniority": rng.choice(SENIORITY)},
                }
                subtype = attrs["change_type"]
            else:
                subtype = rng.choice(PAGES)
                attrs = {"page_category": subtype, "path": f"/{subtype}"}
            rows.append(
                {
                    "kind": kind,
                    "subtype": subtype,
                    "occurred_at": when,
                    "source": "bench",
                    "source_event_id": f"s{n}",
                    "dedupe_key": f"s{n}",
                    "attributes": attrs,
                    "raw": {},
                    "confidence": 1.0,
                    "account_id": account_id,
                    "account_match": "domain",
                    "account_match_score": 100.0,
                    "contact_match": "none",
                    "match_status": "matched",
                    "actor_key": f"v{rng.randrange(50)}",
                }
            )
            if len(rows) == 5000:
                session.execute(table_insert, rows)
                rows = []
        if rows:
            session.execute(table_insert, rows)


def raw_posts(database: Database, workspace_root: Path, limit: int) -> tuple[int, float]:
    """The same compiled ruleset, fed prepared events: durable_rules alone."""
    from signalseq.decisions.service import workspace_rules
    from signalseq.rules.engine import RuleEngine

    ruleset, _policy, _versions = workspace_rules(load_workspace(workspace_root))
    engine = RuleEngine(ruleset)
    events = []
    with database.unit_of_work() as session:
        for signal in session.query(Signal).limit(limit):
            account = session.get(Account, signal.account_id)
            for contact in account.contacts:
                facts = {
                    **signal_facts(signal),
                    **account_facts(account, {"pricing_visits_7d": 3}),
                    **contact_facts(contact, None),
                }
                events.append(_event(facts, engine.derived))
    counter = iter(range(10**9))

    def post_all() -> int:
        for event in events:
            with _LOCK:
                event.update(id=f"raw{next(counter)}", sid="0")
                engine._fired.clear()
                _host().post(engine.name, event)
        return len(events)

    return timed(post_all)


def child_backtest(count: str) -> None:
    folder = Path(tempfile.mkdtemp())
    write_workspace(folder / "ws")
    database = Database(f"sqlite:///{folder / 'bt.db'}")
    seed(database, int(count))
    rules = load_workspace(folder / "ws")
    result, seconds = timed(lambda: run_backtest(database, rules, explain=False))
    print(
        json.dumps(
            {
                "signals": result.replayed,
                "decisions": result.decisions,
                "enrolled": sum(v.outcome == "enrolled" for v in result.verdicts),
                "seconds": seconds,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def main() -> None:
    decide_count = int(os.environ.get("BENCH_DECIDE_SIGNALS", 20_000))
    backtest_count = int(os.environ.get("BENCH_BACKTEST_SIGNALS", 1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_workspace(folder / "ws")
        database = Database(f"sqlite:///{folder / 'decide.db'}")
        seed(database, decide_count)
        workspace = load_workspace(folder / "ws")
        clock = SimulatedClock(datetime(2027, 1, 1, tzinfo=UTC))
        report, decide_s = timed(lambda: decide_pending(database, workspace, clock))
        decisions = sum(report.outcomes.values())
        posts, raw_s = raw_posts(database, folder / "ws", 5000)
        print(f"rules benchmark: full decide over {decide_count:,} signals on SQLite, 20 rules")
        print(
            table(
                [
                    ("path", "count", "seconds", "per second"),
                    (
                        "full decide (facts, match, policy, store)",
                        f"{decisions:,} decisions",
                        f"{decide_s:.2f}",
                        f"{decisions / decide_s:,.0f}",
                    ),
                    (
                        "raw durable_rules post, same ruleset",
                        f"{posts:,} events",
                        f"{raw_s:.2f}",
                        f"{posts / raw_s:,.0f}",
                    ),
                ]
            )
        )
        print(
            f"ratio: a full decision costs {(decide_s / decisions) / (raw_s / posts):.1f}x a raw post "
            f"({report.signals:,} signals, {report.outcomes['enrolled']:,} enrolled)"
        )
    out = (
        subprocess.run(
            [sys.executable, __file__, "--backtest-child", str(backtest_count)],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    result = json.loads(out)
    verdict = "under" if result["seconds"] < 60 else "OVER"
    print(
        f"backtest: {result['signals']:,} signals, 20 rules: {result['seconds']:.1f} s "
        f"({verdict} the 60 s target), {result['decisions']:,} decisions, {result['enrolled']:,} enrolled, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--backtest-child":
        child_backtest(sys.argv[2])
    else:
        main()
