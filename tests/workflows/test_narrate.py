"""Narration: a long script is split under the plan's limit, spoken in parallel, joined in order."""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin import media, workflows
from ttsai_plugin.errors import Cancelled, InputError
from ttsai_plugin.jobs import CancelToken
from ttsai_plugin.workflows import Context
from ttsai_plugin.workflows.textsplit import split_text

from tests.workflows.conftest import all_files


def long_script(chars: int) -> str:
    """Distinct numbered sentences, so every chunk sounds different from every other."""
    words = ["apple", "river", "mountain", "quiet", "yellow", "engine", "garden", "silver"]
    out, i = [], 0
    while sum(len(s) + 1 for s in out) < chars:
        out.append(f"Line {i} says {words[i % 8]} {words[(i * 3) % 8]} and {words[(i * 5) % 8]}.")
        i += 1
    return " ".join(out)[:chars].rsplit(" ", 1)[0] + "."


def test_twenty_thousand_characters_on_pro_are_spoken_in_parallel_and_joined_in_order(ctx, transport):
    text = long_script(20_000)
    assert len(text) > 19_900
    result = workflows.narrate(ctx, text, voice="af_bella", speed=2.0)

    tts_texts = list(transport.tts_audio)
    assert len(tts_texts) >= 4 and all(len(t) <= 5000 for t in tts_texts)
    assert transport.peak >= 2, "chunks were sent one at a time"
    chunks = split_text(text, 5000)
    assert sorted(tts_texts) == sorted(c.text for c in chunks)

    [placement] = result.placements
    assert placement.path.exists() and placement.path.parent == ctx.out_dir
    assert placement.start == 0.0 and result.mute_source is False
    final, sr = media.decode(placement.path, mono=True)
    offset, expected_total = 0, 0.0
    for chunk in chunks:  # each chunk's own audio sits where the split order says it should
        part, part_sr = sf.read(io.BytesIO(transport.tts_audio[chunk.text]), dtype="float32")
        part = part if part.ndim == 1 else part.mean(axis=1)
        assert part_sr == sr
        middle = slice(offset + sr // 10, offset + len(part) - sr // 10)
        here, there = final[middle], part[sr // 10: len(part) - sr // 10]
        corr = float(np.dot(here, there) / (np.linalg.norm(here) * np.linalg.norm(there) + 1e-9))
        assert corr > 0.99, f"chunk {chunk.text[:30]!r} is not where it belongs"
        offset += len(part) + round(chunk.pause_after * sr)
        expected_total += len(part) / sr + chunk.pause_after
    assert placement.duration == pytest.approx(expected_total, abs=0.01)
    assert result.credits_used > 0


def test_a_repeat_narration_comes_from_the_cache_without_requests(ctx, transport):
    first = workflows.narrate(ctx, "A short line for the cache. And a second sentence.")
    before = transport.count("/tts/")
    again = workflows.narrate(ctx, "A short line for the cache. And a second sentence.")
    assert transport.count("/tts/") == before
    assert again.cached and again.credits_used == 0
    assert again.placements[0].path == first.placements[0].path  # same bytes: same file


@pytest.mark.parametrize("text", ["", "  \n\t  "])
def test_empty_text_is_refused_before_any_request(ctx, transport, text):
    with pytest.raises(InputError):
        workflows.narrate(ctx, text)
    assert transport.requests == []


def test_rtl_and_emoji_text_is_narrated(ctx):
    result = workflows.narrate(ctx, "مرحبا بكم في العرض 👋🏽. Welcome to the show 🎉!",
                               language="ar")
    assert result.placements[0].duration > 0.5


def test_cancelling_mid_narration_leaves_no_file(ctx):
    token = CancelToken()
    ctx.cancel = token
    ctx.progress = lambda fraction, message: token.cancel() if "Narrated 1/" in message else None
    with pytest.raises(Cancelled):
        workflows.narrate(ctx, long_script(12_000), speed=2.0)
    assert all_files(ctx.out_dir) == []


def test_youtube_narration_preset_speaks_then_levels_to_minus_14_lufs(ctx):
    result = workflows.run_preset(ctx, "youtube-narration",
                                  text="Welcome back to the channel. Today we build a bird house.")
    [p] = result.placements
    assert p.path.name == "welcome-back-to-the-channel-today-we.youtube-narration.wav"
    assert media.loudness(p.path) == pytest.approx(-14.0, abs=0.5)
    assert p.duration == pytest.approx(media.duration(p.path)) and not result.mute_source


def test_a_long_narration_shows_progress_that_moves_forward_with_an_eta(tmp_path):
    """What a host's status line shows while a slow service speaks a long script, part by part:
    the fraction never drops, something changes at least every 2 s, and once the first part
    is back there is an ETA."""
    from dataclasses import replace

    from ttsai_plugin.api import TTSAIClient
    from ttsai_plugin.jobs import JobRunner
    from ttsai_plugin.local import DEV_KEY, PLANS, EngineConfig, serve

    pro = replace(PLANS["pro"], requests_per_minute=100_000)
    server = serve(EngineConfig(keys={DEV_KEY: "pro"}, plans={**PLANS, "pro": pro},
                                credits={DEV_KEY: 1_000_000}, realtime_factor=0.02))
    sentence = "The editor trims every clip before the narration starts, and the voice follows. "
    script = sentence * 160  # about 13,000 characters: several parts, a few waves of them
    runner = JobRunner(max_workers=1)
    try:
        with TTSAIClient(api_key=DEV_KEY, base_url=server.url, plan="pro") as client:
            ctx = Context(client, tmp_path / "out")
            job = runner.submit(lambda progress: workflows.narrate(
                Context(ctx.client, ctx.out_dir, progress=progress), script), label="Narrate")
            seen = []
            while not job.done:
                seen.append((time.monotonic(), job.progress_state))
                time.sleep(0.05)
            job.wait(0)
    finally:
        runner.shutdown()
        server.close()
    fractions = [s.fraction for _, s in seen]
    assert fractions == sorted(fractions), "progress went backwards"
    shown = [(t, (s.fraction, s.message)) for t, s in seen]
    changes = [shown[0]] + [b for a, b in zip(shown, shown[1:]) if a[1] != b[1]]
    gaps = [b[0] - a[0] for a, b in zip(changes, changes[1:])]
    assert seen[-1][0] - seen[0][0] > 4, "the slow service should have taken a while"
    assert max(gaps) < 2.0, f"progress stood still for {max(gaps):.1f} s"
    after_first = [s for _, s in seen if s.message.startswith("Narrated ")
                   and not s.message.startswith("Narrated 0/")]
    assert after_first and all(s.eta is not None for s in after_first[1:])
    etas = [s.eta for s in after_first[1:]]
    assert max(etas) < 3 * (seen[-1][0] - seen[0][0]), f"an ETA far off the real time: {etas}"
