"""Child process of ``_common.engine``: the local engine on loopback until stdin closes.

The app is wrapped in ``_common.ServerTiming`` so every answer says how long the server spent
(``Server-Timing: app;dur=<ms>``, the added latency included): benchmarks subtract it.
"""
from __future__ import annotations

import json
import logging
import sys
import threading

from werkzeug.serving import make_server

from _common import ServerTiming
from ttsai_plugin.local import EngineConfig, FaultConfig, create_app


def serve_until_stdin_closes(app) -> None:
    """Serve ``app`` on a free loopback port, print its URL, stop when the parent closes stdin."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_port}/v1/", flush=True)
    try:
        sys.stdin.read()
    finally:
        server.shutdown()


def fast_processing() -> None:
    """Swap the engine's DSP/ASR for pass-throughs (enhance/dereverb return their input, stems
    split it in halves, speech-to-text makes one segment per stretch of sound), so an hour of
    audio costs the server only ``realtime_factor`` × its length: what the long-run benchmark
    measures is the client's orchestration, not this machine's pocketsphinx."""
    import numpy as np

    from ttsai_plugin.local.processing import denoise, recognition, reverb, separation
    from ttsai_plugin.workflows.captions import speech_spans

    def transcribe(samples, sr, *, language=None, timestamps=False):
        mono = samples if samples.ndim == 1 else samples.mean(axis=1)
        step = max(1, sr // 8000)
        spans = speech_spans(mono[::step], sr // step)
        segments = [{"start": a, "end": b, "text": f"words at {a:.1f}"} for a, b in spans]
        return {"text": " ".join(s["text"] for s in segments), "language": language or "en",
                "duration": len(mono) / sr, "segments": segments if timestamps else []}

    def halves(samples, sr, *, stems=2):
        half = np.asarray(samples, np.float32) * 0.5
        return {"vocals": half, "accompaniment": half}, sr, None

    denoise.enhance = lambda samples, sr, **_: (samples, sr)
    reverb.dereverb = lambda samples, sr, **_: (samples, sr)
    # long uploads go block by block through the per-channel functions instead
    denoise.enhance_channels = lambda chans, sr, **_: (chans, sr)
    reverb.dereverb_channels = lambda chans, sr, settings: chans
    recognition.transcribe = transcribe
    # the stt route prepares, then recognizes
    recognition.prepare = lambda samples, sr, *, language=None: (samples, sr, language)
    recognition.recognize = lambda prepared, *, timestamps=False: transcribe(
        prepared[0], prepared[1], language=prepared[2], timestamps=timestamps)
    separation.separate = halves


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    config = json.loads(sys.argv[1])
    keys = config["keys"]
    if config.get("fast"):
        fast_processing()
    app = create_app(EngineConfig(keys=keys, credits={k: 1e9 for k in keys},
                                  latency=config["latency"],
                                  realtime_factor=config.get("realtime_factor", 0.0),
                                  faults=FaultConfig(**config["faults"]),
                                  data_dir=config["data_dir"]))
    serve_until_stdin_closes(ServerTiming(app, config.get("timing_log")))


if __name__ == "__main__":
    main()
