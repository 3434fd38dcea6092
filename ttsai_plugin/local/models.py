"""The models list: the contract's model names, each mapped to what runs locally.

``credits_per_1k_chars`` follows the contract's tier table (free 1, standard 2, premium 4);
non-TTS models bill per second of audio and carry ``None`` there.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import EngineError

TIER_CREDITS = {"free": 1, "standard": 2, "premium": 4}


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    type: str
    tier: str
    languages: tuple[str, ...]
    supports_cloning: bool
    supports_streaming: bool
    local: str
    """What the local engine runs for this model."""

    @property
    def credits_per_1k_chars(self) -> float | None:
        return TIER_CREDITS[self.tier] if self.type == "tts" else None

    def to_json(self) -> dict:
        d = asdict(self)
        d["languages"] = list(self.languages)
        d["credits_per_1k_chars"] = self.credits_per_1k_chars
        return d


_ESPEAK_LANGS = ("en", "es", "fr", "de", "it", "pt", "nl", "ja", "ko", "zh", "ru", "ar", "hi", "pl")


def _tts(id_: str, name: str, tier: str, cloning: bool = False) -> Model:
    return Model(id_, name, "tts", tier, _ESPEAK_LANGS, cloning, True, "espeak-ng")


MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        _tts("espeak-ng", "eSpeak NG (local)", "free"),
        _tts("piper", "Piper", "free"),
        _tts("vits", "VITS", "free"),
        _tts("melotts", "MeloTTS", "free"),
        _tts("kokoro", "Kokoro", "standard"),
        _tts("cosyvoice2", "CosyVoice 2", "standard", cloning=True),
        _tts("tortoise", "Tortoise", "premium"),
        _tts("chatterbox", "Chatterbox", "premium", cloning=True),
        _tts("gpt-sovits", "GPT-SoVITS", "premium", cloning=True),
        Model("whisper", "Whisper", "stt", "standard", _ESPEAK_LANGS, False, False, "pocketsphinx"),
        Model("faster-whisper", "Faster Whisper", "stt", "standard", _ESPEAK_LANGS, False, False,
              "pocketsphinx"),
        Model("sensevoice", "SenseVoice", "stt", "standard", _ESPEAK_LANGS, False, False,
              "pocketsphinx"),
        Model("openvoice", "OpenVoice", "voice-conversion", "standard", _ESPEAK_LANGS, False,
              False, "mock: transcribe and re-speak"),
        Model("knn-vc", "kNN-VC", "voice-conversion", "standard", _ESPEAK_LANGS, False, False,
              "mock: transcribe and re-speak"),
        Model("demucs", "Demucs", "separation", "standard", (), False, False, "local separation"),
        Model("spleeter", "Spleeter", "separation", "standard", (), False, False,
              "local separation"),
    )
}

# Which models each operation takes, and its default (the first).
FOR_OPERATION: dict[str, tuple[str, ...]] = {
    "tts": ("kokoro", "espeak-ng", "piper", "vits", "melotts", "cosyvoice2", "tortoise",
            "chatterbox", "gpt-sovits"),
    "stt": ("whisper", "faster-whisper", "sensevoice"),
    "clone": ("chatterbox", "cosyvoice2", "gpt-sovits"),
    "voice_convert": ("openvoice", "knn-vc"),
    "speech_to_speech": ("openvoice", "chatterbox"),
    "separate": ("demucs", "spleeter"),
    "voice_chat": ("kokoro", "espeak-ng", "piper", "vits", "melotts", "cosyvoice2", "tortoise",
                   "chatterbox", "gpt-sovits"),
}


def resolve(operation: str, model_id: str | None, field: str = "model") -> Model:
    """The model for ``operation``: 404 for an unknown id, 400 for one of the wrong kind."""
    allowed = FOR_OPERATION[operation]
    if not model_id:
        return MODELS[allowed[0]]
    model = MODELS.get(model_id)
    if model is None:
        raise EngineError("not_found", f"Model {model_id!r} not found; "
                          f"{field} must be one of: {', '.join(allowed)}.", field=field)
    if model_id not in allowed:
        raise EngineError("bad_request", f"{field}: {model_id!r} cannot be used here; "
                          f"allowed values: {', '.join(allowed)}.", field=field,
                          allowed=list(allowed))
    return model


def models_json() -> dict:
    return {"models": [m.to_json() for m in MODELS.values()]}
