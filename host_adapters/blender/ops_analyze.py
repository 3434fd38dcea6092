"""Analyze: the key and tempo of the selected strips, as scene markers at every bar (or beat)
named with the key, and a readout in the sidebar. Free; nothing is placed or muted."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import bpy
from bpy.props import EnumProperty

from . import actions, compat
from .lazy import workflows
from .operators import _TTSAIOperator

STORE = "ttsai_analysis"   # scene property: JSON {strip name: reading + its marker names}


@dataclass(frozen=True)
class Reading:
    """One strip's analysis as the timeline shows it."""

    strip: str
    key: str | None
    scale: str | None
    bpm: float | None
    time_signature: str | None
    camelot: str | None

    @property
    def key_text(self) -> str:
        return " ".join(p for p in (self.key, self.scale) if p) or "Key unknown"

    def line(self) -> str:
        parts = [self.key_text + (f" ({self.camelot})" if self.camelot else "")]
        if self.bpm:
            parts.append(f"{self.bpm:.1f} BPM")
        if self.time_signature:
            parts.append(self.time_signature)
        return " · ".join(parts)

    @property
    def beats_per_bar(self) -> int:
        try:
            return max(1, int(str(self.time_signature).split("/")[0]))
        except ValueError:
            return 4


def readings(scene: Any) -> dict[str, dict]:
    try:
        return json.loads(scene.get(STORE, "{}"))
    except (TypeError, ValueError):
        return {}


def marker_frames(scene: Any, start: float, end: float, bpm: float, every: int
                  ) -> list[tuple[int, int]]:
    """``(frame, beat index)`` for every ``every``-th beat from ``start`` to ``end`` seconds
    (the analysis gives the tempo, not the first downbeat: beats count from the strip's start)."""
    period = 60.0 / bpm
    out, i = [], 0
    while start + i * period < end - 1e-6:
        out.append((compat.seconds_to_frame(scene, start + i * period), i))
        i += every
    return out


def place_markers(scene: Any, reading: Reading, start: float, end: float, mode: str) -> int:
    """Replace this strip's earlier TTS.ai markers by new ones; the user's own are kept."""
    store = readings(scene)
    old = set(store.get(reading.strip, {}).get("markers", []))
    for m in [m for m in scene.timeline_markers if m.name in old]:
        scene.timeline_markers.remove(m)
    names: list[str] = []
    if reading.bpm and mode != "NONE":
        per_bar = reading.beats_per_bar
        every = per_bar if mode == "BARS" else 1
        for frame, beat in marker_frames(scene, start, end, reading.bpm, every):
            bar, in_bar = divmod(beat, per_bar)
            label = f"{bar + 1}" if mode == "BARS" else f"{bar + 1}.{in_bar + 1}"
            name = f"{reading.key_text} {label}"
            scene.timeline_markers.new(name, frame=frame)
            names.append(name)
    store[reading.strip] = {**reading.__dict__, "markers": names}
    scene[STORE] = json.dumps(store)
    return len(names)


class TTSAI_OT_analyze(_TTSAIOperator, bpy.types.Operator):
    """Find the key and tempo of the selected strips and mark their bars or beats"""

    bl_idname = "ttsai.analyze"
    bl_label = "Analyze"
    operation = "analyze"
    produces_audio = False

    markers: EnumProperty(name="Markers", default="BARS", items=[  # type: ignore
        ("BARS", "Bars", "A marker at every bar, named with the key and the bar number"),
        ("BEATS", "Beats", "A marker at every beat (bar.beat)"),
        ("NONE", "None", "Only the sidebar readout")])

    def build(self, context: Any, plan: actions.Plan) -> None:
        actions.clip_items(context, plan, lambda ctx, clip: workflows.analyze(ctx, clip))
        spans = [(i.source.strip, i.source.clip.timeline_start, i.source.clip.timeline_end)
                 for i in plan.items]
        mode = self.markers

        def after(scene: Any, results: list) -> str:
            lines, count = [], 0
            for (strip, start, end), result in zip(spans, results):
                a = result.analysis
                reading = Reading(strip, a.key, a.scale, a.bpm, a.time_signature, a.camelot)
                count += place_markers(scene, reading, start, end, mode)
                lines.append(f"{strip}: {reading.line()}")
            made = f"; {count} marker(s) added" if count else ""
            return f"Analyze: {'; '.join(lines)}{made}"
        plan.after = after


classes = (TTSAI_OT_analyze,)
