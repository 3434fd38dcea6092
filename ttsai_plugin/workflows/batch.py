"""Run one workflow over many inputs, for any host: N at a time (never beyond the plan), one
failure never stops the rest, Ctrl-C stops cleanly, and a ledger of finished items lets a
rerun skip what is already done (resume after a cancel or a crash)."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

from ttsai_plugin.api.credit_scope import credit_scope
from ttsai_plugin.errors import Cancelled

DONE, CACHED, SKIPPED, FAILED, CANCELLED = "done", "cached", "skipped", "failed", "cancelled"


@dataclass
class BatchItem:
    """One unit of a batch: ``label`` is the user's name for it, ``key`` its identity (inputs,
    options and outputs) in the ledger, ``payload`` whatever the work function needs."""

    index: int
    label: str
    key: str = ""
    payload: Any = None


@dataclass
class Finished:
    """What a work function hands back: its value, the files it wrote, credits, cache hit;
    ``remaining``: the balance the service reported after this item's own last billed answer
    (filled in by :func:`run_batch`; other items running at once bill the same account)."""

    value: Any = None
    outputs: list[Path] = field(default_factory=list)
    credits: float = 0.0
    cached: bool = False
    remaining: float | None = None


@dataclass
class ItemResult:
    """How one item ended: done, cached (no request), skipped (already done, or by choice),
    failed (``error``) or cancelled."""

    item: BatchItem
    status: str
    finished: Finished | None = None
    error: BaseException | None = None
    reason: str = ""
    seconds: float = 0.0


@dataclass
class BatchReport:
    """Every item's result in input order, the wall time, and whether it was cancelled."""

    results: list[ItemResult]
    seconds: float
    cancelled: bool = False

    def count(self, *status: str) -> int:
        return sum(r.status in status for r in self.results)

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == FAILED]

    @property
    def credits(self) -> float:
        return sum(r.finished.credits for r in self.results if r.finished)


class BatchEvents(Protocol):
    """What a host shows while a batch runs; every method may be called from worker threads."""

    def started(self, item: BatchItem) -> None: ...
    def progress(self, item: BatchItem, fraction: float, message: str) -> None: ...
    def finished(self, result: ItemResult) -> None: ...


Work = Callable[[BatchItem, Callable[[float, str], None], Any], Finished]


