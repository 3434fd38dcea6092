"""The HTTP core under :class:`TTSAIClient`: one request path that applies the plan limiter,
the retry policy, error mapping and state headers, and keeps the key on the API's origin."""
from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from importlib import metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import httpx

from ..errors import (APIConnectionError, APIError, APITimeoutError, ConfigError,
                      IncompleteResponseError, ResponseTooLargeError)
from ._errors import error_from_response, scrub
from ._inprocess import InProcessTransport
from .config import DEV_KEY, ClientConfig, Secret, is_loopback_host, resolve_config
from .credit_scope import note_billed
from .limiter import PlanLimits, RateLimiter, plan_limits, shared_limiter
from .retry import RetryPolicy
from .timeouts import request_timeout
from .transfer import stream_to_file, upload_part
from .types import CreditState, RateLimitState, _num

log = logging.getLogger("ttsai_plugin.api")

MAX_REDIRECTS = 5
MAX_ERROR_BODY = 1024 * 1024
MAX_JSON_BODY = 32 * 1024 * 1024
"""No JSON answer is read past 32 MB (a 2-hour transcript with word timings is ~10 MB)."""
try:
    VERSION = metadata.version("ttsai-plugin")
except metadata.PackageNotFoundError:  # running from a source tree (e.g. inside Blender)
    VERSION = "dev"


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, (url.host or "").lower(), port


def _in_process(transport: httpx.BaseTransport | None) -> bool:
    return isinstance(transport, (InProcessTransport, httpx.WSGITransport, httpx.MockTransport))


@dataclass(frozen=True)
class Answer:
    """A successful answer: status, headers, JSON body or the file it was written to."""

    status: int
    headers: Mapping[str, str]
    json: Any = None
    path: Path | None = None

    @property
    def mock(self) -> str | None:
        label = self.headers.get("x-ttsai-mock")
        if not label and isinstance(self.json, dict) and self.json.get("mock"):
            label = str(self.json["mock"])
        return label or None

    @property
    def credits_used(self) -> float | None:
        value = self.headers.get("x-credits-used")
        if value is None and isinstance(self.json, dict):
            value = self.json.get("credits_used")
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None


