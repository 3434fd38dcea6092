"""Restyle: re-speak the selected speech with another emotion and/or speed (speech to speech),
on a free channel over the original, which is muted and never changed."""
from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, FloatProperty, StringProperty

from . import actions
from .lazy import workflows
from .operators import _TTSAIOperator

EMOTIONS = ("neutral", "happy", "sad", "aggressive", "excited")


class TTSAI_OT_restyle(_TTSAIOperator, bpy.types.Operator):
    """Re-speak the selected speech with another emotion or speed, over the original"""

    bl_idname = "ttsai.restyle"
    bl_label = "Restyle"
    operation = "restyle"

    emotion: EnumProperty(name="Emotion", default="neutral", items=[  # type: ignore
        (e, e.title(), f"Say it {e}") for e in EMOTIONS])
    speed: FloatProperty(name="Speed", default=1.0, min=0.5, max=2.0,  # type: ignore
                         description="1 keeps the strip's length; other speeds change it")
    voice: StringProperty(name="Voice",  # type: ignore
                          description="Empty: the preferences' voice")

    def build(self, context: Any, plan: actions.Plan) -> None:
        opts = dict(voice=self.voice or plan.settings.voice, emotion=self.emotion,
                    speed=self.speed)
        actions.clip_items(context, plan, lambda ctx, clip: workflows.restyle(ctx, clip, **opts))
        self._estimate_clips(plan)


classes = (TTSAI_OT_restyle,)
