"""Find the ttsai_plugin core and its dependencies for OBS's Python, and say plainly if missing.

OBS runs scripts in its own Python (Linux: the distro's; Windows/macOS: the one set under
Tools → Scripts → Python Settings), which does not see the user's virtualenvs. Each folder
the user names is put on ``sys.path``: a folder holding ``ttsai_plugin/``, a ``site-packages``
folder, or a virtualenv / project checkout (its ``.venv``) made for the same Python version.
"""
from __future__ import annotations

import importlib
import os
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "TTSAI_PLUGIN_PATH"
REQUIRED = ("numpy", "httpx", "platformdirs", "soundfile")
MIN_PYTHON = (3, 11)


@dataclass
class CoreStatus:
    """Whether the core imports here; ``message`` tells the user what to do when it does not."""

    ok: bool
    message: str
    added: list[str] = field(default_factory=list)
    location: str = ""
    """The folder the core was imported from (what an empty 'Core folder' means)."""


def _python_dir() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def site_dirs(root: Path) -> list[Path]:
    """The folders under ``root`` that belong on sys.path: itself and any matching venv."""
    found: list[Path] = []
    if (root / "ttsai_plugin").is_dir() or root.name == "site-packages":
        found.append(root)
    for venv in (root, root / ".venv", root / "venv"):
        for sp in (venv / "lib" / _python_dir() / "site-packages", venv / "Lib" / "site-packages"):
            if sp.is_dir():
                found.append(sp)
    return found or ([root] if root.is_dir() else [])


def candidate_roots(setting: str, script_dir: Path, env: dict[str, str]) -> list[Path]:
    """Where to look, in order: the script's setting, ``$TTSAI_PLUGIN_PATH``, beside the script,
    and the checkout the script lives in (``<repo>/host_adapters/obs``)."""
    roots: list[Path] = []
    for text in (setting, env.get(ENV_VAR, "")):
        roots += [Path(p).expanduser() for p in text.split(os.pathsep) if p.strip()]
    roots += [script_dir / "lib", script_dir, script_dir.parent.parent]
    return roots


def add_paths(roots: list[Path]) -> list[str]:
    """Put every existing site folder of ``roots`` on sys.path (``.pth`` files included)."""
    added: list[str] = []
    for root in roots:
        for folder in site_dirs(root):
            text = str(folder)
            if text in sys.path:
                continue
            if folder.name == "site-packages":
                site.addsitedir(text)
            else:
                sys.path.append(text)
            added.append(text)
    return added


def _loaded_libpython() -> Path | None:
    """The libpython this process runs (Linux: from /proc/self/maps), or None."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if "/libpython3" in path and ".so" in path:
            return Path(path.strip())
    return None


def foreign_stdlib(env: dict[str, str]) -> str | None:
    """Why OBS's Python runs another Python build's standard library, or None.

    OBS's embedded Python takes its standard library from the first ``python3`` on PATH, so
    OBS started from a shell with a virtualenv (or pyenv) active loads that build's modules
    into the distro's libpython: the first ``ssl``/``numpy`` import then fails with
    "undefined symbol". Caught here, before any job."""
    lib = _loaded_libpython()
    if lib is None:
        return None
    stdlib = Path(os.__file__).resolve().parent
    prefix = lib.resolve().parent
    while prefix.name in ("lib", "lib64", "x86_64-linux-gnu", "aarch64-linux-gnu"):
        prefix = prefix.parent
    if stdlib.is_relative_to(prefix):
        return None
    first = next((d for d in env.get("PATH", "").split(os.pathsep)
                  if d and (Path(d) / "python3").exists()), "")
    return (f"OBS was started with {first or 'another Python'} first on PATH (a virtualenv "
            f"or pyenv), so its Python ({lib.name}) loaded another build's standard library "
            f"({stdlib}). Quit OBS and start it from the desktop menu, or run 'deactivate' "
            "first; put the virtualenv in 'Core folder' instead.")


def locate_core(setting: str, script_dir: Path, env: dict[str, str] | None = None) -> CoreStatus:
    """Make ``ttsai_plugin`` and its dependencies importable, or explain why they are not."""
    env = dict(os.environ if env is None else env)
    mixed = foreign_stdlib(env)
    if mixed:
        return CoreStatus(False, mixed)
    added = add_paths(candidate_roots(setting, script_dir, env))
    importlib.invalidate_caches()
    where = (f"Python {sys.version_info.major}.{sys.version_info.minor} "
             f"({sys.executable or 'embedded in OBS'})")
    if sys.version_info < MIN_PYTHON:
        return CoreStatus(False, (
            f"OBS runs scripts with {where}; the TTS.ai core needs Python 3.11 or newer. Choose "
            "a Python 3.11/3.12 install in Tools → Scripts → Python Settings, then restart OBS."),
            added)
    try:
        import ttsai_plugin  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken install
        return CoreStatus(False, (
            f"The ttsai_plugin core is not importable from OBS's {where}: {exc}. Set "
            f"'Core and libraries folder' below (or {ENV_VAR}) to the folder holding "
            "ttsai_plugin or to a virtualenv made for this Python — see the README."), added)
    missing = [name for name in REQUIRED if not _importable(name)]
    if missing:
        return CoreStatus(False, (
            f"The core was found but its dependencies are missing from OBS's {where}: "
            f"{', '.join(missing)}. Install them for this Python version (README: "
            "'python3 -m venv' then 'pip install ttsai-plugin') and point the folder setting "
            "at that virtualenv."), added)
    location = str(Path(ttsai_plugin.__file__).resolve().parent.parent)
    return CoreStatus(True, "TTS.ai core loaded.", added, location)


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken binary wheel counts as missing
        return False
    return True
