"""An append-only journal of finished, paid-for results, so a host that crashed mid-job gets
them back without paying again. Written (and fsynced) right after a result is downloaded and
before it is placed on the timeline; ``recover()`` lists what was never placed.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

_lock = threading.Lock()
log = logging.getLogger("ttsai.journal")


@dataclass(frozen=True)
class JournalEntry:
    """A finished result: the job, the operation, its cache key, the files and what it cost."""

    job_id: str
    operation: str
    cache_key: str | None
    results: list[str]
    credits: float = 0.0
    time: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> list[Path]:
        return [Path(p) for p in self.results]

    @property
    def files_exist(self) -> bool:
        return all(p.is_file() for p in self.paths)


def default_path() -> Path:
    """``TTSAI_JOURNAL``, else platformdirs' user data dir for "ttsai"."""
    env = os.environ.get("TTSAI_JOURNAL")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_data_dir("ttsai")) / "journal.jsonl"


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_reported: set[str] = set()
_report_lock = threading.Lock()
_EVENTS = ("finished", "placed", "dismissed")


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and value == value and abs(value) != float("inf"))


def _valid(rec: Any) -> bool:
    """A record this module wrote: the event, a job id, and for ``finished`` the fields of a
    JournalEntry with the right types."""
    if not isinstance(rec, dict) or rec.get("event") not in _EVENTS:
        return False
    if not isinstance(rec.get("job_id"), str) or not rec["job_id"]:
        return False
    if not _number(rec.get("time")):
        return False
    if rec["event"] != "finished":
        return True
    results = rec.get("results")
    return (isinstance(rec.get("operation"), str)
            and isinstance(results, list) and bool(results)
            and all(isinstance(r, str) and r for r in results)
            and (rec.get("cache_key") is None or isinstance(rec["cache_key"], str))
            and _number(rec.get("credits"))
            and (rec.get("meta") is None or isinstance(rec["meta"], dict)))


def _report_once(path: Path, bad: int) -> None:
    key = str(path)
    with _report_lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("the journal %s has %d unreadable line(s); they were skipped", path, bad)


class Journal:
    """JSON lines: ``{"event": "finished", …}``, then ``{"event": "placed", …}`` once placed
    (or ``"dismissed"`` when the user declined to place it).

    A torn last line (a crash mid-write) is ignored; every other line is whole.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _append(self, record: dict[str, Any]) -> None:
        """Append one record, fsynced. A journal that cannot be written (full disk) is logged,
        never fatal: it is a safety net, and the job's results are already on disk."""
        try:
            self._write_line(record)
        except OSError as exc:
            log.warning("could not write the journal %s: %s", self.path, exc)

    def _write_line(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size and not self._ends_with_newline():
                    line = b"\n" + line  # seal a torn line left by a crash
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def _records(self) -> Iterable[dict[str, Any]]:
        """Every valid record; a line that is not one (torn, hand-edited, wrong types) is
        skipped and reported once per journal per process."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("cannot read the journal %s: %s", self.path, exc)
            return []
        lines = raw.splitlines()
        out, bad = [], 0
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError):
                rec = None
            if _valid(rec):
                out.append(rec)
            elif i != len(lines) - 1 or raw.endswith(b"\n"):  # a torn last line is expected
                bad += 1
        if bad:
            _report_once(self.path, bad)
        return out

    def record_finished(self, job_id: str, operation: str,
                        results: Iterable[str | os.PathLike[str]],
                        *, cache_key: str | None = None, credits: float = 0.0,
                        meta: dict[str, Any] | None = None) -> JournalEntry:
        """Note that ``job_id`` produced ``results`` (already on disk) and what it cost."""
        paths = [Path(p).resolve() for p in results]
        for p in paths:
            _fsync_file(p)
        entry = JournalEntry(job_id=job_id, operation=operation, cache_key=cache_key,
                             results=[str(p) for p in paths], credits=float(credits),
                             time=time.time(), meta=dict(meta or {}))
        self._append({"event": "finished", **asdict(entry)})
        return entry

    def mark_placed(self, job_id: str) -> None:
        """The results of ``job_id`` are on the timeline: nothing left to recover."""
        self._append({"event": "placed", "job_id": job_id, "time": time.time()})

    def dismiss(self, job_id: str) -> None:
        """The user declined to place ``job_id``'s results: stop offering them. The files
        stay where they are (and ``finished`` still finds them for the cache)."""
        self._append({"event": "dismissed", "job_id": job_id, "time": time.time()})

    def _settled(self, records: Iterable[dict[str, Any]]) -> set[str]:
        return {r["job_id"] for r in records if r["event"] in ("placed", "dismissed")}

    def entries(self) -> list[JournalEntry]:
        """Every finished entry, oldest first."""
        return [JournalEntry(job_id=rec["job_id"], operation=rec["operation"],
                             cache_key=rec.get("cache_key"), results=list(rec["results"]),
                             credits=float(rec.get("credits") or 0.0),
                             time=float(rec.get("time") or 0.0), meta=dict(rec.get("meta") or {}))
                for rec in self._records() if rec["event"] == "finished"]

    def pending(self) -> list[JournalEntry]:
        """Finished but neither placed nor dismissed (whatever the state of the files)."""
        placed = self._settled(self._records())
        return [e for e in self.entries() if e.job_id not in placed]

    def recover(self) -> list[JournalEntry]:
        """Finished, paid for, not placed, and whose files are still there: place these."""
        return [e for e in self.pending() if e.files_exist]

    def finished(self, *, job_id: str | None = None,
                 cache_key: str | None = None) -> JournalEntry | None:
        """The latest finished entry for a job or a cache key whose files still exist."""
        for e in reversed(self.entries()):
            if (job_id is None or e.job_id == job_id) and \
               (cache_key is None or e.cache_key == cache_key) and e.files_exist:
                return e
        return None

    def compact(self, *, keep_seconds: float = 30 * 86400) -> int:
        """Rewrite the journal (atomically) without placed or dismissed entries older than
        ``keep_seconds``; pending results are always kept. Returns how many were dropped."""
        cutoff = time.time() - keep_seconds
        with _lock:
            records = list(self._records())
            placed = self._settled(records)
            keep = [r for r in records
                    if r["job_id"] not in placed or float(r.get("time") or 0) >= cutoff]
            dropped = sum(1 for r in records if r["event"] == "finished") - \
                sum(1 for r in keep if r["event"] == "finished")
            if not records or len(keep) == len(records):
                return 0
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"".join((json.dumps(r, separators=(",", ":"), default=str)
                                       + "\n").encode("utf-8") for r in keep))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        return dropped
