"""A real DNS server on 127.0.0.1 (dnslib) answering from a zone a test writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dnslib import MX, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class _Quiet(DNSLogger):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(log="", prefix=False)

    def log_recv(self, *args: object) -> None: ...
    def log_send(self, *args: object) -> None: ...
    def log_request(self, *args: object) -> None: ...
    def log_reply(self, *args: object) -> None: ...
    def log_truncated(self, *args: object) -> None: ...
    def log_error(self, *args: object) -> None: ...
    def log_data(self, *args: object) -> None: ...


@dataclass
class Zone:
    """Records by name (no trailing dot): ("MX", "mx.example.com"), ("TXT", "v=spf1 …"),
    ("A", "192.0.2.1"). A name absent from ``records`` answers NXDOMAIN; one present
    answers the records of the asked type (none: an empty answer). A name in ``silent``
    is never answered (a lookup that times out)."""

    records: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    silence_seconds: float = 3.0
    asked: list[tuple[str, str]] = field(default_factory=list)  # (name, type) as received
    default: list[tuple[str, str]] | None = None  # the records of any other name


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: Zone):
        self.zone = zone

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.zone.asked.append((name, QTYPE[request.q.qtype]))
        if name in self.zone.silent:
            time.sleep(self.zone.silence_seconds)  # answered after the client gave up
            return reply
        records = self.zone.records.get(name, self.zone.default)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        wanted = QTYPE[request.q.qtype]
        for kind, value in records:
            if kind != wanted:
                continue
            if kind == "MX":
                data = MX(value, preference=0 if value == "." else 10)
            elif kind == "TXT":
                data = TXT(value)
            else:
                data = A(value)
            reply.add_answer(RR(name, getattr(QTYPE, kind), rdata=data, ttl=60))
        return reply


@contextmanager
def dns_server(zone: Zone) -> Iterator[int]:
    """Serve ``zone`` over UDP on 127.0.0.1; yields the port."""
    server = DNSServer(_Resolver(zone), address="127.0.0.1", port=0, logger=_Quiet())
    server.start_thread()
    try:
        yield server.server.server_address[1]
    finally:
        server.stop()
        server.server.server_close()
