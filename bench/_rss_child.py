"""Child process of ``_common.rss_of_call``: peak RSS growth of one call, printed as JSON."""
from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from pathlib import Path


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    module, _, name = sys.argv[1].partition(":")
    fn = getattr(importlib.import_module(module), name)
    args = json.loads(sys.argv[2])
    reset = _reset_peak()
    before = _status_kb("VmRSS") or 0
    start = time.perf_counter()
    fn(*args)
    seconds = time.perf_counter() - start
    peak = _status_kb("VmHWM") if reset else None
    if peak is None:  # no clear_refs: the lifetime peak, an overestimate
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"growth_mb": max(0, peak - before) / 1024, "before_mb": before / 1024,
                      "peak_mb": peak / 1024, "seconds": seconds, "exact": reset}))


if __name__ == "__main__":
    main()
