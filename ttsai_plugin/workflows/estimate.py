"""What a job will cost before it runs, from the server's model list or the contract's table.

Billing units follow the service (docs/billing.md): characters are billed per *started*
1,000 characters of each request, audio per *started* second of each upload, so an estimate
rounds each request up exactly as the service does — "Hello there." is 2 credits with kokoro,
not 0.03. Text is split into requests the way ``narrate`` splits it.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import Estimate

#: TTS credits per 1,000 characters by tier (the contract's table).
TIER_RATES = {"free": 1.0, "standard": 2.0, "premium": 4.0}
FREE_MODELS = {"piper", "vits", "melotts"}
PREMIUM_MODELS = {"tortoise", "chatterbox", "gpt-sovits", "xtts", "styletts2"}
CLONE_PER_1K = 4.0

#: Credits per second of the clip's used range; ``True`` marks a range quoted as an upper bound.
PER_SECOND: dict[str, tuple[float, bool, str]] = {
    "transcribe": (2.0, False, "speech to text"),
    "voice_convert": (3.0, False, "voice conversion"),
    "restyle": (3.0, False, "speech to speech (priced like voice conversion)"),
    "enhance": (2.0, False, "enhance"),
    "dereverb": (3.0, False, "echo/reverb removal (the reference's 3–4: 3 assumed)"),
    "split_stems": (4.0, False, "stem separation (the reference's 3–4: 4 assumed)"),
    "dub": (5.0, False, "speech translation"),
}
FREE_OPS = {"analyze": "key and BPM analysis is free", "convert": "format conversion is free",
            "loudness": "loudness normalisation runs locally: free"}
CHAT_PER_TURN = 3.0
SPOKEN_CHARS_PER_SECOND = 14.0  # to guess a narration's length before it exists
CHARS_UNIT = 1000  # characters are billed per started 1,000 of each request
SAMPLE_SLACK = 1e-4  # seconds: a range cut to whole samples never bills an extra second
ALIASES = {"stems": "split_stems", "tts": "narrate", "stt": "transcribe", "convert_voice":
           "voice_convert", "chat": "voice_chat", "clone": "narrate"}


_MODELS: dict[str, tuple[float, list | None]] = {}
_MODELS_TTL = 300.0  # seconds: a host estimating many clips asks the server once
_MODELS_FAILED_TTL = 60.0  # an unreachable list is not asked again at every dialog
_models_lock = threading.Lock()


def _models(client: Any) -> list:
    """The server's model list, kept per API origin: hosts make a new client per job, and an
    estimate shown in a dialog must not wait on the network each time it opens."""
    key = str(getattr(client, "base_url", id(client)))
    now = time.monotonic()
    with _models_lock:
        hit = _MODELS.get(key)
    if hit is not None:
        fetched, models = hit
        if models is not None and now - fetched < _MODELS_TTL:
            return models
        if models is None and now - fetched < _MODELS_FAILED_TTL:
            raise LookupError("the model list was unreachable moments ago")
    try:
        models = client.models()
    except Exception:
        with _models_lock:
            _MODELS[key] = (now, None)
        raise
    with _models_lock:
        _MODELS[key] = (now, models)
    return models


def _tts_rate(ctx: Context, model: str) -> tuple[float, str]:
    """Credits per 1k chars for ``model``: the server's list wins, else the tier table."""
    try:
        for info in _models(ctx.client):
            if info.id == model and info.credits_per_1k_chars is not None:
                return float(info.credits_per_1k_chars), f"{model}, from the model list"
            if info.id == model and info.tier in TIER_RATES:
                return TIER_RATES[info.tier], f"{model}, {info.tier} tier"
    except Exception:  # noqa: BLE001 - an estimate must not fail because the list is unreachable
        pass
    tier = "free" if model in FREE_MODELS else "premium" if model in PREMIUM_MODELS else "standard"
    return TIER_RATES[tier], f"{model}, {tier} tier"


def started_units(amount: float, unit: float) -> int:
    """How many billing units ``amount`` starts (at least one): the service's rounding."""
    return max(1, math.ceil(amount / unit - 1e-9))


