"""A user's file name or content never makes ffmpeg read something else: names are files,
not protocols; playlists and concat scripts are refused; a stuck ffmpeg is stopped; and no
ffmpeg outlives the process that started it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ttsai_plugin import media
from ttsai_plugin.errors import InputError, MediaError
from ttsai_plugin.media import ffmpeg
from tests.api.fake_api import tone

ROOT = Path(__file__).resolve().parents[2]


def test_a_file_named_like_the_concat_protocol_is_read_as_that_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "private.wav").write_bytes(tone(3.0, freq=880))
    (tmp_path / "concat:private.wav").write_bytes(tone(1.0))
    info = media.probe(Path("./concat:private.wav"))
    assert abs(info.duration - 1.0) < 0.05   # was 3.0: ffmpeg read private.wav instead
    out = media.extract(Path("concat:private.wav"), tmp_path / "x.wav")
    assert abs(media.duration(out) - 1.0) < 0.05


@pytest.mark.parametrize("script", [
    "ffconcat version 1.0\nfile 'private.wav'\n",
    "#EXTM3U\n#EXTINF:3,\nprivate.wav\n",
], ids=["ffconcat", "m3u8"])
def test_a_playlist_or_concat_script_is_refused_with_a_clear_error(tmp_path, script):
    (tmp_path / "private.wav").write_bytes(tone(3.0))
    user = tmp_path / "clip.wav"
    user.write_text(script)
    with pytest.raises(InputError, match="playlist or script"):
        media.probe(user)
    with pytest.raises(InputError, match="playlist or script"):
        media.extract(user, tmp_path / "out.wav")


def test_a_run_past_its_timeout_is_stopped_with_a_clear_error():
    start = time.monotonic()
    with pytest.raises(MediaError, match="within 1 s"):
        ffmpeg.run(["-re", "-f", "lavfi", "-i", "sine=duration=600", "-f", "null", "-"],
                   what="generate a tone", timeout=1.0)
    assert time.monotonic() - start < 5


def test_the_default_timeout_scales_with_the_input():
    assert ffmpeg.timeout_for(0) == ffmpeg.BASE_TIMEOUT
    assert ffmpeg.timeout_for(1500 << 20) > 2 * 3600  # a 1.5 GB film gets hours, not a minute


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:   # a zombie waiting for its reaper is dead too
        return f.read().split()[2] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_ffmpeg_dies_when_the_process_that_started_it_is_killed(tmp_path):
    code = ("import sys, subprocess\n"
            "from ttsai_plugin.media import ffmpeg\n"
            "p = ffmpeg.popen([ffmpeg.ffmpeg_exe(), '-nostdin', '-re', '-f', 'lavfi', '-i',\n"
            "                  'sine=duration=600', '-f', 'null', '-'],\n"
            "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(p.pid, flush=True); sys.stdin.read()\n")
    host = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = int(host.stdout.readline())
    assert _alive(child)
    host.send_signal(signal.SIGKILL)   # no atexit, no finally: only the kernel can help
    host.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
