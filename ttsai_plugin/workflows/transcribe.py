"""Speech to text for a clip's used range: SRT and WebVTT files plus caption placements."""
from __future__ import annotations

import json
from typing import Any

from ttsai_plugin.api.types import Transcript
from ttsai_plugin.clips import Placement
from ttsai_plugin.workflows import captions, pipeline
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
            offsets = pipeline.part_offsets(prepared.parts) if len(prepared.parts) > 1 else [0.0]
            segments, texts, credits, mocks, lang = [], [], 0.0, [], None
            for i, (part, offset) in enumerate(zip(prepared.parts, offsets)):
                ctx.report(0.1 + 0.75 * i / len(offsets), "Transcribing")
                t = ctx.client.stt(part, model=model, language=language, timestamps=True)
                credits += pipeline.charged(ctx, t)
                mocks.append(t.mock)
                lang = lang or t.language
                texts.append(t.text.strip())
                segments += [{"start": s.start + offset, "end": s.end + offset, "text": s.text,
                              "speaker": s.speaker} for s in t.segments]
                ctx.check_cancelled()
            out = work / "transcript.json"
            out.write_text(json.dumps({"text": " ".join(x for x in texts if x), "language": lang,
                                       "duration": prepared.duration, "segments": segments},
                                      ensure_ascii=False), "utf-8")
            return [out], {"credits": credits, "mock": pipeline.note_mock(mocks)}

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
    ctx.report(1.0, f"Transcribed: {len(cues)} captions")
    return WorkflowResult(placements, credits_used=0.0 if hit else meta["credits"],
                          mock=meta.get("mock"), transcript=transcript,
                          files=[srt_path, vtt_path], mute_source=False, cached=hit)
