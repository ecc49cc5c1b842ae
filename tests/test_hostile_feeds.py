"""Feed fetches an attacker controls (a server on 127.0.0.1): compression bombs, stacked
encodings, and bodies that name a local file. Memory stays bounded (measured in the
`signalseq ingest` process) and nothing on this machine is read."""

from __future__ import annotations

import functools
import gzip
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
from tests.test_funding_feeds import FEED

LIMIT_RSS = 512 * 1024 * 1024


@functools.cache
def gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block, parts = bytes(1 << 20), []
    for _ in range(size >> 20):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)


@contextmanager
def serving(body: bytes, encoding: str | None):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

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


def ingest_in_a_process(make_workspace, store, url):
    """`signalseq ingest --json` in its own process; its peak RSS, report and letters."""
    root = make_workspace({"workspace.yaml": "name: t\n",
                           "connectors/news.yaml": f"type: funding_feed\nurl: {url}\nretries: 0\n"})  # fmt: skip
    env = {**os.environ, "SIGNALSEQ_WORKSPACE": str(root), "SIGNALSEQ_DATABASE_URL": store.url}
    process = subprocess.Popen([sys.executable, "-m", "signalseq", "ingest", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        with suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.02)
    out, err = process.communicate()
    assert process.returncode == 0, err
    letters = subprocess.run([sys.executable, "-m", "signalseq", "deadletters", "list", "--json"],
                             env=env, capture_output=True, text=True, check=True)  # fmt: skip
    return peak, json.loads(out)[0], json.loads(letters.stdout)


def test_a_stacked_gzip_bomb_is_refused_with_bounded_memory(make_workspace, store):
    bomb = gzip.compress(gzip_of_zeros(1 << 30), 9)  # 1 GiB of zeros, gzip of gzip
    assert len(bomb) < 100_000
    with serving(bomb, "gzip, gzip") as url:
        peak, report, letters = ingest_in_a_process(make_workspace, store, url)
    assert peak < LIMIT_RSS, f"{peak >> 20} MB"
    assert report["stored"] == 0
    assert (
        len(letters) == 1
        and "stacked content encodings (gzip, gzip) refused" in letters[0]["reason"]
    )


def test_a_single_layer_bomb_is_cut_at_the_limit_with_bounded_memory(make_workspace, store):
    bomb = gzip_of_zeros(1 << 30)
    with serving(bomb, "gzip") as url:
        peak, report, letters = ingest_in_a_process(make_workspace, store, url)
    assert peak < LIMIT_RSS, f"{peak >> 20} MB"
    assert report["stored"] == 0
    assert len(letters) == 1 and "bytes; refused" in letters[0]["reason"]


def test_a_gzip_feed_is_read(make_workspace, store):
    with serving(gzip.compress(FEED), "gzip") as url:
        _peak, report, letters = ingest_in_a_process(make_workspace, store, url)
    assert report["stored"] >= 1 and letters == []


def test_a_body_naming_a_local_file_is_not_opened(make_workspace, store, tmp_path):
    local = tmp_path / "local-feed.xml"
    local.write_bytes(FEED)
    for body in (b"/dev/zero", str(local).encode()):
        with serving(body, None) as url:
            peak, report, letters = ingest_in_a_process(make_workspace, store, url)
        assert peak < LIMIT_RSS
        assert report["stored"] == 0, "no signal comes from a file on this machine"
        assert letters and "not a readable feed" in letters[-1]["reason"]
