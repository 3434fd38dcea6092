"""Stem separation as a long task: 202, polling, stems by URL and a webhook on loopback."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ttsai_plugin.local import DEV_KEY

from .conftest import audio_seconds, client, error_of


class WebhookReceiver:
    """A loopback HTTP server that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host_port = f"127.0.0.1:{self.httpd.server_port}"
        self.url = f"http://{self.host_port}/hooks/ttsai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def music(media_dir):
    """Four seconds of the factory's chord-and-kick mix (stereo, 44.1 kHz)."""
    from tests import media_factory
    return media_factory.music_mix(media_dir, name="music4.wav", seconds=4.0)


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def poll(c: httpx.Client, url: str, timeout: float = 60) -> tuple[list[int], dict]:
    """Poll a result URL until it is final; return every status code seen and the final body."""
    codes, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = c.get(url)
        codes.append(r.status_code)
        if r.status_code == 200:
            return codes, r.json()
        assert r.status_code == 202 and r.json()["status"] == "processing"
        time.sleep(0.25)  # 240 polls a minute fit the enterprise plan's 300
    raise AssertionError(f"task not done after {timeout}s: {codes[-5:]}")


def test_a_long_separation_answers_202_then_the_stems_arrive_by_polling(start_engine, music,
                                                                       tmp_path, receiver):
    server = start_engine(keys={DEV_KEY: "enterprise"}, async_threshold_seconds=0,
                          credits={DEV_KEY: 1000}, webhook_hosts=(receiver.host_port,))
    with client(server) as c:
        with open(music, "rb") as f:
            r = c.post("audio/separate/", files={"file": ("music.wav", f)},
                       data={"stems": "2", "format": "flac", "webhook_url": receiver.url})
        assert r.status_code == 202
        task = r.json()
        assert task["status"] == "queued" and task["task_id"].startswith("task_")
        assert task["result_url"] == f"{server.url}results/{task['task_id']}"
        assert r.headers["X-Credits-Used"] == "16"  # 4 s at 4 credits per second
        codes, done = poll(c, task["result_url"])
        assert codes[0] == 202 and done["status"] == "success"
        assert done["credits_used"] == 16 and set(done["stems"]) == {"vocals", "accompaniment"}
        for url in done["stems"].values():
            stem = httpx.get(url, trust_env=False)  # stems are plain URLs: no key needed
            assert stem.headers["content-type"] == "audio/flac"
            assert audio_seconds(stem.content, ".flac", tmp_path) == pytest.approx(4.0, abs=0.05)
    assert receiver.arrived.wait(10)
    hook = receiver.bodies[0]
    assert hook["event"] == "task.completed" and hook["status"] == "success"
    assert hook["task_id"] == task["task_id"] and hook["result_url"] == task["result_url"]
    assert hook["credits_used"] == 16
    assert hook["created_at"].endswith("Z") and hook["completed_at"] >= hook["created_at"]


def test_a_short_separation_answers_at_once_with_the_requested_stems(engine, music):
    with client(engine) as c, open(music, "rb") as f:
        r = c.post("audio/separate/", files={"file": ("music.wav", f)}, data={"stems": "4"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["stems"]) == {"vocals", "drums", "bass", "other"}
    assert body["credits_used"] == 16 and r.headers["X-Credits-Used"] == "16"
    if "mock" in body:
        assert r.headers["X-TTSAI-Mock"] == body["mock"]


def test_another_key_cannot_see_a_task(start_engine, short_speech):
    server = start_engine(keys={DEV_KEY: "pro", "sk-tts-other": "pro"},
                          credits={DEV_KEY: 1000, "sk-tts-other": 1000}, async_threshold_seconds=0)
    with client(server) as c, open(short_speech, "rb") as f:
        task = c.post("audio/separate/", files={"file": ("short.wav", f)}).json()
    with client(server, key="sk-tts-other") as other:
        assert other.get(task["result_url"]).status_code == 404


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://127.0.0.1/hook",
                                 "http://10.0.0.1:8080/hook"])
def test_webhooks_go_only_to_loopback(engine, music, url):
    with client(engine) as c, open(music, "rb") as f:
        r = c.post("audio/separate/", files={"file": ("music.wav", f)}, data={"webhook_url": url})
    assert r.status_code == 400
    err = error_of(r)
    assert err["field"] == "webhook_url" and "loopback" in err["message"]
    assert "X-Credits-Used" not in r.headers


def test_stems_must_be_2_4_5_or_6(engine, music):
    with client(engine) as c, open(music, "rb") as f:
        r = c.post("audio/separate/", files={"file": ("music.wav", f)}, data={"stems": "3"})
    err = error_of(r)
    assert r.status_code == 400 and err["allowed"] == [2, 4, 5, 6]


def test_a_task_that_fails_reports_failed_refunds_and_tells_the_webhook(start_engine, music,
                                                                      receiver, monkeypatch):
    from ttsai_plugin.local.routes import audio_tools

    def broken(*args, **kwargs):
        raise RuntimeError("the separator ran out of memory")

    monkeypatch.setattr(audio_tools.separation, "separate", broken)
    server = start_engine(keys={DEV_KEY: "enterprise"}, async_threshold_seconds=0,
                          credits={DEV_KEY: 100}, webhook_hosts=(receiver.host_port,))
    with client(server) as c, open(music, "rb") as f:
        task = c.post("audio/separate/", files={"file": ("music.wav", f)},
                      data={"webhook_url": receiver.url}).json()
        _, done = poll(c, task["result_url"])
    assert done["status"] == "failed" and done["error"]["code"] == "internal_error"
    assert "out of memory" in done["error"]["message"]
    assert receiver.arrived.wait(10) and receiver.bodies[0]["status"] == "failed"
    assert receiver.bodies[0]["credits_used"] == 0
    assert server.engine.ledger.balance(DEV_KEY) == 100
