"""The engine's WSGI app: routing by the one table of paths, then auth, plan limits, faults,
parameters, the handler and billing — in that order, for every request.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ttsai_plugin.api.paths import ENDPOINTS, Endpoint
from ttsai_plugin.errors import ERRORS_BY_CODE, APIError, InputError

from . import voices
from .auth import authenticate
from .config import EngineConfig
from .context import RequestContext
from .credits import Ledger
from .errors import EngineError, bad_request
from .faults import FaultInjector, drop_connection
from .files import FileStore
from .params import Params
from .ratelimit import RateLimiter
from .routes import HANDLERS
from .tasks import TaskManager

log = logging.getLogger(__name__)
PREFIX = "/v1/"
FILES = "files"


def _rule_path(path: str) -> str:
    return PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", path)


class Engine:
    """One engine instance: its shared state and the WSGI callable."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.ledger = Ledger(config.credits, config.default_credits)
        self.limiter = RateLimiter()
        self.files = FileStore(config.data_dir, config.public_base_url,
                               ttl=config.file_ttl_seconds)
        self.files.make_on_demand(voices.PREVIEW_PREFIX, voices.make_preview)
        self.tasks = TaskManager(webhook_timeout=config.webhook_timeout)
        self.faults = FaultInjector(config.faults, config.latency)
        self.anonymous_plan = config.plans.get("pro") or next(iter(config.plans.values()))
        rules = [Rule(_rule_path(e.path), endpoint=name, methods=[e.method])
                 for name, e in ENDPOINTS.items()]
        rules.append(Rule(PREFIX + FILES + "/<file_id>", endpoint=FILES, methods=["GET"]))
        self.url_map = Map(rules, strict_slashes=False)

    @staticmethod
    def result_path(task_id: str) -> str:
        return ENDPOINTS["result"].path.format(task_id=task_id)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        anon = f"anon:{request.remote_addr}"
        try:
            name, args = self.url_map.bind_to_environ(environ).match()
        except NotFound:
            resp = EngineError("not_found", f"No endpoint at {request.path}; the API lives under "
                               f"{PREFIX} (see GET {PREFIX}models/).").response()
            return self._finish(resp, self.limiter.peek(anon, self.anonymous_plan), environ,
                                start_response)
        except MethodNotAllowed as e:
            allowed = ", ".join(sorted(e.valid_methods or []))
            resp = bad_request(f"{request.method} is not allowed on {request.path}; "
                               f"use {allowed}.").response()
            return self._finish(resp, self.limiter.peek(anon, self.anonymous_plan), environ,
                                start_response)
        if name == FILES:
            return self._serve_file(args["file_id"], environ, start_response, anon)
        return self._api(ENDPOINTS[name], args, request, environ, start_response, anon)

    def _serve_file(self, file_id: str, environ: dict, start_response: Callable,
                    anon: str) -> Iterable[bytes]:
        headers = self.limiter.peek(anon, self.anonymous_plan)
        fault = self.faults.draw() if self.config.faults.include_files else None
        try:
            self.faults.before(fault, environ)
            resp = self.files.response(file_id, environ)
        except EngineError as e:
            resp, fault = e.response(), None
        except Exception as e:  # a preview that could not be made
            log.exception("file %s failed", file_id)
            error = EngineError("internal_error", f"Could not serve {file_id}: {e}")
            resp, fault = error.response(), None
        return self._finish(resp, headers, environ, start_response, fault=fault)

    def _api(self, endpoint: Endpoint, args: dict[str, Any], request: Request, environ: dict,
             start_response: Callable, anon: str) -> Iterable[bytes]:
        try:
            caller = authenticate(self.config, request.headers.get("Authorization"))
            ticket = self.limiter.acquire(caller.key, caller.plan)
        except EngineError as e:
            headers = self.limiter.peek(anon, self.anonymous_plan)
            headers.update(e.headers)
            return self._finish(e.response(), headers, environ, start_response)
        ctx: RequestContext | None = None
        fault = None
        try:
            fault = self.faults.draw()
            self.faults.before(fault, environ)
            ctx = RequestContext(self, request, endpoint, caller, Params(request, endpoint), args)
            resp = HANDLERS[endpoint.name](ctx)
        except ConnectionError:  # an injected drop: no answer at all, and nothing billed
            if ctx is not None and ctx.charge is not None:
                self.ledger.refund(ctx.charge)
            raise
        except EngineError as e:
            resp, fault = e.response(), None
        except APIError as e:  # raised by processing with the contract's code
            code = e.code if e.code in ERRORS_BY_CODE else "internal_error"
            resp, fault = EngineError(code, str(e)).response(), None
        except InputError as e:
            resp, fault = bad_request(str(e)).response(), None
        except Exception as e:  # a processing failure is the contract's 500, never a traceback
            log.exception("%s failed", endpoint.name)
            error = EngineError("internal_error", f"Processing failed: {type(e).__name__}: {e}")
            resp, fault = error.response(), None
        finally:  # answers are computed before they are sent: the slot frees up now
            ticket.release()
            request.close()  # upload temp files go now, not when the GC finds them
        headers = dict(ticket.headers)
        if ctx is not None and ctx.charge is not None:
            if resp.status_code >= 400:
                self.ledger.refund(ctx.charge)
            else:
                headers.update(self.ledger.headers(ctx.charge))
        return self._finish(resp, headers, environ, start_response, fault=fault)

    def _finish(self, resp: Response, headers: dict[str, str], environ: dict,
                start_response: Callable, fault: str | None = None) -> Iterable[bytes]:
        for k, v in headers.items():
            resp.headers.setdefault(k, v)
        if fault == "truncate":
            return _truncated(resp, environ, start_response)
        return resp(environ, start_response)

    def close(self) -> None:
        self.tasks.close()


def _truncated(resp: Response, environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Promise the full Content-Length, send about half of the body, then drop the connection."""
    body = resp.get_data()
    resp.headers["Content-Length"] = str(max(2, len(body)))
    start_response(resp.status, list(resp.headers.items()))

    def chunks() -> Iterable[bytes]:
        try:
            yield body[: len(body) // 2]
            drop_connection(environ)
        finally:
            resp.close()

    return chunks()


def create_app(config: EngineConfig | None = None) -> Engine:
    """A WSGI app speaking the TTS.ai contract under ``/v1/`` (``httpx.WSGITransport(app=…)``)."""
    return Engine(config or EngineConfig())