def request_texts(ctx: Context, text: str) -> list[str]:
    """The texts ``narrate`` sends, one per request (split at the plan's limit)."""
    from ttsai_plugin.workflows.textsplit import split_text
    plan = ctx.client.plan
    max_chunks = max(plan.concurrent, plan.requests_per_minute // 2)
    return [c.text for c in split_text(text, plan.max_text_chars, max_chunks=max_chunks)]


def _text_estimate(ctx: Context, text: str | None, model: str, reference: Any) -> Estimate:
    if not text or not text.strip():
        raise InputError("An estimate for narration needs the text.", hint="Pass text=...")
    if reference is not None:
        rate, why = CLONE_PER_1K, "voice cloning"
    else:
        rate, why = _tts_rate(ctx, model)
    parts = request_texts(ctx, text)
    units = sum(started_units(len(part), CHARS_UNIT) for part in parts)
    chars = sum(len(part) for part in parts)
    split = f" in {len(parts)} requests" if len(parts) > 1 else ""
    return Estimate(rate * units, f"{chars:,} chars{split} = {units} started 1,000-char "
                                  f"unit(s) × {rate:g} credits ({why})")


def per_second_estimate(op: str, raw_seconds: float) -> Estimate:
    """Credits for one upload of ``raw_seconds`` to a per-second service (``PER_SECOND``)."""
    rate, upper, why = PER_SECOND[op]
    seconds = started_units(raw_seconds - SAMPLE_SLACK, 1.0) if raw_seconds > SAMPLE_SLACK \
        else 1
    return Estimate(rate * seconds, f"{seconds} s × {rate:g} credits per started second ({why})",
                    upper_bound=upper)


def _seconds(clip: Any) -> float:
    from ttsai_plugin.workflows.source import used_range
    start, end = used_range(clip)
    return end - start


def estimate(ctx: Context, operation: str, *, clip: Any = None, text: str | None = None,
             **opts: Any) -> Estimate:
    """Credits ``operation`` will cost on ``clip`` (its used range) or ``text``."""
    op = ALIASES.get(operation, operation)
    if op == "narrate":
        return _text_estimate(ctx, text, opts.get("model", "kokoro"),
                              opts.get("reference") or (operation == "clone" or None))
    if op in FREE_OPS:
        return Estimate(0.0, FREE_OPS[op])
    if op == "voice_chat":
        turns = int(opts.get("turns", 1))
        return Estimate(CHAT_PER_TURN * turns, f"{turns} turn(s) × {CHAT_PER_TURN:g} credits")
    if op == "preset":
        return _preset_estimate(ctx, opts.get("preset"), clip, text)
    if op not in PER_SECOND:
        known = ", ".join(sorted({"narrate", "voice_chat", "preset", *FREE_OPS, *PER_SECOND}))
        raise InputError(f"Unknown operation {operation!r}.", hint=f"Known: {known}.")
    if op == "dub" and clip is not None and opts.get("seconds") is None:
        from ttsai_plugin.workflows.dub_studio import estimate_dub
        return estimate_dub(ctx, clip, rate=PER_SECOND["dub"][0],
                            separation_rate=PER_SECOND["split_stems"][0], **opts)
    if clip is None and opts.get("seconds") is None:
        raise InputError(f"An estimate for {op} needs the clip.", hint="Pass clip=...")
    raw = float(opts["seconds"]) if opts.get("seconds") is not None else _seconds(clip)
    return per_second_estimate(op, raw)


def _preset_estimate(ctx: Context, preset: Any, clip: Any, text: str | None) -> Estimate:
    from ttsai_plugin.presets import Preset, get_preset
    p = preset if isinstance(preset, Preset) else get_preset(preset)
    total, parts, upper = 0.0, [], False
    seconds = None
    for step in p.steps:
        if step.op == "narrate":
            e = estimate(ctx, "narrate", text=text, **dict(step.options))
            seconds = len(text or "") / SPOKEN_CHARS_PER_SECOND
            upper = True
        else:
            e = estimate(ctx, step.op, clip=clip, seconds=seconds, **dict(step.options))
        total += e.credits
        upper |= e.upper_bound
        parts.append(f"{step.op} {e.credits:g}")
    return Estimate(total, f"preset {p.name}: " + ", ".join(parts), upper_bound=upper)
