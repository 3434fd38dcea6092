"""A full disk at the output folder: a clear error, no partial file, the folder left as it was.

The full disk is a real 64 KB tmpfs when this process may mount one (root, as in CI); else the
command runs with a 64 KB file-size limit (RLIMIT_FSIZE), which fails writes the same way.
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ttsai_plugin import workflows
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import TTSAIError
from ttsai_plugin.local import DEV_KEY
from ttsai_plugin.workflows.context import Context
from tests.bad_input.conftest import CLIResult, assert_one_clear_line, run_cli, tree

TEXT = "This narration is far too long for the little disk it is being written to. " * 12


@contextlib.contextmanager
def tiny_tmpfs(folder: Path):
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def full_disk(tmp_path) -> Path:
    folder = tmp_path / "tiny"
    with tiny_tmpfs(folder) as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here; the command-line test covers it with RLIMIT_FSIZE")
        yield folder


def _no_space(error: BaseException) -> bool:
    text = str(error).lower()
    return "space" in text or "disk" in text or "full" in text


def test_tts_into_a_full_disk_fails_clearly_and_leaves_no_partial_file(client, full_disk):
    with pytest.raises(TTSAIError) as err:
        client.tts(TEXT, voice="af_bella", out=full_disk / "speech.wav")
    assert _no_space(err.value), str(err.value)
    assert err.value.hint
    assert tree(full_disk) == {}


def test_enhance_into_a_full_disk_fails_clearly_and_keeps_the_original(client, full_disk,
                                                                       speech_wav):
    before = speech_wav.read_bytes()
    with pytest.raises(TTSAIError) as err:
        workflows.enhance(Context(client, full_disk), Clip(media=speech_wav, name="Interview"))
    assert _no_space(err.value), str(err.value)
    assert tree(full_disk) == {}, "no result, no work folder"
    assert speech_wav.read_bytes() == before


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_on_the_command_line_is_one_clear_line(engine, tmp_path):
    folder = tmp_path / "tiny"
    with tiny_tmpfs(folder) as mounted:
        args = ["narrate", TEXT, "-o", str(folder / "n.wav"), "--base-url", engine.url,
                "--api-key", DEV_KEY, "-q", "--no-cache"]
        if mounted:
            result = run_cli(*args)
        else:  # no mount allowed: the same failure through a file-size limit
            out = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *args],
                                 capture_output=True, text=True, preexec_fn=_limit_file_size,
                                 env=dict(os.environ), timeout=120)
            result = CLIResult(out.returncode, out.stdout, out.stderr)
        line = assert_one_clear_line(result, code=1, secrets=(DEV_KEY,))
        assert _no_space(line) or "too large" in line.lower(), line
        assert tree(folder) == {}
