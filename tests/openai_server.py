"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions API, whose answers
a test scripts. Used by the drafting tests and by benchmarks/drafting.py.

It records every request (body, headers, arrival time) and the most requests it ever
had in flight at once, so a test can observe retries and the concurrency bound from the
server's side.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """One scripted answer: a completion (``content``) or an HTTP error (``status``)."""

    content: str | None = None
    status: int = 200
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    error: str = "server error"
    refusal: str | None = None  # the model declined (structured outputs' refusal field)


@dataclass
class Request:
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages") or [])


def draft_json(subject: str | None, body: str) -> str:
    return json.dumps({"subject": subject, "body": body})


@dataclass
class FakeOpenAI:
    url: str
    requests: list[Request]
    lock: threading.Lock
    in_flight: int = 0
    max_in_flight: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the benchmark opens 32+ connections at once


@contextmanager
def openai_server(answer: Callable[[Request, int], Answer]) -> Iterator[FakeOpenAI]:
    """``answer(request, n)`` decides the reply to the n-th request (0-based)."""
    state = FakeOpenAI("", [], threading.Lock())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            request = Request(
                json.loads(raw or b"{}"),
                {k.lower(): v for k, v in self.headers.items()},
                time.monotonic(),
            )
            with state.lock:
                number = len(state.requests)
                state.requests.append(request)
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                reply = answer(request, number)
                if reply.delay:
                    time.sleep(reply.delay)
                self._send(reply, request, number)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _send(self, reply: Answer, request: Request, number: int) -> None:
            if reply.status != 200:
                payload: dict[str, Any] = {
                    "error": {"message": reply.error, "type": "server_error", "code": None}
                }
            else:
                payload = {
                    "id": f"chatcmpl-{number}",
                    "object": "chat.completion",
                    "created": 1_790_000_000,
                    "model": request.body.get("model", "fake-model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": reply.content,
                                "refusal": reply.refusal,
                            },
                            "finish_reason": reply.finish_reason,
                        }
                    ],
                    "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
                }
            data = json.dumps(payload).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_{number}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m tests.openai_server DELAY CONTENT_FILE``: serve one fixed answer after
    DELAY seconds from a process of its own (so a benchmark's client has its own CPU);
    prints the base URL, then serves until killed."""
    import sys

    delay = float(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as handle:
        content = handle.read()
    with openai_server(lambda r, n: Answer(content, delay=delay)) as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
