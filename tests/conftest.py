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
