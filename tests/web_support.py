"""The web app served for real on a loopback port (for Chromium), and the browser."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import uvicorn
from fastapi import FastAPI
from tests.conftest import require
from tests.mail_servers import free_port, stop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """uvicorn in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the web app did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_process(env: dict[str, str]) -> Iterator[str]:
    """``signalseq serve`` as a user runs it, in its own process; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "signalseq", "serve", "--port", str(port)],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            _wait_until_serving(child, base, log)
            yield base
        finally:
            stop(child, timeout=15)


def _wait_until_serving(child: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log.seek(0)
            raise AssertionError(f"signalseq serve exited: {log.read().decode()[-2000:]}")
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("signalseq serve did not start")


def require_chromium() -> None:
    require(Path(CHROMIUM).exists(), f"Chromium not installed at {CHROMIUM}")
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed")


def post_login(client, data=None, **options):  # type: ignore[no-untyped-def]
    """Sign in as a browser does: the form (and its login_token cookie) first, then POST."""
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    return client.post("/login", data={**(data or {}), "login_token": token.group(1)}, **options)
