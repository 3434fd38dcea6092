"""The Sequencer sidebar tab "TTS.ai", the Strip/Add menu entries and the status-bar progress."""
from __future__ import annotations

from typing import Any

import bpy

from . import compat, ops_analyze, recovery, runtime

OPERATORS = (("ttsai.narrate", "Narrate", "SPEAKER"), ("ttsai.dub", "Dub", "WORLD"),
             ("ttsai.enhance", "Enhance", "SHADERFX"), ("ttsai.dereverb", "Remove Echo", "MOD_WAVE"),
             ("ttsai.split_stems", "Split Stems", "NLA"),
             ("ttsai.transcribe", "Transcribe", "FONT_DATA"),
             ("ttsai.voice_convert", "Convert Voice", "USER"),
             ("ttsai.restyle", "Restyle", "OUTLINER_OB_SPEAKER"),
             ("ttsai.analyze", "Analyze", "MARKER_HLT"),
             ("ttsai.apply_preset", "Apply Preset", "PRESET"))


def draw_jobs(layout: Any) -> None:
    running = runtime.active()
    for task in running:
        fraction, message = task.job.progress
        row = layout.row(align=True)
        if hasattr(row, "progress"):
            row.progress(factor=fraction, type="BAR", text=f"{task.label}: {message}")
        else:
            row.label(text=f"{task.label}: {fraction:.0%} {message}")
    if running:
        layout.operator("ttsai.cancel", icon="CANCEL")


def credits_lines() -> list[str]:
    """The last billed job's credits (``X-Credits-*``), as the sidebar shows them."""
    c = runtime.last_credits
    if c is None:
        return []
    lines = [f"{c.label}: {c.used:g} credits used"]
    if c.remaining is not None:
        lines.append(f"Credits left: {c.remaining:g}")
    return lines


def analysis_lines(context: Any) -> list[str]:
    """Key and tempo of the selected strips (else of every analysed strip) from Analyze."""
    store = ops_analyze.readings(context.scene) if context.scene else {}
    if not store:
        return []
    try:
        chosen = {s.name for s in compat.selected_strips(context.scene)} & set(store)
    except Exception:  # noqa: BLE001 - a readout never breaks drawing the panel
        chosen = set()
    out = []
    for name in sorted(chosen or store):
        d = store[name]
        reading = ops_analyze.Reading(name, d.get("key"), d.get("scale"), d.get("bpm"),
                                      d.get("time_signature"), d.get("camelot"))
        out.append(f"{name}: {reading.line()}")
    return out


def draw_readouts(layout: Any, context: Any) -> None:
    for icon, lines in (("MARKER_HLT", analysis_lines(context)), ("FUND", credits_lines())):
        if lines:
            box = layout.box()
            for i, line in enumerate(lines):
                box.label(text=line, icon=icon if i == 0 else "BLANK1")


def draw_recovery(layout: Any) -> None:
    """Results an interrupted session paid for and never placed: Place or Discard."""
    entries = recovery.offered()
    if not entries:
        return
    box = layout.box()
    box.label(text=recovery.describe(entries), icon="RECOVER_LAST")
    row = box.row(align=True)
    row.operator("ttsai.recover", text="Place", icon="CHECKMARK").action = "PLACE"
    row.operator("ttsai.recover", text="Discard", icon="X").action = "DISCARD"


class SEQUENCER_PT_ttsai(bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "TTS.ai"
    bl_label = "TTS.ai"

    def draw(self, context: Any) -> None:
        col = self.layout.column(align=True)
        for idname, label, icon in OPERATORS:
            col.operator(idname, text=label, icon=icon)
        draw_jobs(self.layout.column())
        draw_readouts(self.layout, context)
        draw_recovery(self.layout)
        if not bpy.app.online_access:
            self.layout.label(text="Online access is off: local engine only", icon="INFO")


class SEQUENCER_MT_ttsai(bpy.types.Menu):
    bl_label = "TTS.ai"

    def draw(self, context: Any) -> None:
        for idname, label, icon in OPERATORS:
            self.layout.operator(idname, text=label, icon=icon)
        self.layout.separator()
        self.layout.operator("ttsai.cancel", icon="CANCEL")


def menu_entry(self: Any, context: Any) -> None:
    self.layout.separator()
    self.layout.menu("SEQUENCER_MT_ttsai")


def status_entry(self: Any, context: Any) -> None:
    draw_jobs(self.layout.row())


MENUS = ("SEQUENCER_MT_strip", "SEQUENCER_MT_add")
classes = (SEQUENCER_PT_ttsai, SEQUENCER_MT_ttsai)


def register_menus() -> None:
    for name in MENUS:
        getattr(bpy.types, name).append(menu_entry)
    bpy.types.STATUSBAR_HT_header.append(status_entry)


def unregister_menus() -> None:
    for name in MENUS:
        getattr(bpy.types, name).remove(menu_entry)
    bpy.types.STATUSBAR_HT_header.remove(status_entry)
