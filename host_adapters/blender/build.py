"""Build the installable Blender extension zips: ``python -m host_adapters.blender.build --out DIR``.

One zip per platform and Blender Python: Blender 4.2–5.0 run Python 3.11, 5.1 and later
Python 3.13, so each zip carries only its Python's compiled wheels and says which Blender
versions take it (``blender_version_min``/``max``); Blender's installer refuses the wrong one.

Each zip holds the adapter (this folder), the core ``ttsai_plugin`` as its own pure-Python
wheel (shipped presets inside) and, as unmodified PyPI wheels, what the extension runs on:
the API client's stack and the built-in local engine's classical part (werkzeug, scipy,
RNNoise's library, WPE), so every job works offline with no key, installed in one step.
Left out: NumPy (Blender ships it), the CLI's tqdm, pydub (unused), the engine's
recogniser and librosa (pocketsphinx, numba/llvmlite: ~90 MB more; transcription, restyle
and key/BPM analysis then need a key or a ``ttsai serve`` on loopback) and every optional
neural backend. Wheels whose declared dependencies the engine never imports (pyrnnoise →
audiolab → av, matplotlib; nara-wpe → bottleneck; imageio-ffmpeg → setuptools) come
without them.

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
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ADAPTER_EXCLUDE = ("build.py",)
#: Runtime dependencies with their own dependencies (NumPy excepted: Blender's is used).
REQUIREMENTS = ("httpx>=0.27", "soundfile>=0.12", "pyloudnorm>=0.1.1", "platformdirs>=4",
                "scipy>=1.10", "werkzeug>=3")
#: Taken without their declared dependencies (see above). imageio-ffmpeg 0.5 carries ffmpeg
#: 4.2 in a 27 MB wheel (0.6: 7.0, 29.5 MB; 0.7+: 68 MB), which with scipy and RNNoise keeps
#: one platform's zip under 80 MB; its declared setuptools is never imported.
WITHOUT_DEPS = ("imageio-ffmpeg>=0.5,<0.6", "pyrnnoise>=0.4", "nara-wpe>=0.0.11", "click>=8",
                "threadpoolctl>=3")
#: Where the index lacks a wheel: imageio-ffmpeg for macOS arm64 starts at 0.6, and
#: pyrnnoise 0.4 has none for macOS (Enhance then needs a key or ``ttsai serve``; the
#: add-on says so before any work).
PLATFORM_CHANGES: dict[str, dict[str, str | None]] = {
    "macos-arm64": {"imageio-ffmpeg": "imageio-ffmpeg>=0.6,<0.7", "pyrnnoise": None},
    "macos-x64": {"pyrnnoise": None},
}
#: The companion "TTS.ai Local Engine" extension: the recogniser and librosa, which the main
#: zip cannot carry under 80 MB (Transcribe, Dub, Convert Voice, Restyle, Analyze offline).
ENGINE_REQUIREMENTS = ("pocketsphinx>=5", "librosa>=0.10")
ENGINE_ID = "ttsai_local_engine"
PURE_FROM_SOURCE = ("srt>=3.5",)   # sdist-only on PyPI: built once into a py3-none-any wheel
EXCLUDED = re.compile(r"^numpy-")


@dataclass(frozen=True)
class Target:
    """One Blender Python and the Blender versions that run it (``max`` is exclusive)."""

    python: str
    blender_min: str
    blender_max: str | None

    @property
    def tag(self) -> str:
        return "py" + self.python.replace(".", "")


TARGETS: dict[str, Target] = {
    "3.11": Target("3.11", "4.2.0", "5.1.0"),
    "3.13": Target("3.13", "5.1.0", None),
}
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                  "manylinux2014_x86_64", "manylinux1_x86_64", "linux_x86_64"),
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


def target_for(blender_version: str) -> Target:
    """The target whose Python the given Blender (``"5.0"``, ``"5.2.1"``) runs."""
    want = _version(blender_version)
    for t in TARGETS.values():
        if _version(t.blender_min) <= want and (t.blender_max is None
                                                 or want < _version(t.blender_max)):
            return t
    raise BuildError(f"No extension build takes Blender {blender_version}; it needs 4.2 "
                     "or later.")


def _version(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


# --- the core as a wheel -------------------------------------------------------------------

def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _core_files() -> dict[str, bytes]:
    """The package's files (sources and package data), plus the shipped presets as
    ``ttsai_plugin/_presets`` when they are not package data already."""
    from ttsai_plugin.presets import shipped_dir
    package = ROOT / "ttsai_plugin"
    files = {p.relative_to(ROOT).as_posix(): p.read_bytes()
             for p in sorted(package.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    shipped = shipped_dir()
    if shipped is not None and package not in shipped.resolve().parents:
        for path in sorted(shipped.glob("*.json")):
            files[f"ttsai_plugin/_presets/{path.name}"] = path.read_bytes()
    return files


def core_wheel(out_dir: Path) -> Path:
    """``ttsai_plugin-<version>-py3-none-any.whl`` from the source tree, presets included."""
    version = project_version()
    files = _core_files()
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


def without_deps(platform: str) -> tuple[str, ...]:
    """WITHOUT_DEPS with ``platform``'s changes (a requirement swapped, or dropped)."""
    changes = PLATFORM_CHANGES.get(platform, {})
    out = []
    for req in WITHOUT_DEPS:
        name = re.split(r"[<>=!~ ]", req, maxsplit=1)[0]
        new = changes.get(name, req)
        if new:
            out.append(new)
    return tuple(out)


