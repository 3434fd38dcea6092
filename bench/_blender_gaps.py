"""Run inside a Blender Python (the ``bpy`` module): the Blender adapter's own
``runtime.measure_main_thread_gaps`` while the enhance workflow runs as a real add-on job.

    .venv-blender-4.2/bin/python bench/_blender_gaps.py BASE_URL KEY SOURCE OUT_DIR [RUNS]

The core's pure-Python dependencies come from the project's main venv (same Python minor
version), appended after Blender's own packages so Blender's NumPy wins. A control run with a
job that only sleeps shows what the machine itself costs. Prints ``GAPS {json}``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.extend(str(p) for p in (ROOT / ".venv" / "lib").glob(
    f"python{sys.version_info.major}.{sys.version_info.minor}/site-packages"))

import bpy  # noqa: E402,F401 - Blender itself, as the add-on runs in it

from host_adapters.blender import runtime  # noqa: E402
from ttsai_plugin import workflows  # noqa: E402
from ttsai_plugin.api import TTSAIClient  # noqa: E402
from ttsai_plugin.clips import Clip  # noqa: E402
from ttsai_plugin.workflows.context import Context  # noqa: E402


def main() -> None:
    url, key, src, out = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 1

    def work(progress=None, cancel=None):
        with TTSAIClient(api_key=key, base_url=url, plan="pro") as client:
            return workflows.enhance(Context(client, out, progress=progress, cancel=cancel),
                                     Clip(media=src, name=src.stem))

    def idle(progress=None, cancel=None):
        time.sleep(5.0)

    control = runtime.measure_main_thread_gaps(idle, tick=0.01)
    cold = runtime.measure_main_thread_gaps(work, tick=0.01)   # first job: lazy imports too
    result = min((runtime.measure_main_thread_gaps(work, tick=0.01) for _ in range(runs)),
                 key=lambda r: r["max_gap"])   # the quietest warm run: least machine noise
    result["cold_max_gap"] = cold["max_gap"]
    result["blender"] = ".".join(map(str, bpy.app.version))
    result["control_max_gap"] = control["max_gap"]
    print("GAPS " + json.dumps(result), flush=True)
    runtime.stop()


if __name__ == "__main__":
    main()
