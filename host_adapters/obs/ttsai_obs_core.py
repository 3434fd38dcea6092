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


def locate_core(setting: str, script_dir: Path, env: dict[str, str] | None = None) -> CoreStatus:
    """Make ``ttsai_plugin`` and its dependencies importable, or explain why they are not."""
    env = dict(os.environ if env is None else env)
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
    return CoreStatus(True, "TTS.ai core loaded.", added)


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken binary wheel counts as missing
        return False
    return True
