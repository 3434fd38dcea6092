"""What the estimate says is what the service bills: every billed operation, several lengths
around the rounding edges, estimated first and then run against the local engine, whose
``X-Credits-Used`` (summed per job) follows the reference's units."""
from __future__ import annotations

import pytest

from ttsai_plugin import workflows
from ttsai_plugin.api import RetryPolicy, TTSAIClient
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import InsufficientCreditsError
from ttsai_plugin.local import DEV_KEY, EngineConfig
from ttsai_plugin.workflows.context import Context
from tests import media_factory
from tests.faults.wire import start_engine

TEXTS = ("Hello there.", "word " * 199 + "last.", "A sentence of speech. " * 50)


@pytest.fixture(scope="module")
def engine():
    with start_engine(EngineConfig()) as eng:
        yield eng


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    d = tmp_path_factory.mktemp("billing")
    return media_factory.speech(d, name="speech.wav", text="Hello, this is a longer test clip of speech, spoken for billing.",
                                sample_rate=16000)


def _ctx(engine, out) -> Context:
    client = TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro",
                         retry=RetryPolicy(max_retries=1))
    return Context(client, out)


def _billed(ctx: Context) -> float:
    return ctx.client.credits.used_total


CLIP_JOBS = {
    "enhance": lambda ctx, clip: workflows.enhance(ctx, clip),
    "dereverb": lambda ctx, clip: workflows.dereverb(ctx, clip),
    "transcribe": lambda ctx, clip: workflows.transcribe(ctx, clip),
    "voice_convert": lambda ctx, clip: workflows.voice_convert(ctx, clip, target_voice="af_bella"),
    "restyle": lambda ctx, clip: workflows.restyle(ctx, clip, voice="af_bella"),
    "dub": lambda ctx, clip: workflows.dub(ctx, clip, target_language="es"),
    "split_stems": lambda ctx, clip: workflows.split_stems(ctx, clip),
}


CASES = [(op, 2.5) for op in sorted(CLIP_JOBS)] + [("enhance", 1.0), ("transcribe", 1.0)]


@pytest.mark.parametrize("operation, seconds", CASES)
def test_a_clip_jobs_estimate_is_what_the_engine_bills(engine, speech, tmp_path, operation,
                                                       seconds):
    clip = Clip(media=speech, name="speech", source_in=0.25, source_out=0.25 + seconds)
    ctx = _ctx(engine, tmp_path)
    with ctx.client:
        estimate = workflows.estimate(ctx, operation, clip=clip)
        CLIP_JOBS[operation](ctx, clip)
        if estimate.upper_bound:  # labelled "up to" (a dub whose lines are found after separating)
            assert 0 < _billed(ctx) <= estimate.credits, (operation, seconds, estimate.detail)
        else:
            assert _billed(ctx) == estimate.credits, (operation, seconds, estimate.detail)


def test_a_range_of_exactly_three_seconds_bills_three_seconds(engine, speech, tmp_path):
    clip = Clip(media=speech, name="speech", source_in=0.5, source_out=3.5)
    ctx = _ctx(engine, tmp_path)
    with ctx.client:
        estimate = workflows.estimate(ctx, "enhance", clip=clip)
        workflows.enhance(ctx, clip)
        assert _billed(ctx) == estimate.credits == 3 * 2


@pytest.mark.parametrize("text, model", [(TEXTS[0], "kokoro"), (TEXTS[1], "kokoro"),
                                         (TEXTS[2], "kokoro"), (TEXTS[2], "piper")],
                         ids=["12-chars", "1000-chars", "1100-chars", "1100-chars-piper"])
def test_a_narrations_estimate_is_what_the_engine_bills(engine, tmp_path, text, model):
    ctx = _ctx(engine, tmp_path)
    with ctx.client:
        estimate = workflows.estimate(ctx, "narrate", text=text, model=model)
        workflows.narrate(ctx, text, model=model)
        assert _billed(ctx) == estimate.credits, (model, len(text), estimate.detail)


def test_hello_there_is_estimated_as_the_whole_unit_it_is_billed(engine, tmp_path):
    ctx = _ctx(engine, tmp_path)
    with ctx.client:
        assert workflows.estimate(ctx, "narrate", text="Hello there.").credits == 2


def test_a_402_names_what_is_needed_and_what_is_left(tmp_path):
    config = EngineConfig(credits={DEV_KEY: 1})
    with start_engine(config) as eng, \
            TTSAIClient(api_key=DEV_KEY, base_url=eng.url, plan="pro") as client:
        with pytest.raises(InsufficientCreditsError) as info:
            client.tts("Hello there. " * 100, voice="af_bella", out=tmp_path / "a.wav")
    assert "needs 4 credits" in str(info.value) and "has 1" in str(info.value)


def test_credits_left_are_kept_current_after_each_billed_request(engine, tmp_path):
    with TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro") as client:
        client.tts("Hello there.", voice="af_bella", out=tmp_path / "a.wav")
        first = client.credits.remaining
        client.tts("Hello again.", voice="af_bella", out=tmp_path / "b.wav")
        assert client.credits.remaining == first - 2
        assert client.credits.summary() == f"Credits left: {first - 2:,.0f} (this session used 4)"
