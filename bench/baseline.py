"""The baseline every benchmark beats: a script written like the vendor reference's own examples.

Sequential requests, whole files in memory (``open().read()``, ``response.content``), no
retries, no client-side limiter, no cache, httpx used directly (a fresh client per request,
like ``requests.post``; ``stats`` only counts what went over the wire). Each function returns
the HTTP statuses it got, because a naive script does not check them (the reference writes
``response.content`` whatever it is).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import httpx

from _common import CountingTransport, WireStats


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def tts(base_url: str, key: str, text: str, out: str | Path, *, voice: str = "af_bella",
        model: str = "kokoro", format: str = "wav", stats: WireStats | None = None
        ) -> int:
    """One text-to-speech request, the reference's first example."""
    with httpx.Client(transport=CountingTransport(stats), timeout=None) as http:
        response = http.post(base_url + "tts/", headers=_headers(key),
                             json={"model": model, "text": text, "voice": voice, "format": format})
    with open(out, "wb") as f:
        f.write(response.content)
    return response.status_code


def narrate(base_url: str, key: str, chunks: Iterable[str], out_dir: str | Path, *,
            voice: str = "af_bella", format: str = "wav",
            stats: WireStats | None = None) -> list[int]:
    """A long script as the reference would do it: one request after another."""
    statuses = []
    for i, text in enumerate(chunks):
        statuses.append(tts(base_url, key, text, Path(out_dir) / f"part{i:04d}.{format}",
                            voice=voice, format=format, stats=stats))
    return statuses


def upload(base_url: str, key: str, path: str | Path, out: str | Path, *,
           endpoint: str = "audio/convert/", data: dict[str, Any] | None = None,
           stats: WireStats | None = None) -> int:
    """Upload a whole file read into memory, keep the whole answer in memory, write it out."""
    with open(path, "rb") as f:
        body = f.read()
    with httpx.Client(transport=CountingTransport(stats), timeout=None) as http:
        response = http.post(base_url + endpoint, headers=_headers(key),
                             files={"file": (Path(path).name, body)}, data=data or {})
    with open(out, "wb") as f:
        f.write(response.content)
    return response.status_code


def enhance(base_url: str, key: str, path: str | Path, out: str | Path,
            stats: WireStats | None = None) -> int:
    """The reference's audio-enhancement example (its curl call, in Python)."""
    return upload(base_url, key, path, out, endpoint="audio/enhance/",
                  data={"denoise": "true", "enhance_clarity": "true"}, stats=stats)
