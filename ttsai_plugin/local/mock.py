"""Mocked routes: what cannot be done offline (translation, cloning, voice conversion,
restyling, a chat model) answers in a clearly labelled mock mode.

Every mocked answer carries ``X-TTSAI-Mock: <what was mocked>`` and, in JSON, ``"mock"``.
The audio is still real: speech is recognised locally and spoken again by espeak-ng.
"""
from __future__ import annotations

import secrets

import numpy as np
from werkzeug.wrappers import Response

from . import audio, credits, models, voices
from .context import RequestContext, audio_response
from .errors import bad_request, json_response
from .params import check_text
from .processing import recognition, speech
from .routes.speech import language_param

EMOTIONS = ("neutral", "happy", "sad", "aggressive", "excited")
CLONE_FORMATS = ("mp3", "wav", "flac")


def _mocked(resp: Response, label: str) -> Response:
    resp.headers["X-TTSAI-Mock"] = label
    return resp


def _transcript(samples: np.ndarray, sr: int, field: str = "file") -> dict:
    result = recognition.transcribe(samples, sr)
    if not result.get("text", "").strip():
        raise bad_request(f"{field}: no speech was recognised, so there is nothing to re-speak.",
                          field=field)
    return result


def _respeak(text: str, voice_id: str, target_seconds: float | None = None,
             speed: float = 1.0) -> tuple[np.ndarray, int]:
    """Speak ``text``; with ``target_seconds``, at the speed that lands near that duration."""
    samples, sr = speech.synthesize(text, voice_id, speed=speed)
    if target_seconds:
        ratio = audio.duration(samples, sr) / target_seconds
        if abs(ratio - 1) > 0.1:
            samples, sr = speech.synthesize(text, voice_id, speed=min(2.0, max(0.5, ratio * speed)))
    return samples, sr


