"""Files the engine hands out by URL (translated audio, stems, chat replies, voice previews).

Stored under ``<data_dir>/files/<id>`` and served from ``/v1/files/<id>`` without auth (like a
CDN link), or addressed under ``public_base_url`` when one is configured. Each file is written
to a temporary name and renamed, so a URL never serves half a file. A file older than ``ttl``
seconds (``EngineConfig.file_ttl_seconds``, 24 h) has expired: 404, and it is deleted.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .audio import CONTENT_TYPES
from .errors import not_found

_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}\.[a-z0-9]{1,5}$")


class FileStore:
    """A folder of answer files with unguessable ids."""

    def __init__(self, data_dir: Path | None, public_base_url: str | None = None, *,
                 ttl: float = 24 * 3600.0) -> None:
        self.ttl = ttl
        self._swept = 0.0
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ttsai-engine-")
            data_dir = Path(self._tmp.name)
        self.root = Path(data_dir) / "files"
        self.root.mkdir(parents=True, exist_ok=True)
        self.public_base_url = public_base_url
        self._makers: dict[str, Callable[[str], bytes | None]] = {}

    def make_on_demand(self, prefix: str, maker: Callable[[str], bytes | None]) -> None:
        """Files named ``<prefix>…`` are made by ``maker(file_id)`` on first download."""
        self._makers[prefix] = maker

    def put(self, data: bytes, fmt: str, *, prefix: str = "file", name: str | None = None) -> str:
        """Store ``data`` and return its id (``<prefix>_<random>.<fmt>``, or ``name`` as given)."""
        file_id = name or f"{prefix}_{secrets.token_hex(12)}.{fmt}"
        if not _ID.match(file_id):
            raise ValueError(f"invalid file id {file_id!r}")
        self._sweep()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, self.root / file_id)
        return file_id

    def adopt(self, path: Path, fmt: str, *, prefix: str = "file") -> str:
        """Move the finished file ``path`` into the store (no copy in memory); its new id."""
        file_id = f"{prefix}_{secrets.token_hex(12)}.{fmt}"
        if not _ID.match(file_id):
            raise ValueError(f"invalid file id {file_id!r}")
        self._sweep()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
        os.close(fd)
        shutil.move(str(path), tmp)
        os.replace(tmp, self.root / file_id)
        return file_id

    def path(self, file_id: str) -> Path | None:
        """The stored file for an id, or None (ids never reach outside the folder)."""
        if not _ID.match(file_id):
            return None
        p = self.root / file_id
        try:
            if time.time() - p.stat().st_mtime > self.ttl:
                p.unlink(missing_ok=True)
                return None
        except OSError:
            return None
        return p if p.is_file() else None

    def _sweep(self) -> None:
        """Delete expired files (at most once a minute, on a write)."""
        now = time.time()
        if now - self._swept < 60:
            return
        self._swept = now
        for p in self.root.iterdir():
            try:
                if now - p.stat().st_mtime > self.ttl:
                    p.unlink(missing_ok=True)
            except OSError:
                pass

    def url(self, file_id: str, host_url: str) -> str:
        """The URL a client downloads ``file_id`` from (``host_url`` is the request's origin)."""
        if self.public_base_url:
            return self.public_base_url + file_id
        return host_url.rstrip("/") + "/v1/files/" + file_id

    def response(self, file_id: str, environ: dict) -> Response:
        p = self.path(file_id)
        if p is None and _ID.match(file_id):
            maker = next((m for pre, m in self._makers.items() if file_id.startswith(pre)), None)
            data = maker(file_id) if maker else None
            if data is not None:
                self.put(data, "", name=file_id)
                p = self.path(file_id)
        if p is None:
            raise not_found(f"File {file_id!r} not found (it may have expired).")
        ext = p.suffix.lstrip(".")
        resp = Response(wrap_file(environ, open(p, "rb")), direct_passthrough=True,
                        mimetype=CONTENT_TYPES.get(ext, "application/octet-stream"))
        resp.content_length = p.stat().st_size
        return resp
