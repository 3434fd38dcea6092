"""Turn an error answer into the typed error of ``ttsai_plugin.errors``, with the key scrubbed."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from ..errors import ERRORS_BY_CODE, ERRORS_BY_STATUS, APIError, InternalServerError

KEY_PATTERN = re.compile(r"sk-tts-[A-Za-z0-9_\-]+")
SCRUBBED = "sk-tts-***"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and anything shaped like an API key masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, SCRUBBED)
    return KEY_PATTERN.sub(SCRUBBED, text)


def _scrub_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, secrets) for v in value]
    return value


def error_from_response(status: int, body: bytes, headers: Mapping[str, str], *,
                        secrets: Iterable[str] = ()) -> APIError:
    """The typed error for an answer: by the body's ``error.code``, else by HTTP status."""
    secrets = tuple(secrets)
    info: dict[str, Any] = {}
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            info = dict(parsed["error"])
        elif isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
            info = {"message": parsed["error"]}
    except (UnicodeDecodeError, ValueError):
        pass
    code = str(info.pop("code", "") or "")
    message = str(info.pop("message", "") or "")
    if not message:
        snippet = body[:200].decode("utf-8", "replace").strip() if not info else ""
        message = f"The API answered HTTP {status}" + (f": {snippet}" if snippet else ".")
    cls = ERRORS_BY_CODE.get(code) or ERRORS_BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIError
    return cls(scrub(message, secrets), status=status, code=code or None,
               extra=_scrub_value(info, secrets), headers=dict(headers))
