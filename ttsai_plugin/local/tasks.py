"""Long tasks (stem separation): queued, run on worker threads, polled via ``results/{id}``.

When a task ends, the engine POSTs the contract's webhook payload to ``webhook_url`` — only
ever to a loopback address the operator allowed (``EngineConfig.webhook_hosts``), since the
local engine must not reach out to the network or poke other local services.
"""
from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx

from .errors import EngineError, bad_request

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_webhook_url(url: str, allowed: tuple[str, ...] | None = None) -> str:
    """``url`` if it is an http(s) URL on a loopback host whose ``host:port`` is in
    ``allowed`` (None: any loopback port, for callers that checked elsewhere), else 400."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        raise bad_request("webhook_url: the port is not a number.", field="webhook_url") from None
    loopback = host == "localhost"
    try:
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if parts.scheme not in ("http", "https") or not loopback:
        raise bad_request("webhook_url: the local engine only calls loopback URLs "
                          "(http://127.0.0.1:PORT/…, http://localhost/…).", field="webhook_url")
    if allowed is not None and f"{host}:{port}" not in allowed:
        raise bad_request(f"webhook_url: {host}:{port} is not an allowed webhook receiver; the "
                          "operator allows each one (ttsai serve --allow-webhook HOST:PORT).",
                          field="webhook_url")
    return url


@dataclass
class Task:
    """One long task and what its poller sees."""

    id: str
    owner: str
    result_url: str
    webhook_url: str | None = None
    status: str = "queued"
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    credits_used: float = 0
    created_at: str = field(default_factory=_now)
    completed_at: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def poll_json(self) -> tuple[int, dict[str, Any]]:
        """The status code and body of ``GET results/{id}`` right now."""
        if self.status in ("queued", "processing"):
            return 202, {"task_id": self.id, "status": "processing"}
        if self.status == "success":
            return 200, {"task_id": self.id, "status": "success", **self.result,
                         "credits_used": self.credits_used}
        return 200, {"task_id": self.id, "status": "failed", "error": self.error,
                     "credits_used": 0}

    def webhook_payload(self) -> dict[str, Any]:
        return {"event": "task.completed", "task_id": self.id, "status": self.status,
                "result_url": self.result_url, "credits_used": self.credits_used,
                "created_at": self.created_at, "completed_at": self.completed_at}


class TaskManager:
    """Runs tasks on a small pool of worker threads; thread-safe."""

    def __init__(self, workers: int = 2, webhook_timeout: float = 10.0) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ttsai-task")
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._webhook_timeout = webhook_timeout

    def submit(self, owner: str, work: Callable[[], dict[str, Any]], *, credits: float,
               result_url_for: Callable[[str], str], webhook_url: str | None = None,
               on_failure: Callable[[], None] | None = None) -> Task:
        """Queue ``work`` (returns the success fields, e.g. ``{"stems": …}``) as a new task."""
        task_id = f"task_{secrets.token_hex(10)}"
        task = Task(task_id, owner, result_url_for(task_id), webhook_url, credits_used=credits)
        with self._lock:
            self._tasks[task_id] = task
        self._pool.submit(self._run, task, work, on_failure)
        return task

    def get(self, task_id: str, owner: str) -> Task:
        """The caller's task, or 404 (another key's task is not found either)."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or task.owner != owner:
            raise EngineError("not_found", f"Task {task_id!r} not found.")
        return task

    def _run(self, task: Task, work: Callable[[], dict[str, Any]],
             on_failure: Callable[[], None] | None) -> None:
        task.status = "processing"
        try:
            result = work()
        except EngineError as e:
            task.error, task.status = {"code": e.code, "message": e.message}, "failed"
        except Exception as e:  # the task's own failure is reported to the poller, not raised
            log.exception("task %s failed", task.id)
            task.error = {"code": "internal_error", "message": f"Processing failed: {e}"}
            task.status = "failed"
        else:
            task.result, task.status = result, "success"
        if task.status == "failed":
            task.credits_used = 0
            if on_failure:
                on_failure()
        task.completed_at = _now()
        task.done.set()
        if task.webhook_url:
            self._notify(task)

    def _notify(self, task: Task) -> None:
        try:
            httpx.post(task.webhook_url, json=task.webhook_payload(),
                       timeout=self._webhook_timeout, trust_env=False)
        except httpx.HTTPError as e:
            log.warning("webhook for %s failed: %s", task.id, e)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
