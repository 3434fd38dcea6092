"""The engine's error answers: the contract's JSON body for every documented code.

Status and code come from ``ttsai_plugin.errors.ERRORS_BY_CODE``, so the engine and the
client can never disagree on which status carries which code.
"""
from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from ttsai_plugin.errors import ERRORS_BY_CODE


class EngineError(Exception):
    """Raised anywhere in a request to answer with the contract's error body."""

    def __init__(self, code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        if code not in ERRORS_BY_CODE:
            raise ValueError(f"{code!r} is not a contract error code; "
                             f"known: {', '.join(ERRORS_BY_CODE)}")
        super().__init__(message)
        self.code = code
        self.status = ERRORS_BY_CODE[code].status
        self.message = message
        self.extra = extra
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def response(self) -> Response:
        resp = json_response(self.body(), status=self.status)
        resp.headers.update(self.headers)
        return resp


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def bad_request(message: str, **extra: Any) -> EngineError:
    return EngineError("bad_request", message, **extra)


def not_found(message: str) -> EngineError:
    return EngineError("not_found", message)