def run_batch(items: Sequence[BatchItem], work: Work, *, jobs: int = 1, cancel: Any = None,
              events: BatchEvents | None = None, ledger: "BatchLedger | None" = None,
              skip: Callable[[BatchItem], str | None] | None = None) -> BatchReport:
    """Run ``work(item, progress, cancel)`` for every item, ``jobs`` at a time.

    An item the ledger holds as finished (its outputs unchanged) is skipped without a call;
    ``skip(item)`` may give another reason to skip. Cancelling ``cancel`` stops new items and
    lets running ones end (workflows raise ``Cancelled`` and remove partial files).
    """
    t0 = time.monotonic()
    results: list[ItemResult | None] = [None] * len(items)
    lock = threading.Lock()

    def is_cancelled() -> bool:
        return bool(cancel is not None and getattr(cancel, "cancelled", False))

    def one(pos: int, item: BatchItem) -> None:
        started = time.monotonic()
        reason = (ledger.finished(item.key) and "already done") if ledger and item.key else None
        reason = reason or (skip(item) if skip else None)
        if reason:
            result = ItemResult(item, SKIPPED, reason=reason)
        elif is_cancelled():
            result = ItemResult(item, CANCELLED)
        else:
            if events:
                events.started(item)
            if ledger and item.key:
                ledger.intend(item.key)
            try:
                with credit_scope() as tally:
                    done = work(item, (lambda f, m: events.progress(item, f, m)) if events
                                else (lambda f, m: None), cancel)
                if done.remaining is None:
                    done.remaining = tally.remaining
                if ledger and item.key:
                    ledger.record(item.key, done.outputs, credits=done.credits)
                result = ItemResult(item, CACHED if done.cached else DONE, finished=done)
            except Cancelled as e:
                result = ItemResult(item, CANCELLED if is_cancelled() else FAILED, error=e)
            except Exception as e:  # noqa: BLE001 - one failure never stops the batch
                result = ItemResult(item, FAILED, error=e)
        result.seconds = time.monotonic() - started
        with lock:
            results[pos] = result
        if events:
            events.finished(result)

    workers = max(1, min(int(jobs), len(items) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ttsai-batch") as pool:
        for future in [pool.submit(one, i, item) for i, item in enumerate(items)]:
            future.result()
    final = [r if r is not None else ItemResult(items[i], CANCELLED) for i, r in enumerate(results)]
    return BatchReport(final, time.monotonic() - t0, cancelled=is_cancelled())


def item_key(operation: str, options: dict[str, Any], inputs: Iterable[Path],
             outputs: Iterable[Path]) -> str:
    """The identity of one item: the operation and its options, each input as it is on disk
    now (path, size, mtime), and where its results go."""
    def stat(p: Path) -> list[Any]:
        try:
            st = p.stat()
            return [str(p.resolve()), st.st_size, st.st_mtime_ns]
        except OSError:
            return [str(p)]
    blob = json.dumps([operation, options, [stat(Path(p)) for p in inputs],
                       [str(Path(p).resolve()) for p in outputs]], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class BatchLedger:
    """An append-only list of finished items (key → outputs with their size and mtime), so a
    rerun of the same batch skips work whose results are still there, unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            override = os.environ.get("TTSAI_BATCH_LEDGER")
            if override:
                path = Path(override)
            else:
                import platformdirs
                path = Path(platformdirs.user_state_dir("ttsai")) / "batches.jsonl"
        self.path = Path(path)
        self._lock = threading.Lock()
        self._entries: dict[str, list[list[Any]]] | None = None
        self._intended: set[str] = set()

    def _load(self) -> dict[str, list[list[Any]]]:
        if self._entries is None:
            entries: dict[str, list[list[Any]]] = {}
            try:
                with open(self.path, encoding="utf-8") as f:
                    for line in f:
                        try:
                            row = json.loads(line)
                            if row.get("started"):
                                self._intended.add(row["key"])
                            else:
                                entries[row["key"]] = row["outputs"]
                        except (ValueError, KeyError, TypeError):
                            continue  # a line cut short by a crash
            except OSError:
                pass
            self._entries = entries
        return self._entries

    def finished(self, key: str) -> bool:
        """True when ``key`` finished before and each of its outputs is still as it was made."""
        with self._lock:
            outputs = self._load().get(key)
        if not outputs:
            return False
        for path, size, mtime_ns in outputs:
            try:
                st = os.stat(path)
            except OSError:
                return False
            if st.st_size != size or st.st_mtime_ns != mtime_ns:
                return False
        return True

    def intend(self, key: str) -> None:
        """Note that ``key`` is about to write its outputs: after a crash between writing them
        and :meth:`record`, a rerun knows those files are its own (not the user's) and may
        replace them (from the result cache, without a request)."""
        self._append({"key": key, "started": True, "at": time.time()})
        with self._lock:
            self._load()
            self._intended.add(key)

    def intended(self, key: str) -> bool:
        with self._lock:
            self._load()
            return key in self._intended

    def _append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)

    def made(self) -> set[Path]:
        """Every output a finished item wrote (so a folder's earlier results are not inputs)."""
        with self._lock:
            return {Path(row[0]) for rows in self._load().values() for row in rows}

    def record(self, key: str, outputs: Sequence[Path], *, credits: float = 0.0) -> None:
        """Note ``key`` as finished with these outputs (skipped when they cannot be stat'ed)."""
        rows = []
        for p in outputs:
            try:
                st = os.stat(p)
            except OSError:
                return
            rows.append([str(Path(p).resolve()), st.st_size, st.st_mtime_ns])
        if not rows:
            return
        self._append({"key": key, "outputs": rows, "credits": credits, "at": time.time()})
        with self._lock:
            self._load()[key] = rows
