"""Build the installable Blender extension zip: ``python -m host_adapters.blender.build --out DIR``.

The zip holds the adapter (this folder), the core ``ttsai_plugin`` as its own pure-Python
wheel (shipped presets inside as ``ttsai_plugin/_presets``) and the core's dependencies as
unmodified PyPI wheels for Python 3.11 (Blender 4.2–5.0) and 3.13 (5.1+). Blender installs
wheels into its extensions site-packages, so the core keeps its own import name and no
runtime ``pip install`` ever happens. NumPy is left out: Blender ships it. The local
engine's extras (werkzeug, waitress, recognisers…) are left out too: the extension talks to
the TTS.ai API or to a ``ttsai serve`` engine on loopback.

Downloaded wheels are cached in ``~/.cache/ttsai-plugin/wheels`` (or ``TTSAI_WHEEL_CACHE``).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ADAPTER_FILES = ("__init__.py", "actions.py", "compat.py", "host.py", "operators.py",
                 "panel.py", "prefs.py", "recovery.py", "runtime.py")
ADAPTER_FILES += ("channels.py", "mix.py", "save_handler.py", "timeline.py")   # timeline fidelity
#: The core's runtime dependencies minus NumPy (Blender's own is used).
REQUIREMENTS = ("httpx>=0.27", "soundfile>=0.12", "pydub>=0.25", "imageio-ffmpeg>=0.5",
                "pyloudnorm>=0.1.1", "platformdirs>=4", "scipy>=1.10")
PURE_FROM_SOURCE = ("srt>=3.5",)   # sdist-only on PyPI: built once into a py3-none-any wheel
EXCLUDED = re.compile(r"^numpy-")
PYTHONS = ("3.11", "3.13")
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                  "manylinux2014_x86_64", "linux_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"),
    "macos-x64": ("macosx_14_0_x86_64", "macosx_10_13_x86_64", "macosx_10_9_x86_64"),
}
REQUIRED_KEYS = ("schema_version", "id", "version", "name", "tagline", "maintainer", "type",
                 "blender_version_min", "license")


class BuildError(RuntimeError):
    """The extension could not be built; the message says what to fix."""


def cache_root() -> Path:
    env = os.environ.get("TTSAI_WHEEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "ttsai-plugin" / "wheels"


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


# --- the core as a wheel -------------------------------------------------------------------

def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def core_wheel(out_dir: Path) -> Path:
    """``ttsai_plugin-<version>-py3-none-any.whl`` from the source tree, presets included."""
    version = project_version()
    files: dict[str, bytes] = {}
    for path in sorted((ROOT / "ttsai_plugin").rglob("*.py")):
        files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    for path in sorted((ROOT / "presets").glob("*.json")):
        files[f"ttsai_plugin/_presets/{path.name}"] = path.read_bytes()
    info = f"ttsai_plugin-{version}.dist-info"
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: ttsai-plugin\nVersion: {version}\n"
                                 "Summary: TTS.ai speech API core (bundled in the Blender "
                                 "extension)\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: host_adapters.blender.build\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out = out_dir / f"ttsai_plugin-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)
    return out


# --- dependency wheels ---------------------------------------------------------------------

def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise BuildError(f"pip failed ({' '.join(args[:2])}):\n{tail}\n"
                         "Check the network access to PyPI, or fill the wheel cache "
                         f"{cache_root()} by hand.")


def dependency_wheels(platform: str) -> list[Path]:
    """Binary wheels for every Python in PYTHONS on ``platform``, cached between builds."""
    if platform not in PLATFORMS:
        raise BuildError(f"Unknown platform {platform!r}; pick one of {', '.join(PLATFORMS)}.")
    stamp_text = "\n".join((*REQUIREMENTS, *PURE_FROM_SOURCE, *PYTHONS, *PLATFORMS[platform]))
    key = hashlib.sha256(stamp_text.encode()).hexdigest()[:12]
    folder = cache_root() / f"{platform}-{key}"
    stamp = folder / ".complete"
    if not stamp.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
        try:
            for py in PYTHONS:
                plat_args = [a for tag in PLATFORMS[platform] for a in ("--platform", tag)]
                _pip("download", "--quiet", "--only-binary=:all:", "--python-version", py,
                     "--implementation", "cp", *plat_args, "-d", str(tmp), *REQUIREMENTS)
            _pip("wheel", "--quiet", "--no-deps", "-w", str(tmp), *PURE_FROM_SOURCE)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for whl in tmp.glob("*.whl"):
            if EXCLUDED.match(whl.name):
                whl.unlink()
        (tmp / ".complete").write_text(stamp_text)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    return sorted(folder.glob("*.whl"))


# --- the zip -------------------------------------------------------------------------------

def manifest_text(wheels: list[str], platform: str) -> str:
    text = (HERE / "blender_manifest.toml").read_text(encoding="utf-8")
    listed = "wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in wheels) + "]"
    text = re.sub(r"^wheels = \[\]", lambda _m: listed, text, count=1, flags=re.M)
    text = text.replace("\n[permissions]", f'\nplatforms = ["{platform}"]\n\n[permissions]', 1)
    text = re.sub(r'^version = ".*"$', f'version = "{project_version()}"', text, count=1,
                  flags=re.M)
    check_manifest(tomllib.loads(text))
    return text


def check_manifest(data: dict) -> None:
    """The keys Blender's validator insists on, and a wheels list that is all ``./wheels``."""
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise BuildError(f"blender_manifest.toml lacks {', '.join(missing)}.")
    perms = data.get("permissions", {})
    if not {"network", "files"} <= set(perms):
        raise BuildError("blender_manifest.toml must declare network and files permissions.")
    too_long = [k for k, v in [("tagline", data["tagline"]), *perms.items()] if len(v) > 64]
    if too_long:
        raise BuildError(f"Blender allows at most 64 characters in: {', '.join(too_long)}.")
    for wheel in data.get("wheels", []):
        if not (wheel.startswith("./wheels/") and wheel.endswith(".whl")):
            raise BuildError(f"Bad wheel path in the manifest: {wheel}")


def build(out: Path, platform: str = "linux-x64") -> Path:
    """Write ``ttsai-<version>-<platform>.zip`` into ``out`` and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ttsai-build-") as tmp:
        stage = Path(tmp)
        wheels = [core_wheel(stage), *dependency_wheels(platform)]
        names = [w.name for w in wheels]
        target = out / f"ttsai-{project_version()}-{platform}.zip"
        part = target.with_suffix(".zip.part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("blender_manifest.toml", manifest_text(names, platform))
            for name in ADAPTER_FILES:
                zf.write(HERE / name, name)
            for whl in wheels:  # wheels are already compressed
                zf.write(whl, f"wheels/{whl.name}", compress_type=zipfile.ZIP_STORED)
        os.replace(part, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_adapters.blender.build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the zip")
    parser.add_argument("--platform", default="linux-x64", choices=sorted(PLATFORMS))
    args = parser.parse_args(argv)
    try:
        path = build(args.out, args.platform)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