class BaseClient:
    """Configuration, the two HTTP paths (API origin with the key; anywhere else without it),
    limiter, retries and the credit / rate-limit state read from every answer."""

    def __init__(self, api_key: str | Secret | None = None, base_url: str | None = None,
                 plan: str | PlanLimits | None = None, timeout: float = 60.0,
                 max_retries: int = 4, transport: httpx.BaseTransport | None = None,
                 limiter: RateLimiter | None = None, *, retry: RetryPolicy | None = None) -> None:
        plan_name = plan.name if isinstance(plan, PlanLimits) else plan
        cfg = resolve_config(api_key, base_url, plan_name, in_process=_in_process(transport))
        self.is_local = False
        if cfg.api_key is None:
            cfg, transport = self._without_key(cfg, transport)
        self._config = cfg
        self._key: Secret = cfg.api_key  # type: ignore[assignment]
        self.base_url = httpx.URL(cfg.base_url)
        self.plan: PlanLimits = plan if isinstance(plan, PlanLimits) else plan_limits(cfg.plan)
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        account = hashlib.sha256(self._key.get_secret_value().encode()).hexdigest()[:12]
        self.limiter = limiter or shared_limiter(self.plan, str(origin(self.base_url)), account)
        self.credits = CreditState()
        self.rate_limit = RateLimitState()
        self.cancel_token: Any = None
        self.max_json_bytes = MAX_JSON_BODY
        self._state_lock = threading.Lock()
        common = dict(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
                      follow_redirects=False,
                      headers={"User-Agent": f"ttsai-plugin/{VERSION} httpx/{httpx.__version__}"})
        self._api = httpx.Client(transport=transport, **common)
        # Other origins (CDN links) go through the same transport, unless that transport is
        # an in-process app: then they really are elsewhere, on the network.
        shared = transport is not None and not isinstance(transport, (InProcessTransport,
                                                                      httpx.WSGITransport))
        self._public = self._api if shared else httpx.Client(**common)

    def _without_key(self, cfg: ClientConfig, transport: httpx.BaseTransport | None):
        """No key anywhere: the dev key for a local server or an in-process app, else an
        error (falling back to the built-in engine is ``ttsai_plugin.clients``' choice)."""
        host = httpx.URL(cfg.base_url).host
        if _in_process(transport) or is_loopback_host(host):
            return ClientConfig(Secret(DEV_KEY), cfg.base_url, cfg.plan, True), transport
        raise ConfigError(f"No API key configured for {host}.",
                          hint="Set TTSAI_API_KEY or run `ttsai config --api-key ...`; "
                               "without a key and base URL the local engine is used.")

    def bind_cancel(self, token: Any) -> None:
        """Let ``token`` (a ``jobs.CancelToken``) end this client's waits at once: retry
        back-offs, limiter waits and task polling raise ``Cancelled`` the moment it is set."""
        self.cancel_token = token

    def __repr__(self) -> str:
        where = "local engine" if self.is_local else str(self.base_url)
        return f"{type(self).__name__}({where}, plan={self.plan.name})"

    def close(self) -> None:
        self._api.close()
        if self._public is not self._api:
            self._public.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- URLs and the key ------------------------------------------------------------

    def url(self, path: str) -> httpx.URL:
        """An API path or any URL the API handed out, made absolute against the base URL."""
        return self.base_url.join(path)

    def on_api_origin(self, url: httpx.URL) -> bool:
        return origin(url) == origin(self.base_url)

    def _secrets(self) -> tuple[str, ...]:
        return (self._key.get_secret_value(),)

    def _prepare(self, request: httpx.Request) -> httpx.Client:
        """Authorize a request only for the API origin; pick the client that sends it."""
        request.headers.pop("Authorization", None)
        if self.on_api_origin(request.url):
            request.headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
            return self._api
        return self._public

    # --- the one request path --------------------------------------------------------

    def _request(self, method: str, url: str | httpx.URL, *, json: Any = None,
                 data: Mapping[str, Any] | None = None, files: Mapping[str, Path] | None = None,
                 params: Mapping[str, Any] | None = None, out: Path | None = None,
                 what: str = "request", accept: Callable[[Answer], None] | None = None,
                 counted: bool = True) -> Answer:
        """Send with limiter + retries; JSON answers parsed, file answers streamed to ``out``.

        ``accept`` checks a successful answer inside the attempt: what it raises (a
        retryable ``BadAudioError``) is retried like any failed request. ``counted=False``
        (a file the API handed out) takes no place in the plan's window or concurrency, and
        its rate headers are not the key's: the service counts API calls, not downloads."""
        target = self.url(str(url))
        data = {k: _form_value(v) for k, v in (data or {}).items() if v is not None} or None
        params = {k: v for k, v in (params or {}).items() if v is not None} or None
        cancel = self.cancel_token

        def limited():
            if counted and self.on_api_origin(target):
                return self.limiter.slot(cancel)
            return contextlib.nullcontext()

        def attempt() -> Answer:
            with limited(), contextlib.ExitStack() as stack:
                def build(where: httpx.URL) -> httpx.Request:
                    opened = {name: stack.enter_context(_closing_part(path))
                              for name, path in (files or {}).items()}
                    return self._api.build_request(
                        method, where, json=json, data=data, files=opened or None,
                        params=params,
                        timeout=request_timeout(files, self._api.timeout) or self._api.timeout)
                response = self._send(build(target), stack, build, counted=counted)
                answer = self._read(response, out)
                if accept is not None:
                    accept(answer)
                return answer

        return self.retry.run(attempt, what=what, cancel=cancel)

    def _send(self, request: httpx.Request, stack: contextlib.ExitStack,
              rebuild: Callable[[httpx.URL], httpx.Request] | None = None, *,
              counted: bool = True) -> httpx.Response:
        """Send, following redirects by hand so the key never follows one off-origin.

        See ``_follow`` for what a redirect of a POST means."""
        for _ in range(MAX_REDIRECTS + 1):
            client = self._prepare(request)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as e:
                raise APITimeoutError(f"{request.method} {request.url.path} timed out "
                                      f"({type(e).__name__}).",
                                      hint="Check the connection or raise the timeout.") from None
            except httpx.TransportError as e:
                raise APIConnectionError(
                    f"Cannot reach {request.url.host}: {scrub(str(e), self._secrets())}",
                    hint="Check the network connection and the base URL.") from None
            stack.callback(response.close)
            log.debug("%s %s%s: HTTP %d", request.method, request.url.host
                      if not self.on_api_origin(request.url) else "", request.url.path,
                      response.status_code)
            self._observe(response.headers, request.url, counted=counted)
            if not (response.is_redirect and response.next_request is not None):
                return response
            request = self._follow(request, response, rebuild)
        raise APIConnectionError(f"Too many redirects from {request.url.host}.")

    def _follow(self, request: httpx.Request, response: httpx.Response,
                rebuild: Callable[[httpx.URL], httpx.Request] | None) -> httpx.Request:
        """The next request after a redirect, as the service means it.

        On the API's own origin a 301/302/307/308 of a POST means "the endpoint moved": the
        same POST, body and all, goes to the new path (httpx would send a bodiless GET). To
        another host a 301/302/303 hands out the finished result: a GET, without the key. A
        307/308 to another host would re-send the upload there: refused."""
        following = response.next_request
        assert following is not None
        if request.method in ("GET", "HEAD") or response.status_code == 303 or rebuild is None:
            return following
        if self.on_api_origin(following.url):
            return rebuild(following.url)
        if response.status_code in (307, 308):
            raise APIConnectionError(
                f"The API redirected {request.method} {request.url.path} to another host "
                f"({following.url.host}); the upload was not sent there.",
                hint="Check the base URL.")
        return following

    def _read(self, response: httpx.Response, out: Path | None) -> Answer:
        status, headers = response.status_code, response.headers
        if status >= 300:
            body = _read_limited(response, MAX_ERROR_BODY)
            if status < 500 and not self.on_api_origin(response.request.url):
                raise APIError(f"The file server {response.request.url.host} answered HTTP "
                               f"{status} for {response.request.url.path}.", status=status,
                               headers=dict(headers),
                               hint="The link may have expired: run the job again.")
            raise error_from_response(status, body, headers, secrets=self._secrets(),
                                      path=response.request.url.path)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if out is not None and ctype != "application/json":
            stream_to_file(response, out)
            return Answer(status, headers, path=Path(out))
        limit = self.max_json_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise _json_too_large(int(length), limit)
        try:
            payload = _read_limited(response, limit + 1, quiet=False)
            if len(payload) > limit:
                raise _json_too_large(len(payload), limit)
            body = json_loads(payload) if payload else None
        except httpx.TimeoutException as e:
            raise APITimeoutError(f"The answer stalled ({type(e).__name__}).") from None
        except httpx.TransportError as e:
            raise IncompleteResponseError(f"The answer broke off ({type(e).__name__}).") from None
        except (ValueError, RecursionError):
            raise APIError(f"The API answered HTTP {status} with a body that is not JSON.",
                           status=status, headers=dict(headers)) from None
        return Answer(status, headers, json=body)

    def _observe(self, headers: Mapping[str, str], url: httpx.URL, *,
                 counted: bool = True) -> None:
        """Read credits and rate-limit headers into ``credits`` / ``rate_limit`` (rate
        headers only from answers the plan counts)."""
        if not self.on_api_origin(url):
            return
        self._billed(_num(headers.get("x-credits-used")), _num(headers.get("x-credits-remaining")))
        rate = RateLimitState.from_headers(headers) if counted else None
        if rate is not None:
            with self._state_lock:
                self.rate_limit = rate
            self.limiter.observe(rate.remaining, rate.reset_in, rate.limit)

    def _billed(self, used: float | None, remaining: float | None) -> None:
        """One answer's credits into the client's running state and the current work's tally
        (both unchanged when the answer reported none)."""
        with self._state_lock:
            self.credits = self.credits.billed(used, remaining)
        note_billed(used, remaining)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextlib.contextmanager
def _closing_part(path: Path):
    name, handle, ctype = upload_part(path)
    try:
        yield name, handle, ctype
    finally:
        handle.close()


def _read_limited(response: httpx.Response, limit: int, *, quiet: bool = True) -> bytes:
    """At most ``limit`` bytes of the body; a broken connection ends it early when ``quiet``."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    except httpx.TransportError:
        if not quiet:
            raise
    return b"".join(chunks)[:limit]


def json_loads(payload: bytes) -> Any:
    """JSON of an answer, in any of the encodings JSON allows (httpx's own detection)."""
    return httpx.Response(200, content=payload).json()


def _json_too_large(size: int, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The API sent a JSON answer of {size / 2**20:,.0f} MB or more; the client reads at "
        f"most {limit / 2**20:,.0f} MB.", hint="Nothing was kept; try again later.")
