"""What the Blender extension costs a user: the zip's size, the disk it takes once installed,
and the time and memory enabling it takes, in fresh Blender processes (the PyPI ``bpy``
modules), ours vs. the zip built by the baseline revision (one zip for both Pythons, the
core imported at enable).

    .venv/bin/python bench/blender_enable.py [--versions 5.0,5.2] [--runs 3] [--baseline-rev f24fdde]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from _common import ROOT, banner, result

from host_adapters.blender.build import build, target_for

CHILD = Path(__file__).resolve().parent / "_blender_enable_child.py"
MB = 1_000_000


def bpy_python(version: str) -> Path:
    return ROOT / f".venv-blender-{version}" / "bin" / "python"


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def baseline_zip(rev: str, out: Path) -> Path:
    """The zip the baseline revision's own build script makes."""
    src = out / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "host_adapters", "ttsai_plugin", "presets",
                              "pyproject.toml"], cwd=ROOT, capture_output=True, check=True)
    tar = out / "src.tar"
    tar.write_bytes(archive.stdout)
    with tarfile.open(tar) as tf:
        tf.extractall(src, filter="data")
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-m", "host_adapters.blender.build", "--out",
                           str(out / "zip")], cwd=src, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"baseline build failed:\n{done.stderr}")
    return Path(done.stdout.strip().splitlines()[-1])


def child(version: str, user: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTSAI_", "PYTHONPATH"))}
    env.update(BLENDER_USER_RESOURCES=str(user), HOME=str(user / "home"))
    done = subprocess.run([str(bpy_python(version)), str(CHILD), *args], env=env, cwd=user,
                          capture_output=True, text=True, timeout=600)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"Blender {version} {args[0]} failed:\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def measure(version: str, zip_path: Path, work: Path, runs: int, mode: str) -> dict:
    user = work / f"user-{version}-{zip_path.stem}-{mode}"
    (user / "home").mkdir(parents=True)
    child(version, user, "install", str(zip_path))
    ext = user / "extensions"
    first = child(version, user, mode, "-")    # Blender unpacks the wheels on first enable
    installed = disk_bytes(ext)                # the extension, its wheels, their site-packages
    samples = [child(version, user, mode, "-") for _ in range(runs)]
    return {"installed": installed, "zip": zip_path.stat().st_size,
            "first_seconds": first["seconds"],
            "seconds": statistics.median(s["seconds"] for s in samples),
            "rss_mb": statistics.median(s["rss_mb"] for s in samples),
            "loaded": samples[-1]["loaded"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", default="5.0,5.2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-rev", default="f24fdde")
    args = parser.parse_args()
    banner("blender_enable: zip size, installed size, enable time and memory")
    versions = [v for v in args.versions.split(",") if bpy_python(v).exists()]
    with tempfile.TemporaryDirectory(prefix="ttsai-bench-blender-") as tmp:
        work = Path(tmp)
        base = baseline_zip(args.baseline_rev, work / "baseline")
        print(f"baseline zip ({args.baseline_rev}): {base.stat().st_size / MB:.1f} MB")
        for version in versions:
            ours_zip = build(work / "ours", "linux-x64", target_for(version).python)
            ours = measure(version, ours_zip, work, args.runs, "enable")
            old = measure(version, base, work, args.runs, "enable")
            tag = f"{version.replace('.', '_')}"
            print(f"Blender {version}: ours {ours_zip.name} {ours['zip'] / MB:.1f} MB, installed "
                  f"{ours['installed'] / MB:.1f} MB, enable {ours['seconds'] * 1000:.0f} ms "
                  f"(first, unpacking the wheels: {ours['first_seconds']:.1f} s), "
                  f"+{ours['rss_mb']:.1f} MB RSS, loaded at enable: {ours['loaded'] or 'none'}")
            print(f"Blender {version}: baseline {old['zip'] / MB:.1f} MB, installed "
                  f"{old['installed'] / MB:.1f} MB, enable {old['seconds'] * 1000:.0f} ms "
                  f"(first: {old['first_seconds']:.1f} s), "
                  f"+{old['rss_mb']:.1f} MB RSS, loaded at enable: {old['loaded'] or 'none'}")
            result(f"blender_zip_linux_x64_{target_for(version).tag}_{tag}",
                   ours=ours["zip"] / MB, baseline=old["zip"] / MB, unit="MB",
                   goal="<=80MB", met=ours["zip"] <= 80 * MB)
            ratio = ours["installed"] / ours["zip"]
            result(f"blender_installed_{tag}", ours=ours["installed"] / MB,
                   baseline=old["installed"] / MB, unit="MB",
                   goal=f"<=1.3x_zip(got_{ratio:.2f}x)", met=ratio <= 1.3)
            result(f"blender_enable_time_{tag}", ours=ours["seconds"] * 1000,
                   baseline=old["seconds"] * 1000, unit="ms", goal="<300ms",
                   met=ours["seconds"] < 0.3)
            result(f"blender_enable_rss_{tag}", ours=ours["rss_mb"], baseline=old["rss_mb"],
                   unit="MB", goal="no_network_stack_at_enable",
                   met=not {"httpx", "ssl", "soundfile"} & set(ours["loaded"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
