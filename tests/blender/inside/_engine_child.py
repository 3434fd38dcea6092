"""Run by ``test_local_engine_extension.py`` in a fresh Blender: install TTS.ai and its
companion TTS.ai Local Engine from disk, then, with no key, transcribe a talking movie and
analyze music. Prints one JSON line."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import bpy

main_zip, engine_zip, media, project = sys.argv[1:5]
for z in (main_zip, engine_zip):
    assert bpy.ops.extensions.package_install_files(
        filepath=z, repo="user_default", enable_on_install=True) == {"FINISHED"}
import importlib  # noqa: E402

compat = importlib.import_module("bl_ext.user_default.ttsai.compat")
prefs = importlib.import_module("bl_ext.user_default.ttsai.prefs")
bpy.ops.wm.read_homefile(use_empty=True)
bpy.ops.wm.save_as_mainfile(filepath=str(Path(project) / "edit.blend"))
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = 25, 1.0
scene.frame_start, scene.frame_end = 1, 500
scene.sequence_editor_create()
report: dict = {"engine": prefs.engine(prefs.settings()).detail}
music = compat.new_sound(scene, "music", str(Path(media) / "music.wav"), 1, 1)
talk = compat.new_sound(scene, "talk", str(Path(media) / "talk.mp4"), 3, 1)
for strip, op in ((talk, "transcribe"), (music, "analyze")):
    for s in compat.all_strips(scene):
        s.select = s == strip
    before = {s.name for s in compat.all_strips(scene)}
    report[op] = sorted(getattr(bpy.ops.ttsai, op)())
    report[op + "_new"] = [s.type for s in compat.all_strips(scene) if s.name not in before]
report["markers"] = [m.name for m in scene.timeline_markers]
print(json.dumps(report))
sys.stdout.flush()
os._exit(0)
