"""Text to speech: the voice catalogue and synthesis, Piper for English, espeak-ng for the rest.

With the ``neural`` extra, English is spoken by Piper's neural en_US-joe-medium voice
(``tts_piper``): its own id and the English kokoro ids (``af_*``, ``am_*``, ``bf_*``, ``bm_*``)
map to it, and the list says so (``model: "piper"``). Without it, and for every other language
or an explicit espeak id (``en-us``), espeak-ng speaks.

Every espeak-ng language is offered twice, its male default (id ``en-us``) and a female
variant (id ``en-us+f3``). The cloud's kokoro ids (``af_bella``: American, female) are
accepted too and spoken by the espeak voice of the same language and gender, so the vendor's
own examples run unchanged. Any espeak ``voice+variant`` spelling is accepted as well.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass

import numpy as np

from ttsai_plugin.errors import BadRequestError, InternalServerError, NotFoundError

from . import models_registry, tts_piper

MODEL = "espeak-ng"
DEFAULT_WPM = 175
MIN_WPM, MAX_WPM = 80, 450
FEMALE_VARIANT, MALE_VARIANTS, FEMALE_VARIANTS = "f3", ("m1", "m3", "m7"), ("f1", "f2", "f3", "f4")

# Three-letter espeak codes whose ISO 639-1 code is what API users filter by.
_ISO_LANGUAGE = {"cmn": "zh"}
# The espeak voice that speaks a bare language code, where several could.
_PREFERRED = {"en": "en-us", "zh": "cmn", "fr": "fr-fr", "pt": "pt-br", "vi": "vi"}
# kokoro's first letter is the language/accent, the second the gender (f/m).
_KOKORO_ACCENTS = {"a": "en-us", "b": "en-gb", "e": "es", "f": "fr-fr", "h": "hi", "i": "it",
                   "j": "ja", "p": "pt-br", "z": "cmn"}
_KOKORO_ID = re.compile(r"^([abefhijpz])([fm])_([a-z0-9]+)$")
# The kokoro voices most often named in examples; listed so `voices/` shows them.
KOKORO_VOICES = ("af_bella", "af_heart", "af_nicole", "af_sarah", "af_sky", "am_adam",
                 "am_michael", "bf_emma", "bf_isabella", "bm_george", "bm_lewis", "ef_dora",
                 "em_alex", "ff_siwis", "hf_alpha", "hm_omega", "if_sara", "im_nicola",
                 "jf_alpha", "jm_kumo", "pf_dora", "pm_alex", "zf_xiaobei", "zm_yunjian")


@dataclass(frozen=True)
class EspeakVoice:
    """One line of ``espeak-ng --voices``."""

    code: str          # what ``-v`` takes: "en-us"
    name: str          # "English (America)"
    language: str      # ISO code: "en"
    gender: str        # "male" / "female" / "neutral"


def _espeak() -> str:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        raise InternalServerError("espeak-ng is not installed, so the local engine cannot speak.",
                                  hint="Install it: apt-get install espeak-ng "
                                       "(macOS: brew install espeak-ng).")
    return exe


def _gender(column: str) -> str:
    g = column.rpartition("/")[2].upper()
    return {"M": "male", "F": "female"}.get(g, "neutral")


def _iso(code: str) -> str:
    primary = code.split("-")[0].lower()
    return _ISO_LANGUAGE.get(primary, primary)


@functools.lru_cache(maxsize=1)
def espeak_voices() -> tuple[EspeakVoice, ...]:
    """The installed espeak-ng language voices, in espeak's order, one per code; none when
    espeak-ng is missing but the neural English voice can speak (English works without it)."""
    if not (shutil.which("espeak-ng") or shutil.which("espeak")) and piper_available():
        return ()
    out = subprocess.run([_espeak(), "--voices"], capture_output=True, check=True,
                         timeout=30).stdout.decode("utf-8", "replace")
    seen: dict[str, EspeakVoice] = {}
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 5:
            continue
        code = cols[1].lower()
        if code not in seen:
            seen[code] = EspeakVoice(code, cols[3].replace("_", " "), _iso(code), _gender(cols[2]))
    return tuple(seen.values())


@functools.lru_cache(maxsize=1)
def variants() -> frozenset[str]:
    """Names of espeak-ng's voice variants (``f3``, ``m1``, ``klatt`` …)."""
    out = subprocess.run([_espeak(), "--voices=variant"], capture_output=True, check=True,
                         timeout=30).stdout.decode("utf-8", "replace")
    names = {cols[4].split("/", 1)[1].lower() for cols in (l.split() for l in out.splitlines()[1:])
             if len(cols) >= 5 and "/" in cols[4]}
    return frozenset(names)


