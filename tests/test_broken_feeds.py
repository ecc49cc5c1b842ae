"""Broken feeds end in a clear error or a dead letter, never a traceback: truncated
XML, a wrong declared encoding, a 50 MB body, and a body that never finishes."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.test_funding_feeds import FEED


@contextmanager
def streaming(body: bytes, *, chunk: int = 65536, pause: float = 0.0, forever: bool = False):
    """Serves ``body`` in chunks without a Content-Length (and, ``forever``, keeps
    sending a byte every ``pause`` seconds after it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                for start in range(0, len(body), chunk):
                    self.wfile.write(body[start : start + chunk])
                while forever:
                    time.sleep(pause)
                    self.wfile.write(b" ")
                    self.wfile.flush()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()


def ingest(make_workspace, run_cli, url, extra=""):
    make_workspace({"workspace.yaml": "name: t\n",
                    "connectors/news.yaml": f"type: funding_feed\nurl: {url}\nretries: 0\n{extra}"})  # fmt: skip
    result = run_cli("ingest", "--json")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.stderr
    letters = json.loads(run_cli("deadletters", "list", "--json").stdout)
    return json.loads(result.stdout)[0], letters


def test_a_body_that_never_finishes_is_cut_off(make_workspace, run_cli):
    with streaming(FEED[:60], pause=0.05, forever=True) as url:
        began = time.monotonic()
        report, letters = ingest(make_workspace, run_cli, url, "timeout_seconds: 1\n")
    assert time.monotonic() - began < 10
    assert report["stored"] == 0
    assert len(letters) == 1 and "did not finish within 1.0s" in letters[0]["reason"]


def test_a_50_mb_feed_is_refused_while_streaming(make_workspace, run_cli):
    body = FEED[:-20] + b"<!--" + b"x" * (50 * 1024 * 1024) + b"-->" + FEED[-20:]
    with streaming(body) as url:
        report, letters = ingest(make_workspace, run_cli, url)
    assert report["stored"] == 0
    assert len(letters) == 1 and "bytes; refused" in letters[0]["reason"]


def test_truncated_xml_keeps_what_is_whole_or_dead_letters_the_rest(make_workspace, run_cli):
    with streaming(FEED[: len(FEED) // 2]) as url:
        report, letters = ingest(make_workspace, run_cli, url)
    assert report["stored"] == 0
    (letter,) = letters  # the cut entry, with why: the rest of the file never arrived
    assert letter["reason"] in ("entry has no title",) or letter["reason"].startswith(
        "not a readable feed"
    )


def test_a_wrong_declared_encoding_is_read_or_refused_clearly(make_workspace, run_cli):
    latin = FEED.replace(
        b"Northwind Analytics", "Nordwind Analytik Gesellschaft für Daten".encode("latin-1")
    )
    assert b"\xfc" in latin, "declared UTF-8 (the default), written in Latin-1"
    with streaming(latin) as url:
        report, letters = ingest(make_workspace, run_cli, url)
    assert report["stored"] + len(letters) == 1, (report, letters)
    if report["stored"]:
        signals = json.loads(run_cli("signals", "list", "--json").stdout)
        assert "Nordwind" in json.dumps(signals)
