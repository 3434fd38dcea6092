"""Request parameters and limits: typed, validated, with errors that name the field.

A bad value is a 400 ``bad_request`` naming the field and its allowed values; an upload over
its endpoint's limit is a 413 ``file_too_large``; a text over the plan's limit is a 400.
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from ttsai_plugin.api.paths import Endpoint

from .config import Plan
from .errors import EngineError, bad_request

FORM_SLACK = 1024 * 1024
"""Room for multipart boundaries and plain fields on top of an endpoint's file limit."""
JSON_LIMIT = 2 * 1024 * 1024
"""Largest JSON body: 50,000 characters of text, even fully escaped, fit well inside."""

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def too_large(endpoint: Endpoint, size: int | None = None) -> EngineError:
    limit = endpoint.upload_limit or 0
    got = f" ({_mb(size)})" if size else ""
    return EngineError("file_too_large",
                       f"The uploaded file{got} is over the {_mb(limit)} limit of {endpoint.path}.",
                       limit_bytes=limit)


class Params:
    """The parameters of one request, from a JSON body, a multipart form or the query string."""

    def __init__(self, request: Request, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.files: dict[str, FileStorage] = {}
        self._values: dict[str, Any] = dict(request.args.items())
        if request.method != "POST":
            return
        # every route has a limit, enforced while the body streams in (chunked bodies too)
        request.max_content_length = (endpoint.upload_limit + FORM_SLACK if endpoint.upload_limit
                                      else JSON_LIMIT)
        if (request.content_length or 0) > request.max_content_length:
            raise (too_large(endpoint, request.content_length) if endpoint.upload_limit else
                   bad_request(f"The JSON body is over {_mb(JSON_LIMIT)}; send less text per "
                               "request."))
        if request.mimetype == "application/json":
            if (request.content_length or 0) > JSON_LIMIT:
                raise bad_request(f"The JSON body is over {_mb(JSON_LIMIT)}; send less text "
                                  "per request.")
            request.max_content_length = JSON_LIMIT
            try:
                body = json.loads(request.get_data(cache=False) or b"{}")
            except RequestEntityTooLarge:
                raise bad_request(f"The JSON body is over {_mb(JSON_LIMIT)}.") from None
            except ValueError as e:
                raise bad_request(f"The JSON body could not be parsed: {e}.") from None
            except RecursionError:
                raise bad_request("The JSON body is nested too deeply.") from None
            if not isinstance(body, dict):
                raise bad_request("The JSON body must be an object.")
            self._values.update(body)
            return
        try:
            self._values.update(request.form.items())
            self.files = {k: v for k, v in request.files.items() if v.filename is not None}
        except RequestEntityTooLarge:
            if endpoint.upload_limit:
                raise too_large(endpoint, request.content_length) from None
            raise bad_request(f"The body is over {_mb(JSON_LIMIT)}; {endpoint.path} takes no "
                              "file upload.") from None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "") or name in self.files

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise bad_request(f"{name} is required.", field=name)
            return default
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string, got {json.dumps(value)}.", field=name)
        return value

    def choice(self, name: str, allowed: Iterable[Any], default: Any = None) -> Any:
        allowed = tuple(allowed)
        value = self._values.get(name)
        if value is None or value == "":
            return default
        for a in allowed:
            if str(a) == str(value).strip().lower():
                return a
        raise bad_request(f"{name}: {value!r} is not allowed; allowed values: "
                          f"{', '.join(str(a) for a in allowed)}.", field=name,
                          allowed=[a for a in allowed])

    def number(self, name: str, lo: float, hi: float, default: float, *,
               integer: bool = False) -> float:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        kind = "an integer" if integer else "a number"
        try:
            if isinstance(value, bool):
                raise ValueError
            x = float(value)
            if integer and not x.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            raise bad_request(f"{name} must be {kind} from {lo:g} to {hi:g}, got {value!r}.",
                              field=name) from None
        if not lo <= x <= hi:
            raise bad_request(f"{name} must be from {lo:g} to {hi:g}, got {value!r}.", field=name)
        return int(x) if integer else x

    def boolean(self, name: str, default: bool) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise bad_request(f"{name} must be true or false, got {value!r}.", field=name)

    def file(self, name: str, *, required: bool = True) -> FileStorage | None:
        """An uploaded file, checked against the endpoint's upload limit."""
        f = self.files.get(name)
        if f is None:
            if required:
                raise bad_request(f"{name} is required: upload it as a multipart file field.",
                                  field=name)
            return None
        size = file_size(f)
        if size == 0:
            raise bad_request(f"{name}: the uploaded file is empty.", field=name)
        if self.endpoint.upload_limit and size > self.endpoint.upload_limit:
            raise too_large(self.endpoint, size)
        return f


def file_size(f: FileStorage) -> int:
    stream = f.stream
    pos = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(pos)
    return size


def check_text(text: str, plan: Plan, field: str = "text") -> None:
    """400 when ``text`` is over the plan's character limit."""
    if len(text) > plan.max_text_chars:
        raise bad_request(f"{field}: {len(text):,} characters is over the {plan.name} plan's "
                          f"limit of {plan.max_text_chars:,}; split the text or upgrade the plan.",
                          field=field, max_chars=plan.max_text_chars)
