"""What a route handler gets: the parsed request, the caller, and the engine's shared state."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import numpy as np
from werkzeug.wrappers import Request, Response

from ttsai_plugin.api.paths import Endpoint

from . import audio
from .auth import Caller
from .credits import Charge
from .params import Params

if TYPE_CHECKING:
    from .app import Engine

STREAM_CHUNK = 16 * 1024


@dataclass
class RequestContext:
    engine: "Engine"
    request: Request
    endpoint: Endpoint
    caller: Caller
    params: Params
    path_args: dict[str, str] = field(default_factory=dict)
    charge: Charge | None = None

    @property
    def host_url(self) -> str:
        """The engine's own origin, from the address it serves on (never the ``Host`` header
        a client sent, which would let it plant its own host in every URL handed out)."""
        env = self.request.environ
        scheme = env.get("wsgi.url_scheme", "http")
        host = env.get("SERVER_NAME") or "127.0.0.1"
        port = str(env.get("SERVER_PORT") or "")
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        default = {"http": "80", "https": "443"}.get(scheme)
        return f"{scheme}://{host}{'' if port in ('', default) else ':' + port}/"

    def bill(self, amount: float) -> None:
        """Reserve ``amount`` credits (402 when short); refunded if the request then fails."""
        if self.charge is not None:
            raise RuntimeError("a request is billed once")
        self.charge = self.engine.ledger.reserve(self.caller.key, amount)

    def decode(self, field_name: str = "file") -> tuple[np.ndarray, int]:
        started = time.monotonic()
        upload = self.params.file(field_name)
        samples, sr = audio.decode_upload(upload, field_name)
        self.pace(audio.duration(samples, sr), started)
        return samples, sr

    def pace(self, seconds: float, started: float) -> None:
        """Take at least ``realtime_factor`` x ``seconds`` of audio since ``started`` (the
        engine standing in for a slow service)."""
        wait = self.engine.config.realtime_factor * seconds
        time.sleep(max(0.0, wait - (time.monotonic() - started)))

    def file_url(self, file_id: str) -> str:
        return self.engine.files.url(file_id, self.host_url)


def audio_response(samples: np.ndarray, sr: int, fmt: str, *, mock: str | None = None,
                   stream: bool = False, **encode_opts) -> Response:
    """An audio answer in ``fmt`` with its Content-Type (chunked when ``stream``)."""
    data = audio.encode(samples, sr, fmt, **encode_opts)
    if stream:
        resp = Response(_chunks(data), mimetype=audio.CONTENT_TYPES[fmt], direct_passthrough=True)
    else:
        resp = Response(data, mimetype=audio.CONTENT_TYPES[fmt])
    if mock:
        resp.headers["X-TTSAI-Mock"] = mock
    return resp


def _chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), STREAM_CHUNK):
        yield data[i:i + STREAM_CHUNK]
