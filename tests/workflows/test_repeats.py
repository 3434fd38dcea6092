"""A repeated job is a lookup and a copy: no request, no extraction, no re-join; but the cache
stays content-addressed, so a changed source is asked again."""
from __future__ import annotations

import os
import shutil

import numpy as np
import soundfile as sf

from ttsai_plugin import cache as cache_module
from ttsai_plugin import media, workflows
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.clips import Clip
from ttsai_plugin.workflows import Context


def counting(monkeypatch, name: str) -> list:
    """Count calls of ``media.<name>`` (still doing the real work)."""
    calls: list = []
    real = getattr(media, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(media, name, counted)
    return calls


def test_a_repeat_enhance_neither_asks_nor_extracts(ctx, transport, speech_wav, monkeypatch):
    clip = Clip(speech_wav, source_in=0.5, source_out=2.5, name="take")
    first = workflows.enhance(ctx, clip)
    requests = len(transport.requests)
    extracts = counting(monkeypatch, "extract")
    again = workflows.enhance(Context(ctx.client, ctx.out_dir.parent / "again", ctx.cache), clip)
    assert len(transport.requests) == requests and extracts == []
    assert again.cached and again.credits_used == 0
    assert again.files[0].read_bytes() == first.files[0].read_bytes()
    assert again.placements[0].duration == first.placements[0].duration


def test_the_memo_survives_a_restart_in_the_cache_folder(ctx, transport, speech_wav, monkeypatch):
    clip = Clip(speech_wav, name="take")  # to the media's end: its length is remembered too
    first = workflows.enhance(ctx, clip)
    cache_module._memo.clear()  # as after restarting the host
    extracts = counting(monkeypatch, "extract")
    fresh = Context(ctx.client, ctx.out_dir.parent / "later", ResultCache(ctx.cache.root))
    again = workflows.enhance(fresh, clip)
    assert extracts == [] and again.cached
    assert again.placements[0].duration == first.placements[0].duration


def test_a_touched_source_is_rehashed_and_a_changed_one_asked_again(ctx, transport, speech_wav,
                                                                     tmp_path, monkeypatch):
    src = tmp_path / "take.wav"
    shutil.copyfile(speech_wav, src)
    clip = Clip(src, source_in=0.0, source_out=2.0, name="take")
    workflows.enhance(ctx, clip)
    requests = len(transport.requests)

    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # same bytes, new time
    extracts = counting(monkeypatch, "extract")
    touched = workflows.enhance(ctx, clip)
    assert len(extracts) == 1, "a touched file is extracted and hashed again"
    assert touched.cached and len(transport.requests) == requests, "same bytes: same result"

    samples, sr = sf.read(str(src), dtype="float32")
    sf.write(str(src), samples * 0.5, sr, subtype="PCM_16")  # same size, other audio
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 9_000_000_000))
    changed = workflows.enhance(ctx, clip)
    assert not changed.cached and len(transport.requests) > requests
    assert changed.files[0] != touched.files[0], "the earlier result is kept, not overwritten"


def test_a_repeat_narration_is_not_joined_again(ctx, transport, monkeypatch):
    text = "The second reading of this script costs nothing. " * 30
    first = workflows.narrate(ctx, text)
    requests = len(transport.requests)
    joins = counting(monkeypatch, "OrderedJoin")
    again = workflows.narrate(Context(ctx.client, ctx.out_dir.parent / "again", ctx.cache), text)
    assert joins == [] and len(transport.requests) == requests
    assert again.cached and again.credits_used == 0
    assert again.files[0].read_bytes() == first.files[0].read_bytes()
    slower = workflows.narrate(ctx, text, speed=1.2)
    assert not slower.cached and len(transport.requests) > requests


def test_a_changed_voice_reference_is_cloned_again(ctx, transport, speech_wav, tmp_path):
    ref = tmp_path / "voice.wav"
    shutil.copyfile(speech_wav, ref)
    workflows.narrate(ctx, "Say it in my voice.", reference=ref)
    requests = len(transport.requests)
    assert workflows.narrate(ctx, "Say it in my voice.", reference=ref).cached
    assert len(transport.requests) == requests
    samples, sr = sf.read(str(ref), dtype="float32")
    noise = np.random.default_rng(1).normal(0, 0.01, samples.shape).astype(np.float32)
    sf.write(str(ref), samples + noise, sr, subtype="PCM_16")
    st = ref.stat()
    os.utime(ref, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not workflows.narrate(ctx, "Say it in my voice.", reference=ref).cached
    assert len(transport.requests) > requests


def test_a_repeat_dub_is_already_fitted(ctx, transport, talk_mp4, monkeypatch):
    clip = Clip(talk_mp4, timeline_start=3.0)
    first = workflows.dub(ctx, clip, target_language="es")
    requests = len(transport.requests)
    stretches = counting(monkeypatch, "time_stretch")
    extracts = counting(monkeypatch, "extract")
    again = workflows.dub(Context(ctx.client, ctx.out_dir.parent / "again", ctx.cache), clip,
                          target_language="es")
    assert len(transport.requests) == requests and stretches == [] and extracts == []
    assert again.cached and again.notes == first.notes
    assert again.audio[0].duration == first.audio[0].duration


def test_a_result_from_the_local_engine_is_not_reused_once_the_real_api_is_configured(
        ctx, transport, speech_wav, tmp_path, monkeypatch):
    """Trying a job without a key (the built-in engine's stand-in results), then adding a key
    and running it again, must reach the service: the cache is per service."""
    from ttsai_plugin.clients import make_client
    for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL", "TTSAI_PLAN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TTSAI_CONFIG", str(tmp_path / "no-config.toml"))
    clip = Clip(speech_wav, source_in=0.0, source_out=2.0, name="take")
    with make_client() as trial:
        assert trial.is_local
        workflows.enhance(Context(trial, tmp_path / "trial", ctx.cache), clip)
    paid = workflows.enhance(ctx, clip)  # ctx: a key and the API's base URL
    assert not paid.cached and transport.count("/enhance") >= 1
    assert workflows.enhance(Context(ctx.client, tmp_path / "again", ctx.cache), clip).cached
