"""Files in and out of the API: checks before an upload, and downloads that never leave a
partial file at the destination (temp file beside ``out``, renamed only when complete)."""
from __future__ import annotations

import mimetypes
import os
import tempfile
import uuid
from pathlib import Path

import httpx

from ..errors import (APITimeoutError, IncompleteResponseError, InputError, LimitExceededError,
                      write_error)
from .paths import MB, Endpoint

AUDIO_FORMATS = {".mp3": "mp3", ".wav": "wav", ".flac": "flac", ".ogg": "ogg",
                 ".m4a": "m4a", ".aac": "aac", ".opus": "ogg"}
CHUNK = 64 * 1024


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


def upload_part(path: Path) -> tuple[str, object, str]:
    """A multipart (name, open file, type) triple; httpx streams it in 64 KB chunks."""
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.name, path.open("rb"), ctype


def _temp_beside(out: Path) -> Path:
    return out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")


def stream_to_file(response: httpx.Response, out: Path) -> int:
    """Write the body to ``out`` as it arrives; rename only when it is whole. Returns bytes.

    A body shorter than its Content-Length, or a broken connection, raises
    :class:`IncompleteResponseError` and leaves nothing at ``out`` or beside it.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(out, e) from None
    tmp = _temp_beside(out)
    expected = response.headers.get("content-length")
    written = 0
    try:
        with tmp.open("wb") as f:
            try:
                for chunk in response.iter_bytes(CHUNK):
                    f.write(chunk)
                    written += len(chunk)
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


def atomic_temp_dir(out_dir: Path) -> Path:
    """A fresh hidden folder inside ``out_dir`` for results that must appear together."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".ttsai-", dir=out_dir))
