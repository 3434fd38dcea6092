"""Local engine: quality of its offline processing, new methods beside the previous ones.

A fixed-seed test set is made at run time (``_quality_data``): espeak-ng and Piper sentences,
pink/babble/hum noise at 0/5/10 dB, synthetic rooms at RT60 0.3/0.6/1.0 s, songs with known
stems, and chord progressions in all 24 keys at five tempi. Every figure is measured through
the engine's own functions (``ttsai_plugin.local.processing``) with at most two CPU threads:

  stt       WER of Whisper tiny.en (new) and pocketsphinx (previous)
  denoise   SI-SDR / PESQ / STOI of DeepFilterNet3 (new), RNNoise (previous), the input (floor)
  dereverb  SI-SDR of WPE against the reverberant input
  separate  SDR per stem: REPET (new) and REPET-SIM (previous) for 2 stems; 4 stems
  analyze   key and BPM accuracy: harmonic chroma + Albrecht-Shanahan (new), plain chroma +
            Krumhansl-Kessler (previous)
and each op's real-time factor (audio seconds / processing seconds).

    python bench/engine_quality.py [--only stt,denoise,dereverb,separate,analyze] [--quick]
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np

import _common
import _quality_data as data
import _quality_metrics as m

THREADS = 2
SNRS = (0, 5, 10)
RT60S = (0.3, 0.6, 1.0)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def classical(on: bool) -> None:
    """Switch the engine between its neural backends and its classical ones."""
    os.environ["TTSAI_ENGINE_CLASSICAL"] = "1" if on else "0"


def row(*cells, widths=(26, 12, 12, 12, 12)) -> None:
    print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                    for i, (c, w) in enumerate(zip(cells, widths))), flush=True)


def f(x, unit="") -> str:
    return "n/a" if x is None else f"{x:.2f}{unit}"


def conditions(quick: bool) -> list[tuple[str, callable]]:
    out = [("clean", lambda u, i: u.audio)]
    for kind in ("pink", "babble", "hum"):
        for snr in (SNRS[-1:] if quick and kind != "pink" else SNRS):
            out.append((f"{kind} {snr} dB",
                        lambda u, i, k=kind, s=snr: data.mix(u.audio, k, s, seed=100 + i)))
    for rt in (RT60S[-1:] if quick else RT60S):
        out.append((f"room RT60 {rt} s", lambda u, i, r=rt: data.room(u.audio, r, seed=200 + i)))
    return out


def bench_stt(utts, quick: bool, rtf: dict, results: dict, only: str = "") -> None:
    from ttsai_plugin.local.processing import recognition
    print("\nspeech to text: WER (lower is better)")
    row("condition", "whisper", "pocketsphinx")
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    for name, make in conditions(quick):
        if wanted and name not in wanted:
            continue
        inputs = [(u, make(u, i)) for i, u in enumerate(utts)]
        scores = []
        for backend in ("whisper", "pocketsphinx"):
            classical(backend == "pocketsphinx")
            pairs, spent = [], 0.0
            for u, x in inputs:
                out, dt = timed(recognition.transcribe, x, data.RATE)
                pairs.append((u.text, out["text"]))
                spent += dt
            rtf.setdefault(f"stt_{backend}", []).append((sum(len(x) for _, x in inputs)
                                                         / data.RATE, spent))
            scores.append(m.wer(pairs))
            if name == "clean":
                print(f"    {backend} heard: {pairs[-1][1]!r}")
        results[("wer", name)] = scores
        row(name, f"{scores[0]:.1%}", f"{scores[1]:.1%}")
    classical(False)


def bench_denoise(utts, quick: bool, rtf: dict, results: dict) -> None:
    from ttsai_plugin.local.processing import denoise
    print("\ndenoise: SI-SDR dB / PESQ-WB / STOI (higher is better; clarity EQ off)")
    cols = ("input", "rnnoise", "deepfilter")
    row("condition", *cols, widths=(16, 22, 22, 22))
    for kind in ("pink", "babble", "hum"):
        for snr in SNRS:
            cells = {k: [] for k in cols}
            for i, u in enumerate(utts):
                x = data.mix(u.audio, kind, snr, seed=100 + i)
                outs = {"input": x}
                for label, off in (("rnnoise", True), ("deepfilter", False)):
                    classical(off)
                    (y, _), dt = timed(denoise.enhance, x, data.RATE, clarity=False)
                    rtf.setdefault(f"denoise_{label}", []).append((len(x) / data.RATE, dt))
                    outs[label] = y
                for label, y in outs.items():
                    cells[label].append((m.si_sdr(u.audio, y), m.pesq_wb(u.audio, y, data.RATE),
                                         m.stoi(u.audio, y, data.RATE)))
            means = {k: [m.mean([c[j] for c in v]) for j in range(3)] for k, v in cells.items()}
            results[("denoise", kind, snr)] = {k: v[0] for k, v in means.items()}
            row(f"{kind} {snr} dB", *(f"{f(a)} / {f(b)} / {f(c)}" for a, b, c in
                                     (means[k] for k in cols)),
                widths=(16, 22, 22, 22))
    classical(False)


def bench_dereverb(utts, rtf: dict, results: dict) -> None:
    from ttsai_plugin.local.processing import reverb
    print("\ndereverb: SI-SDR dB against the dry speech")
    row("room", "input", "wpe")
    for rt in RT60S:
        before, after = [], []
        for i, u in enumerate(utts):
            x = data.room(u.audio, rt, seed=200 + i)
            y, dt = timed(reverb.dereverb, x, data.RATE)
            y = y[0] if isinstance(y, tuple) else y
            rtf.setdefault("dereverb_wpe", []).append((len(x) / data.RATE, dt))
            before.append(m.si_sdr(u.audio, x))
            after.append(m.si_sdr(u.audio, y[: len(x)]))
        results[("dereverb", rt)] = (np.mean(before), np.mean(after))
        row(f"RT60 {rt} s", f(np.mean(before)), f(np.mean(after)))


def bench_separate(quick: bool, rtf: dict, results: dict) -> None:
    from ttsai_plugin.local.processing import separation
    print("\nseparate: SDR dB per stem (higher is better)")
    row("song", "repet voc", "repet acc", "sim voc", "sim acc", "4-stem d/b/o",
        widths=(14, 10, 10, 10, 10, 20))
    songs = [(v, s) for v in ("speech", "sung") for s in ((1,) if quick else (1, 2, 3))]
    for vocal, seed in songs:
        mix, stems = data.song(vocal, seed)
        acc = mix - stems["vocals"]
        scores = []
        for method in ("repet", "sim"):
            (out, _, _), dt = timed(separation.separate, mix, data.MUSIC_RATE, stems=2,
                                    method=method)
            rtf.setdefault(f"separate_{method}", []).append((len(mix) / data.MUSIC_RATE, dt))
            scores += [m.sdr(stems["vocals"], out["vocals"]), m.sdr(acc, out["accompaniment"])]
        (four, _, _), dt = timed(separation.separate, mix, data.MUSIC_RATE, stems=4)
        rtf.setdefault("separate_4stem", []).append((len(mix) / data.MUSIC_RATE, dt))
        four_sdr = [m.sdr(stems[k], four[k]) for k in ("drums", "bass", "other")]
        results[("separate", vocal, seed)] = scores + four_sdr
        row(f"{vocal} #{seed}", *(f(s) for s in scores), "/".join(f"{s:.1f}" for s in four_sdr),
            widths=(14, 10, 10, 10, 10, 20))


def bench_analyze(rtf: dict, results: dict) -> None:
    import librosa
    from ttsai_plugin.local.processing import analysis, buffers
    print("\nanalyze: key and tempo on 24 keys x 5 tempi (8 s each)")
    new_ok = old_ok = bpm_ok = bpm_oct = 0
    misses = []
    items = data.key_set()
    for name, bpm, mix in items:
        out, dt = timed(analysis.analyze, mix, data.MUSIC_RATE)
        rtf.setdefault("analyze", []).append((len(mix) / data.MUSIC_RATE, dt))
        got = f"{out['key']} {out['scale']}"
        new_ok += got == name
        y = buffers.resample(mix, data.MUSIC_RATE, analysis.RATE)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chroma = librosa.feature.chroma_cqt(y=y, sr=analysis.RATE, hop_length=analysis.HOP)
        tonic, scale = analysis.key_of(chroma.mean(axis=1), analysis.KK_PROFILES)
        old_ok += f"{analysis.NAMES[tonic]} {scale}" == name
        bpm_ok += abs(out["bpm"] - bpm) <= 0.02 * bpm
        bpm_oct += any(abs(out["bpm"] - k * bpm) <= 0.02 * k * bpm for k in (0.5, 1, 2, 1 / 3, 3))
        if got != name:
            misses.append(f"{name}->{got}")
    n = len(items)
    results["key"] = (new_ok / n, old_ok / n)
    results["bpm"] = (bpm_ok / n, bpm_oct / n)
    row("key accuracy", f"{new_ok}/{n}", f"old {old_ok}/{n}")
    row("bpm within 2 %", f"{bpm_ok}/{n}", f"x2/x3 {bpm_oct}/{n}")
    if misses:
        print("    missed keys:", ", ".join(misses))


def report(results: dict, rtf: dict) -> None:
    print("\nreal-time factors (audio s / processing s, 2 threads)")
    factors = {op: sum(a for a, _ in v) / max(1e-9, sum(s for _, s in v)) for op, v in rtf.items()}
    for op, x in factors.items():
        row(op, f"{x:.1f}x")
    print()
    if ("wer", "clean") in results:
        new, old = results[("wer", "clean")]
        _common.result("engine_quality_wer_clean", ours=100 * new, baseline=100 * old, unit="%",
                       goal="<=15%", met=new <= 0.15)
    if ("wer", "pink 10 dB") in results:
        new, old = results[("wer", "pink 10 dB")]
        _common.result("engine_quality_wer_pink10", ours=100 * new, baseline=100 * old, unit="%",
                       goal="<=25%", met=new <= 0.25)
    if ("denoise", "babble", 0) in results:
        gains = {s: results[("denoise", "babble", s)] for s in SNRS}
        worst = min(g["deepfilter"] - g["input"] for g in gains.values())
        old = min(g["rnnoise"] - g["input"] for g in gains.values())
        _common.result("engine_quality_denoise_babble_worst_gain", ours=worst, baseline=old,
                       unit="dB", goal=">=0dB_at_every_SNR", met=worst >= 0)
        p0 = results[("denoise", "pink", 0)]
        gain = p0["deepfilter"] - p0["input"]
        _common.result("engine_quality_denoise_pink0_gain", ours=gain,
                       baseline=p0["rnnoise"] - p0["input"], unit="dB", goal=">=6dB",
                       met=gain >= 6)
    seps = [v for k, v in results.items() if isinstance(k, tuple) and k[0] == "separate"]
    if seps:
        new = float(np.mean([s[:2] for s in seps]))
        old = float(np.mean([s[2:4] for s in seps]))
        _common.result("engine_quality_separate2_mean_sdr", ours=new, baseline=old, unit="dB",
                       goal=">=5dB", met=new >= 5)
    if "key" in results:
        new, old = results["key"]
        _common.result("engine_quality_key_accuracy", ours=100 * new, baseline=100 * old,
                       unit="%", goal=">=95%", met=new >= 0.95)
    if factors:
        slowest = min(factors, key=factors.get)
        _common.result("engine_quality_slowest_rtf", ours=factors[slowest], baseline=None,
                       unit="x", goal=f">=1x({slowest})", met=factors[slowest] >= 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="stt,denoise,dereverb,separate,analyze")
    parser.add_argument("--quick", action="store_true", help="fewer conditions and songs")
    parser.add_argument("--stt-conditions", default="",
                        help='only these STT conditions, e.g. "clean,pink 10 dB"')
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits
    _common.banner("local engine quality (new vs previous methods, input as the floor)")
    ops = args.only.split(",")
    rtf: dict = {}
    results: dict = {}
    with threadpool_limits(THREADS):
        utts = data.utterances() if {"stt", "denoise", "dereverb"} & set(ops) else []
        if utts:
            print(f"speech set: {len(utts)} utterances "
                  f"({', '.join(sorted({u.source for u in utts}))}), "
                  f"{sum(len(u.audio) for u in utts) / data.RATE:.0f} s")
        if "stt" in ops:
            bench_stt(utts, args.quick, rtf, results, args.stt_conditions)
        if "denoise" in ops:
            bench_denoise(utts, args.quick, rtf, results)
        if "dereverb" in ops:
            bench_dereverb(utts, rtf, results)
        if "separate" in ops:
            bench_separate(args.quick, rtf, results)
        if "analyze" in ops:
            bench_analyze(rtf, results)
    report(results, rtf)


if __name__ == "__main__":
    main()
