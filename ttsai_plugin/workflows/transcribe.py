"""Speech to text for a clip's used range: SRT and WebVTT files plus caption placements."""
from __future__ import annotations

import json
from typing import Any

from ttsai_plugin.api.types import Transcript
from ttsai_plugin.clips import Placement
from ttsai_plugin.workflows import captions, longform, pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish


def transcribe(ctx: Context, clip: Any, *, language: str | None = None,
               model: str = "whisper") -> WorkflowResult:
    """``<source>.srt`` and ``<source>.vtt``; captions placed at timeline times, inside the clip."""
    options = {"language": language, "model": model, "timestamps": True}
    with pipeline.workdir(ctx) as work:
        prepared = pipeline.prepare(ctx, clip, "stt", work)

        def produce():
            def one(part):
                return ctx.client.stt(part.path, model=model, language=language, timestamps=True)
            pieces = prepared.pieces
            answers = longform.run_parts(ctx, pieces, one, label="Transcribing")
            texts = [t.text.strip() for t in answers]
            segments = longform.retime(pieces, [t.segments for t in answers])
            out = work / "transcript.json"
            out.write_text(json.dumps({"text": " ".join(x for x in texts if x),
                                       "language": next((t.language for t in answers
                                                         if t.language), None),
                                       "duration": prepared.duration, "segments": segments},
                                      ensure_ascii=False), "utf-8")
            return [out], {"credits": sum(pipeline.charged(ctx, t) for t in answers),
                           "mock": pipeline.note_mock([t.mock for t in answers])}

        files, meta, hit = pipeline.cached(ctx, work, "stt", options, [prepared], produce)
        data = json.loads(files["transcript.json"].read_text("utf-8"))
        transcript = Transcript.from_json(data, mock=meta.get("mock"))
        cues = captions.cues_from_segments(transcript.segments, prepared.duration)
        if not cues and transcript.text.strip():
            cues = captions.spread_text(transcript.text, prepared.duration)
        srt_path = publish(captions.write_srt(cues, work / "captions.srt"),
                           ctx.out_dir / f"{prepared.base}.srt")
        vtt_path = publish(captions.write_vtt(cues, work / "captions.vtt"),
                           ctx.out_dir / f"{prepared.base}.vtt")
    placements = [Placement(srt_path, clip.timeline_start + c.start, c.end - c.start, 0,
                            f"{clip.name} caption {i}", kind="caption", text=c.text)
                  for i, c in enumerate(cues, start=1)]
    ctx.report(1.0, f"Transcribed: {len(cues)} caption{'' if len(cues) == 1 else 's'}")
    return WorkflowResult(placements, credits_used=0.0 if hit else meta["credits"],
                          mock=meta.get("mock"), transcript=transcript,
                          files=[srt_path, vtt_path], mute_source=False, cached=hit)
