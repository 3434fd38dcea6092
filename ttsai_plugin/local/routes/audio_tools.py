"""Audio tool routes: enhance, de-reverb, stem separation (sync or as a long task), key/BPM
analysis and format conversion."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from werkzeug.wrappers import Response

from .. import audio, credits, models
from ..context import RequestContext, audio_response
from ..errors import json_response
from ..processing import analysis, denoise, reverb, separation
from ..tasks import check_webhook_url

AUDIO_FORMATS = ("mp3", "wav", "flac", "ogg")
STEM_FORMATS = ("wav", "mp3", "flac")
CONVERT_FORMATS = ("mp3", "wav", "flac", "ogg", "m4a", "aac")


def answer_format(ctx: RequestContext, field: str = "file", default: str = "wav") -> str:
    """``format`` when given, else the upload's own format when the engine can write it."""
    upload = ctx.params.files.get(field)
    suffix = Path(upload.filename or "").suffix.lstrip(".").lower() if upload else ""
    return ctx.params.choice("format", AUDIO_FORMATS,
                             suffix if suffix in AUDIO_FORMATS else default)


def enhance(ctx: RequestContext) -> Response:
    p = ctx.params
    opts = dict(denoise=p.boolean("denoise", True), clarity=p.boolean("enhance_clarity", True),
                super_resolution=p.boolean("super_resolution", False),
                strength=p.number("strength", 1, 3, 2, integer=True))
    fmt = answer_format(ctx)
    samples, sr = ctx.decode("file")
    ctx.bill(credits.per_second("enhance", audio.duration(samples, sr)))
    out, out_sr = denoise.enhance(samples, sr, **opts)
    return audio_response(out, out_sr, fmt)


def dereverb(ctx: RequestContext) -> Response:
    p = ctx.params
    kind = p.choice("type", ("echo", "reverb", "both"), "both")
    intensity = p.number("intensity", 1, 5, 3, integer=True)
    fmt = answer_format(ctx)
    samples, sr = ctx.decode("file")
    ctx.bill(credits.per_second("dereverb", audio.duration(samples, sr)))
    out, out_sr = reverb.dereverb(samples, sr, kind=kind, intensity=intensity)
    return audio_response(out, out_sr, fmt)


def separate(ctx: RequestContext) -> Response:
    p = ctx.params
    models.resolve("separate", p.text("model"))
    stems = p.choice("stems", (2, 4, 5, 6), 2)
    fmt = p.choice("format", STEM_FORMATS, "wav")
    webhook = p.text("webhook_url")
    if webhook:
        check_webhook_url(webhook, ctx.engine.config.webhook_hosts)
    samples, sr = ctx.decode("file")
    seconds = audio.duration(samples, sr)
    ctx.bill(credits.per_second("separate", seconds))
    cost = ctx.charge.amount
    engine, host_url = ctx.engine, ctx.host_url

    def work() -> dict[str, Any]:
        return _separate(engine, host_url, samples, sr, stems, fmt)

    if seconds > engine.config.async_threshold_seconds or webhook:
        charge = ctx.charge
        task = engine.tasks.submit(
            ctx.caller.key, work, credits=cost, webhook_url=webhook,
            result_url_for=lambda tid: host_url.rstrip("/") + "/v1/" + engine.result_path(tid),
            on_failure=lambda: engine.ledger.refund(charge))
        return json_response({"task_id": task.id, "status": "queued",
                              "result_url": task.result_url}, status=202)
    body = work()
    resp = json_response({**body, "credits_used": credits.as_number(cost)})
    if body.get("mock"):
        resp.headers["X-TTSAI-Mock"] = body["mock"]
    return resp


def _separate(engine: Any, host_url: str, samples: np.ndarray, sr: int, stems: int,
              fmt: str) -> dict[str, Any]:
    parts, out_sr, mock = separation.separate(samples, sr, stems=stems)
    urls = {}
    for name, stem in parts.items():
        file_id = engine.files.put(audio.encode(stem, out_sr, fmt), fmt, prefix=f"stem_{name}")
        urls[name] = engine.files.url(file_id, host_url)
    body: dict[str, Any] = {"stems": urls}
    if mock:
        body["mock"] = mock
    return body


def analyze(ctx: RequestContext) -> Response:
    samples, sr = ctx.decode("file")
    return json_response(analysis.analyze(samples, sr))


def convert(ctx: RequestContext) -> Response:
    p = ctx.params
    fmt = p.choice("format", CONVERT_FORMATS, "wav")
    bitrate = p.choice("bitrate", (64, 128, 192, 256, 320))
    sample_rate = p.choice("sample_rate", (22050, 44100, 48000))
    channels = p.choice("channels", ("mono", "stereo"))
    samples, sr = ctx.decode("file")
    return audio_response(samples, sr, fmt, bitrate=bitrate, sample_rate=sample_rate,
                          channels={"mono": 1, "stereo": 2}.get(channels or ""))
