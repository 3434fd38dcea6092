"""Shared fixtures: real media made once per session, and the local engine on loopback."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import media_factory


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A session folder of real media (made lazily by ``media_factory``)."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech_wav(media_dir) -> Path:
    return media_factory.speech(media_dir)


@pytest.fixture(scope="session")
def talk_mp4(media_dir) -> Path:
    return media_factory.video_with_speech(media_dir)


@pytest.fixture(scope="session")
def noisy_wav(media_dir) -> Path:
    return media_factory.noisy_speech(media_dir)


@pytest.fixture(scope="session")
def reverb_wav(media_dir) -> Path:
    return media_factory.reverberant_speech(media_dir)


@pytest.fixture(scope="session")
def music_wav(media_dir) -> Path:
    return media_factory.music_mix(media_dir)


@pytest.fixture(scope="session")
def engine():
    """The local engine on loopback for the whole session: ``engine.url``, ``engine.key``.

    DEV_KEY on the pro plan's concurrency and text limits with generous credits; its
    requests-per-minute is raised so the whole suite can share one engine (tests of the
    real 60 rpm limit start their own engine with ``serve()``).
    """
    from dataclasses import replace

    from ttsai_plugin.local import DEV_KEY, PLANS, EngineConfig, serve

    pro = replace(PLANS["pro"], requests_per_minute=100_000)
    server = serve(EngineConfig(keys={DEV_KEY: "pro"}, plans={**PLANS, "pro": pro},
                                credits={DEV_KEY: 100_000_000}))
    yield server
    server.close()
