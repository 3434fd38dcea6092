"""Text of any length to one narration file: split at natural boundaries, chunks synthesised in
parallel within the plan's concurrency, joined in order (while later chunks are still being
made) with natural pauses and no clicks. The finished file is cached per text and options, so
a repeat is a lookup and a copy."""
from __future__ import annotations

import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from ttsai_plugin import media
from ttsai_plugin.api.credit_scope import carry
from ttsai_plugin.clips import Placement
from ttsai_plugin.errors import InputError
from ttsai_plugin.progress import HEARTBEAT_SECONDS, PartsMeter
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish, slug
from ttsai_plugin.workflows.textsplit import Chunk, split_text

REFERENCE_SECONDS = (10.0, 30.0)  # the contract's advice for a cloning reference
DEFAULT_CLONE_MODEL = "chatterbox"
CHAR_SECONDS = 0.003  # first guess of a part's time per character, until one has come back


def narrate(ctx: Context, text: str, *, voice: str = "af_bella", model: str = "kokoro",
            language: str | None = None, speed: float = 1.0, reference: str | Path | None = None,
            start: float = 0.0) -> WorkflowResult:
    """``<first words>.narration.wav`` placed at ``start``; ``reference`` clones that voice."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("The text is empty.", hint="Type or paste the words to speak.")
    if not 0.5 <= speed <= 2.0:
        raise InputError(f"Speed {speed:g} is out of range.", hint="Use 0.5 to 2.0.")
    plan = ctx.client.plan
    max_chunks = max(plan.concurrent, plan.requests_per_minute // 2)
    chunks = split_text(text, plan.max_text_chars, max_chunks=max_chunks)
    notes: list[str] = []
    clone_model = model if model != "kokoro" else DEFAULT_CLONE_MODEL
    options: dict[str, Any] = {"text": text, "language": language, "chunk_chars":
                               plan.max_text_chars, "max_chunks": max_chunks}
    options.update({"model": clone_model, "reference": True} if reference is not None else
                   {"voice": voice, "model": model, "speed": speed})
    with pipeline.workdir(ctx) as work:
        ref_wav, inputs = _reference(ctx, reference, work, notes)

        def produce() -> tuple[list[Path], dict[str, Any]]:
            ref = ref_wav() if ref_wav is not None else None
            return _synthesise(ctx, chunks, work, ref, voice=voice, model=model,
                               clone_model=clone_model, language=language, speed=speed)

        files, meta, hit = pipeline.cached(ctx, work, "narrate", options, inputs, produce)
        ctx.report(0.95, "Saving")
        suffix = "narration-clone" if reference is not None else "narration"
        path = publish(files["narration.wav"], ctx.out_dir / f"{slug(text)}.{suffix}.wav")
    duration = media.duration(path)
    ctx.report(1.0, f"Narration: {duration:.1f} s")
    label = " ".join(text.split()[:6])
    return WorkflowResult([Placement(path, start, duration, 0, f"Narration: {label}")],
                          credits_used=0.0 if hit else meta.get("credits", 0.0),
                          mock=meta.get("mock"), files=[path], mute_source=False, notes=notes,
                          cached=hit or bool(meta.get("parts_cached")))


def _reference(ctx: Context, reference: str | Path | None, work: Path, notes: list[str]
               ) -> tuple[Callable[[], Path] | None, list[Any]]:
    """A maker of at most 30 s of the reference as mono WAV (small upload, any input format),
    run only when a request is needed, and the digest that stands for it in the cache key."""
    if reference is None:
        return None, []
    src = Path(reference)
    length = media.duration(src)
    if length < REFERENCE_SECONDS[0]:
        notes.append(f"The voice reference is {length:.1f} s; "
                     "10–30 s of clean speech clones better.")
    end = min(length, REFERENCE_SECONDS[1])
    made: list[Path] = []

    def make() -> Path:
        if not made:
            made.append(media.extract(src, work / "reference.wav", start=0.0, end=end,
                                      channels=1, cancel=ctx.cancel))
        return made[0]

    if ctx.cache is None:
        return make, []
    digest, _ = pipeline.range_digest(ctx, src, {"what": "voice-reference", "end": end}, make)
    return make, [digest]


def _synthesise(ctx: Context, chunks: list[Chunk], work: Path, ref: Path | None, *, voice: str,
                model: str, clone_model: str, language: str | None,
                speed: float) -> tuple[list[Path], dict[str, Any]]:
    """All chunks, ``plan.concurrent`` at a time (each cached on its own, so a retry after a
    failure pays only for what is missing), joined in order as they arrive. Progress runs
    from 5 % to 90 % by characters spoken, moving every second while parts are out."""
    ctx.report(0.02, f"Narrating {sum(len(c.text) for c in chunks):,} characters in "
                     f"{len(chunks)} part(s)")
    joined = work / "narration.wav"
    join = media.OrderedJoin(joined, len(chunks), gaps=[c.pause_after for c in chunks[:-1]],
                             cancel=ctx.cancel)

    meter = PartsMeter([len(c.text) for c in chunks], first_guess=CHAR_SECONDS)
    lock = threading.Lock()

    def one(i: int, chunk: Chunk) -> tuple[dict[str, Any], bool]:
        ctx.check_cancelled()
        meter.started(i)
        folder = work / f"chunk-{i:04d}"
        folder.mkdir()
        if ref is not None:
            options = {"text": chunk.text, "model": clone_model, "language": language}
            inputs: list[Any] = [ref]
            call = lambda out: ctx.client.clone(ref, text=chunk.text, out=out,  # noqa: E731
                                                model=clone_model, format="wav",
                                                language=language)
        else:
            options = {"text": chunk.text, "voice": voice, "model": model,
                       "language": language, "speed": speed}
            inputs = []
            call = lambda out: ctx.client.tts(chunk.text, voice=voice, out=out,  # noqa: E731
                                              model=model, format="wav", speed=speed,
                                              language=language)

        def produce():
            answer = call(folder / "speech.wav")
            return [answer.path], {"credits": pipeline.charged(ctx, answer), "mock": answer.mock}

        op = "clone" if ref is not None else "tts"
        files, meta, hit = pipeline.cached(ctx, folder, op, options, inputs, produce)
        join.add(i, files["speech.wav"])  # appended as soon as every earlier part is in
        meter.finished(i)
        ctx.check_cancelled()
        tick()
        return meta, hit

    def tick() -> None:
        with lock:  # parts finishing together report in order
            now = meter.reading()
            ctx.report(0.05 + 0.85 * now.share, f"Narrated {meter.done}/{len(chunks)} parts, "
                       f"{now.elapsed:.0f} s")

    workers = max(1, min(ctx.client.plan.concurrent, len(chunks)))
    with join, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ttsai-narrate") as pool:
        futures = [pool.submit(carry(one), i, c) for i, c in enumerate(chunks)]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=HEARTBEAT_SECONDS,
                                     return_when=FIRST_EXCEPTION)
            if any(f.exception() for f in finished):
                break
            if pending:
                tick()
        for f in pending:
            f.cancel()
        failed = [f for f in futures if f.done() and not f.cancelled() and f.exception()]
        if failed:
            raise failed[0].exception()
        results = [f.result() for f in futures]
        ctx.check_cancelled()
    return [joined], {"credits": sum(m.get("credits", 0.0) for m, hit in results if not hit),
                      "mock": pipeline.note_mock([m.get("mock") for m, _ in results]),
                      "parts_cached": all(hit for _, hit in results)}
