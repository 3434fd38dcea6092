"""Typed answers take the documented fields, ignore unknown ones and survive missing ones."""
from __future__ import annotations

import time

import httpx
import pytest

from ttsai_plugin.api import (Analysis, ChatTurn, CreditState, ModelInfo, RateLimitState, Stems,
                              TaskResult, Transcript, Translation, VoiceList)


def test_extra_and_missing_fields_are_tolerated():
    t = Transcript.from_json({"text": "hi", "segments": [{"start": "0.5", "end": 1, "text": "hi",
                                                          "avg_logprob": -0.2}], "new": True})
    assert t.segments[0].start == 0.5 and t.segments[0].words == [] and t.language is None
    assert Translation.from_json({"translated_text": "hola", "x": 1}).original_text == ""
    assert Analysis.from_json({"bpm": "128", "key": "C"}).bpm == 128.0
    assert ModelInfo.from_json({"id": "piper"}).name == "piper"
    voices = VoiceList.from_json({"voices": [{"id": "a"}, {"id": "b", "accent": "uk"}]})
    assert voices.total == 2 and [v.id for v in voices] == ["a", "b"]
    assert ChatTurn.from_json({"ai_text": "yo", "mock": "chat"}).mock == "chat"
    assert Stems.from_json({"stems": {"vocals": "u"}, "credits_used": 3}).urls == {"vocals": "u"}


def test_task_states():
    assert not TaskResult.from_json({"status": "processing"}).done
    failed = TaskResult.from_json({"status": "failed", "error": {"code": "internal_error"}})
    assert failed.done and failed.error["code"] == "internal_error"
    assert TaskResult.from_json({"stems": {"vocals": "u"}}).status == "success"


def test_rate_limit_reset_as_seconds_or_unix_time():
    seconds = RateLimitState.from_headers(httpx.Headers({"X-RateLimit-Reset": "30",
                                                         "X-RateLimit-Remaining": "4"}))
    assert seconds.remaining == 4 and seconds.reset_in == pytest.approx(30, abs=1)
    unix = RateLimitState.from_headers(httpx.Headers({"X-RateLimit-Reset": str(int(time.time()) + 90)}))
    assert unix.reset_in == pytest.approx(90, abs=2)
    assert RateLimitState.from_headers(httpx.Headers({})) is None


def test_credits_accumulate_over_answers():
    state = CreditState().updated(httpx.Headers({"X-Credits-Used": "2", "X-Credits-Remaining": "98"}))
    state = state.updated(httpx.Headers({"X-Credits-Used": "3"}))
    assert state == CreditState(used_last=3.0, used_total=5.0, remaining=98.0)
    assert state.updated(httpx.Headers({})) is state
