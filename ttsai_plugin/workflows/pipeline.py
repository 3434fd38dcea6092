"""The steps every file workflow shares: a private work folder, the clip's used range extracted
once (only when needed), encoded under the endpoint's upload limit (parts split at silences), a
cache lookup keyed on (operation, options, digest of the extracted range; the digest memoised
per source file identity, so a repeat extracts nothing), per-part processing, stitching and
length fitting."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import soundfile as sf

from ttsai_plugin import media
from ttsai_plugin.api import credit_scope
from ttsai_plugin.api.paths import endpoint
from ttsai_plugin.cache import Digest, file_digest
from ttsai_plugin.jobs import heartbeat
from ttsai_plugin.workflows import longform
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.source import base_name, used_range

LENGTH_TOLERANCE = 0.001  # seconds a result may differ from its source before it is fitted
STALE_WORK_AGE = 24 * 3600.0  # seconds after which a leftover work folder is swept


@contextlib.contextmanager
def workdir(ctx: Context) -> Iterator[Path]:
    """A hidden folder inside ``ctx.out_dir`` (same file system, so results rename into place);
    removed afterwards whatever happens, so a cancelled job leaves nothing behind."""
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    _sweep_stale(ctx.out_dir)
    path = ctx.out_dir / f".ttsai-work-{uuid.uuid4().hex[:10]}"
    path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _sweep_stale(folder: Path, max_age: float = STALE_WORK_AGE) -> None:
    """Remove work folders a killed process left behind (never a live job's: those are young)."""
    cutoff = time.time() - max_age
    for old in folder.glob(".ttsai-work-*"):
        with contextlib.suppress(OSError):
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)


def source_identity(path: str | os.PathLike[str], **used: Any) -> dict[str, Any]:
    """Who a source file is right now (resolved path, size, mtime, inode) plus how it is used:
    a changed or replaced file has a different identity."""
    p = Path(path).resolve()
    st = p.stat()
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "inode": st.st_ino, **used}


def range_digest(ctx: Context, src: str | os.PathLike[str], used: dict[str, Any],
                 make: Callable[[], Path]) -> tuple[Digest, dict[str, Any]]:
    """Digest of the file ``make()`` derives from ``src`` (e.g. an extracted range), and the
    extras noted with it (``seconds``): recalled from the cache's memo when ``src`` is unchanged,
    else made, hashed and noted (only if ``src`` did not change meanwhile)."""
    before = source_identity(src, **used)
    memo = ctx.cache.recall(before) if ctx.cache is not None else None
    if memo is not None:
        return Digest(memo["sha256"], memo["size"]), memo
    made = make()
    digest = file_digest(made)
    memo = {"sha256": digest.sha256, "size": digest.size, "seconds": media.duration(made)}
    if ctx.cache is not None and source_identity(src, **used) == before:
        ctx.cache.remember(before, memo)
    return digest, memo


