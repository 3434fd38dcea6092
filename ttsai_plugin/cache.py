"""Content-addressed result cache: asking twice for the same operation on the same audio with
the same options costs no second request. Keys hash the operation, the options (as canonical
JSON, secrets stripped) and the sha256 of the inputs' bytes, streamed from disk. Digests of
derived inputs (a clip's extracted range) are memoised per source file identity (path, size,
mtime, inode, ...), so a repeat needs a stat, not a re-extraction; a changed file misses.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger("ttsai.cache")
_SECRET_KEY = re.compile(r"(api[_-]?key|authorization|secret|password|bearer|^token$|^key$)",
                         re.IGNORECASE)
_KEY_VALUE = re.compile(r"sk-[A-Za-z0-9_-]{8,}")
_CHUNK = 1 << 20
_MANIFEST = "manifest.json"
_MEMO_DIR = "memo"
_MEMO_MAX = 4096
DEFAULT_MAX_BYTES = 5 * 1024 ** 3
"""The cache keeps at most 5 GiB (``TTSAI_CACHE_MAX_MB`` changes it), pruning the least
recently used entries after each new one."""
_SAFE_NAME = re.compile(r"\d{2}-[^/\\\x00]{1,200}")
_memo: "OrderedDict[tuple[str, str], dict[str, Any]]" = OrderedDict()
_memo_lock = threading.Lock()


@dataclass(frozen=True)
class Digest:
    """The sha256 (hex) and size of a file's bytes; stands in for the file in ``key``."""

    sha256: str
    size: int


def file_digest(path: str | os.PathLike[str]) -> Digest:
    """sha256 of a file's bytes, streamed (never the whole file in memory)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return Digest(h.hexdigest(), size)


def strip_secrets(options: Any) -> Any:
    """A copy of ``options`` without any entry whose name looks like a credential."""
    if isinstance(options, dict):
        return {str(k): strip_secrets(v) for k, v in options.items()
                if not _SECRET_KEY.search(str(k))}
    if isinstance(options, (list, tuple)):
        return [strip_secrets(v) for v in options]
    if isinstance(options, os.PathLike):
        return os.fspath(options)
    if isinstance(options, str) and _KEY_VALUE.fullmatch(options):
        raise ValueError("an API key was passed as a cache option value; "
                         "keys never enter the cache")
    return options


def canonical_json(options: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, paths as strings."""
    return json.dumps(strip_secrets(options or {}), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)


def default_max_bytes() -> int:
    """``TTSAI_CACHE_MAX_MB`` (MiB) when set to a number, else ``DEFAULT_MAX_BYTES``."""
    try:
        return max(0, int(float(os.environ["TTSAI_CACHE_MAX_MB"]) * 1024 * 1024))
    except (KeyError, ValueError, OverflowError):
        return DEFAULT_MAX_BYTES


