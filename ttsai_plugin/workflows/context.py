"""The context every workflow runs in: the client, where results go, cache, progress, cancel."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ttsai_plugin.errors import Cancelled

if TYPE_CHECKING:
    from ttsai_plugin.api import TTSAIClient

ProgressFn = Callable[[float, str], None]


@dataclass
class Context:
    """Shared by every step of a workflow. ``cancel`` is any object with ``.cancelled``
    (``jobs.CancelToken``); ``progress(fraction, message)`` may be called from worker threads."""

    client: "TTSAIClient"
    out_dir: Path
    cache: Any | None = None
    progress: ProgressFn | None = None
    cancel: Any | None = None

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        bind = getattr(self.client, "bind_cancel", None)
        if self.cancel is not None and callable(bind):  # retry and limiter waits wake on cancel
            bind(self.cancel)

    def report(self, fraction: float, message: str) -> None:
        """Tell the host how far along we are (0..1), after checking for cancellation."""
        self.check_cancelled()
        if self.progress is not None:
            self.progress(max(0.0, min(1.0, fraction)), message)

    @property
    def cancelled(self) -> bool:
        token = self.cancel
        if token is None:
            return False
        flag = getattr(token, "cancelled", None)
        if flag is None:
            flag = getattr(token, "is_set", None)
        return bool(flag() if callable(flag) else flag)

    def check_cancelled(self) -> None:
        """Raise Cancelled when the user asked to stop; called between steps."""
        if self.cancelled:
            raise Cancelled("Cancelled.", hint="Nothing was left half-written.")

    def sub(self, start: float, end: float) -> "Context":
        """A context whose progress maps 0..1 onto ``start..end`` of this one's."""
        parent = self

        def progress(fraction: float, message: str) -> None:
            if parent.progress is not None:
                parent.progress(start + (end - start) * max(0.0, min(1.0, fraction)), message)
        return Context(self.client, self.out_dir, self.cache, progress, self.cancel)
