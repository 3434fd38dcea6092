"""The one table of TTS.ai endpoint paths, relative to the base URL.

Paths marked *inferred* in ``shared/api-contract.md`` live here too, so a change on the
vendor's side is a one-line fix.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API: its HTTP method, path and upload limit (bytes, or None)."""

    name: str
    method: str
    path: str
    upload_limit: int | None = None
    billed: bool = True


MB = 1024 * 1024

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("tts", "POST", "tts/"),
        Endpoint("stt", "POST", "stt/", 100 * MB),
        Endpoint("clone", "POST", "tts/clone/", 20 * MB),
        Endpoint("voice_convert", "POST", "voice-convert/", 50 * MB),
        Endpoint("speech_translate", "POST", "speech-translate/", 100 * MB),
        Endpoint("speech_to_speech", "POST", "speech-to-speech/", 50 * MB),
        Endpoint("enhance", "POST", "audio/enhance/", 100 * MB),
        Endpoint("dereverb", "POST", "audio/dereverb/", 100 * MB),
        Endpoint("separate", "POST", "audio/separate/", 100 * MB),
        Endpoint("analyze", "POST", "audio/analyze/", 100 * MB, billed=False),
        Endpoint("convert", "POST", "audio/convert/", 100 * MB, billed=False),
        Endpoint("voice_chat", "POST", "voice-chat/", 100 * MB),
        Endpoint("models", "GET", "models/", billed=False),
        Endpoint("voices", "GET", "voices/", billed=False),
        Endpoint("result", "GET", "results/{task_id}", billed=False),
    )
}


def endpoint(name: str) -> Endpoint:
    """Look up an endpoint by operation name; KeyError names the known ones."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}") from None
