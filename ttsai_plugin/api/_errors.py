"""Turn an error answer into the typed error of ``ttsai_plugin.errors``, with the key scrubbed."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from ..errors import (ERRORS_BY_CODE, ERRORS_BY_STATUS, APIError, InternalServerError,
                      NotFoundError)

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
                        secrets: Iterable[str] = (), path: str | None = None) -> APIError:
    """The typed error for an answer: by the body's ``error.code``, else by HTTP status."""
    secrets = tuple(secrets)
    info: dict[str, Any] = {}
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            info = dict(parsed["error"])
        elif isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
            info = {"message": parsed["error"]}
        elif isinstance(parsed, dict) and "detail" in parsed:
            info = {"message": _detail(parsed["detail"])}
    except (UnicodeDecodeError, ValueError, RecursionError):
        pass
    code = str(info.pop("code", "") or "")
    message = str(info.pop("message", "") or "")
    if not message:
        snippet = body[:200].decode("utf-8", "replace").strip() if not info else ""
        message = f"The API answered HTTP {status}" + (f": {snippet}" if snippet else ".")
    cls = ERRORS_BY_CODE.get(code) or ERRORS_BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIError
    hint = None
    if cls is APIError and 400 <= status < 500:
        hint = f"The API refused the request (HTTP {status}); check the options given."
    if issubclass(cls, NotFoundError) and path is not None:
        hint = not_found_hint(path)
    return cls(scrub(message, secrets), status=status, code=code or None,
               extra=_scrub_value(info, secrets), headers=dict(headers), hint=hint)


def _detail(detail: Any) -> str:
    """A FastAPI-style ``detail`` (a string, or a list of ``{loc, msg}``) as one sentence."""
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc") or [] if x != "body")
                msg = str(item.get("msg") or item.get("message") or "invalid")
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(item))
        return "; ".join(parts)[:500] or "The request was not accepted."
    return str(detail)[:500]


def not_found_hint(path: str) -> str:
    """What to check after a 404, by what was asked for."""
    if "results/" in path:
        return "The task is unknown or expired; run the job again."
    if "voices" in path or "models" in path:
        return "The catalogue path was not found; check the base URL (it ends in /v1/)."
    return ("The model or voice was not found, or the path does not exist: check the ids "
            "(`ttsai models`, `ttsai voices`) and the base URL.")