def _by_code() -> dict[str, EspeakVoice]:
    return {v.code: v for v in espeak_voices()}


def _pick(options: tuple[str, ...], name: str) -> str:
    return options[zlib.crc32(name.encode()) % len(options)]


@functools.lru_cache(maxsize=2)
def _catalog(neural: bool) -> tuple[dict, ...]:
    """The voice list with or without the neural voice (cached per switch position)."""
    voices: list[dict] = []
    for v in espeak_voices():
        voices.append(_entry(v.code, v.name, v.language, v.gender))
        voices.append(_entry(f"{v.code}+{FEMALE_VARIANT}", f"{v.name}, female", v.language,
                             "female"))
    codes = _by_code()
    if neural:
        voices.insert(0, _entry(tts_piper.VOICE_ID, tts_piper.VOICE_NAME, "en", tts_piper.GENDER,
                                tts_piper.MODEL))
    for kid in KOKORO_VOICES:
        base, gender, name = _kokoro_parts(kid) or ("", "", "")
        if neural and base.startswith("en"):
            voices.append(_entry(kid, f"{name.title()} (spoken by Piper's Joe, US English, neural)",
                                 "en", tts_piper.GENDER, tts_piper.MODEL))
        elif base in codes:
            voices.append(_entry(kid, f"{name.title()} ({codes[base].name}, {gender}, espeak-ng)",
                                 codes[base].language, gender))
    return tuple(voices)


def _entry(vid: str, name: str, language: str, gender: str, model: str = MODEL) -> dict:
    return {"id": vid, "name": name, "model": model, "language": language, "gender": gender,
            "preview_url": None}


def piper_available() -> bool:
    """True when the neural English voice is installed and not switched off."""
    return models_registry.use(models_registry.PIPER_JOE)


def uses_piper(voice: str, language: str | None = None) -> bool:
    """True when ``voice`` (in ``language``) is spoken by Piper rather than espeak-ng."""
    vid = (voice or "").strip().lower()
    kokoro = _kokoro_parts(vid)
    english_voice = vid == tts_piper.VOICE_ID.lower() or bool(kokoro and kokoro[0].startswith("en"))
    lang = (language or "").strip().lower()
    english_target = lang in ("", "auto") or lang.split("-")[0].split("_")[0] == "en"
    return english_voice and english_target and piper_available()


def list_voices() -> list[dict]:
    """The contract-shaped voice list: ``{id, name, model, language, gender, preview_url}``."""
    return [dict(v) for v in _catalog(piper_available())]


def _kokoro_parts(voice: str) -> tuple[str, str, str] | None:
    """``(espeak base, gender, name)`` of a kokoro-style id (``af_bella``), else None."""
    m = _KOKORO_ID.match(voice)
    if m is None:
        return None
    return _KOKORO_ACCENTS[m.group(1)], "female" if m.group(2) == "f" else "male", m.group(3)


def language_voice(language: str) -> str:
    """The espeak voice code that speaks ``language`` (``es``, ``pt-BR``, ``zh`` …)."""
    wanted = language.strip().lower().replace("_", "-")
    codes = _by_code()
    if wanted in codes:
        return wanted
    primary = _ISO_LANGUAGE.get(wanted.split("-")[0], wanted.split("-")[0])
    if _PREFERRED.get(primary) in codes:
        return _PREFERRED[primary]
    for v in espeak_voices():
        if v.language == primary:
            return v.code
    raise BadRequestError(f"language: the local engine has no voice for {language!r}.",
                          hint="List the languages it speaks with GET voices/.")


