"""Split a clip's used range into stems (vocals, accompaniment, drums …), one track each."""
from __future__ import annotations

import os
from typing import Any

from ttsai_plugin import media
from ttsai_plugin.clips import Placement
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import longform, pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish

STEM_COUNTS = (2, 4, 5, 6)


def split_stems(ctx: Context, clip: Any, *, stems: int = 2, model: str = "demucs") -> WorkflowResult:
    """``<source>.stems/<stem>.wav`` for each stem, each as long as the used range, placed on
    tracks 0..n-1 above the clip; the source is muted (the stems add up to it)."""
    if stems not in STEM_COUNTS:
        raise InputError(f"Cannot split into {stems} stems.",
                         hint=f"Choose {', '.join(map(str, STEM_COUNTS))}.")
    options = {"stems": int(stems), "model": model}
    with pipeline.workdir(ctx) as work:
        prepared = pipeline.prepare(ctx, clip, "separate", work)

        def produce():
            def one(part):
                return ctx.client.separate(part.path, out_dir=work / f"separated-{part.index:03d}",
                                           model=model, stems=stems, format="wav",
                                           on_progress=lambda *_: ctx.check_cancelled())
            answers = longform.run_parts(ctx, prepared.pieces, one, label="Separating stems")
            per_part = [dict(a.paths) for a in answers]
            names = list(per_part[0])
            outs = []
            with pipeline.busy(ctx, 0.85, 0.9, "Joining the stems"):
                for name in names:
                    joined = pipeline.stitch([p[name] for p in per_part],
                                             work / f"joined-{name}.wav")
                    outs.append(pipeline.fit_length(joined, prepared.duration,
                                                    work / f"{name}.wav"))
            return outs, {"credits": pipeline.credits_of(answers), "names": names,
                          "mock": pipeline.note_mock([a.mock for a in answers])}

        files, meta, hit = pipeline.cached(ctx, work, "separate", options, [prepared], produce)
        ctx.report(0.95, "Saving stems")
        staging = work / "stems"
        staging.mkdir()
        for name in meta["names"]:
            os.replace(files[f"{name}.wav"], staging / f"{name}.wav")
        folder = publish(staging, ctx.out_dir / f"{prepared.base}.stems")
    placements = []
    for i, name in enumerate(meta["names"]):
        path = folder / f"{name}.wav"
        placements.append(Placement(path, clip.timeline_start, media.duration(path), i,
                                    f"{clip.name} {name}"))
    ctx.report(1.0, "Stems: done")
    return WorkflowResult(placements, credits_used=0.0 if hit else meta["credits"],
                          mock=meta.get("mock"), files=[p.path for p in placements], cached=hit)
