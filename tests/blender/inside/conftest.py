"""Inside Blender: install the built extension with Blender's own installer, give each story
a fresh saved project, and write every test's outcome to ``$TTSAI_RESULTS`` (JSON)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import bpy
import pytest

PACKAGE = "bl_ext.user_default.ttsai"
_results: dict[str, dict[str, str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    key = f"{Path(report.fspath).stem}::{report.location[2].split('[')[0]}"
    if report.when == "call" or report.outcome != "passed":
        if key in _results and _results[key]["outcome"] != "passed":
            return
        message = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            message = report.longrepr[2]
        elif report.failed:
            message = report.longreprtext[-6000:]
        _results[key] = {"outcome": report.outcome, "message": message}


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("TTSAI_RESULTS")
    if out:
        tmp = Path(out + ".part")
        tmp.write_text(json.dumps(_results, indent=1))
        tmp.replace(out)


_installed: dict[str, object] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install before collection (test modules import the add-on's own modules)."""
    _installed["result"] = bpy.ops.extensions.package_install_files(
        filepath=os.environ["TTSAI_BLENDER_ZIP"], repo="user_default", enable_on_install=True)


@pytest.fixture(scope="session", autouse=True)
def extension() -> object:
    """The zip from ``python -m host_adapters.blender.build``, installed and enabled with
    ``bpy.ops.extensions.package_install_files`` (Preferences → Install from Disk)."""
    import importlib
    assert _installed["result"] == {"FINISHED"}
    return importlib.import_module(PACKAGE)


@pytest.fixture(scope="session")
def media() -> Path:
    return Path(os.environ["TTSAI_TEST_MEDIA"])


@pytest.fixture
def project(tmp_path: Path, extension: object) -> Path:
    """A new, empty scene saved as ``<tmp>/project/edit.blend``; returns the project folder."""
    bpy.ops.wm.read_homefile(use_empty=True)
    folder = tmp_path / "project"
    folder.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "edit.blend"))
    return folder


@pytest.fixture
def scene(project: Path) -> object:
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base = 25, 1.0
    sc.frame_start, sc.frame_end = 1, 500
    sc.sequence_editor_create()
    return sc
