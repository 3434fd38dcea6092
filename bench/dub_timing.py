"""Dub timing: how far each dubbed sentence starts from the original, whether the music
survives, and what the studio dub's extra calls cost.

Clips are espeak-ng sentences at known (random) times over synthetic music, made once. Ours
is ``workflows.dub`` as the editor calls it (per sentence, background kept as its own track);
the baseline is the dub before this change (``timing="clip", keep_background=False``: one call,
the whole dub stretched or left at its length, the music gone). Both run against the local
engine in its own process, with no cache, so every call is made and billed.

    python bench/dub_timing.py [--clips 6] [--seed 15]
"""
from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

import _common

GOAL_MS = 100.0
POOL = ("Hello and welcome to the show.", "Today we dub this talk into Spanish.",
        "Thank you for watching.", "The music keeps playing under every line.",
        "Each sentence should start where it was said.", "Please subscribe for more.",
        "We will be right back after this.", "That was a long day in the studio.")


def layouts(n: int, seed: int) -> list[tuple[tuple[tuple[str, float], ...], float, float]]:
    """``n`` clips: 3–4 sentences with 0.6–2.0 s pauses, the music 12–20 dB under the voice."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t, sentences = rng.uniform(0.3, 1.2), []
        for text in rng.sample(POOL, rng.choice((3, 4))):
            sentences.append((text, round(t, 2)))
            t += 0.075 * len(text) + rng.uniform(0.6, 2.0)   # ~espeak's pace, then a pause
        out.append((tuple(sentences), round(t + 0.5, 1), -rng.uniform(12, 20)))
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.abs(values), q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    from ttsai_plugin import workflows
    from ttsai_plugin.api import TTSAIClient
    from ttsai_plugin.clips import Clip
    from ttsai_plugin.workflows.context import Context

    from tests import media_factory
    from tests.studio_checks import correlation, mono, onset_errors

    _common.banner(f"dub timing: {args.clips} talks over music, per sentence vs whole clip")
    runs = {"ours": dict(mix=False), "baseline": dict(timing="clip", keep_background=False)}
    errors: dict[str, list[float]] = {k: [] for k in runs}
    missed = dict.fromkeys(runs, 0)
    beds: dict[str, list[float]] = {k: [] for k in runs}
    credits = dict.fromkeys(runs, 0.0)
    calls = {k: {} for k in runs}
    seconds = dict.fromkeys(runs, 0.0)
    with tempfile.TemporaryDirectory() as tmp, _common.engine() as eng:
        tmp_p = Path(tmp)
        stats = _common.WireStats()
        client = TTSAIClient(api_key=_common.DEV_KEY, base_url=eng.url, plan="pro",
                             transport=_common.CountingTransport(stats))
        with client:
            for i, (sentences, length, bed_db) in enumerate(layouts(args.clips, args.seed)):
                path, true_bed, spans = media_factory.talk_over_music(
                    _common.cache_dir(), f"dub_timing_{args.seed}_{i}.wav", sentences=sentences,
                    seconds=length, bed_db=bed_db)
                starts = [a for a, _b in spans]
                for name, opts in runs.items():
                    before = dict(stats.paths)
                    done = _common.timed(workflows.dub, Context(client, tmp_p / f"{name}-{i}"),
                                         Clip(path), target_language="es", **opts)
                    if done.error:
                        raise done.error
                    result = done.value
                    voice = [p for p in result.audio if ".bed." not in p.path.name][0]
                    errs = onset_errors(voice.path, starts)
                    missed[name] += sum(e is None for e in errs)
                    errors[name] += [e for e in errs if e is not None]
                    bed = [p for p in result.audio if ".bed." in p.path.name]
                    beds[name].append(correlation(mono(bed[0].path if bed else voice.path),
                                                  mono(true_bed)))
                    credits[name] += result.credits_used
                    seconds[name] += done.seconds
                    for k, v in stats.paths.items():
                        if v - before.get(k, 0) and "/files/" not in k:
                            calls[name][k] = calls[name].get(k, 0) + v - before.get(k, 0)
                    shown = ", ".join("—" if e is None else f"{e * 1000:+.0f}" for e in errs)
                    print(f"clip {i} ({length:.1f} s, {len(spans)} sentences, bed {bed_db:.0f} dB) "
                          f"{name:>8}: onset ms [{shown}]  bed corr {beds[name][-1]:.2f}  "
                          f"{result.credits_used:g} credits  {done.seconds:.1f} s", flush=True)
    for name in runs:
        e = errors[name]
        within = sum(abs(x) <= GOAL_MS / 1000 for x in e)
        print(f"{name:>8}: onset error |ms| median {percentile(e, 50) * 1000:.0f}, "
              f"p95 {percentile(e, 95) * 1000:.0f}, max {percentile(e, 100) * 1000:.0f}; "
              f"{within}/{len(e) + missed[name]} within {GOAL_MS:.0f} ms ({missed[name]} not "
              f"found); bed correlation min {min(beds[name]):.2f}, median "
              f"{float(np.median(beds[name])):.2f}; {credits[name]:g} credits; "
              f"calls {calls[name]}; {seconds[name]:.1f} s wall")
    ours_p95, base_p95 = percentile(errors["ours"], 95) * 1000, percentile(errors["baseline"], 95) * 1000
    _common.result("dub_onset_p95", ours=ours_p95, baseline=base_p95, unit="ms",
                   goal=f"<={GOAL_MS:.0f}ms", met=ours_p95 <= GOAL_MS and not missed["ours"])
    _common.result("dub_bed_correlation", ours=min(beds["ours"]), baseline=min(beds["baseline"]),
                   goal=">=0.8", met=min(beds["ours"]) >= 0.8)
    _common.result("dub_credits", ours=credits["ours"], baseline=credits["baseline"],
                   goal="reported", met=True)


if __name__ == "__main__":
    main()
