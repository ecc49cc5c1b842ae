"""`signalseq mailbox check` against a real DNS server on 127.0.0.1 serving a sending
domain set up right and one set up wrong: each broken record is named with its fix."""

from __future__ import annotations

import base64
import json

from tests.dns_server import Zone, dns_server

KEY = base64.b64encode(bytes(range(140))).decode()
ZONE = Zone(
    {
        "good-sender.com": [("TXT", "v=spf1 include:_spf.mailhost.net -all"),
                            ("MX", "mx.good-sender.com")],
        "_spf.mailhost.net": [("TXT", "v=spf1 ip4:198.51.100.0/24 -all")],
        "smtp.mailhost.net": [("A", "198.51.100.7")],
        "sel1._domainkey.good-sender.com": [("TXT", f"v=DKIM1; k=rsa; p={KEY}")],
        "_dmarc.good-sender.com": [("TXT", "v=DMARC1; p=reject; adkim=s; rua=mailto:d@good-sender.com")],
        "app.good-sender.com": [("A", "93.184.216.34")],
        "broken-sender.com": [("TXT", "v=spf1 ip4:203.0.113.9 -all")],
        "_dmarc.broken-sender.com": [("TXT", "v=DMARC1; p=none")],
        "sel1._domainkey.broken-sender.com": [("TXT", "v=DKIM1; p=")],
    }
)  # fmt: skip
MAILBOXES = """mailboxes:
  - id: good
    address: maya@good-sender.com
    name: Maya
    transport: smtp
    dkim_selector: sel1
    smtp: {host: smtp.mailhost.net, port: 25, security: none}
  - id: broken
    address: ola@broken-sender.com
    name: Ola
    transport: smtp
    dkim_selector: sel1
    smtp: {host: smtp.mailhost.net, port: 25, security: none}
  - id: folder
    address: demo@elsewhere.example
    name: Demo
"""


def test_each_broken_record_is_named_with_its_fix(make_workspace, run_cli, monkeypatch):
    make_workspace({"workspace.yaml": "name: t\n", "delivery/mailboxes.yaml": MAILBOXES})
    monkeypatch.setenv("SIGNALSEQ_PUBLIC_URL", "https://app.good-sender.com")
    with dns_server(ZONE) as port:
        monkeypatch.setenv("SIGNALSEQ_DNS_SERVERS", f"127.0.0.1:{port}")
        monkeypatch.setenv("SIGNALSEQ_DNS_TIMEOUT", "2")
        result = run_cli("mailbox", "check", "--json")
        text = run_cli("mailbox", "check", "good")
    assert result.exit_code == 1, "a failing domain exits 1"
    reports = {r["mailbox"]: r for r in json.loads(result.stdout)}
    assert set(reports) == {"good", "broken"}, "the outbox mailbox sends nothing to check"
    good = {c["name"]: c for c in reports["good"]["checks"]}
    assert reports["good"]["verdict"] == "ok", good
    assert "include:_spf.mailhost.net" in good["spf"]["detail"]
    assert good["dmarc"]["detail"].startswith("p=reject, alignment strict: adkim")
    broken = {c["name"]: (c["verdict"], c["detail"], c["fix"]) for c in reports["broken"]["checks"]}
    assert broken["spf"][0] == "fail" and "198.51.100.7 meets '-all'" in broken["spf"][1]
    assert "v=spf1 include:" in broken["spf"][2]
    assert broken["dkim"][0] == "fail" and "sel1._domainkey.broken-sender.com" in broken["dkim"][2]
    assert broken["dmarc"][0] == "warn" and "monitoring only" in broken["dmarc"][1]
    assert broken["mx"][0] == "fail" and "no MX record" in broken["mx"][1]
    assert text.exit_code == 0 and "good (good-sender.com): OK" in text.stdout