def default_root() -> Path:
    """``TTSAI_CACHE_DIR``, else platformdirs' user cache dir for "ttsai"."""
    env = os.environ.get("TTSAI_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("ttsai")) / "results"


def _safe(name: str) -> str:
    """A file name that stays inside its cache folder."""
    cleaned = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(". ")
    return cleaned[:150] or "result"


class ResultCache:
    """Result files stored under ``root/<key[:2]>/<key>/`` with a manifest written last."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *,
                 max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes = max_bytes if max_bytes is not None else default_max_bytes()

    @staticmethod
    def key(operation: str, options: dict[str, Any] | None = None,
            *inputs: str | os.PathLike[str] | bytes | Digest) -> str:
        """sha256 over the operation, canonical options and each input: bytes, a file (its
        ``file_digest``) or a ``Digest`` already taken (the same key as the file itself)."""
        h = hashlib.sha256()
        for part in (b"ttsai-cache-v2", operation.encode(), canonical_json(options).encode()):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        for item in inputs:
            if isinstance(item, (bytes, bytearray)):
                h.update(b"B" + len(item).to_bytes(8, "big"))
                h.update(item)
                continue
            digest = item if isinstance(item, Digest) else file_digest(item)
            h.update(b"F" + digest.size.to_bytes(8, "big") + bytes.fromhex(digest.sha256))
        return h.hexdigest()

    def recall(self, identity: dict[str, Any]) -> dict[str, Any] | None:
        """What ``remember`` stored for ``identity`` (in memory, else in the cache folder)."""
        ident = canonical_json(identity)
        with _memo_lock:
            found = _memo.get((str(self.root), ident))
            if found is not None:
                _memo.move_to_end((str(self.root), ident))
                return dict(found)
        try:
            stored = json.loads(self._memo_path(ident).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("identity") != json.loads(ident) \
                or not isinstance(stored.get("value"), dict):
            return None
        self._keep(ident, stored["value"])
        return dict(stored["value"])

    def remember(self, identity: dict[str, Any], value: dict[str, Any]) -> None:
        """Note ``value`` (JSON, e.g. a digest of a derived file) for ``identity``; best effort."""
        ident = canonical_json(identity)
        self._keep(ident, value)
        path = self._memo_path(ident)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"identity": json.loads(ident), "value": value}), "utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.debug("not memoising on disk: %s", exc)
            tmp.unlink(missing_ok=True)

    def _keep(self, ident: str, value: dict[str, Any]) -> None:
        with _memo_lock:
            _memo[(str(self.root), ident)] = dict(value)
            _memo.move_to_end((str(self.root), ident))
            while len(_memo) > _MEMO_MAX:
                _memo.popitem(last=False)

    def _memo_path(self, ident: str) -> Path:
        name = hashlib.sha256(ident.encode()).hexdigest()
        return self.root / _MEMO_DIR / name[:2] / f"{name}.json"

    def _dir(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / key[:2] / key

    def get(self, key: str) -> list[Path] | None:
        """The cached result files for ``key`` in their original order, or None.

        An entry whose manifest is unreadable or malformed, names a file outside its folder,
        or whose files are missing or no longer match their recorded size and sha256, is a
        miss — and is removed, so the next run stores a good one."""
        folder = self._dir(key)
        try:
            raw = (folder / _MANIFEST).read_text("utf-8")
        except OSError:
            return None
        files = self._verified(folder, raw)
        if files is None:
            log.warning("removing a damaged cache entry %s", key[:12])
            shutil.rmtree(folder, ignore_errors=True)
            return None
        try:
            os.utime(folder / _MANIFEST)  # recently used: kept longest by prune()
        except OSError:
            pass
        return files

    @staticmethod
    def _verified(folder: Path, raw: str) -> list[Path] | None:
        try:
            manifest = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        names = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(names, list) or not names:
            return None
        checks = manifest.get("checks") or [None] * len(names)
        if not isinstance(checks, list) or len(checks) != len(names):
            return None
        files = []
        for name, want in zip(names, checks):
            if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or name == _MANIFEST:
                return None
            f = folder / name
            if not f.is_file() or f.is_symlink():
                return None
            if isinstance(want, dict):  # the size always; the bytes when the file was touched
                try:
                    st = f.stat()
                    if st.st_size != want.get("size"):
                        return None
                    if st.st_mtime_ns != want.get("mtime_ns") and \
                            file_digest(f).sha256 != want.get("sha256"):
                        return None
                except OSError:
                    return None
            files.append(f)
        return files

    def put(self, key: str, files: Iterable[str | os.PathLike[str]], *,
            operation: str | None = None, options: dict[str, Any] | None = None) -> list[Path]:
        """Copy ``files`` in (atomically, as a whole folder) and return the cached copies.

        When the cache cannot be written (full disk, read-only) the originals come back."""
        sources = [Path(f) for f in files]
        if not sources:
            raise ValueError("nothing to cache")
        folder = self._dir(key)
        existing = self.get(key)
        if existing is not None:
            return existing
        staging = folder.parent / f".{key}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            staging.mkdir(parents=True)
            names: list[str] = []
            checks: list[dict[str, Any]] = []
            for i, src in enumerate(sources):
                name = f"{i:02d}-{_safe(src.name)}"
                shutil.copyfile(src, staging / name)
                digest = file_digest(staging / name)
                names.append(name)
                checks.append({"size": digest.size, "sha256": digest.sha256,
                               "mtime_ns": (staging / name).stat().st_mtime_ns})
            manifest = {"files": names, "checks": checks, "created": time.time(),
                        "operation": operation,
                        "options": strip_secrets(options) if options else None}
            (staging / _MANIFEST).write_text(json.dumps(manifest, default=str), "utf-8")
            if folder.exists():
                done = self.get(key)
                if done is not None:  # another writer finished first
                    return done
                shutil.rmtree(folder, ignore_errors=True)  # left incomplete by a crash
            try:
                os.replace(staging, folder)
            except OSError:  # another writer won the race: theirs is as good as ours
                pass
        except OSError as exc:  # a full or read-only cache must not fail a finished job
            log.warning("not caching %s results: %s", operation or "the", exc)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result = self.get(key)
        if result is not None and self.max_bytes:
            try:
                self.prune(self.max_bytes, keep=folder)
            except OSError as exc:
                log.debug("could not prune the cache: %s", exc)
        return result if result is not None else sources

    def size(self) -> int:
        """Total bytes stored."""
        return sum(f.stat().st_size for f in self.root.rglob("*") if f.is_file())

    def prune(self, max_bytes: int | None = None, *, keep: Path | None = None) -> int:
        """Delete least-recently-used entries down to ``max_bytes`` (default: the cache's
        cap), never ``keep`` (the entry just written); return the bytes freed."""
        max_bytes = self.max_bytes if max_bytes is None else max_bytes
        entries = []
        for manifest in self.root.glob(f"??/*/{_MANIFEST}"):
            folder = manifest.parent
            try:
                size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
                entries.append((manifest.stat().st_mtime, size, folder))
            except OSError:
                continue
        total = sum(e[1] for e in entries)
        freed = 0
        for _, size, folder in sorted(entries):
            if total - freed <= max_bytes:
                break
            if keep is not None and folder == keep:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            freed += size
        return freed
