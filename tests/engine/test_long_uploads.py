"""Long uploads run block by block in bounded memory and sound like one pass over the whole."""
from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.api._inprocess import InProcessTransport
from ttsai_plugin.local import DEV_KEY, EngineConfig, create_app
from ttsai_plugin.local import audio as engine_audio
from ttsai_plugin.local.processing import blockwise, denoise, reverb

SR = 16000
SMALL = blockwise.Blocks(seconds=8.0)
WHOLE = blockwise.Blocks(seconds=10_000.0, dereverb_seconds=10_000.0)


def talk_like(seconds: float, seed: int = 0) -> np.ndarray:
    """A voiced tone in syllable-rate bursts over steady noise, made at test time."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 1100), 1))
    bursts = (np.sin(2 * np.pi * 3.1 * t) > 0.2) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.13 * t))
    return (0.25 * voice * bursts + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


def wav_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def post(blocks: blockwise.Blocks, path: str, data: bytes, tmp_path, **form) -> httpx.Response:
    app = create_app(EngineConfig(blocks=blocks, async_threshold_seconds=1e9,
                                  data_dir=tmp_path / f"engine-{blocks.seconds:g}"))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://engine.local/",
                      headers={"Authorization": f"Bearer {DEV_KEY}"}, timeout=600) as c:
        r = c.post(path, files={"file": ("talk.wav", data, "audio/wav")}, data=form)
        r.read()
    assert r.status_code == 200, r.text
    return r


def samples(r: httpx.Response) -> np.ndarray:
    return sf.read(io.BytesIO(r.content), dtype="float32")[0]


def relative_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(b ** 2))))


def test_a_long_enhance_runs_in_blocks_and_matches_one_pass(tmp_path, monkeypatch):
    x = talk_like(75.0)
    seen: list[int] = []
    real = denoise.enhance_channels

    def counting(chans, sr, **opts):
        seen.append(chans.shape[-1])
        return real(chans, sr, **opts)

    monkeypatch.setattr(denoise, "enhance_channels", counting)
    blocked = post(SMALL, "v1/audio/enhance/", wav_bytes(x), tmp_path)
    blocks_seen, seen[:] = list(seen), []
    whole = post(WHOLE, "v1/audio/enhance/", wav_bytes(x), tmp_path)

    assert len(blocks_seen) >= 8 and max(blocks_seen) <= (8.0 + 0.5 + 2 * 1.0) * SR * 1.2
    assert seen == [len(x)]
    assert int(blocked.headers["content-length"]) == len(blocked.content)
    a, b = samples(blocked), samples(whole)
    assert len(a) == len(b) == len(x)
    assert relative_db(a, b) < -25.0  # each block weighs its own noise (RNNoise trust)
    assert np.abs(np.diff(a)).max() < 1.5 * np.abs(np.diff(b)).max()  # no click at joins


def test_a_long_dereverb_keeps_the_length_without_clicks(tmp_path):
    x = talk_like(40.0, seed=1)
    a = samples(post(SMALL, "v1/audio/dereverb/", wav_bytes(x), tmp_path, type="reverb"))
    b = samples(post(WHOLE, "v1/audio/dereverb/", wav_bytes(x), tmp_path, type="reverb"))
    assert len(a) == len(b) == len(x)
    assert relative_db(a, b) < -20.0
    step = np.abs(np.diff(a))
    assert step.max() < 3 * np.abs(np.diff(b)).max()


def test_long_stems_still_sum_to_the_input_and_are_served_from_files(tmp_path):
    x = talk_like(40.0, seed=2)
    app = create_app(EngineConfig(blocks=SMALL, async_threshold_seconds=1e9,
                                  data_dir=tmp_path / "stems"))
    with httpx.Client(transport=InProcessTransport(app), base_url="http://engine.local/",
                      headers={"Authorization": f"Bearer {DEV_KEY}"}, timeout=600) as c:
        r = c.post("v1/audio/separate/", files={"file": ("talk.wav", wav_bytes(x))})
        assert r.status_code == 200, r.text
        stems = {name: samples(c.get(url)) for name, url in r.json()["stems"].items()}
    assert set(stems) == {"vocals", "accompaniment"}
    assert all(len(s) == len(x) for s in stems.values())
    assert np.max(np.abs(stems["vocals"] + stems["accompaniment"] - x)) < 2e-3
    assert len(list((tmp_path / "stems" / "files").glob("stem_*.wav"))) == 2


@pytest.mark.parametrize("path", ["v1/audio/enhance/", "v1/audio/dereverb/"])
def test_a_clip_shorter_than_a_block_answers_the_same_bytes_as_in_memory(tmp_path, path):
    x = talk_like(6.0, seed=3)
    data = wav_bytes(x)
    r = post(SMALL, path, data, tmp_path)
    decoded = sf.read(io.BytesIO(data), dtype="float32")[0]
    if path.endswith("enhance/"):
        out, sr = denoise.enhance(decoded, SR)
    else:
        out, sr = reverb.dereverb(decoded, SR)
    assert r.content == engine_audio.encode(out, sr, "wav")
