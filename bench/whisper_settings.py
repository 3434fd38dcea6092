"""Local engine: WER of Whisper tiny.en per decode setting on the quality benchmark's speech set.

Each row changes one thing against the engine's current decode (``stt_whisper.DECODE``), run
through ``recognition.transcribe`` so the pre-denoise of noisy input is included; the real-time
factor is audio seconds per processing second with two CPU threads.

    python bench/whisper_settings.py [--conditions "clean,pink 10 dB"]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ["TTSAI_ENGINE_CLASSICAL"] = "0"

import numpy as np

import _quality_data as data
import _quality_metrics as m

NEUTRAL_PROMPT = "Hello. Here is a short recording of a person speaking clearly."


def peak_norm(x: np.ndarray) -> np.ndarray:
    return (0.9 * x / max(1e-9, float(np.max(np.abs(x))))).astype(np.float32)


def rms_norm(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x ** 2)))
    return np.clip(x * (0.1 / max(rms, 1e-9)), -1, 1).astype(np.float32)


def slower(x: np.ndarray) -> np.ndarray:
    from ttsai_plugin.local.processing import buffers
    return buffers.resample(x, 9, 10).astype(np.float32)


def padded(x: np.ndarray) -> np.ndarray:
    pad = np.zeros(16000, np.float32)
    return np.concatenate([pad, x, pad])


def chunked(transcribe16k):
    """Each pause-separated region decoded on its own (energy regions, 0.15 s context)."""
    from ttsai_plugin.local.processing import recognition

    def run(x, *, timestamps):
        hop, pad = recognition.RATE // recognition.FRAME_RATE, int(0.15 * recognition.RATE)
        out = []
        for a, b in recognition.speech_regions(x) or [(0, len(x) // hop)]:
            out += transcribe16k(x[max(0, a * hop - pad): b * hop + pad], timestamps=timestamps)
        return out
    return run


SETTINGS = {
    "current": {},
    "greedy (beam 1)": {"beam_size": 1},
    "no temperature fallback": {"temperature": 0.0},
    "condition_on_previous on": {"condition_on_previous_text": True},
    "VAD off": {"vad_filter": False},
    "no timestamps tokens": {"without_timestamps": True},
    "neutral initial prompt": {"initial_prompt": NEUTRAL_PROMPT},
    "beam 5 patience 2": {"patience": 2.0},
    "peak-normalised to 0.9": {"_pre": peak_norm},
    "RMS-normalised to -20 dBFS": {"_pre": rms_norm},
    "no DFN pre-denoise": {"_no_dfn": True},
    "DFN pre-denoise strength 2": {"_dfn": 2},
    "beam 10": {"beam_size": 10},
    "no suppressed tokens": {"suppress_tokens": []},
    "1 s silence padding": {"_pre": padded},
    "played 0.9x slower": {"_pre": slower},
    "chunked at pauses": {"_chunk": True},
    "VAD pad 600 ms thr 0.35": {"vad_parameters": {"min_silence_duration_ms": 300,
                                                    "speech_pad_ms": 600, "threshold": 0.35}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", default="clean,pink 10 dB")
    parser.add_argument("--settings", default="", help="comma-separated row names")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits
    from ttsai_plugin.local.processing import recognition, stt_whisper

    utts = data.utterances()
    conds = {"clean": lambda u, i: u.audio}
    for kind in ("pink", "babble"):
        for snr in (0, 5, 10):
            conds[f"{kind} {snr} dB"] = (lambda u, i, k=kind, s=snr:
                                         data.mix(u.audio, k, s, seed=100 + i))
    names = [c.strip() for c in args.conditions.split(",")]
    inputs = {c: [(u, conds[c](u, i)) for i, u in enumerate(utts)] for c in names}
    wanted = [s.strip() for s in args.settings.split(",") if s.strip()] or list(SETTINGS)
    base = dict(stt_whisper.DECODE)
    real_noisy, base_dfn = recognition.is_noisy, recognition.WHISPER_DENOISE
    real_t16 = stt_whisper.transcribe16k
    print("setting".ljust(28) + "".join(c.rjust(14) for c in names) + "RTF".rjust(8))
    with threadpool_limits(2):
        stt_whisper.model()
        for label in wanted:
            opts = dict(SETTINGS[label])
            pre = opts.pop("_pre", None)
            recognition.is_noisy = (lambda x: False) if opts.pop("_no_dfn", False) else real_noisy
            recognition.WHISPER_DENOISE = opts.pop("_dfn", base_dfn)
            stt_whisper.transcribe16k = chunked(real_t16) if opts.pop("_chunk", False) else real_t16
            stt_whisper.DECODE.clear()
            stt_whisper.DECODE.update({**base, **opts})
            cells, audio_s, spent = [], 0.0, 0.0
            for c in names:
                pairs = []
                for u, x in inputs[c]:
                    x = pre(x) if pre else x
                    t = time.perf_counter()
                    out = recognition.transcribe(x, data.RATE)
                    spent += time.perf_counter() - t
                    audio_s += len(x) / data.RATE
                    pairs.append((u.text, out["text"]))
                cells.append(m.wer(pairs))
                if os.environ.get("SWEEP_VERBOSE"):
                    for r, h in pairs:
                        print("   ", c, "|", h)
            print(label.ljust(28) + "".join(f"{w:.1%}".rjust(14) for w in cells)
                  + f"{audio_s / spent:.1f}x".rjust(8), flush=True)
    recognition.is_noisy, stt_whisper.transcribe16k = real_noisy, real_t16


if __name__ == "__main__":
    main()
