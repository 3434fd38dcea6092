"""One clip in, one processed clip out, aligned to the source: the shape shared by enhance,
dereverb, voice conversion and restyle."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ttsai_plugin import media
from ttsai_plugin.clips import Placement
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish

Call = Callable[[Path, Path], Any]  # (upload part, out) -> AudioResult


def transform(ctx: Context, clip: Any, *, operation: str, options: dict[str, Any], tag: str,
              label: str, call: Call, keep_length: bool = True) -> WorkflowResult:
    """Run ``call`` over the clip's used range and place the result where the clip is.

    ``operation`` names the endpoint (its upload limit, the cache key); the result is
    ``<source>.<tag>.wav`` in ``ctx.out_dir``; with ``keep_length`` it lasts exactly as long
    as the used range, so it lines up sample for sample with the original.
    """
    with pipeline.workdir(ctx) as work:
        prepared = pipeline.prepare(ctx, clip, operation, work)

        def produce():
            runs = pipeline.for_each_part(ctx, prepared, work, label, call)
            with pipeline.busy(ctx, 0.85, 0.9, "Joining the parts" if len(runs) > 1
                               else "Checking the length"):
                joined = pipeline.stitch([out for out, _ in runs], work / "joined.wav")
                final = work / "final.wav"
                pipeline.fit_length(joined, prepared.duration if keep_length
                                    else media.duration(joined), final)
            answers = [a for _, a in runs]
            return [final], {"credits": pipeline.credits_of(answers),
                             "mock": pipeline.note_mock([getattr(a, "mock", None) for a in answers])}

        files, meta, hit = pipeline.cached(ctx, work, operation, options, [prepared], produce)
        ctx.report(0.95, "Saving")
        path = publish(files["final.wav"], ctx.out_dir / f"{prepared.base}.{tag}.wav")
    duration = media.duration(path)
    ctx.report(1.0, f"{label}: done")
    return WorkflowResult([Placement(path, clip.timeline_start, duration, 0, f"{clip.name} ({label})")],
                          credits_used=0.0 if hit else meta.get("credits", 0.0),
                          mock=meta.get("mock"), files=[path], cached=hit)
