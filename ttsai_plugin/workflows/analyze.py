"""Key, scale, BPM and time signature of a clip's used range (free)."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from ttsai_plugin.api.types import Analysis
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult


def analyze(ctx: Context, clip: Any) -> WorkflowResult:
    """The Analysis in ``result.analysis``; nothing is placed and the source stays as it is."""
    with pipeline.workdir(ctx) as work:
        prepared = pipeline.prepare(ctx, clip, "analyze", work)

        def produce():
            ctx.report(0.3, "Analysing key and tempo")
            answer = ctx.client.analyze(prepared.parts[0])
            out = work / "analysis.json"
            out.write_text(json.dumps(dataclasses.asdict(answer)), "utf-8")
            return [out], {"mock": answer.mock, "parts": len(prepared.parts)}

        files, meta, hit = pipeline.cached(ctx, work, "analyze", {}, [prepared], produce)
        analysis = Analysis.from_json(json.loads(files["analysis.json"].read_text("utf-8")),
                                      mock=meta.get("mock"))
    ctx.report(1.0, "Analysis: done")
    notes = [] if meta.get("parts", 1) == 1 else ["Analysed the first part of a long range."]
    return WorkflowResult([], mock=analysis.mock, mute_source=False, analysis=analysis,
                          notes=notes, cached=hit)
