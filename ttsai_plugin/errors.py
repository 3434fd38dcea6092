"""The one error hierarchy of ttsai-plugin.

Every failure a user can meet is a :class:`TTSAIError` with a message that says what to do.
API errors carry the HTTP status, the contract's error code and any extra fields of the
error body (``credits_required`` …). Messages never contain the API key.
"""
from __future__ import annotations

import errno
import math
import shutil
from pathlib import Path
from typing import Any

from ttsai_plugin.sentences import clause, join


class TTSAIError(Exception):
    """Base class of every error this package raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(join(message, hint) if hint else message)


# --- the API's own answers -------------------------------------------------------------

class APIError(TTSAIError):
    """An error answer from the API: status, code, message and the body's extra fields."""

    status: int = 0
    code: str = "error"
    default_hint: str | None = None

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 hint: str | None = None) -> None:
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(message, hint=hint or self.default_hint)

    @property
    def retryable(self) -> bool:
        return False


class BadRequestError(APIError):
    status, code = 400, "bad_request"


class AuthenticationError(APIError):
    status, code = 401, "unauthorized"
    default_hint = ("Set a valid API key (TTSAI_API_KEY, the add-on preferences, or "
                    "`ttsai` config), or remove it to use the local engine.")


class InsufficientCreditsError(APIError):
    """402: the message itself names what the job needs and what the account has, so every
    host that shows ``str(error)`` shows both."""

    status, code = 402, "insufficient_credits"
    default_hint = "Buy more credits at https://tts.ai/pricing/ or pick a cheaper model."

    def __init__(self, message: str, **kwargs: Any) -> None:
        extra = kwargs.get("extra") or {}
        need, have = _credit(extra.get("credits_required")), _credit(extra.get("credits_available"))
        if need is not None or have is not None:
            parts = [f"this needs {need:g} credits" if need is not None else "",
                     f"the account has {have:g}" if have is not None else ""]
            message = f"{clause(message)}: {', '.join(p for p in parts if p)}."
        super().__init__(message, **kwargs)

    @property
    def credits_required(self) -> float | None:
        return self.extra.get("credits_required")

    @property
    def credits_available(self) -> float | None:
        return self.extra.get("credits_available")


def _credit(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


class PermissionDeniedError(APIError):
    status, code = 403, "forbidden"
    default_hint = "Your plan has no API access: upgrade to Pro or Enterprise."


class NotFoundError(APIError):
    status, code = 404, "not_found"
    default_hint = "Check the model or voice id (`ttsai models`, `ttsai voices`)."


class FileTooLargeError(APIError):
    status, code = 413, "file_too_large"
    default_hint = "Use a shorter range of the clip, or let ttsai re-encode it smaller."


class UnprocessableError(BadRequestError):
    """422: the service could not use a field (FastAPI-style ``detail`` bodies)."""

    status, code = 422, "unprocessable"


class RateLimitError(APIError):
    status, code = 429, "rate_limited"

    @property
    def retryable(self) -> bool:
        return True


class InternalServerError(APIError):
    status, code = 500, "internal_error"

    @property
    def retryable(self) -> bool:
        return True


class ModelLoadingError(APIError):
    status, code = 503, "model_loading"

    @property
    def retryable(self) -> bool:
        return True


ERRORS_BY_CODE: dict[str, type[APIError]] = {
    cls.code: cls
    for cls in (BadRequestError, AuthenticationError, InsufficientCreditsError,
                PermissionDeniedError, NotFoundError, FileTooLargeError, UnprocessableError,
                RateLimitError, InternalServerError, ModelLoadingError)
}
ERRORS_BY_STATUS: dict[int, type[APIError]] = {cls.status: cls for cls in ERRORS_BY_CODE.values()}


# --- reaching the API --------------------------------------------------------------------

class APIConnectionError(TTSAIError):
    """The API could not be reached, or the connection broke mid-answer."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """The API did not answer in time."""


class IncompleteResponseError(APIConnectionError):
    """The answer ended before its Content-Length: nothing was kept."""


class BadAudioError(APIError):
    """A 200 answer whose audio is not what was asked for: not decodable, cut short, or of a
    length that does not fit the request. Nothing was kept; worth another try."""

    code = "bad_audio"

    @property
    def retryable(self) -> bool:
        return True


class ResponseTooLargeError(APIError):
    """An answer (JSON or file) larger than the client's cap: read no further, kept nothing."""

    code = "response_too_large"


class TaskFailedError(TTSAIError):
    """A long task (stem separation) finished with status ``failed``."""


# --- before anything is sent -------------------------------------------------------------

class ConfigError(TTSAIError):
    """Configuration is missing or unsafe (e.g. a plain-http base URL that is not loopback)."""


class InputError(TTSAIError):
    """The user's input cannot be used: empty text, a file with no audio, a missing file …"""


class LimitExceededError(InputError):
    """An upload or a text is over the contract's limit and cannot be split."""


class OfflineError(ConfigError):
    """The host forbids network access (Blender's online access is off)."""


class EngineMissingError(ConfigError):
    """No key is configured and the built-in local engine's packages are not installed."""


class MediaError(TTSAIError):
    """ffmpeg could not read or write a media file."""


class PresetError(TTSAIError):
    """A preset file is invalid; the message names the file and the field."""


class Cancelled(TTSAIError):
    """The user cancelled the job; nothing half-written was left behind."""


def write_error(target: Path, exc: BaseException) -> MediaError:
    """A MediaError that says why ``target`` could not be written (full disk, no permission…)."""
    code = getattr(exc, "errno", None)
    try:
        free = shutil.disk_usage(target.parent).free
    except OSError:
        free = None
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or (free is not None and free < 1 << 20):
        return MediaError(f"Not enough disk space to write {target.name}.",
                          hint=f"Free some space on the disk of {target.parent}, or choose "
                               "another output folder.")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return MediaError(f"Cannot write {target.name}: the folder is read-only or not yours.",
                          hint="Choose another output folder.")
    return MediaError(f"Could not write {target.name}: {exc}")
