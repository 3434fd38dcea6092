"""Where the script looks for the core and its libraries (no OBS needed: plain folder rules)."""
from __future__ import annotations

import os
import sys

from tests.obs.conftest import SCRIPT

sys.path.insert(0, str(SCRIPT.parent))
import ttsai_obs_core as core  # noqa: E402

PY = f"python{sys.version_info.major}.{sys.version_info.minor}"


def test_a_virtualenv_folder_means_its_site_packages(tmp_path):
    sp = tmp_path / "venv" / "lib" / PY / "site-packages"
    sp.mkdir(parents=True)
    assert core.site_dirs(tmp_path / "venv") == [sp]


def test_a_windows_virtualenv_and_a_checkout_with_dot_venv(tmp_path):
    win = tmp_path / "win" / "Lib" / "site-packages"
    win.mkdir(parents=True)
    checkout = tmp_path / "checkout"
    (checkout / "ttsai_plugin").mkdir(parents=True)
    dot = checkout / ".venv" / "lib" / PY / "site-packages"
    dot.mkdir(parents=True)

    assert core.site_dirs(tmp_path / "win") == [win]
    assert core.site_dirs(checkout) == [checkout, dot]


def test_a_venv_for_another_python_is_not_used(tmp_path):
    (tmp_path / "venv" / "lib" / "python3.9" / "site-packages").mkdir(parents=True)
    assert core.site_dirs(tmp_path / "venv") == [tmp_path / "venv"]
    assert core.site_dirs(tmp_path / "missing") == []


def test_search_order_setting_then_environment_then_beside_the_script(tmp_path):
    script_dir = tmp_path / "repo" / "host_adapters" / "obs"
    env = {core.ENV_VAR: f"/opt/a{os.pathsep}/opt/b"}
    roots = core.candidate_roots("/home/me/ttsai-obs", script_dir, env)
    assert [str(r) for r in roots] == ["/home/me/ttsai-obs", "/opt/a", "/opt/b",
                                       str(script_dir / "lib"), str(script_dir),
                                       str(tmp_path / "repo")]
