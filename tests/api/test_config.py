"""Key, base URL and plan: arguments beat environment beat the config file; unsafe URLs fail."""
from __future__ import annotations

import os
import stat

import pytest

from ttsai_plugin.api import ConfigError, TTSAIClient, resolve_config, save_config
from ttsai_plugin.api.config import DEFAULT_BASE_URL, check_base_url, load_config_file


def test_precedence_argument_then_environment_then_file(isolated_config, monkeypatch):
    save_config(api_key="sk-tts-from-file", base_url="https://file.example/v1", plan="enterprise")
    cfg = resolve_config()
    assert cfg.api_key.get_secret_value() == "sk-tts-from-file"
    assert cfg.base_url == "https://file.example/v1/" and cfg.plan == "enterprise"
    monkeypatch.setenv("TTSAI_API_KEY", "sk-tts-from-env")
    monkeypatch.setenv("TTSAI_PLAN", "Pro")
    cfg = resolve_config()
    assert cfg.api_key.get_secret_value() == "sk-tts-from-env" and cfg.plan == "pro"
    assert cfg.base_url == "https://file.example/v1/"
    cfg = resolve_config(api_key="sk-tts-arg", base_url="https://arg.example/v1/")
    assert cfg.api_key.get_secret_value() == "sk-tts-arg" and cfg.base_url == "https://arg.example/v1/"


def test_nothing_configured_means_no_key_and_the_public_api():
    cfg = resolve_config()
    assert cfg.api_key is None and cfg.base_url == DEFAULT_BASE_URL and cfg.plan == "pro"


def test_config_file_is_private_and_written_whole(isolated_config):
    path = save_config(api_key="sk-tts-abc")
    assert path == isolated_config
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_config(plan="enterprise")
    assert load_config_file() == {"api_key": "sk-tts-abc", "plan": "enterprise"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_a_broken_config_file_names_itself(isolated_config):
    isolated_config.parent.mkdir(parents=True)
    isolated_config.write_text("api_key = ")
    with pytest.raises(ConfigError, match="config.toml"):
        resolve_config()


@pytest.mark.parametrize("url", ["http://api.tts.ai/v1/", "http://192.168.1.5:8000/v1/",
                                 "http://127.evil.example/v1/"])
def test_plain_http_to_a_non_loopback_host_is_refused(url):
    with pytest.raises(ConfigError, match="unencrypted") as info:
        TTSAIClient(api_key="sk-tts-x", base_url=url)
    assert "https://" in str(info.value)
    with pytest.raises(ConfigError):
        save_config(base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "http://127.3.4.5/v1/",
                                 "http://[::1]:9000/v1/", "http://localhost:8000/v1/",
                                 "https://api.tts.ai/v1/"])
def test_loopback_http_and_any_https_are_allowed(url):
    assert check_base_url(url).endswith("/v1/")


@pytest.mark.parametrize("url", ["ftp://api.tts.ai/v1/", "https://user:pw@api.tts.ai/v1/", "nonsense"])
def test_other_unsafe_or_broken_urls_are_refused(url):
    with pytest.raises(ConfigError):
        check_base_url(url)


def test_no_key_for_a_remote_base_url_is_a_clear_error():
    with pytest.raises(ConfigError, match="No API key") as info:
        TTSAIClient(base_url="https://api.tts.ai/v1/")
    assert "TTSAI_API_KEY" in str(info.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_readable_key_file_is_reported(isolated_config, caplog):
    save_config(api_key="sk-tts-abc")
    isolated_config.chmod(0o644)
    load_config_file()
    assert "chmod 600" in caplog.text and "sk-tts-abc" not in caplog.text
