"""Who held the GIL across a main-thread stall: a profile hook for worker threads that keeps
every call (Python or C) and every garbage collection lasting over a threshold, and the
matching of stalls to them. Standard library only, so it also runs inside Blender's Python.

A C call that blocks and lets go of the GIL (sleep, recv, a lock or process wait) cannot stall
another thread; one that holds it (a numpy copy, a big join, a parse) can.
"""
from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

TICK = 0.010
RELEASES = ("sleep", "recv", "recv_into", "select", "poll", "acquire", "wait", "read", "readinto",
            "readline", "accept", "connect", "sendall", "send", "waitpid", "_wait", "communicate",
            "getaddrinfo", "join", "_fork_exec", "fork_exec", "get", "fsync", "sendfile", "write",
            "stat", "unlink", "replace", "rename", "open")
"""C calls that release the GIL while they block (``bytes.join``/``str.join`` are told apart
by their owner)."""


@dataclass
class Call:
    """One call that lasted over the threshold."""

    thread: str
    name: str
    kind: str        # "c", "py" or "gc"
    start: float
    end: float
    depth: int
    nested: bool     # Python ran inside it: a C call that calls back is not one long hold
    where: str = ""  # the Python function that made the call

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000

    def releases(self) -> bool:
        """Not one long hold: a blocking call that lets go of the GIL, or one that ran Python."""
        if self.kind != "c":
            return False
        if self.nested or self.name == "Context.run":
            return True
        return self.name.rsplit(".", 1)[-1] in RELEASES \
            and not self.name.startswith(("bytes.", "str.", "bytearray."))


class Recorder:
    """``threading.setprofile(rec.hook)`` before the workers start; ``rec.stop()`` after."""

    def __init__(self, min_s: float = 0.015) -> None:
        self.min_s = min_s
        self.calls: list[Call] = []
        self.stacks: dict[int, list[list]] = defaultdict(list)
        self.lock = threading.Lock()
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)

    def start(self) -> None:
        threading.setprofile(self.hook)

    def stop(self) -> None:
        threading.setprofile(None)   # type: ignore[arg-type]
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_start = now
        elif now - self._gc_start > self.min_s / 3:
            with self.lock:
                self.calls.append(Call(threading.current_thread().name,
                                       f"gc gen{info.get('generation')}", "gc", self._gc_start,
                                       now, 99, False))

    def hook(self, frame: Any, event: str, arg: Any) -> None:
        now = time.perf_counter()
        stack = self.stacks[threading.get_ident()]
        if event in ("call", "c_call"):
            if stack:
                stack[-1][3] = True
            if event == "call":
                code = frame.f_code
                name = f"{code.co_filename.rsplit('/', 2)[-1]}:{code.co_qualname}"
                stack.append(["py", name, now, False])
            else:
                owner = getattr(getattr(arg, "__self__", None), "__class__", None)
                prefix = (f"{owner.__name__}." if owner is not None and owner.__name__ != "module"
                          else f"{getattr(arg, '__module__', '') or ''}.")
                stack.append(["c", prefix + getattr(arg, "__name__", "?"), now, False])
        elif event in ("return", "c_return", "c_exception") and stack:
            kind, name, start, nested = stack.pop()
            if now - start > self.min_s:
                where = " < ".join([e[1] for e in reversed(stack) if e[0] == "py"][:3])
                with self.lock:
                    self.calls.append(Call(threading.current_thread().name, name, kind, start,
                                           now, len(stack), nested, where))


def culprit(calls: list[Call], a: float, b: float, tick: float = TICK) -> Call | None:
    """The innermost call in progress over most of the interval (a + tick, b)."""
    lo = a + tick
    covering = [c for c in calls if c.start <= lo + 0.005 and c.end >= b - 0.005]
    return max(covering, key=lambda c: (c.depth, c.start), default=None)


def summary(gaps: list[tuple[float, float]], calls: list[Call], gap_s: float = 0.040,
            top: int = 12) -> list[str]:
    """Lines naming what ran across each interval over ``gap_s``, then the longest holds."""
    lines = []
    blamed: dict[str, list[float]] = defaultdict(list)
    for a, b in gaps:
        if b - a > gap_s:
            c = culprit(calls, a, b)
            key = "(nothing running)" if c is None else \
                f"{c.name} [{c.kind}{', releases' if c.releases() else ''}]"
            blamed[key].append((b - a) * 1000)
    for key, ms in sorted(blamed.items(), key=lambda kv: -max(kv[1])):
        lines.append(f"gap {len(ms):3d}x max {max(ms):5.0f} ms  during {key}")
    holders: dict[str, list[float]] = defaultdict(list)
    for c in calls:
        if c.kind in ("c", "gc") and not c.releases():
            holders[f"{c.name} in {c.where or '?'}"].append(c.ms)
    for name, ms in sorted(holders.items(), key=lambda kv: -max(kv[1]))[:top]:
        lines.append(f"hold {name}: {len(ms)}x, max {max(ms):.0f} ms, total {sum(ms):.0f} ms")
    return lines
