"""Run inside a Blender Python (the ``bpy`` module), PYTHONPATH unset: install the add-on from
its zip, then put a long source through the add-on's own operators (``bpy.ops.ttsai.*``, as a
script or the tests call them) while this thread plays Blender's main loop, and report where
each result landed.

    .venv-blender-5.0/bin/python bench/_blender_long_runs.py ZIP SOURCE KIND OPS SCRIPT

KIND is ``podcast`` (a sound strip) or ``screen`` (a movie strip with its sound strip). OPS is
a comma list of narrate, dub, enhance, dereverb, stems, transcribe; SCRIPT the narration's
text file. ``TTSAI_BASE_URL``/``TTSAI_API_KEY`` name the engine. Prints one
``LONGRUN {json}`` line per operation (and one ``CONTROL {json}``).
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import bpy

import _gil_probe

TICK = 0.010
PACKAGE = "bl_ext.user_default.ttsai"
OPERATORS = {"narrate": "narrate", "dub": "dub", "enhance": "enhance", "dereverb": "dereverb",
             "stems": "split_stems", "transcribe": "transcribe"}
ARGS = {"dub": {"target_language": "es"}, "stems": {"stems": "2"}}


class Loop:
    """Blender's main loop as the persistent timer plays it (sleep 10 ms, drain the add-on's
    queue), standing in for ``runtime.run_blocking`` so every interval is recorded."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.reset()

    def reset(self) -> None:
        self.gaps: list[float] = []
        self.spans: list[tuple[float, float]] = []
        self.insert = 0.0
        self.insert_drains: list[float] = []
        self.entered = 0.0
        self.worst = (0.0, "")

    def run_blocking(self, task, timeout=None) -> None:
        self.entered = time.perf_counter()
        last = self.entered
        while not task.finished:
            time.sleep(TICK)
            inserting = task.job.done      # the job is over: drains now run the insertion
            before = time.perf_counter()
            self.runtime.drain()
            now = time.perf_counter()
            if inserting:
                self.insert_drains.append(now - before)
            else:
                self.gaps.append(now - last)
                self.spans.append((last, now))
                if now - last > self.worst[0]:
                    self.worst = (now - last, str(task.job.progress[1]))
            last = now
        self.insert = sum(self.insert_drains)


def install(zip_path: str):
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}, result
    return importlib.import_module(PACKAGE)


def new_project(folder: Path, name: str) -> object:
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / f"{name}.blend"))
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    scene.sequence_editor_create()
    return scene


def lay_out(compat, scene, src: Path, kind: str) -> list:
    """The source as an editor has it: trimmed 10 s at each end, volume 0.7, selected (a
    movie and its own sound strip both)."""
    if kind == "screen":
        movie = compat.strips(scene).new_movie("screen", str(src), 1, 1)
        sound = compat.new_sound(scene, "screen.audio", str(src), 2, 1)
        chosen = [movie, sound]
    else:
        sound = compat.new_sound(scene, "podcast", str(src), 1, 1)
        chosen = [sound]
    for s in chosen:
        left, right = compat.visible_range(s)
        compat.set_visible_range(s, left + 250, right - 250)
    sound.volume = 0.7
    for s in compat.all_strips(scene):
        s.select = s in chosen
    return chosen


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def describe(compat, scene, before: set[str]) -> list[dict]:
    made = [s for s in compat.all_strips(scene) if s.name not in before]
    out = []
    for s in sorted(made, key=lambda s: (s.channel, compat.visible_range(s)[0])):
        rng = compat.visible_range(s)
        others = [o for o in compat.all_strips(scene)
                  if o.name != s.name and o.channel == s.channel and o.name in before]
        entry = {"name": s.name, "type": s.type, "channel": s.channel, "range": list(rng),
                 "channel_free": not any(overlaps(rng, compat.visible_range(o)) for o in others)}
        if s.type == "SOUND":
            path = Path(bpy.path.abspath(s.sound.filepath))
            entry.update(relative=s.sound.filepath.startswith("//"), volume=s.volume,
                         file=str(path), exists=path.is_file())
        out.append(entry)
    return out


def _probe():
    """With ``TTSAI_BENCH_PROBE`` set, a recorder of the workers' long calls (``_gil_probe``)."""
    if not os.environ.get("TTSAI_BENCH_PROBE"):
        return None
    rec = _gil_probe.Recorder()
    rec.start()
    return rec


def main() -> None:
    zip_path, src, kind, ops, script = sys.argv[1], Path(sys.argv[2]), sys.argv[3], \
        sys.argv[4].split(","), sys.argv[5]
    ext = install(zip_path)
    compat, runtime = ext.compat, ext.runtime
    from ttsai_plugin import media   # the core as the extension's wheel brought it
    loop = Loop(runtime)
    runtime.run_blocking = loop.run_blocking
    probe = _probe()    # before the job threads exist: a hook reaches threads started after it
    control = runtime.measure_main_thread_gaps(
        lambda progress=None, cancel=None: time.sleep(5.0), tick=TICK)
    print("CONTROL " + json.dumps({"max_gap": control["max_gap"],
                                   "core_from": str(Path(media.__file__).parent.parent),
                                   "blender": ".".join(map(str, bpy.app.version))}), flush=True)
    folder = Path(tempfile.mkdtemp(prefix=f"ttsai-longruns-{kind}-"))
    for op in ops:
        (folder / op).mkdir()
        scene = new_project(folder / op, op)
        chosen = [] if op == "narrate" else lay_out(compat, scene, src, kind)
        sound = chosen[-1] if chosen else None
        before = {s.name for s in compat.all_strips(scene)}
        kwargs = dict(ARGS.get(op, {}))
        if op == "narrate":
            scene.frame_current = 100
            kwargs["text_file"] = script
        shutil.rmtree(ext.prefs.user_dir() / "cache", ignore_errors=True)  # every op asks afresh
        loop.reset()
        t0 = time.perf_counter()
        outcome = getattr(bpy.ops.ttsai, OPERATORS[op])(**kwargs)
        wall = time.perf_counter() - t0
        if probe is not None:
            for line in _gil_probe.summary(loop.spans, [c for c in probe.calls if c.end > t0]):
                print(f"PROBE {op}: {line}", flush=True)
        gather = loop.entered - t0 if loop.entered else 0.0
        saved = bpy.ops.wm.save_mainfile()
        results = describe(compat, scene, before)
        for r in results:
            if r["type"] == "SOUND":
                r["seconds"] = media.duration(Path(r["file"]))
        gaps = sorted(loop.gaps)
        out = {"op": op, "kind": kind, "outcome": sorted(outcome), "saved": sorted(saved),
               "wall": wall, "gather": gather, "insert": loop.insert, "ticks": len(gaps),
               "insert_drains": len(loop.insert_drains),
               "insert_max": max(loop.insert_drains, default=0.0),
               "max_gap": gaps[-1] if gaps else 0.0,
               "p99_gap": gaps[int(0.99 * (len(gaps) - 1))] if gaps else 0.0,
               "over_50ms": sum(g > 0.05 for g in gaps), "worst_during": loop.worst[1],
               "message": next((t.message for t in reversed(runtime.tasks)), ""),
               "expected": list(compat.visible_range(sound)) if sound else [100, None],
               "source_volume": sound.volume if sound else None,
               "muted": {s.name: s.mute for s in chosen}, "fps": compat.fps(scene),
               "results": results}
        print("LONGRUN " + json.dumps(out), flush=True)
    runtime.stop()
    if probe is not None:
        probe.stop()


if __name__ == "__main__":
    main()
