"""Answers a misbehaving service gives, for the fake API's ``script()``: each one is wrong on
purpose in one way the client must survive without hanging or keeping anything bad."""
from __future__ import annotations

import json
from typing import Iterator

from tests.api.fake_api import Reply, tone

WAV_4S = tone(4.94)
MP3_1S = tone(1.0, fmt="mp3")


def limit_headers(remaining: str = "0", reset: str = "5000000000", limit: str = "60") -> dict:
    return {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining,
            "X-RateLimit-Reset": reset}


def truncated_wav(keep: int = 100) -> Reply:
    """200 with only the first bytes of a 4.94 s WAV, and an honest Content-Length for them."""
    return Reply(200, WAV_4S[:keep], {"Content-Type": "audio/wav"})


def html_page() -> Reply:
    return Reply(200, b"<html><body>Service temporarily unavailable</body></html>",
                 {"Content-Type": "text/html"})


def mp3_for_wav() -> Reply:
    return Reply(200, MP3_1S, {"Content-Type": "audio/mpeg"})


def endless(chunk: bytes = b" " * (1 << 20), total: int | None = None) -> Iterator[bytes]:
    """A body that goes on (``total`` bytes, or forever)."""
    sent = 0
    while total is None or sent < total:
        yield chunk
        sent += len(chunk)


def huge_json(mb: int = 400) -> Reply:
    head = b'{"models": ['
    return Reply(200, iter([head, *endless(total=mb << 20)]), {"Content-Type": "application/json"})


def deep_json(depth: int = 100_000) -> Reply:
    return Reply(200, b"[" * depth + b"]" * depth, {"Content-Type": "application/json"})


def unprocessable() -> Reply:
    body = {"detail": [{"loc": ["body", "speed"], "msg": "ensure this value is less than 2",
                        "type": "value_error"}]}
    return Reply(422, json.dumps(body).encode(), {"Content-Type": "application/json"})


def tone_bytes(seconds: float = 1.0) -> bytes:
    return tone(seconds)
