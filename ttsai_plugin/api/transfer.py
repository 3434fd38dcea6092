"""Files in and out of the API: checks before an upload, and downloads that never leave a
partial file at the destination (temp file beside ``out``, renamed only when complete)."""
from __future__ import annotations

import contextlib
import contextvars
import mimetypes
import os
import re
import time
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from ..errors import (APITimeoutError, IncompleteResponseError, InputError, LimitExceededError,
                      ResponseTooLargeError, write_error)
from .paths import MB, Endpoint

AUDIO_FORMATS = {".mp3": "mp3", ".wav": "wav", ".flac": "flac", ".ogg": "ogg",
                 ".m4a": "m4a", ".aac": "aac", ".opus": "ogg"}
CHUNK = 64 * 1024
MAX_DOWNLOAD = 4 * 1024 * MB
"""No download (audio answer, stem, dubbed track) is read past 4 GiB: over 6 h of 48 kHz
stereo WAV, far beyond any answer the contract's 100 MB uploads can produce."""
STALE_PART_SECONDS = 24 * 3600
_PART = re.compile(r"^\..+\.(?:(\d+)-)?[0-9a-f]{8}\.part$")


def format_for(out: Path | None, given: str | None) -> str | None:
    """The output format: the one given, else the one ``out``'s suffix names, else None."""
    if given:
        return given.lower().lstrip(".")
    return AUDIO_FORMATS.get(Path(out).suffix.lower()) if out is not None else None


def check_upload(path: str | os.PathLike[str], ep: Endpoint) -> Path:
    """An existing, readable file within the endpoint's upload limit — else a clear error."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.") from None
    except OSError as e:
        raise InputError(f"Cannot read {path}: {e.strerror}.") from None
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    if size == 0:
        raise InputError(f"{path} is empty.")
    if ep.upload_limit is not None and size > ep.upload_limit:
        raise LimitExceededError(
            f"{path.name} is {size / MB:.1f} MB; the {ep.name} upload limit is "
            f"{ep.upload_limit / MB:.0f} MB.",
            hint="Use a shorter range of the clip, or re-encode it smaller (a compressed "
                 "format, mono, lower sample rate); ttsai can split long audio at silences.")
    return path


Watcher = Callable[[str, int, "int | None"], None]
"""``watcher(direction, bytes_so_far, total_or_None)``; direction is "upload" or "download"."""

_watcher: contextvars.ContextVar[Watcher | None] = contextvars.ContextVar(
    "ttsai_transfer_watcher", default=None)


@contextlib.contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Report the bytes of every upload and download made on this thread inside the block
    (a long upload shows it moving while the service has not answered yet)."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


class _CountingFile:
    """An upload file that tells the watcher how many bytes httpx has read from it so far."""

    def __init__(self, handle: Any, total: int, watcher: Watcher) -> None:
        self._handle, self._total, self._watcher, self._sent = handle, total, watcher, 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._sent = min(self._total, self._handle.tell())
        self._watcher("upload", self._sent, self._total)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def upload_part(path: Path) -> tuple[str, object, str]:
    """A multipart (name, open file, type) triple; httpx streams it in 64 KB chunks, counted
    for the watcher of ``watching`` when there is one."""
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    handle = path.open("rb")
    watcher = _watcher.get()
    if watcher is not None:
        handle = _CountingFile(handle, os.fstat(handle.fileno()).st_size, watcher)
    return path.name, handle, ctype


def temp_beside(out: Path) -> Path:
    """A hidden ``.part`` name beside ``out`` that records our pid (see ``sweep_parts``)."""
    return out.with_name(f".{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def sweep_parts(folder: Path) -> int:
    """Remove ``.part`` files a killed run left in ``folder``: those whose process is gone, and
    any older than a day. Returns how many were removed."""
    removed = 0
    try:
        names = list(os.scandir(folder))
    except OSError:
        return 0
    now = time.time()
    for entry in names:
        m = _PART.match(entry.name)
        if not m or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(m.group(1)) if m.group(1) else None
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_PART_SECONDS
        except OSError:
            continue
        if (pid is not None and pid != os.getpid() and not _alive(pid)) or old:
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def stream_to_file(response: httpx.Response, out: Path, *, limit: int = MAX_DOWNLOAD) -> int:
    """Write the body to ``out`` as it arrives; rename only when it is whole. Returns bytes.

    A body shorter than its Content-Length, or a broken connection, raises
    :class:`IncompleteResponseError`; one past ``limit`` bytes raises
    :class:`ResponseTooLargeError`. Either way nothing is left at ``out`` or beside it.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(out, e) from None
    sweep_parts(out.parent)
    expected = response.headers.get("content-length")
    if expected is not None and expected.isdigit() and int(expected) > limit:
        raise _too_large(out.name, int(expected), limit)
    tmp = temp_beside(out)
    written = 0
    watcher = _watcher.get()
    total = int(expected) if expected is not None and expected.isdigit() else None
    try:
        with tmp.open("wb") as f:
            try:
                for chunk in response.iter_bytes(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise _too_large(out.name, written, limit)
                    f.write(chunk)
                    if watcher is not None:
                        watcher("download", written, total)
            except httpx.TimeoutException as e:
                raise APITimeoutError(f"The download of {out.name} stalled ({type(e).__name__}).",
                                      hint="Check the connection and try again.") from None
            except httpx.TransportError as e:
                raise IncompleteResponseError(
                    f"The download of {out.name} broke off after {written} bytes "
                    f"({type(e).__name__}).") from None
            f.flush()
            os.fsync(f.fileno())
        received = response.num_bytes_downloaded
        if expected is not None and expected.isdigit() and received != int(expected):
            raise IncompleteResponseError(
                f"The download of {out.name} ended at {received} of {expected} bytes.")
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise write_error(out, e) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return written


def _too_large(name: str, size: int, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The answer for {name} is over {limit / MB:,.0f} MB ({size / MB:,.0f} MB so far); "
        "it was not kept.", hint="The service sent far more than any result can be; "
                                 "try again later or report it.")


def atomic_temp_dir(out_dir: Path) -> Path:
    """A fresh hidden folder inside ``out_dir`` for results that must appear together."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".ttsai-", dir=out_dir))
