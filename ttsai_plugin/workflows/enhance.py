"""Enhance speech (denoise, clarity, optional super-resolution) over a clip's used range."""
from __future__ import annotations

from typing import Any

from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.transform import transform


def enhance(ctx: Context, clip: Any, *, denoise: bool = True, enhance_clarity: bool = True,
            super_resolution: bool = False, strength: int = 2) -> WorkflowResult:
    """A cleaned copy of the clip's audio, aligned with it: ``<source>.enhanced.wav``."""
    options = {"denoise": denoise, "enhance_clarity": enhance_clarity,
               "super_resolution": super_resolution, "strength": int(strength)}
    return transform(ctx, clip, operation="enhance", options=options, tag="enhanced",
                     label="Enhanced",
                     call=lambda part, out: ctx.client.enhance(part, out=out, **options))
