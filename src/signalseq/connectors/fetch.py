"""Fetching a source over HTTP: timeouts (per read, and for the whole body: a server
that trickles bytes forever is cut off), conditional GET, bounded size, retries.

Transport failures and 5xx answers are retried (tenacity, exponential back-off);
4xx answers are final. A body larger than ``max_bytes`` is refused while streaming.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from signalseq import __version__
from signalseq.errors import InputRejected


class FetchFailed(InputRejected):
    pass


class _Retryable(Exception):
    pass


@dataclass
class Fetched:
    body: bytes | None  # None: not modified since the last run
    etag: str | None
    last_modified: str | None
    content_type: str | None


def fetch(
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    timeout: float,
    retries: int,
    max_bytes: int,
) -> Fetched:
    headers = {
        "Accept-Encoding": "gzip, deflate",  # decoded here, bounded (see _decoder)
        "User-Agent": f"signalseq/{__version__} (+feed reader)",
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    @retry(
        retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
        stop=stop_after_attempt(retries + 1),
        wait=wait_exponential(multiplier=0.5, max=8),
        reraise=True,
    )
    def attempt() -> Fetched:
        started = time.monotonic()
        try:
            with (
                httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code == 304:
                    return Fetched(None, etag, last_modified, None)
                if response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise FetchFailed(f"{url}: HTTP {response.status_code}")
                declared = _content_length(response.headers.get("content-length"))
                if declared > max_bytes:
                    raise FetchFailed(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
                decode = _decoder(url, response.headers.get("content-encoding", ""))
                chunks, size = [], 0
                for raw in response.iter_raw():
                    if time.monotonic() - started > timeout:  # a body that never ends
                        raise FetchFailed(f"{url}: did not finish within {timeout}s")
                    # decoded and counted in one bounded step: never more than the limit
                    # is inflated, however small the compressed body
                    for chunk in decode(raw, max_bytes + 1 - size):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchFailed(f"{url}: more than {max_bytes} bytes; refused")
                        chunks.append(chunk)
                return Fetched(
                    b"".join(chunks),
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                    response.headers.get("content-type"),
                )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {timeout}s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc

    try:
        return attempt()
    except _Retryable as exc:
        raise FetchFailed(f"{url}: {exc} (after {retries + 1} attempts)") from exc


Decode = Callable[[bytes, int], Iterator[bytes]]


def _content_length(value: str | None) -> int:
    try:
        return max(int((value or "0").strip()[:20]), 0)
    except ValueError:
        return 0


def _decoder(url: str, content_encoding: str) -> Decode:
    """A bounded decoder for the body's encoding: identity, gzip or deflate, one layer.
    Stacked encodings ("gzip, gzip") are refused: each layer multiplies what a few
    kilobytes can inflate to."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise FetchFailed(f"{url}: stacked content encodings ({content_encoding}) refused")
    if not codings:
        return lambda raw, _room: iter([raw])
    if codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchFailed(f"{url}: content encoding {codings[0]!r} is not supported")
    wbits = 16 + zlib.MAX_WBITS if codings[0] in ("gzip", "x-gzip") else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)

    def decode(raw: bytes, room: int) -> Iterator[bytes]:
        """At most ``room`` bytes inflated per call; the caller refuses past its limit."""
        data = raw
        while data and room > 0:
            try:
                chunk = inflater.decompress(data, room)
            except zlib.error as exc:
                raise FetchFailed(f"{url}: the {codings[0]} body is corrupt ({exc})") from exc
            room -= len(chunk)
            if chunk:
                yield chunk
            data = inflater.unconsumed_tail

    return decode
