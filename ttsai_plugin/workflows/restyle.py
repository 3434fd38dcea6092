"""Re-speak a clip in another voice and/or emotion (speech to speech)."""
from __future__ import annotations

from typing import Any

from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import slug
from ttsai_plugin.workflows.transform import transform


def restyle(ctx: Context, clip: Any, *, voice: str, emotion: str | None = None,
            speed: float = 1.0, model: str = "openvoice") -> WorkflowResult:
    """``<source>.restyle-<voice>[-<emotion>].wav``; keeps its natural length when the speed
    changes, else is fitted to the used range."""
    options = {"voice": voice, "emotion": emotion, "speed": float(speed), "model": model}
    tag = f"restyle-{slug(voice)}" + (f"-{emotion}" if emotion else "")
    return transform(ctx, clip, operation="speech_to_speech", options=options, tag=tag,
                     label=f"Restyled {voice}", keep_length=abs(speed - 1.0) < 1e-6,
                     call=lambda part, out: ctx.client.speech_to_speech(
                         part, voice=voice, out=out, model=model, emotion=emotion, speed=speed))