class Prepared:
    """The clip's used range as one lossless WAV plus the upload parts made from it, extracted
    on first use: a cached result needs only the range's digest (memoised), no extraction."""

    def __init__(self, ctx: Context, clip: Any, operation: str, work: Path,
                 start: float, end: float) -> None:
        self.ctx, self.clip, self.operation, self.work = ctx, clip, operation, work
        self.start = start
        self.to_end = clip.source_out is None  # then the media's own end, exact to the sample
        self._end = None if self.to_end else end
        self.base = base_name(clip)
        self._wav: Path | None = None
        self._parts: list[longform.Part] | None = None
        self._digest: Digest | None = None

    @property
    def wav(self) -> Path:
        if self._wav is None:
            ctx, clip = self.ctx, self.clip
            ctx.check_cancelled()
            whole = _whole_wav(clip, self.start, self._end)
            if whole is not None:  # nothing to extract: read in place, never written
                self._wav = whole
                self._end = self.start + media.duration(whole)
                return whole
            with busy(ctx, 0.01, 0.04, f"Extracting {clip.name} {self.start:.2f}–"
                                       f"{'end' if self._end is None else f'{self._end:.2f}s'}"):
                self._wav = media.extract(clip.media, self.work / "input.wav", start=self.start,
                                          end=self._end, stream=clip.audio_stream,
                                          cancel=ctx.cancel)
            if self._end is None:
                self._end = self.start + media.duration(self._wav)
            ctx.check_cancelled()
        return self._wav

    @property
    def parts(self) -> list[Path]:
        return [p.path for p in self.pieces]

    @property
    def pieces(self) -> list[longform.Part]:
        """The upload parts with where each lies in the range: cut at pauses into lossless
        parts sent in parallel when the operation's answers take time per second of audio or
        the range is over the upload limit; encoded smaller only when lossless parts would be
        too short."""
        if self._parts is None:
            wav = self.wav
            overlap = longform.overlap_for(self.operation)
            longest = longform.longest_part(self.operation, wav)
            pieces = [wav]
            if longest is not None and media.duration(wav) > longest:
                count = longform.part_count(media.duration(wav), longest,
                                            longform.workers_for(self.ctx, 1 << 30))
                with busy(self.ctx, 0.04, 0.06, f"Splitting at pauses into {count} parts"):
                    pieces = [p.path for p in longform.split_at_pauses(
                        wav, self.work / "split", max_seconds=longest, overlap=overlap,
                        count=count, cancel=self.ctx.cancel)]
            limit = endpoint(self.operation).upload_limit
            uploads: list[Path] = []
            for i, piece in enumerate(pieces):
                if limit is None or piece.stat().st_size <= limit:
                    uploads.append(piece)
                    continue
                with busy(self.ctx, 0.06, 0.1, "Encoding for upload"):
                    uploads += media.encode_for_upload(piece, self.work / f"upload-{i:03d}",
                                                       endpoint=self.operation,
                                                       cancel=self.ctx.cancel)
            self._parts = longform.parts_of(uploads, [media.duration(u) for u in uploads],
                                            overlap if len(pieces) > 1 else media.SPLIT_OVERLAP)
        return self._parts

    @property
    def end(self) -> float:
        if self._end is None:  # the range runs to the media's end: its length is memoised
            if self.ctx.cache is not None:
                self.digest()
            else:
                self.wav  # noqa: B018 - extracting measures it
        assert self._end is not None
        return self._end

    @property
    def duration(self) -> float:
        return self.end - self.start

    def digest(self) -> Digest:
        """sha256 of the extracted range, without extracting when the source is unchanged."""
        if self._digest is None:
            used = {"start": self.start, "end": self._end, "stream": self.clip.audio_stream,
                    "what": "range-wav"}
            self._digest, memo = range_digest(self.ctx, self.clip.media, used, lambda: self.wav)
            if self._end is None:
                self._end = self.start + float(memo["seconds"])
        return self._digest


PLAIN_WAV = ("PCM_16", "PCM_24", "PCM_32", "FLOAT")


def _whole_wav(clip: Any, start: float, end: float | None) -> Path | None:
    """The clip's own file when its whole first stream is used and it is already a plain mono
    or stereo WAV (an hour of podcast needs no copy), else None."""
    path = Path(clip.media)
    if start != 0 or clip.audio_stream != 0 or path.suffix.lower() != ".wav":
        return None
    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - not one soundfile reads: extract it
        return None
    if info.format != "WAV" or info.subtype not in PLAIN_WAV or info.channels > 2:
        return None
    if end is not None and abs(end - info.frames / info.samplerate) > 0.5 / info.samplerate:
        return None
    return path


def prepare(ctx: Context, clip: Any, operation: str, work: Path) -> Prepared:
    """The clip's checked used range for ``operation``'s endpoint (extracted when first used)."""
    start, end = used_range(clip)
    return Prepared(ctx, clip, operation, work, start, end)


def for_each_part(ctx: Context, prepared: Prepared, work: Path, label: str,
                  call: Callable[[Path, Path], Any], *, lo: float = 0.1, hi: float = 0.85,
                  suffix: str = ".wav") -> list[tuple[Path, Any]]:
    """Run ``call(part, out)`` on every upload part, in parallel within the plan's
    concurrency; results in part order, progress moving while they run. ``suffix``: what the
    service answers in (a file is read by its content, but soundfile trusts a .wav name)."""
    def one(part: longform.Part) -> tuple[Path, Any]:
        out = work / f"result-{part.index:03d}{suffix}"
        return out, call(part.path, out)
    return longform.run_parts(ctx, prepared.pieces, one, label=label, lo=lo, hi=hi)