def dependency_wheels(platform: str, python: str = "3.11", *, engine: bool = False
                      ) -> list[Path]:
    """Binary wheels for one Blender Python on ``platform``, cached between builds; with
    ``engine``, the companion's (minus what the main zip carries already)."""
    if platform not in PLATFORMS:
        raise BuildError(f"Unknown platform {platform!r}; pick one of {', '.join(PLATFORMS)}.")
    if python not in TARGETS:
        raise BuildError(f"Unknown Python {python!r}; pick one of {', '.join(TARGETS)}.")
    if engine:
        return _engine_wheels(platform, python)
    stamp_text = "\n".join((*REQUIREMENTS, *without_deps(platform), *PURE_FROM_SOURCE, python,
                            *PLATFORMS[platform]))
    key = hashlib.sha256(stamp_text.encode()).hexdigest()[:12]
    folder = cache_root() / f"{platform}-{TARGETS[python].tag}-{key}"
    stamp = folder / ".complete"
    if not stamp.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
        try:
            common = ["download", "--quiet", "--only-binary=:all:", "--python-version", python,
                      "--implementation", "cp",
                      *[a for tag in PLATFORMS[platform] for a in ("--platform", tag)],
                      "-d", str(tmp)]
            _pip(*common, *REQUIREMENTS)
            _pip(*common, "--no-deps", *without_deps(platform))
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


def _dist(wheel: Path) -> str:
    return wheel.name.split("-")[0].lower()


def _engine_wheels(platform: str, python: str) -> list[Path]:
    stamp_text = "\n".join(("engine", *ENGINE_REQUIREMENTS, python, *PLATFORMS[platform]))
    key = hashlib.sha256(stamp_text.encode()).hexdigest()[:12]
    folder = cache_root() / f"{platform}-{TARGETS[python].tag}-engine-{key}"
    if not (folder / ".complete").exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
        try:
            _pip("download", "--quiet", "--only-binary=:all:", "--python-version", python,
                 "--implementation", "cp",
                 *[a for tag in PLATFORMS[platform] for a in ("--platform", tag)],
                 "-d", str(tmp), *ENGINE_REQUIREMENTS)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / ".complete").write_text(stamp_text)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    carried = {_dist(w) for w in dependency_wheels(platform, python)} | {"numpy"}
    return sorted(w for w in folder.glob("*.whl") if _dist(w) not in carried)


ENGINE_INIT = '''"""TTS.ai Local Engine: the speech recogniser (pocketsphinx) and librosa for the TTS.ai
extension's built-in engine, so Transcribe, Dub, Convert Voice, Restyle and Analyze also
work offline. It adds no buttons: the TTS.ai extension finds these packages."""


def register() -> None:
    pass


def unregister() -> None:
    pass
'''


# --- the zip -------------------------------------------------------------------------------

def engine_manifest() -> str:
    """The companion's manifest: the main one's, renamed, with no permissions to ask for."""
    text = (HERE / "blender_manifest.toml").read_text(encoding="utf-8")
    text = re.sub(r'^id = ".*"$', f'id = "{ENGINE_ID}"', text, count=1, flags=re.M)
    text = re.sub(r'^name = ".*"$', 'name = "TTS.ai Local Engine"', text, count=1, flags=re.M)
    text = re.sub(r'^tagline = ".*"$', 'tagline = "Offline transcription, dubbing and analysis '
                  'for TTS.ai"', text, count=1, flags=re.M)
    return text.split("\n[permissions]", 1)[0] + "\n"


