"""Results that finished (and were paid for) but never reached this .blend's timeline —
Blender crashed, or another file was open when they arrived. The TTS.ai panel offers them;
``ttsai.recover`` places them exactly as their job would have, from the journal alone (no
request to the API), or dismisses them and leaves their files where they are.
"""
from __future__ import annotations

import os
from typing import Any

import bpy
from bpy.app.handlers import persistent
from bpy.props import EnumProperty

from ttsai_plugin.errors import InputError, TTSAIError
from ttsai_plugin.journal import Journal, JournalEntry

from . import actions, host, prefs, save_handler

_offered: dict[str, Any] = {"key": None, "entries": []}


def journal() -> Journal:
    return Journal(prefs.user_dir() / "journal.jsonl")


def _same_blend(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def unplaced() -> list[JournalEntry]:
    """The open .blend's finished, unplaced results whose files are all still there, oldest
    first; never those a running job will insert itself. An unsaved file has none: nothing
    ties a result to it."""
    blend = bpy.data.filepath
    if not blend:
        return []
    return [e for e in journal().recover()
            if "landings" in e.meta and _same_blend(str(e.meta.get("blend", "")), blend)
            and e.job_id not in actions.in_flight]


def offered() -> list[JournalEntry]:
    """``unplaced()`` for the panel: the journal is read again only when it or the open file
    (or the set of running jobs) changed, not on every redraw."""
    try:
        st = journal().path.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    key = (bpy.data.filepath, stamp, frozenset(actions.in_flight))
    if _offered["key"] != key:
        _offered.update(key=key, entries=unplaced())
    return _offered["entries"]


def describe(entries: list[JournalEntry]) -> str:
    n = len(entries)
    return f"{n} result{'s' if n != 1 else ''} from an interrupted session"


def place(context: Any, entries: list[JournalEntry]) -> tuple[list[str], list[str]]:
    """Insert every entry on its own scene (the current one if that is gone), on free channels
    next to its source and with the source muted, as its job would have — all or nothing.
    Returns the new strips' names and what to tell the user (a source that is gone)."""
    done: list[tuple[Any, host.Inserted]] = []
    try:
        for e in entries:
            scene = bpy.data.scenes.get(str(e.meta.get("scene", ""))) or context.scene
            if scene is None:
                raise InputError("There is no scene to place the results in.")
            landings = [actions.Landing.from_json(x) for x in e.meta["landings"]]
            done.append((scene, actions.land(scene, landings)))
    except Exception:
        for scene, inserted in reversed(done):
            host.rollback(scene, inserted)
        raise
    j = journal()
    for e in entries:
        actions.srt_beside_blend(e.paths)
        j.mark_placed(e.job_id)
    return ([name for _scene, inserted in done for name in inserted.strips],
            [note for _scene, inserted in done for note in inserted.notes])


class TTSAI_OT_recover(bpy.types.Operator):
    """Place the results of TTS.ai jobs that never reached this file, or stop offering them"""

    bl_idname = "ttsai.recover"
    bl_label = "Recover Interrupted Results"
    bl_options = {"REGISTER"}

    action: EnumProperty(name="Action", default="PLACE", items=[  # type: ignore
        ("PLACE", "Place", "Insert them as their job would have; no new request, no credits"),
        ("DISCARD", "Discard", "Stop offering them; their files stay on disk")])

    def execute(self, context: Any) -> set[str]:
        entries = unplaced()
        if not entries:
            self.report({"INFO"}, "No interrupted TTS.ai results for this file.")
            return {"CANCELLED"}
        if self.action == "DISCARD":
            j = journal()
            for e in entries:
                j.dismiss(e.job_id)
            folders = sorted({str(p.parent) for e in entries for p in e.paths})
            self.report({"INFO"}, f"Discarded {describe(entries)}; the files stay in "
                                  f"{', '.join(folders)}.")
            return {"FINISHED"}
        try:
            names, notes = place(context, entries)
        except TTSAIError as exc:
            self.report({"WARNING"}, str(exc))
            return {"CANCELLED"}
        bpy.ops.ed.undo_push(message="TTS.ai: Recover Interrupted Results")
        for note in notes:
            self.report({"WARNING"}, note)
        labels = ", ".join(str(e.meta.get("label", e.operation)) for e in entries)
        self.report({"INFO"}, f"Recovered {labels}: {len(names)} strip(s) added, "
                              "no new request.")
        return {"FINISHED"}


@persistent
def _on_load(*_args: Any) -> None:
    """After a file opens: say in the console when it has results waiting in the panel."""
    entries = offered()
    if entries:
        print(f"TTS.ai: {describe(entries)} — Place or Discard them in the Sequencer's "
              "TTS.ai panel.")


classes = (TTSAI_OT_recover,)


def register_handlers() -> None:
    save_handler.register()
    if _on_load not in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.append(_on_load)


def unregister_handlers() -> None:
    save_handler.unregister()
    if _on_load in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_on_load)
    _offered.update(key=None, entries=[])
