"""Run every benchmark and rewrite the figures table in bench/README.md.

    python bench/run_all.py [--only cache,overhead] [--no-write]

Each benchmark runs in its own process with its default (CI-sized) settings; the table keeps
every ``RESULT`` line with the machine it came from.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

import _common

SCRIPTS = ("long_narration", "upload_memory", "overhead", "cache", "host_responsiveness",
           "engine_rtf", "dub_timing", "hostile_faults")
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"
RESULT = re.compile(r"^RESULT (\S+) ours=(\S+) baseline=(\S+) ratio=(\S+) goal=(\S+) met=(yes|no)$")


def run(name: str) -> tuple[list[tuple[str, ...]], float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(_common.BENCH / f"{name}.py")], text=True,
                          capture_output=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode:
        sys.stdout.write(proc.stderr[-3000:])
    rows = [m.groups() for m in map(RESULT.match, proc.stdout.splitlines()) if m]
    return rows, time.perf_counter() - start, proc.returncode


def table(rows: list[tuple[str, ...]], machine: dict[str, str], load: float) -> str:
    lines = [f"Measured {machine['date']} on {machine['nproc']} cores ({machine['cpu']}), "
             f"Python {machine['python']}, load average {load:.1f} when the run started.", "",
             "| figure | ours | baseline | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for figure, ours, base, ratio, goal, met in rows:
        lines.append(f"| {figure} | {ours} | {base} | {ratio} | {goal.replace('_', ' ')} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCRIPTS))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    failed = []
    load = os.getloadavg()[0]
    for name in args.only.split(","):
        got, seconds, code = run(name)
        print(f"-- {name}: {seconds:.0f} s, exit {code}", flush=True)
        rows += got
        if code:
            failed.append(name)
    if not args.no_write:
        readme = _common.BENCH / "README.md"
        text = readme.read_text()
        block = f"{BEGIN}\n{table(rows, _common.machine(), load)}\n{END}"
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
        readme.write_text(text)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