def manifest_text(wheels: list[str], platform: str, target: Target | None = None, *,
                  engine: bool = False) -> str:
    target = target or TARGETS["3.11"]
    text = engine_manifest() if engine else (HERE / "blender_manifest.toml").read_text(
        encoding="utf-8")
    listed = "wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in wheels) + "]"
    text = re.sub(r"^wheels = \[\]", lambda _m: listed, text, count=1, flags=re.M)
    versions = f'blender_version_min = "{target.blender_min}"'
    if target.blender_max:
        versions += f'\nblender_version_max = "{target.blender_max}"'
    text = re.sub(r'^blender_version_min = ".*"$', versions, text, count=1, flags=re.M)
    text = text.rstrip("\n") + "\n" if engine else text
    text = (text + f'platforms = ["{platform}"]\n') if engine else text.replace(
        "\n[permissions]", f'\nplatforms = ["{platform}"]\n\n[permissions]', 1)
    text = re.sub(r'^version = ".*"$', f'version = "{project_version()}"', text, count=1,
                  flags=re.M)
    check_manifest(tomllib.loads(text), permissions=not engine)
    return text


def check_manifest(data: dict, *, permissions: bool = True) -> None:
    """The keys Blender's validator insists on, and a wheels list that is all ``./wheels``."""
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise BuildError(f"blender_manifest.toml lacks {', '.join(missing)}.")
    perms = data.get("permissions", {})
    if permissions and not {"network", "files"} <= set(perms):
        raise BuildError("blender_manifest.toml must declare network and files permissions.")
    too_long = [k for k, v in [("tagline", data["tagline"]), *perms.items()] if len(v) > 64]
    if too_long:
        raise BuildError(f"Blender allows at most 64 characters in: {', '.join(too_long)}.")
    for wheel in data.get("wheels", []):
        if not (wheel.startswith("./wheels/") and wheel.endswith(".whl")):
            raise BuildError(f"Bad wheel path in the manifest: {wheel}")


def adapter_files() -> list[Path]:
    """The adapter's modules (every ``.py`` here but the build script)."""
    return sorted(p for p in HERE.glob("*.py") if p.name not in ADAPTER_EXCLUDE)


def zip_name(platform: str, target: Target) -> str:
    return f"ttsai-{project_version()}-{platform}-{target.tag}.zip"


def build(out: Path, platform: str = "linux-x64", python: str = "3.11") -> Path:
    """Write ``ttsai-<version>-<platform>-py<XY>.zip`` into ``out`` and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    target = TARGETS.get(python)
    if target is None:
        raise BuildError(f"Unknown Python {python!r}; pick one of {', '.join(TARGETS)}.")
    with tempfile.TemporaryDirectory(prefix="ttsai-build-") as tmp:
        stage = Path(tmp)
        wheels = [core_wheel(stage), *dependency_wheels(platform, python)]
        names = [w.name for w in wheels]
        target_path = out / zip_name(platform, target)
        part = target_path.with_suffix(".zip.part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("blender_manifest.toml", manifest_text(names, platform, target))
            for path in adapter_files():
                zf.write(path, path.name)
            for whl in wheels:  # wheels are already compressed
                zf.write(whl, f"wheels/{whl.name}", compress_type=zipfile.ZIP_STORED)
        os.replace(part, target_path)
    return target_path


def build_engine(out: Path, platform: str = "linux-x64", python: str = "3.11") -> Path:
    """Write the companion ``ttsai_local_engine-<version>-<platform>-py<XY>.zip``."""
    out.mkdir(parents=True, exist_ok=True)
    target = TARGETS.get(python)
    if target is None:
        raise BuildError(f"Unknown Python {python!r}; pick one of {', '.join(TARGETS)}.")
    wheels = dependency_wheels(platform, python, engine=True)
    target_path = out / f"{ENGINE_ID}-{project_version()}-{platform}-{target.tag}.zip"
    part = target_path.with_suffix(".zip.part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("blender_manifest.toml",
                    manifest_text([w.name for w in wheels], platform, target, engine=True))
        zf.writestr("__init__.py", ENGINE_INIT)
        for whl in wheels:
            zf.write(whl, f"wheels/{whl.name}", compress_type=zipfile.ZIP_STORED)
    os.replace(part, target_path)
    return target_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_adapters.blender.build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the zips")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="build for this platform only (repeatable; default: all)")
    parser.add_argument("--python", action="append", choices=sorted(TARGETS),
                        help="3.11 for Blender 4.2–5.0, 3.13 for 5.1+ (default: both)")
    parser.add_argument("--with-engine", action="store_true",
                        help="also build the companion TTS.ai Local Engine zips (recogniser, "
                             "librosa: offline Transcribe, Dub, Convert Voice, Restyle, Analyze)")
    args = parser.parse_args(argv)
    failed = 0
    for platform in args.platform or list(PLATFORMS):
        for python in args.python or list(TARGETS):
            try:
                print(build(args.out, platform, python))
                if args.with_engine:
                    print(build_engine(args.out, platform, python))
            except BuildError as exc:
                print(f"error: {platform} / Python {python}: {exc}", file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
