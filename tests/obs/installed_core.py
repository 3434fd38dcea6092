"""The core as an OBS user installs it (README §1): built from this checkout into a wheel and an
sdist, then ``pip install``-ed into a fresh virtualenv made from the system's Python 3.11 —
the Python Debian's OBS embeds — so the script sees only what the package ships."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SYSTEM_PYTHON = Path("/usr/bin/python3.11")


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep)
                                  if d and not (Path(d).parent / "pyvenv.cfg").exists())
    return env


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, env=clean_env(), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")


def source_copy(repo: Path, dest: Path) -> Path:
    """The files git knows (tracked or new, not ignored): what a release is built from.
    Outside a git checkout, the tree without virtualenvs and build leftovers."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=repo, check=True,
                                capture_output=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(repo, dest, ignore=shutil.ignore_patterns(
            ".venv*", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"))
        return dest
    for name in filter(None, listed):
        src = repo / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def build_and_install(repo: Path, work: Path) -> tuple[Path, Path, Path]:
    """``(venv, wheel, sdist)``: the sdist built, the wheel built from that sdist (what
    ``python -m build`` does), and the wheel installed with its dependencies into the venv."""
    venv, dist = work / "ttsai-obs", work / "dist"
    _run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], work)
    pip = str(venv / "bin" / "pip")
    _run([pip, "install", "-q", "build"], work)
    src = source_copy(repo, work / "src")
    _run([str(venv / "bin" / "python"), "-m", "build", "-o", str(dist), str(src)], work)
    wheel = next(dist.glob("*.whl"))
    sdist = next(dist.glob("*.tar.gz"))
    _run([pip, "install", "-q", str(wheel)], work)
    return venv, wheel, sdist
