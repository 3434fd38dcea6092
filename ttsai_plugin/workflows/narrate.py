"""Text of any length to one narration file: split at natural boundaries, chunks synthesised in
parallel within the plan's concurrency, joined in order with natural pauses and no clicks."""
from __future__ import annotations

from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from ttsai_plugin import media
from ttsai_plugin.clips import Placement
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish, slug
from ttsai_plugin.workflows.textsplit import Chunk, split_text

REFERENCE_SECONDS = (10.0, 30.0)  # the contract's advice for a cloning reference
DEFAULT_CLONE_MODEL = "chatterbox"


def _reference(ctx: Context, reference: Path, work: Path, notes: list[str]) -> Path:
    """At most 30 s of the reference as mono WAV (keeps the upload small, any input format)."""
    length = media.duration(reference)
    if length < REFERENCE_SECONDS[0]:
        notes.append(f"The voice reference is {length:.1f} s; 10–30 s of clean speech clones better.")
    end = min(length, REFERENCE_SECONDS[1])
    return media.extract(reference, work / "reference.wav", start=0.0, end=end, channels=1,
                         cancel=ctx.cancel)


def narrate(ctx: Context, text: str, *, voice: str = "af_bella", model: str = "kokoro",
            language: str | None = None, speed: float = 1.0, reference: str | Path | None = None,
            start: float = 0.0) -> WorkflowResult:
    """``<first words>.narration.wav`` placed at ``start``; ``reference`` clones that voice."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("The text is empty.", hint="Type or paste the words to speak.")
    if not 0.5 <= speed <= 2.0:
        raise InputError(f"Speed {speed:g} is out of range.", hint="Use 0.5 to 2.0.")
    plan = ctx.client.plan
    chunks = split_text(text, plan.max_text_chars,
                        max_chunks=max(plan.concurrent, plan.requests_per_minute // 2))
    notes: list[str] = []
    clone_model = model if model != "kokoro" else DEFAULT_CLONE_MODEL
    with pipeline.workdir(ctx) as work:
        ref = _reference(ctx, Path(reference), work, notes) if reference is not None else None
        ctx.report(0.02, f"Narrating {len(text):,} characters in {len(chunks)} part(s)")
        done: list[int] = []
        joined = work / "narration.wav"
        join = media.OrderedJoin(joined, len(chunks), gaps=[c.pause_after for c in chunks[:-1]],
                                 cancel=ctx.cancel)

        def one(i: int, chunk: Chunk) -> tuple[Path, dict[str, Any], bool]:
            ctx.check_cancelled()
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
                return [answer.path], {"credits": pipeline.charged(ctx, answer),
                                       "mock": answer.mock}

            op = "clone" if ref is not None else "tts"
            files, meta, hit = pipeline.cached(ctx, folder, op, options, inputs, produce)
            join.add(i, files["speech.wav"])  # joined in order while later parts are made
            done.append(i)
            ctx.report(0.05 + 0.85 * len(done) / len(chunks),
                       f"Narrated part {len(done)}/{len(chunks)}")
            return files["speech.wav"], meta, hit

        workers = max(1, min(plan.concurrent, len(chunks)))
        with join, ThreadPoolExecutor(max_workers=workers,
                                      thread_name_prefix="ttsai-narrate") as pool:
            futures = [pool.submit(one, i, c) for i, c in enumerate(chunks)]
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for f in pending:
                f.cancel()
            failed = [f for f in futures if f.done() and not f.cancelled() and f.exception()]
            if failed:
                raise failed[0].exception()
            results = [f.result() for f in futures]
            ctx.check_cancelled()
        ctx.report(0.95, "Saving")
        suffix = "narration-clone" if ref is not None else "narration"
        path = publish(joined, ctx.out_dir / f"{slug(text)}.{suffix}.wav")
    duration = media.duration(path)
    metas = [m for _, m, hit in results if not hit]
    ctx.report(1.0, f"Narration: {duration:.1f} s")
    label = " ".join(text.split()[:6])
    return WorkflowResult([Placement(path, start, duration, 0, f"Narration: {label}")],
                          credits_used=sum(m.get("credits", 0.0) for m in metas),
                          mock=pipeline.note_mock([m.get("mock") for _, m, _ in results]),
                          files=[path], mute_source=False, notes=notes,
                          cached=all(hit for _, _, hit in results))
