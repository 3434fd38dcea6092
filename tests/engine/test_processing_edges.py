"""Every processing function takes odd but valid buffers and refuses broken ones clearly."""
from __future__ import annotations

import numpy as np
import pytest

from ttsai_plugin.errors import BadRequestError
from ttsai_plugin.local.processing import analysis, denoise, recognition, reverb, separation

RUNS = {
    "enhance": lambda x, sr: denoise.enhance(x, sr, super_resolution=True)[0],
    "dereverb": lambda x, sr: reverb.dereverb(x, sr)[0],
    "separate": lambda x, sr: separation.separate(x, sr, stems=4)[0]["vocals"],
    "transcribe": lambda x, sr: recognition.transcribe(x, sr, timestamps=True),
}


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize("shape", [(1,), (10,), (479, 1), (4410, 2)])
def test_tiny_clips_in_any_channel_layout_come_back_whole(name, shape):
    x = np.random.default_rng(0).normal(0, 0.1, shape).astype(np.float32)
    out = RUNS[name](x, 8000)
    if isinstance(out, dict):
        assert out["duration"] == pytest.approx(shape[0] / 8000, abs=1e-3)
    else:
        assert out.shape[1:] == x.shape[1:] and np.all(np.isfinite(out))
        assert out.shape[0] == (6 * shape[0] if name == "enhance" else shape[0])


@pytest.mark.parametrize("name", sorted(RUNS) + ["analyze"])
@pytest.mark.parametrize("bad", [np.zeros(0, np.float32), np.zeros((2, 8000), np.float32),
                                 np.ones(100, np.int16), np.full(100, np.nan, np.float32)],
                         ids=["empty", "channels-first", "integers", "nan"])
def test_broken_buffers_are_bad_requests_with_a_reason(name, bad):
    run = RUNS.get(name) or (lambda x, sr: analysis.analyze(x, sr))
    with pytest.raises(BadRequestError) as err:
        run(bad, 8000)
    assert err.value.status == 400 and err.value.hint


def test_a_missing_engine_library_is_a_500_that_says_how_to_install_it(monkeypatch):
    import sys

    from ttsai_plugin.errors import InternalServerError
    from ttsai_plugin.local.processing import denoise as module

    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "1")                # the RNNoise path
    monkeypatch.setitem(sys.modules, "pyrnnoise.rnnoise", None)      # import now fails
    monkeypatch.delitem(sys.modules, "_ttsai_rnnoise", raising=False)
    monkeypatch.setattr(module.importlib.util, "find_spec", lambda *a, **k: None)  # not installed
    with pytest.raises(InternalServerError) as err:
        module.enhance(np.zeros(4800, np.float32), 48000)
    assert "pyrnnoise" in str(err.value) and "ttsai-plugin[engine]" in err.value.hint
