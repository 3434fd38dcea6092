"""The local engine holds its ground against a hostile client: every route's body limit is
enforced while it streams, uploads leave no temp files, idle connections time out, webhooks
go only where the operator allowed, URLs never echo the client's Host, nesting bombs are a
400, handed-out files expire, and SIGTERM stops it cleanly."""
from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ttsai_plugin.local import DEV_KEY, EngineConfig, serve
from tests.api.fake_api import tone

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {DEV_KEY}"}


@pytest.fixture
def start(tmp_path):
    servers = []

    def run(**config):
        config.setdefault("data_dir", tmp_path / f"engine{len(servers)}")
        servers.append(serve(EngineConfig(**config)))
        return servers[-1]
    yield run
    for s in servers:
        s.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_300_mb_body_to_tts_is_refused_before_it_is_read(start, framing):
    """Only 6 MB of a 300 MB upload are sent: the refusal must come without the rest."""
    server = start()
    part = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
    length = ("Content-Length: 314572800" if framing == "content-length"
              else "Transfer-Encoding: chunked")
    head = (f"POST /v1/tts/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEV_KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\n{length}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head)
        for i in range(6):
            chunk = (part if i == 0 else b"") + bytes(1 << 20)
            try:
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                          if framing == "chunked" else chunk)
            except OSError:
                break   # the engine already answered and closed its side
        s.settimeout(10)
        status = s.recv(200).split(b"\r\n", 1)[0]   # no answer until 300 MB arrived, before
    assert status.split()[1] in (b"400", b"413"), status


def _deleted_temp_fds() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.endswith("(deleted)") and "/tmp" in target
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_upload_temp_files_are_gone_when_each_request_ends(start, tmp_path):
    server = start()
    clip = tmp_path / "clip.wav"
    clip.write_bytes(tone(40.0))   # over werkzeug's in-memory limit: spooled to a temp file
    before = _deleted_temp_fds()
    gc.disable()
    try:
        with httpx.Client(headers=AUTH, timeout=60) as c:
            for _ in range(3):
                with clip.open("rb") as f:
                    assert c.post(server.url + "audio/analyze/",
                                  files={"file": ("clip.wav", f)}).status_code == 200
        time.sleep(0.2)
        assert _deleted_temp_fds() <= before
    finally:
        gc.enable()


def test_an_idle_connection_is_closed_after_the_read_timeout(start):
    server = start(read_timeout=0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /v1/tts/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        start_at = time.monotonic()
        data = s.recv(65536)
        while data:
            data = s.recv(65536)
        assert time.monotonic() - start_at < 4


def test_webhooks_go_only_to_receivers_the_operator_allowed(start, tmp_path):
    server = start(async_threshold_seconds=0, webhook_hosts=("127.0.0.1:9",))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(tone(1.0))
    with httpx.Client(headers=AUTH) as c, clip.open("rb") as f:
        r = c.post(server.url + "audio/separate/", files={"file": ("clip.wav", f)},
                   data={"webhook_url": "http://127.0.0.1:6379/"})  # a local Redis, say
    assert r.status_code == 400 and "not an allowed webhook receiver" in r.text


def test_urls_handed_out_never_echo_the_clients_host_header(start):
    server = start()
    r = httpx.get(server.url + "voices/", headers={**AUTH, "Host": "evil.example:666"})
    urls = [v["preview_url"] for v in r.json()["voices"]]
    assert urls and all(u.startswith(f"http://127.0.0.1:{server.port}/") for u in urls)


def test_deeply_nested_json_is_a_400(start):
    server = start()
    r = httpx.post(server.url + "tts/", content=b"[" * 200_000,
                   headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.text


def test_handed_out_files_expire_after_their_ttl(start):
    server = start(file_ttl_seconds=0.5)
    with httpx.Client(headers=AUTH, timeout=30) as c:
        turn = c.post(server.url + "voice-chat/", json={"text": "Hello there."}).json()
        assert c.get(turn["audio_url"]).status_code == 200
        time.sleep(1.0)
        gone = c.get(turn["audio_url"])
    assert gone.status_code == 404 and "expired" in gone.text


def test_sigterm_stops_ttsai_serve_like_ctrl_c(tmp_path):
    code = "from ttsai_plugin.local import main; raise SystemExit(main(['--port', '0']))"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)})
    banner = proc.stdout.readline()
    assert "local engine at" in banner
    assert any(tmp_path.iterdir())   # its temporary data folder
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert not any(tmp_path.iterdir())   # removed, as after Ctrl-C


def test_a_config_folder_others_can_write_is_warned_about(tmp_path, caplog, monkeypatch):
    import logging
    from ttsai_plugin.api.config import load_config_file
    folder = tmp_path / "ttsai"
    folder.mkdir()
    (folder / "config.toml").write_text('base_url = "https://api.tts.ai/v1/"\n')
    folder.chmod(0o777)
    caplog.set_level(logging.WARNING)
    load_config_file(folder / "config.toml")
    assert any("writable by other users" in r.message for r in caplog.records)
    caplog.clear()
    folder.chmod(0o700)
    load_config_file(folder / "config.toml")
    assert not any("writable by other users" in r.message for r in caplog.records)
