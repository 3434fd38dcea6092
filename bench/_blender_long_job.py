"""Run inside a Blender Python (the ``bpy`` module): a 60-minute sound strip through the
add-on's own job path (``actions.start``, what every operator runs) while this thread plays
Blender's main loop, then check where the result landed.

    .venv-blender-5.0/bin/python bench/_blender_long_job.py SOURCE OPERATION [OFFSET]

``TTSAI_BASE_URL``/``TTSAI_API_KEY`` name the engine. The core's pure-Python dependencies come
from the project's main venv (same Python minor version), after Blender's own packages.
Prints ``LONGJOB {json}``.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.extend(str(p) for p in (ROOT / ".venv" / "lib").glob(
    f"python{sys.version_info.major}.{sys.version_info.minor}/site-packages"))

import bpy  # noqa: E402

from host_adapters.blender import actions, compat, prefs, runtime  # noqa: E402
from ttsai_plugin import workflows  # noqa: E402

TICK = 0.010


def _client_timeout(seconds: float) -> None:
    """Give the add-on's client a longer read timeout (``TTSAI_BENCH_TIMEOUT``): the core's
    fixed 60 s is too short for one part of an hour on a loaded machine."""
    from ttsai_plugin.api import TTSAIClient
    real = prefs.make_client

    def make(s):
        real(s).close()     # the add-on's own checks and messages
        return TTSAIClient(api_key=s.api_key or None, base_url=s.base_url or None, plan=s.plan,
                           timeout=seconds)
    prefs.make_client = make


def main() -> None:
    if os.environ.get("TTSAI_BENCH_TIMEOUT"):
        _client_timeout(float(os.environ["TTSAI_BENCH_TIMEOUT"]))
    src, operation = Path(sys.argv[1]), sys.argv[2]
    offset = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    folder = Path(tempfile.mkdtemp(prefix="ttsai-longjob-"))
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "hour.blend"))
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    strip = compat.new_sound(scene, "hour", str(src), 2, 1)
    left, right = compat.visible_range(strip)
    compat.set_visible_range(strip, left + 250, right - 250)      # 10 s off each end
    strip.sound_offset = offset
    strip.volume = 0.7
    for s in compat.all_strips(scene):
        s.select = s.name == strip.name
    control_gap = runtime.measure_main_thread_gaps(
        lambda progress=None, cancel=None: time.sleep(5.0), tick=TICK)["max_gap"]
    t0 = time.perf_counter()
    plan = actions.clip_items(bpy.context, actions.new_plan(bpy.context, operation, operation),
                              lambda ctx, clip: getattr(workflows, operation)(ctx, clip))
    gather = time.perf_counter() - t0
    expected = compat.visible_range(strip)
    task = actions.start(plan, scene.name, push_undo=False)
    job_gaps, insert, worst = [], 0.0, (0.0, "")
    started = last = time.perf_counter()
    while not task.finished:
        time.sleep(TICK)
        inserting = task.job.done   # the job is over: drains now run the insertion
        before = time.perf_counter()
        runtime.drain()
        now = time.perf_counter()
        if inserting:
            insert += now - before
        else:
            job_gaps.append(now - last)
            if now - last > worst[0]:
                worst = (now - last, str(task.job.progress[1]))
        last = now
    wall = time.perf_counter() - started
    made = [s for s in compat.all_strips(scene) if s.name != strip.name]
    control = []
    for i, s in enumerate(made[:1] * 3):   # Blender's own cost of adding that sound strip
        t = time.perf_counter()
        extra = compat.new_sound(scene, f"control{i}", bpy.path.abspath(s.sound.filepath),
                                 100 + i, 1)
        control.append(time.perf_counter() - t)
        compat.remove_strip(scene, extra)
    out = {"blender": ".".join(map(str, bpy.app.version)), "ok": task.ok,
           "message": task.message, "wall": wall, "ticks": len(job_gaps),
           "max_gap": max(job_gaps, default=0.0), "insert": insert,
           "p99_gap": sorted(job_gaps)[int(0.99 * (len(job_gaps) - 1))] if job_gaps else 0.0,
           "over_goal": sum(g > 0.05 for g in job_gaps),
           "new_sound": min(control, default=0.0), "control_gap": control_gap,
           "worst_during": worst[1], "gather": gather,
           "expected": list(expected), "strip_volume": strip.volume, "muted": strip.mute,
           "results": [{"name": s.name, "channel": s.channel,
                        "range": list(compat.visible_range(s)), "volume": s.volume,
                        "file": bpy.path.abspath(s.sound.filepath),
                        "relative": s.sound.filepath.startswith("//")} for s in made]}
    print("LONGJOB " + json.dumps(out), flush=True)
    runtime.stop()


if __name__ == "__main__":
    main()
