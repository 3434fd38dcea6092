"""Speech routes: text to speech, speech to text, the models and voices lists, task results."""
from __future__ import annotations

import time

from werkzeug.wrappers import Response

from .. import audio, credits, models, voices, worker
from ..context import RequestContext, audio_response
from ..errors import json_response
from ..params import check_text
from ..processing import recognition, speech

TTS_FORMATS = ("mp3", "wav", "flac", "ogg")
GENDERS = ("male", "female", "neutral")


def language_param(ctx: RequestContext, name: str = "language") -> str | None:
    """An optional language code; ``auto`` (the contract's default) means detect."""
    lang = ctx.params.text(name)
    return None if lang is None or lang.strip().lower() == "auto" else lang.strip()


def tts(ctx: RequestContext) -> Response:
    p = ctx.params
    model = models.resolve("tts", p.text("model", required=True))
    text = p.text("text", required=True)
    check_text(text, ctx.caller.plan)
    voice = voices.find(p.text("voice", required=True))
    fmt = p.choice("format", TTS_FORMATS, "mp3")
    speed = p.number("speed", 0.5, 2.0, 1.0)
    language = language_param(ctx)
    stream = p.boolean("stream", False)
    ctx.bill(credits.per_chars(model.credits_per_1k_chars or 0, len(text)))
    started = time.monotonic()
    samples, sr = speech.synthesize(text, voice["id"], speed=speed, language=language)
    ctx.pace(audio.duration(samples, sr), started)
    return audio_response(samples, sr, fmt, stream=stream)


def stt(ctx: RequestContext) -> Response:
    p = ctx.params
    models.resolve("stt", p.text("model"))
    language = language_param(ctx)
    timestamps = p.boolean("timestamps", False)
    diarize = p.boolean("diarize", False)
    started = time.monotonic()
    upload = p.file("file")

    def work() -> tuple[float, dict]:
        samples, sr = audio.decode_upload(upload, "file")
        seconds = audio.duration(samples, sr)
        ctx.bill(credits.per_second("stt", seconds))
        speech = recognition.prepare(samples, sr, language=language)
        del samples  # not held while the model runs: Whisper's copy is a third of it
        return seconds, recognition.recognize(speech, timestamps=timestamps)

    # Whisper's parts take turns (one model working set in memory, and it uses both cores
    # itself); pocketsphinx is light and single-threaded, so its parts run side by side.
    heavy = recognition.backend(language) == "whisper"
    seconds, result = worker.run(work) if heavy else work()
    ctx.pace(seconds, started)
    if not diarize:
        return json_response(result)
    label = "diarize: one speaker assumed, no offline diarization"
    for seg in result.get("segments", []):
        seg["speaker"] = "SPEAKER_00"
    resp = json_response({**result, "mock": label})
    resp.headers["X-TTSAI-Mock"] = label
    return resp


def list_models(ctx: RequestContext) -> Response:
    return json_response(models.models_json())


def list_voices(ctx: RequestContext) -> Response:
    p = ctx.params
    model_id = p.text("model")
    if model_id and model_id not in models.MODELS:
        models.resolve("tts", model_id)  # raises 404 naming the models
    language = p.text("language")
    gender = p.choice("gender", GENDERS)
    found = [v for v in voices.catalog()
             if (not language or voices.same_language(v.get("language"), language))
             and (not gender or v.get("gender") == gender)]
    if model_id:
        own = [v for v in found if v.get("model") == model_id]
        # Every local voice speaks for every TTS model; a model with voices of its own keeps those.
        is_tts = models.MODELS[model_id].type == "tts"
        found = own or (found if is_tts and not _has_voices(model_id) else [])
    found = [{**v, "preview_url": v.get("preview_url")
              or ctx.file_url(voices.preview_file_id(v["id"]))} for v in found]
    return json_response({"voices": found, "total": len(found)})


def _has_voices(model_id: str) -> bool:
    return any(v.get("model") == model_id for v in voices.catalog())


def result(ctx: RequestContext) -> Response:
    task = ctx.engine.tasks.get(ctx.path_args["task_id"], ctx.caller.key)
    status, body = task.poll_json()
    return json_response(body, status=status)