def busy(ctx: Context, lo: float, hi: float, message: str):
    """A local step that may take a while (ffmpeg, a join): progress keeps moving meanwhile."""
    ctx.check_cancelled()
    return heartbeat(ctx.progress, lo, message, until=hi)


def stitch(paths: Sequence[Path], out: Path, *, overlapping: bool = True) -> Path:
    """Rejoin processed parts across their shared overlap, or back to back when the service
    changed their lengths (a dub); one part is just moved."""
    if len(paths) == 1:
        shutil.move(str(paths[0]), out)
        return out
    return media.stitch(list(paths), out) if overlapping else media.concat(list(paths), out)


def fit_length(path: Path, seconds: float, out: Path | None = None) -> Path:
    """Pad with silence or trim so the audio lasts exactly ``seconds`` (keeps edits aligned),
    as a plain WAV whatever the service sent back; streamed, never all in memory. A WAV that
    is already right is renamed to ``out`` (``path`` is a work file), not copied."""
    if path.suffix.lower() not in (".wav", ".flac"):
        path = media.extract(path, path.with_name(f"{path.stem}.decoded.wav"))
    frames, sr = _frames(path)
    want = int(round(seconds * sr))
    if path.suffix.lower() == ".wav":
        if out is None and abs(frames - want) <= LENGTH_TOLERANCE * sr:
            return path
        if out is not None and frames == want:
            os.replace(path, out)
            return out
    return longform.fit_wav(path, seconds, out or path)


def _frames(path: Path) -> tuple[int, int]:
    info = sf.info(str(path))
    return info.frames, info.samplerate


def note_mock(labels: Sequence[str | None]) -> str | None:
    """One mock label from many answers (``None`` when nothing was mocked)."""
    found = sorted({label for label in labels if label})
    return "; ".join(found) or None


def credits_of(answers: Sequence[Any]) -> float:
    return float(sum((getattr(a, "credits_used", None) or 0.0) for a in answers))


Produce = Callable[[], "tuple[list[Path], dict[str, Any]]"]


def cached(ctx: Context, work: Path, operation: str, options: dict[str, Any],
           inputs: Sequence[Path | bytes | Digest | Prepared],
           produce: Produce) -> tuple[dict[str, Path], dict, bool]:
    """Files (by name) and metadata for this request: from ``ctx.cache`` when it was asked
    before (no request at all), else from ``produce()``, which is then cached. A ``Prepared``
    input counts as its range's digest. Returned files are private copies in ``work``, free
    to move into place."""
    key = None
    if ctx.cache is not None:
        key = ctx.cache.key(operation, options, _service(ctx),
                            *[i.digest() if isinstance(i, Prepared) else i for i in inputs])
    if key is not None:
        hit = ctx.cache.get(key)
        if hit:
            copies = work / "from-cache"
            copies.mkdir(exist_ok=True)
            files: dict[str, Path] = {}
            for path in hit:
                name = path.name.split("-", 1)[1]
                files[name] = Path(shutil.copyfile(path, copies / name))
            meta_path = files.pop("meta.json", None)
            meta = json.loads(meta_path.read_text("utf-8")) if meta_path else {}
            return files, meta, True
    paths, meta = produce()
    ctx.check_cancelled()
    if key is not None:
        meta_path = work / "meta.json"
        meta_path.write_text(json.dumps(meta, default=str), "utf-8")
        with busy(ctx, 0.9, 0.95, "Keeping a copy in the cache"):
            ctx.cache.put(key, [*paths, meta_path], operation=operation, options=options)
    return {p.name: p for p in paths}, meta, False


def _service(ctx: Context) -> bytes:
    """The answering service's origin, part of every cache key: a stand-in result from the
    built-in engine must never be handed back once a real key and base URL are configured."""
    url = getattr(ctx.client, "base_url", None)
    return f"service:{url}".encode() if url is not None else b""


def charged(ctx: Context, answer: Any) -> float:
    """Credits one answer cost: its own figure, else the last ``X-Credits-Used`` of this work
    (the client's own last figure may be another file's, in a batch)."""
    value = getattr(answer, "credits_used", None)
    scope = credit_scope.current()
    if value is None and scope is not None:
        value = scope.used_last
    elif value is None:
        value = getattr(getattr(ctx.client, "credits", None), "used_last", None)
    return float(value or 0.0)
