"""Remove echo and/or room reverb over a clip's used range."""
from __future__ import annotations

from typing import Any

from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.transform import transform


def dereverb(ctx: Context, clip: Any, *, type: str = "both", intensity: int = 3) -> WorkflowResult:  # noqa: A002 - the API's name
    """A drier copy of the clip's audio, aligned with it: ``<source>.dereverb.wav``."""
    options = {"type": type, "intensity": int(intensity)}
    return transform(ctx, clip, operation="dereverb", options=options, tag="dereverb",
                     label="De-reverb",
                     call=lambda part, out: ctx.client.dereverb(part, out=out, **options))
