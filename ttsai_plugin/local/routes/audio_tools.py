"""Audio tool routes: enhance, de-reverb, stem separation (sync or as a long task), key/BPM
analysis and format conversion."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import soundfile as sf
from werkzeug.wrappers import Response

from .. import audio, credits, models, streaming
from ..context import RequestContext, audio_response
from ..errors import json_response
from ..processing import analysis, blockwise, buffers, denoise, reverb, separation
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

    def block(chans: np.ndarray, sr: int) -> tuple[dict[str, np.ndarray], int]:
        out, out_sr = denoise.enhance_channels(buffers.check(chans.T, sr).T, sr, **opts)
        return {"out": out}, out_sr

    return _same_length(ctx, "enhance", fmt, block,
                        lambda samples, sr: denoise.enhance(samples, sr, **opts),
                        ctx.engine.config.blocks)


def dereverb(ctx: RequestContext) -> Response:
    p = ctx.params
    kind = p.choice("type", ("echo", "reverb", "both"), "both")
    intensity = p.number("intensity", 1, 5, 3, integer=True)
    fmt = answer_format(ctx)
    settings = reverb.settings(kind, intensity)

    def block(chans: np.ndarray, sr: int) -> tuple[dict[str, np.ndarray], int]:
        return {"out": reverb.dereverb_channels(buffers.check(chans.T, sr).T, sr, settings)}, sr

    blocks = ctx.engine.config.blocks
    blocks = replace(blocks, seconds=min(blocks.seconds, blocks.dereverb_seconds))
    return _same_length(ctx, "dereverb", fmt, block,
                        lambda samples, sr: reverb.dereverb(samples, sr, kind=kind,
                                                            intensity=intensity), blocks)


def _same_length(ctx: RequestContext, operation: str, fmt: str, block: blockwise.BlockFn,
                 whole: Callable[[np.ndarray, int], tuple[np.ndarray, int]],
                 blocks: blockwise.Blocks) -> Response:
    """Short uploads in memory (``whole``), long ones block by block into a file answer."""
    spooled = streaming.spool(ctx, "file")
    try:
        if spooled.seconds <= blocks.seconds + blocks.overlap:
            spooled.close()
            samples, sr = ctx.decode("file")
            ctx.bill(credits.per_second(operation, audio.duration(samples, sr)))
            out, out_sr = whole(samples, sr)
            return audio_response(out, out_sr, fmt)
        streaming.decode_to_wav(ctx, spooled, "file", pace=False)
        ctx.bill(credits.per_second(operation, spooled.seconds))
        return streaming.same_length_answer(ctx, spooled, fmt, block, blocks)
    except BaseException:
        spooled.close()
        raise


def separate(ctx: RequestContext) -> Response:
    p = ctx.params
    models.resolve("separate", p.text("model"))
    stems = p.choice("stems", (2, 4, 5, 6), 2)
    fmt = p.choice("format", STEM_FORMATS, "wav")
    webhook = p.text("webhook_url")
    if webhook:
        check_webhook_url(webhook, ctx.engine.config.webhook_hosts)
    spooled = streaming.spool(ctx, "file")
    try:
        streaming.decode_to_wav(ctx, spooled, "file", pace=False)
    except BaseException:
        spooled.close()
        raise
    seconds, started = spooled.seconds, spooled.started
    ctx.bill(credits.per_second("separate", seconds))
    cost = ctx.charge.amount
    engine, host_url, blocks = ctx.engine, ctx.host_url, ctx.engine.config.blocks

    def work() -> dict[str, Any]:
        try:
            body = _separate(engine, host_url, spooled, blocks, stems, fmt)
        finally:
            spooled.close()
        ctx.pace(seconds, started)
        return body

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


def _separate(engine: Any, host_url: str, spooled: streaming.Spooled, blocks: blockwise.Blocks,
              stems: int, fmt: str) -> dict[str, Any]:
    """Stems of the spooled upload: whole when short, else block by block; served from disk."""
    labels: list[str] = []
    urls = {}
    assert spooled.wav is not None
    info = sf.info(str(spooled.wav))
    if not blocks.needed(info.frames, info.samplerate):
        samples, sr = sf.read(str(spooled.wav), dtype="float32")
        parts, out_sr, mock = separation.separate(samples, sr, stems=stems)
        for name, stem in parts.items():
            file_id = engine.files.put(audio.encode(stem, out_sr, fmt), fmt, prefix=f"stem_{name}")
            urls[name] = engine.files.url(file_id, host_url)
        return {"stems": urls, **({"mock": mock} if mock else {})}

    def block(chans: np.ndarray, sr: int) -> tuple[dict[str, np.ndarray], int]:
        x = chans[0] if chans.shape[0] == 1 else chans.T
        parts, out_sr, mock = separation.separate(x, sr, stems=stems)
        labels[:] = [mock] if mock else []
        return {name: buffers.channels_first(y) for name, y in parts.items()}, out_sr

    written = streaming.process(spooled, block, blocks)
    out_dir = spooled.dir / "out"
    for name, path in written.paths.items():
        answer = streaming.encode(path, written.sr, fmt, out_dir / f"{name}.answer.{fmt}")
        path.unlink()
        file_id = engine.files.adopt(answer, fmt, prefix=f"stem_{name}")
        urls[name] = engine.files.url(file_id, host_url)
    return {"stems": urls, **({"mock": labels[0]} if labels else {})}


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