def _exact_length(samples: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    """Stretch (pitch kept) and pad to exactly ``seconds``: a conversion keeps the timing of
    what was sent, as the service's does."""
    import librosa
    want = int(round(seconds * sr))
    if want <= 0 or len(samples) == 0:
        return samples
    if abs(len(samples) / want - 1) > 0.01:
        samples = librosa.effects.time_stretch(samples.astype(np.float32),
                                               rate=len(samples) / want)
    fitted = np.zeros(want, dtype=np.float32)
    fitted[:min(want, len(samples))] = samples[:want]
    return fitted


SHIFT_SEMITONES = {("male", "female"): 5.0, ("female", "male"): -5.0}


def _convert(samples: np.ndarray, sr: int, voice: dict, speed: float = 1.0
             ) -> tuple[np.ndarray, int, str]:
    """Re-speak the recognised words with ``voice``; with no words, shift the pitch toward the
    voice's gender instead. Returns the audio and how it was made (for the mock label)."""
    seconds = audio.duration(samples, sr)
    text = recognition.transcribe(samples, sr).get("text", "").strip()
    if text:
        out, out_sr = _respeak(text, voice["id"], target_seconds=seconds / speed, speed=speed)
        out = _exact_length(out, out_sr, seconds / speed)
        return out, out_sr, f"the recognised speech re-spoken by the local voice {voice['id']}"
    import librosa
    steps = SHIFT_SEMITONES.get((voices.gender_of(samples, sr), voice.get("gender")), 0.0)
    x = samples.T if samples.ndim == 2 else samples
    if steps:
        x = librosa.effects.pitch_shift(x, sr=sr, n_steps=steps)
    if speed != 1.0:
        x = librosa.effects.time_stretch(x, rate=speed)
    return (x.T if samples.ndim == 2 else x).astype(np.float32), sr, (
        f"no speech recognised, so the audio was pitch-shifted {steps:+g} semitones toward "
        f"the local voice {voice['id']}")


def speech_translate(ctx: RequestContext) -> Response:
    p = ctx.params
    target = p.text("target_language", required=True).strip().lower()
    voice = voices.find(p.text("voice")) if p.has("voice") else None
    preserve = p.boolean("preserve_voice", False)
    if voice is None:
        voices.for_language(target, field="target_language")  # 400 before any work
    samples, sr = ctx.decode("file")
    ctx.bill(credits.per_second("speech_translate", audio.duration(samples, sr)))
    heard = _transcript(samples, sr)
    if voice is None:
        gender = voices.gender_of(samples, sr) if preserve else None
        voice = voices.for_language(target, gender=gender, field="target_language")
    out, out_sr = speech.synthesize(heard["text"], voice["id"], language=target)
    file_id = ctx.engine.files.put(audio.encode(out, out_sr, "mp3"), "mp3", prefix="translate")
    label = (f"speech-translate: no offline translation; the recognised text is tagged "
             f"[{target}] and spoken by the local voice {voice['id']}")
    body = {"original_text": heard["text"], "translated_text": f"[{target}] {heard['text']}",
            "source_language": heard.get("language"), "target_language": target,
            "audio_url": ctx.file_url(file_id),
            "credits_used": credits.as_number(ctx.charge.amount), "mock": label}
    return _mocked(json_response(body), label)


def clone(ctx: RequestContext) -> Response:
    p = ctx.params
    models.resolve("clone", p.text("model"))
    text = p.text("text", required=True)
    check_text(text, ctx.caller.plan)
    fmt = p.choice("format", CLONE_FORMATS, "mp3")
    language = language_param(ctx) or "en"
    voices.for_language(language)
    samples, sr = ctx.decode("reference_audio")
    ctx.bill(credits.per_chars(credits.PER_1K_CHARS["clone"], len(text)))
    voice = voices.for_language(language, gender=voices.gender_of(samples, sr))
    out, out_sr = speech.synthesize(text, voice["id"], language=language)
    label = (f"clone: voice cloning needs a neural model; spoken by the closest local voice "
             f"{voice['id']} ({voice.get('gender') or 'any'} {language})")
    return audio_response(out, out_sr, fmt, mock=label)


def voice_convert(ctx: RequestContext) -> Response:
    p = ctx.params
    voice = voices.find(p.text("target_voice", required=True))
    models.resolve("voice_convert", p.text("model"))
    fmt = p.choice("format", CLONE_FORMATS, "wav")
    samples, sr = ctx.decode("file")
    ctx.bill(credits.per_second("voice_convert", audio.duration(samples, sr)))
    out, out_sr, how = _convert(samples, sr, voice)
    return audio_response(out, out_sr, fmt, mock=f"voice-convert: {how}")


def speech_to_speech(ctx: RequestContext) -> Response:
    p = ctx.params
    voice = voices.find(p.text("voice", required=True))
    models.resolve("speech_to_speech", p.text("model"))
    emotion = p.choice("emotion", EMOTIONS, "neutral")
    speed = p.number("speed", 0.5, 2.0, 1.0)
    fmt = p.choice("format", CLONE_FORMATS, "wav")
    samples, sr = ctx.decode("file")
    ctx.bill(credits.per_second("speech_to_speech", audio.duration(samples, sr)))
    out, out_sr, how = _convert(samples, sr, voice, speed)
    label = f"speech-to-speech: {how}; emotion {emotion!r} not rendered"
    return audio_response(out, out_sr, fmt, mock=label)


def voice_chat(ctx: RequestContext) -> Response:
    p = ctx.params
    voice = voices.find(p.text("voice") or "af_bella")
    models.resolve("voice_chat", p.text("tts_model"), field="tts_model")
    conversation = p.text("conversation_id") or f"conv_{secrets.token_hex(8)}"
    if "audio" in p.files:
        samples, sr = ctx.decode("audio")
        user_text = _transcript(samples, sr, "audio")["text"]
    else:
        user_text = p.text("text")
        if not user_text:
            raise bad_request("audio or text is required (one of them).", field="text")
    check_text(user_text, ctx.caller.plan)
    ctx.bill(credits.PER_TURN["voice_chat"])
    ai_text = f"You said: {user_text}"
    out, out_sr = speech.synthesize(ai_text, voice["id"])
    file_id = ctx.engine.files.put(audio.encode(out, out_sr, "mp3"), "mp3", prefix="chat")
    label = "voice-chat: no language model offline; the reply repeats your words"
    body = {"conversation_id": conversation, "user_text": user_text, "ai_text": ai_text,
            "audio_url": ctx.file_url(file_id),
            "credits_used": credits.as_number(ctx.charge.amount), "mock": label}
    return _mocked(json_response(body), label)
