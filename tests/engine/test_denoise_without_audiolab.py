"""The Blender extension ships pyrnnoise without audiolab/PyAV (its package front end's
dependencies): denoising must still use the very same RNNoise library."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.local.processing import denoise


@pytest.fixture
def without_audiolab(monkeypatch):
    """``import audiolab`` fails, and pyrnnoise has to be imported afresh; the classical
    engine runs, as in the Blender extension, which ships no ``neural`` extra."""
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "1")
    for name in [n for n in sys.modules if n == "pyrnnoise" or n.startswith(("pyrnnoise.",
                                                                               "audiolab"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "_ttsai_rnnoise", raising=False)
    monkeypatch.setitem(sys.modules, "audiolab", None)
    with pytest.raises(ImportError):
        import pyrnnoise.rnnoise  # noqa: F401
    yield
    sys.modules.pop("_ttsai_rnnoise", None)


def test_denoising_without_pyrnnoises_front_end_gives_the_same_audio(noisy_wav, without_audiolab,
                                                                      monkeypatch):
    noisy, sr = sf.read(noisy_wav, dtype="float32")
    out, out_sr = denoise.enhance(noisy, sr, clarity=False)
    assert "_ttsai_rnnoise" in sys.modules                   # the binding, loaded on its own
    monkeypatch.undo()                                       # audiolab importable again
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "1")
    sys.modules.pop("_ttsai_rnnoise", None)
    expected, _ = denoise.enhance(noisy, sr, clarity=False)
    assert out_sr == sr and np.array_equal(out, expected)
