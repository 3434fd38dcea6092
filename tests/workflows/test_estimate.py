"""Estimates before a job runs: the server's model list first, else the contract's table."""
from __future__ import annotations

import pytest

from ttsai_plugin import workflows
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import InputError


@pytest.fixture
def three_seconds(speech_wav) -> Clip:
    return Clip(speech_wav, source_in=1.0, source_out=4.0)


@pytest.mark.parametrize("operation, per_second, upper", [
    ("enhance", 2, False), ("transcribe", 2, False), ("voice_convert", 3, False),
    ("dereverb", 3, False), ("split_stems", 4, False), ("stems", 4, False),
])
def test_per_second_services_bill_the_used_range_only(ctx, three_seconds, operation,
                                                      per_second, upper):
    est = workflows.estimate(ctx, operation, clip=three_seconds)
    assert est.credits == 3 * per_second
    assert est.upper_bound is upper
    assert "3 s" in est.detail


def test_free_services_cost_nothing(ctx, three_seconds):
    assert workflows.estimate(ctx, "analyze", clip=three_seconds).credits == 0
    assert workflows.estimate(ctx, "convert", clip=three_seconds).credits == 0


def test_text_is_priced_per_started_thousand_characters_by_model(ctx):
    rates = {m.id: m.credits_per_1k_chars for m in ctx.client.models()}
    text = "x" * 2500   # three started thousands
    est = workflows.estimate(ctx, "narrate", text=text, model="kokoro")
    assert est.credits == pytest.approx(3 * (rates.get("kokoro") or 2))
    assert workflows.estimate(ctx, "narrate", text=text, model="piper").credits == \
        pytest.approx(3 * (rates.get("piper") or 1))
    assert workflows.estimate(ctx, "narrate", text=text, reference="ref.wav").credits == 12.0
    assert workflows.estimate(ctx, "narrate", text="Hello there.").credits == \
        (rates.get("kokoro") or 2)   # the reference bills a short text one whole unit


def test_a_preset_adds_up_its_steps(ctx, three_seconds):
    est = workflows.estimate(ctx, "preset", clip=three_seconds, preset="stream-mic-cleanup")
    assert est.credits == 3 * 3 + 3 * 2  # dereverb + enhance; loudness is local
    assert "stream-mic-cleanup" in est.detail


def test_voice_chat_is_per_turn_and_unknown_operations_are_named(ctx):
    assert workflows.estimate(ctx, "voice_chat", turns=4).credits == 12
    with pytest.raises(InputError, match="explode"):
        workflows.estimate(ctx, "explode")


def test_a_host_that_makes_a_client_per_dialog_asks_for_the_model_list_once(engine, tmp_path):
    """Blender builds a new client for every dialog: the estimate must not go to the network
    each time it opens, and an unreachable list must not be waited on again at once."""
    import socket
    import time

    from ttsai_plugin.api import TTSAIClient
    from ttsai_plugin.local import DEV_KEY
    import importlib
    estimate_module = importlib.import_module("ttsai_plugin.workflows.estimate")
    from ttsai_plugin.workflows.context import Context

    calls = []

    class Counting(TTSAIClient):
        def models(self):
            calls.append(self.base_url)
            return super().models()

    estimate_module._MODELS.clear()
    for _ in range(3):
        client = Counting(api_key=DEV_KEY, base_url=engine.url)
        workflows.estimate(Context(client, tmp_path), "narrate", text="Hello there.")
    assert len(calls) == 1

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1/"
    first = Counting(api_key=DEV_KEY, base_url=closed, max_retries=0)
    assert workflows.estimate(Context(first, tmp_path), "narrate", text="Hi.").credits > 0
    again = Counting(api_key=DEV_KEY, base_url=closed, max_retries=0)
    started = time.monotonic()
    assert workflows.estimate(Context(again, tmp_path), "narrate", text="Hi.").credits > 0
    assert time.monotonic() - started < 0.05
    assert len(calls) == 2, "the unreachable list was asked for once, not per dialog"
