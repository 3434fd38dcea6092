"""Child of ``blender_enable.py``, run by a Blender (bpy) Python: install or enable the
extension in a fresh user folder and print one JSON line with what it cost."""
from __future__ import annotations

import json
import sys
import time

import bpy

MODULE = "bl_ext.user_default.ttsai"
WATCH = ("httpx", "ssl", "soundfile", "numpy", "scipy", "werkzeug", "ttsai_plugin.api",
         "ttsai_plugin.workflows")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    mode, zip_path = sys.argv[1], sys.argv[2]
    if mode == "install":
        done = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                        enable_on_install=False)
        print(json.dumps({"installed": sorted(done)}))
        return
    already = MODULE in sys.modules
    before = set(sys.modules)
    rss0, t0 = rss_mb(), time.perf_counter()
    bpy.ops.preferences.addon_enable(module=MODULE)
    seconds = time.perf_counter() - t0
    rss1 = rss_mb()
    enabled = MODULE in {a.module for a in bpy.context.preferences.addons}
    loaded = [m for m in WATCH if m in sys.modules and m not in before]
    if mode == "enable-eager":   # what the add-on did before: the core and its stack at enable
        import ttsai_plugin.api, ttsai_plugin.workflows, ttsai_plugin.jobs  # noqa: E401,F401
        seconds = time.perf_counter() - t0
        rss1 = rss_mb()
        loaded = [m for m in WATCH if m in sys.modules and m not in before]
    print(json.dumps({"enabled": enabled, "already": already, "seconds": seconds, "rss_mb": rss1 - rss0,
                      "loaded": loaded}))


main()