def resolve(voice: str, language: str | None = None) -> str:
    """The espeak ``-v`` argument for a contract voice id, optionally moved to ``language``."""
    vid = (voice or "").strip()
    codes = _by_code()
    kokoro = _kokoro_parts(vid.lower())
    if vid.lower() == tts_piper.VOICE_ID.lower():   # the neural voice's espeak stand-in
        base, variant = "en-us", ""
    elif kokoro:
        base, gender, name = kokoro
        variant = _pick(FEMALE_VARIANTS if gender == "female" else MALE_VARIANTS, name)
    else:
        base, _, variant = vid.lower().partition("+")
        if base not in codes or (variant and variant not in variants()):
            raise NotFoundError(f"voice {vid[:80]!r} not found.",
                                hint="List the voices with GET voices/ (e.g. en-us, en-us+f3, "
                                     "es+f3, af_bella).")
    if language and language.strip().lower() not in ("", "auto"):
        target = language_voice(language)
        if codes.get(base) is None or codes[base].language != codes[target].language:
            base = target
    return f"{base}+{variant}" if variant else base


def words_per_minute(speed: float) -> int:
    """espeak's rate for the contract's ``speed`` (1.0 = espeak's natural 175 wpm)."""
    if not 0.5 <= float(speed) <= 2.0:
        raise BadRequestError(f"speed: {speed} is outside 0.5–2.0.", hint="Use 1.0 for normal.")
    return int(min(MAX_WPM, max(MIN_WPM, round(DEFAULT_WPM * float(speed)))))


def synthesize(text: str, voice: str, *, speed: float = 1.0,
               language: str | None = None) -> tuple[np.ndarray, int]:
    """Speak ``text`` with ``voice``: mono float32 samples and their sample rate.

    The text goes through stdin (no argument-length limit); markup is not interpreted.
    """
    if not text or not text.strip():
        raise BadRequestError("text: nothing to say.", hint="Send some text.")
    wpm = words_per_minute(speed)
    clean = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    if uses_piper(voice, language):
        samples, sr = tts_piper.synthesize(clean, speed=float(speed))
        if np.any(np.abs(samples) > 1e-4):          # nothing speakable: espeak spells it out
            return samples, sr
    args = [_espeak(), "-v", resolve(voice, language), "-s", str(wpm),
            "-b", "1", "--stdout", "--stdin"]
    try:
        proc = subprocess.run(args, input=clean.encode("utf-8"), capture_output=True,
                              timeout=60 + len(clean) / 20)
    except subprocess.TimeoutExpired as e:
        raise InternalServerError("espeak-ng took too long to speak the text.",
                                  hint="Send the text in shorter parts.") from e
    if proc.returncode != 0:
        raise InternalServerError(f"espeak-ng failed: {proc.stderr.decode(errors='replace')[:300]}")
    samples, sr = parse_wav(proc.stdout)
    if samples.size == 0:
        samples = np.zeros(sr // 10, dtype=np.float32)
    return samples, sr


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit PCM from a WAV stream whose size fields may be placeholders (espeak --stdout)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InternalServerError("espeak-ng did not produce WAV audio.")
    pos, sr, channels = 12, 22050, 1
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = pos + 8
        if tag == b"fmt ":
            channels = int.from_bytes(data[body + 2:body + 4], "little")
            sr = int.from_bytes(data[body + 4:body + 8], "little")
        elif tag == b"data":
            pcm = data[body:]
            pcm = pcm[: len(pcm) // (2 * channels) * 2 * channels]
            x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
            return (x.reshape(-1, channels).mean(axis=1) if channels > 1 else x), sr
        pos = body + size + (size & 1)
    return np.zeros(0, dtype=np.float32), sr
