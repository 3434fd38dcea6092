"""Cache: asking for the same result twice — time and requests for the repeat.

Ours (the workflow with a ``ResultCache``) against the reference-style script, which has no
cache and simply asks again. Two stories: narrating the same text (the finished narration keyed
on the text and options) and enhancing the same clip (keyed on the digest of the extracted
range, memoised per source file identity, so an unchanged clip is neither cut out nor hashed). The engine runs in its own process with ``--latency`` per request, as a
real API would have. Goal: the repeat makes no request and takes under 20 ms.

    python bench/cache.py [--latency 0.3] [--repeat 5]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common
import baseline

GOAL_MS = 20.0
TEXT = ("The cache keeps every finished result, so asking for the same narration twice costs "
        "no second request and no second credit. ") * 4


def lookup_seconds(cache) -> float:
    """Best time of ``ResultCache.key`` + ``get`` for an entry stored in ``cache``."""
    key = cache.key("bench-lookup", {"text": TEXT, "voice": "af_bella"})
    if cache.get(key) is None:
        probe = cache.root / "lookup-probe.wav"
        probe.write_bytes(b"RIFF")
        cache.put(key, [probe])
    return _common.best_of(20, lambda: cache.get(cache.key("bench-lookup", {
        "text": TEXT, "voice": "af_bella"}))).seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from ttsai_plugin import workflows
    from ttsai_plugin.api import TTSAIClient
    from ttsai_plugin.cache import ResultCache
    from ttsai_plugin.clips import Clip
    from ttsai_plugin.workflows.context import Context

    _common.banner(f"cache: the same job twice ({args.latency * 1000:.0f} ms per request)")
    clip_src = _common.speech_clip(10)
    with tempfile.TemporaryDirectory() as tmp, _common.engine(latency=args.latency) as eng:
        tmp_p = Path(tmp)
        stats = _common.WireStats()
        cache = ResultCache(tmp_p / "cache")
        client = TTSAIClient(api_key=_common.DEV_KEY, base_url=eng.url, plan="pro",
                             transport=_common.CountingTransport(stats))
        stories = {
            "narrate": (lambda ctx: workflows.narrate(ctx, TEXT),
                        lambda out: baseline.tts(eng.url, _common.DEV_KEY, TEXT, out)),
            "enhance": (lambda ctx: workflows.enhance(ctx, Clip(media=clip_src, name="talk")),
                        lambda out: baseline.enhance(eng.url, _common.DEV_KEY, clip_src, out)),
        }
        with client:
            for name, (ours, naive) in stories.items():
                first = _common.timed(ours, Context(client, tmp_p / f"{name}-first", cache=cache))
                if first.error:
                    raise first.error
                repeats = []
                for i in range(args.repeat):
                    before = stats.requests
                    r = _common.timed(ours, Context(client, tmp_p / f"{name}-{i}", cache=cache))
                    if r.error:
                        raise r.error
                    assert r.value.cached, f"{name}: the repeat was not served from the cache"
                    repeats.append((r.seconds, stats.requests - before))
                naive_runs = [_common.timed(naive, tmp_p / f"{name}-naive{i}.wav")
                              for i in range(args.repeat)]
                o_sec, o_req = min(repeats)
                lookup = lookup_seconds(cache)
                n_sec = min(r.seconds for r in naive_runs)
                print(f"{name:>8}: first {first.seconds * 1000:7.1f} ms; repeat {o_sec * 1000:6.1f} ms "
                      f"with {o_req} request(s) (best of {args.repeat}); naive repeat "
                      f"{n_sec * 1000:7.1f} ms with 1 request; the cache lookup alone (key + "
                      f"get) {lookup * 1000:.2f} ms", flush=True)
                _common.result(f"cache_{name}", ours=o_sec * 1000, baseline=n_sec * 1000, unit="ms",
                               goal=f"0_requests,<{GOAL_MS:g}ms(made_{o_req})",
                               met=o_req == 0 and o_sec * 1000 < GOAL_MS)


if __name__ == "__main__":
    main()
