"""Call a WSGI app (the local engine) inside this process, streaming the request body.

httpx's own ``WSGITransport`` reads the whole request into memory first; uploads here may be
100 MB, so the body is handed to the app as a file-like that pulls chunks as it reads.
"""
from __future__ import annotations

import io
import sys
from typing import Any, Callable, Iterable, Iterator

import httpx

CHUNK = 64 * 1024


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _Body(httpx.SyncByteStream):
    def __init__(self, first: list[bytes], rest: Iterator[bytes], result: Any) -> None:
        self._first, self._rest, self._result = first, rest, result

    def __iter__(self) -> Iterator[bytes]:
        yield from (c for c in self._first if c)
        yield from (c for c in self._rest if c)

    def close(self) -> None:
        if hasattr(self._result, "close"):
            self._result.close()


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport that answers from a WSGI app in this process; nothing leaves it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        environ = {
            "wsgi.version": (1, 0), "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BufferedReader(_ChunkReader(request.stream), CHUNK),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "REQUEST_METHOD": request.method, "SCRIPT_NAME": "",
            "PATH_INFO": url.path, "QUERY_STRING": url.query.decode("ascii"),
            "SERVER_NAME": url.host, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PORT": str(url.port or {"http": 80, "https": 443}[url.scheme]),
        }
        for key, value in request.headers.raw:
            name = key.decode("latin-1").upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = "HTTP_" + name
            environ[name] = value.decode("latin-1")
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if exc_info and exc_info[0] is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return lambda data: None

        result = self.app(environ, start_response)
        chunks = iter(result)
        first: list[bytes] = []
        while not started:  # a generator app calls start_response on its first chunk
            chunk = next(chunks, None)
            if chunk is None:
                raise RuntimeError("the WSGI app returned without calling start_response")
            first.append(chunk)
        status, headers = started
        return httpx.Response(int(status.split()[0]), headers=headers,
                              stream=_Body(first, chunks, result))
