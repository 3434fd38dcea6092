"""Make a clip's speech sound like another voice, keeping its words and timing."""
from __future__ import annotations

from typing import Any

from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import slug
from ttsai_plugin.workflows.transform import transform


def voice_convert(ctx: Context, clip: Any, *, target_voice: str,
                  model: str = "openvoice") -> WorkflowResult:
    """``<source>.voice-<target>.wav``, as long as the used range."""
    options = {"target_voice": target_voice, "model": model}
    return transform(ctx, clip, operation="voice_convert", options=options,
                     tag=f"voice-{slug(target_voice)}", label=f"Voice {target_voice}",
                     call=lambda part, out: ctx.client.voice_convert(
                         part, target_voice=target_voice, out=out, model=model, format="wav"))
