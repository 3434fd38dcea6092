"""The result cache: the same request twice costs one call, and no secret ever lands in it."""
from __future__ import annotations

import threading
import tracemalloc

import pytest

from ttsai_plugin import media
from ttsai_plugin.cache import ResultCache


class CountingService:
    """Stands in for a billed endpoint: writes a result file and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def enhance(self, src, out):
        self.calls += 1
        return media.normalize(src, out, target_lufs=-18.0)


def enhance_with_cache(cache, service, clip_audio, out_dir, options):
    key = cache.key("enhance", options, clip_audio)
    hit = cache.get(key)
    if hit is not None:
        return hit
    result = service.enhance(clip_audio, out_dir / "enhanced.wav")
    return cache.put(key, [result], operation="enhance", options=options)


def test_asking_twice_makes_one_call(tmp_path, talk_mp4):
    cache, service = ResultCache(tmp_path / "cache"), CountingService()
    used = media.extract(talk_mp4, tmp_path / "used.wav", start=0.5, end=4.0)
    first = enhance_with_cache(cache, service, used, tmp_path, {"strength": 2, "denoise": True})
    second = enhance_with_cache(cache, service, used, tmp_path, {"denoise": True, "strength": 2})
    assert service.calls == 1
    assert first == second and first[0].read_bytes() == (tmp_path / "enhanced.wav").read_bytes()
    other = media.extract(talk_mp4, tmp_path / "other.wav", start=0.5, end=4.5)
    enhance_with_cache(cache, service, other, tmp_path, {"strength": 2, "denoise": True})
    enhance_with_cache(cache, service, used, tmp_path, {"strength": 3, "denoise": True})
    assert service.calls == 3, "a different range or option is a different result"


def test_the_api_key_never_enters_the_cache(tmp_path, speech_wav):
    cache = ResultCache(tmp_path)
    secret = "sk-tts-0123456789abcdef"
    with_key = cache.key("stt", {"model": "whisper", "api_key": secret,
                                 "headers": {"Authorization": f"Bearer {secret}"}}, speech_wav)
    assert with_key == cache.key("stt", {"model": "whisper", "headers": {}}, speech_wav)
    cache.put(with_key, [speech_wav], operation="stt",
              options={"model": "whisper", "api_key": secret})
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix != ".wav":
            assert secret not in f.read_text("utf-8", "replace")
    with pytest.raises(ValueError, match="API key"):
        cache.key("stt", {"voice": secret})


def test_keys_are_hashed_by_streaming_not_loading(tmp_path):
    big = tmp_path / "big.raw"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    tracemalloc.start()
    ResultCache.key("separate", {"stems": 2}, big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_a_half_written_entry_is_a_miss_and_is_replaced(tmp_path, speech_wav):
    cache = ResultCache(tmp_path)
    key = cache.key("enhance", {}, speech_wav)
    folder = tmp_path / key[:2] / key
    folder.mkdir(parents=True)
    (folder / "00-speech.wav").write_bytes(b"half")  # crashed before the manifest
    assert cache.get(key) is None
    [stored] = cache.put(key, [speech_wav])
    assert stored.read_bytes() == speech_wav.read_bytes()
    assert cache.get(key) == [stored]
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_results_keep_their_order_and_survive_the_source_going_away(tmp_path):
    cache = ResultCache(tmp_path / "c")
    files = []
    for name in ("vocals.wav", "accompaniment.wav"):
        (tmp_path / name).write_bytes(name.encode())
        files.append(tmp_path / name)
    key = cache.key("separate", {"stems": 2}, b"input bytes")
    cache.put(key, files)
    for f in files:
        f.unlink()
    assert [p.read_bytes() for p in cache.get(key)] == [b"vocals.wav", b"accompaniment.wav"]


def test_racing_writers_agree(tmp_path, speech_wav):
    cache = ResultCache(tmp_path)
    key = cache.key("enhance", {"x": 1}, speech_wav)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.put(key, [speech_wav])))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({tuple(r) for r in results}) == 1 and cache.get(key) == results[0]


def test_prune_drops_the_least_recently_used(tmp_path):
    import os
    import time
    cache = ResultCache(tmp_path / "c")
    keys = []
    for i in range(3):
        (tmp_path / f"r{i}").write_bytes(b"x" * 1000)
        keys.append(cache.key("tts", {"i": i}))
        cache.put(keys[-1], [tmp_path / f"r{i}"])
    for age, k in zip((300, 200, 100), keys):
        then = time.time() - age
        os.utime(tmp_path / "c" / k[:2] / k / "manifest.json", (then, then))
    cache.get(keys[0])  # just used: it stays
    cache.prune(max_bytes=2500)
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    assert cache.get(keys[1]) is None
