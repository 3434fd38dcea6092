"""A wrong or revoked key, and an API that cannot be reached: a clear error that says what to
do, the key never shown, no file written."""
from __future__ import annotations

import socket
import time

import pytest

from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.errors import APIConnectionError, AuthenticationError
from ttsai_plugin.local import EngineConfig
from tests.bad_input.conftest import assert_one_clear_line, run_cli, tree
from tests.faults.wire import start_engine

WRONG_KEY = "sk-tts-wr0ng-9f8e7d6c5b4a3210"
STAFF_KEY = "sk-tts-staff-0a1b2c3d4e5f6789"


def _assert_hidden(error: BaseException, key: str) -> None:
    for text in (str(error), repr(error), *map(str, error.args), str(error.hint or "")):
        assert key not in text


def test_a_wrong_key_is_refused_with_a_hint_and_never_shown(engine, tmp_path):
    with TTSAIClient(api_key=WRONG_KEY, base_url=engine.url, plan="pro") as client:
        assert WRONG_KEY not in repr(client)
        with pytest.raises(AuthenticationError) as err:
            client.tts("Hello.", voice="af_bella", out=tmp_path / "a.wav")
    assert err.value.status == 401
    assert "key" in err.value.hint.lower() and "TTSAI_API_KEY" in err.value.hint
    _assert_hidden(err.value, WRONG_KEY)
    assert tree(tmp_path) == {}


def test_a_key_revoked_mid_session_fails_the_next_request_clearly(tmp_path):
    with start_engine(EngineConfig(keys={STAFF_KEY: "pro"}, credits={STAFF_KEY: 1000})) as eng:
        with TTSAIClient(api_key=STAFF_KEY, base_url=eng.url, plan="pro") as client:
            client.tts("Before.", voice="af_bella", out=tmp_path / "before.wav")
            eng.config.keys.pop(STAFF_KEY)  # revoked on the server's side
            with pytest.raises(AuthenticationError) as err:
                client.tts("After.", voice="af_bella", out=tmp_path / "after.wav")
    _assert_hidden(err.value, STAFF_KEY)
    assert (tmp_path / "before.wav").exists() and not (tmp_path / "after.wav").exists()
    assert eng.app.per_path["/v1/tts/"] == 2, "a 401 is not retried"


def test_a_wrong_key_on_the_command_line_exits_3_with_one_line(engine, tmp_path):
    result = run_cli("narrate", "Hello.", "-o", str(tmp_path / "n.wav"), "-q",
                     env={"TTSAI_API_KEY": WRONG_KEY, "TTSAI_BASE_URL": engine.url,
                          "TTSAI_CONFIG": str(tmp_path / "cfg.toml")})
    line = assert_one_clear_line(result, code=3, secrets=(WRONG_KEY,))
    assert "key" in line.lower()
    assert not (tmp_path / "n.wav").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_api_is_a_connection_error_after_bounded_retries(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1/"
    started = time.monotonic()
    with TTSAIClient(api_key=WRONG_KEY, base_url=url, plan="pro", max_retries=2) as client:
        with pytest.raises(APIConnectionError) as err:
            client.tts("Hello.", voice="af_bella", out=tmp_path / "u.wav")
    assert time.monotonic() - started < 10
    assert "127.0.0.1" in str(err.value) and err.value.hint
    assert getattr(err.value, "attempts", 3) == 3
    _assert_hidden(err.value, WRONG_KEY)
    assert tree(tmp_path) == {}


def test_an_unreachable_api_on_the_command_line_is_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1/"
    result = run_cli("narrate", "Hello.", "-o", str(tmp_path / "n.wav"), "-q",
                     "--base-url", url, "--api-key", WRONG_KEY, timeout=60)
    line = assert_one_clear_line(result, code=1, secrets=(WRONG_KEY,))
    assert "127.0.0.1" in line and ("reach" in line.lower() or "connect" in line.lower())
    assert not (tmp_path / "n.wav").exists()
