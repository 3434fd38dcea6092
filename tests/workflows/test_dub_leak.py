"""A quiet bed under a dub must not carry the original voice: what the separation left of the
speech in the bed during a line goes to the speech stem, and the stems still sum to the source."""
from __future__ import annotations

import numpy as np
import soundfile as sf

from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.dub_leak import cap_leak


def test_voice_left_in_a_quiet_bed_moves_to_the_speech_stem(tmp_path):
    rate = 16000
    t = np.arange(rate * 6) / rate
    music = (0.05 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    voice = np.zeros_like(music)
    line = (t >= 2.0) & (t < 4.0)
    voice[line] = 0.2 * np.sin(2 * np.pi * 1000 * t[line]) * np.hanning(line.sum())
    bed_in = music + voice                      # the separation left the whole voice in the bed
    speech_in = np.zeros_like(music)
    bed, speech = tmp_path / "bed.wav", tmp_path / "speech.wav"
    sf.write(bed, bed_in, rate, subtype="FLOAT")
    sf.write(speech, speech_in, rate, subtype="FLOAT")

    cap_leak(Context(None, tmp_path), bed, speech, [(2.0, 4.0)])

    bed_out, _ = sf.read(bed, dtype="float32")
    speech_out, _ = sf.read(speech, dtype="float32")
    left = float(np.dot(bed_out[line], voice[line]) / np.dot(voice[line], voice[line]))
    assert left < 0.2, f"{left:.0%} of the voice is still in the bed"
    assert np.corrcoef(bed_out, music)[0, 1] > 0.95
    assert np.abs(bed_out + speech_out - (bed_in + speech_in)).max() < 1e-3
    pause = t < 1.5
    assert np.allclose(bed_out[pause], bed_in[pause])
