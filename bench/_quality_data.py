"""The quality benchmark's fixed-seed test set, made at run time (nothing is checked in).

Speech: English sentences spoken by espeak-ng (four voices) and, when installed, Piper.
Noise: pink, babble (six espeak talkers saying other sentences) and mains hum, mixed at a
chosen SNR. Rooms: exponentially decaying noise responses at a chosen RT60. Music: songs whose
stems are known (a repeating accompaniment of drums, bass and chords, plus a spoken or a sung
vocal), and short chord progressions in each of the 24 keys at several tempi.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

RATE = 16000
MUSIC_RATE = 22050
SENTENCES = (
    ("en-us", "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue "
              "background."),
    ("en-gb", "It is easy to tell the depth of a well. These days a chicken leg is a rare dish."),
    ("en-us+f3", "Rice is often served in round bowls. The juice of lemons makes fine punch."),
    ("en-us+m3", "Today we clean up noisy audio and dub it into Spanish. Four hours of steady "
                 "work faced us."),
)
PIPER_SENTENCES = ("The box was thrown beside the parked truck. A large size in stockings is "
                   "hard to sell.",
                   "Thank you for watching, and see you next time. The wide road shimmered in "
                   "the hot sun.")
BABBLE = (("en-us", "A king ruled the state in the early days of the war."),
          ("en-gb+f2", "The ship was torn apart on the sharp reef before dawn."),
          ("en-us+m1", "Sickness kept him home the third week of the month."),
          ("en-us+f4", "The wide road shimmered in the hot sun all afternoon."),
          ("en-gb+m3", "The lazy cow lay in the cool grass and chewed slowly."),
          ("en-us+f1", "Lift the square stone over the fence and carry it home."))
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def espeak(text: str, voice: str, rate: int = 160) -> np.ndarray:
    """espeak-ng speech at RATE, float32 mono."""
    from ttsai_plugin.local.processing import buffers, speech
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                         capture_output=True, check=True).stdout
    x, sr = speech.parse_wav(wav)
    return buffers.resample(x, sr, RATE)


def piper(text: str) -> np.ndarray | None:
    """Piper speech at RATE, or None without the neural extra."""
    from ttsai_plugin.local.processing import buffers, models_registry, tts_piper
    if not models_registry.available(models_registry.PIPER_JOE):
        return None
    x, sr = tts_piper.synthesize(text)
    return buffers.resample(x, sr, RATE)


@dataclass
class Utterance:
    text: str
    source: str                 # "espeak:en-us", "piper"
    audio: np.ndarray           # clean, RATE, padded with 0.3 s of silence each side


def utterances() -> list[Utterance]:
    pad = np.zeros(int(0.3 * RATE), np.float32)
    out = [Utterance(t, f"espeak:{v}", np.concatenate([pad, espeak(t, v), pad]))
           for v, t in SENTENCES]
    for t in PIPER_SENTENCES:
        y = piper(t)
        if y is not None:
            out.append(Utterance(t, "piper", np.concatenate([pad, y, pad])))
    for u in out:
        u.audio = (0.3 * u.audio / np.max(np.abs(u.audio))).astype(np.float32)
    return out


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec /= np.sqrt(np.maximum(f, 20.0))
    return np.fft.irfft(spec, n).astype(np.float32)


def babble(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n, np.float32)
    for voice, text in BABBLE:
        talker = espeak(text, voice, rate=int(rng.integers(150, 190)))
        talker /= np.sqrt(np.mean(talker ** 2)) + 1e-9
        loop = np.tile(talker, n // len(talker) + 2)
        start = int(rng.integers(0, len(talker)))
        out += loop[start:start + n]
    return out


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    f0 = 50.0 * (1 + 0.002 * rng.standard_normal())
    x = sum(a * np.sin(2 * np.pi * h * f0 * t + rng.uniform(0, 6.28))
            for h, a in ((1, 1.0), (2, 0.5), (3, 0.35), (4, 0.2), (5, 0.12), (7, 0.08)))
    return (x + 0.02 * rng.standard_normal(n)).astype(np.float32)


NOISES = {"pink": pink, "babble": babble, "hum": hum}


def mix(clean: np.ndarray, kind: str, snr_db: float, seed: int) -> np.ndarray:
    """``clean`` plus ``kind`` noise at ``snr_db`` (powers over the whole clip)."""
    noise = NOISES[kind](len(clean), np.random.default_rng(seed))
    gain = np.sqrt(np.mean(clean ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return (clean + gain * noise).astype(np.float32)


def room(clean: np.ndarray, rt60: float, seed: int) -> np.ndarray:
    """``clean`` in a synthetic room: a direct path then an exponentially decaying tail."""
    rng = np.random.default_rng(seed)
    n = int(rt60 * RATE)
    ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n) * 0.3
    ir[: int(0.005 * RATE)] = 0.0
    ir[0] = 1.0
    wet = np.convolve(clean, ir)[: len(clean)]
    return (wet * np.max(np.abs(clean)) / np.max(np.abs(wet))).astype(np.float32)


# --- music -------------------------------------------------------------------------------------

def tone(freq: float, seconds: float, harmonics: int = 8, decay: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * MUSIC_RATE)) / MUSIC_RATE
    x = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1)
            if freq * h < MUSIC_RATE / 2)
    env = np.minimum(1.0, t / 0.01) * (np.exp(-decay * t) if decay else 1.0)
    return (x * env * np.minimum(1.0, (seconds - t) / 0.02)).astype(np.float32)


def midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def chords(tonic: int, minor: bool) -> list[list[int]]:
    """i-iv-V-i (harmonic minor) or I-IV-V-I as MIDI notes around middle C."""
    root = 60 + tonic
    if minor:
        return [[root, root + 3, root + 7], [root + 5, root + 8, root + 12],
                [root + 7, root + 11, root + 14], [root, root + 3, root + 7]]
    return [[root, root + 4, root + 7], [root + 5, root + 9, root + 12],
            [root + 7, root + 11, root + 14], [root, root + 4, root + 7]]


def drums(seconds: float, bpm: float) -> np.ndarray:
    out = np.zeros(int(seconds * MUSIC_RATE), np.float32)
    beat = 60.0 / bpm
    k = np.arange(int(0.15 * MUSIC_RATE)) / MUSIC_RATE
    kick = np.sin(2 * np.pi * 55 * k * np.exp(-k * 8)) * np.exp(-k * 25)
    snare = np.random.default_rng(3).standard_normal(len(k)) * np.exp(-k * 30) * 0.5
    hat = np.random.default_rng(4).standard_normal(len(k) // 3) * np.exp(-k[: len(k) // 3] * 90) * 0.2
    for i, b in enumerate(np.arange(0, seconds - 0.2, beat / 2)):
        a = int(b * MUSIC_RATE)
        shot = kick if i % 4 == 0 else snare if i % 4 == 2 else hat
        out[a:a + len(shot)] += shot[: len(out) - a]
    return out


def progression(tonic: int, minor: bool, bpm: float, seconds: float) -> dict[str, np.ndarray]:
    """Drums, bass and chords of a four-bar progression repeated for ``seconds``."""
    n = int(seconds * MUSIC_RATE)
    bar = 4 * 60.0 / bpm
    pad, bass = np.zeros(n, np.float32), np.zeros(n, np.float32)
    for i, b in enumerate(np.arange(0, seconds, bar)):
        chord = chords(tonic, minor)[i % 4]
        a = int(b * MUSIC_RATE)
        part = sum(tone(midi_hz(m), bar, decay=0.6) for m in chord) * 0.12
        pad[a:a + len(part)] += part[: n - a]
        for q in range(4):
            note = tone(midi_hz(chord[0] - 24), 60.0 / bpm, harmonics=4, decay=3.0) * 0.3
            s = a + int(q * 60.0 / bpm * MUSIC_RATE)
            if s < n:
                bass[s:s + len(note)] += note[: n - s]
    return {"drums": drums(seconds, bpm), "bass": bass, "other": pad}


def sung(seconds: float, tonic: int, bpm: float, seed: int) -> np.ndarray:
    """A sung-like vocal: a vibrato melody on scale notes through two vowel formants."""
    from scipy.signal import lfilter
    rng = np.random.default_rng(seed)
    n = int(seconds * MUSIC_RATE)
    note_len = 60.0 / bpm
    scale = [0, 2, 3, 5, 7, 8, 10, 12]
    f = np.zeros(n)
    for i in range(int(seconds / note_len) + 1):
        a, b = int(i * note_len * MUSIC_RATE), int((i + 1) * note_len * MUSIC_RATE)
        f[a:b] = midi_hz(72 + tonic + scale[rng.integers(len(scale))] - 12)
    t = np.arange(n) / MUSIC_RATE
    f *= 1 + 0.012 * np.sin(2 * np.pi * 5.5 * t)
    phase = 2 * np.pi * np.cumsum(f) / MUSIC_RATE
    x = sum(np.sin(h * phase) / h for h in range(1, 20))
    for fc, bw in ((700.0, 110.0), (1200.0, 150.0)):
        r = np.exp(-np.pi * bw / MUSIC_RATE)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / MUSIC_RATE), r * r], x)
    gate = (np.sin(2 * np.pi * t / (4 * note_len)) > -0.6).astype(float)
    return (x * gate / np.max(np.abs(x))).astype(np.float32)


def song(vocal: str, seed: int, seconds: float = 20.0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A mix and its stems (vocals, drums, bass, other); ``vocal`` is "speech" or "sung"."""
    rng = np.random.default_rng(seed)
    tonic, bpm = int(rng.integers(12)), float(rng.choice([100.0, 120.0]))
    stems = progression(tonic, bool(seed % 2), bpm, seconds)
    n = len(stems["drums"])
    if vocal == "speech":
        from ttsai_plugin.local.processing import buffers
        text = " ".join(t for _, t in SENTENCES)
        v = buffers.resample(espeak(text, "en-us"), RATE, MUSIC_RATE)
        v = np.pad(v, (int(MUSIC_RATE), max(0, n - len(v) - int(MUSIC_RATE))))[:n]
    else:
        v = sung(seconds, tonic, bpm, seed)
    stems["vocals"] = v.astype(np.float32)
    acc = stems["drums"] + stems["bass"] + stems["other"]
    stems["vocals"] *= np.sqrt(np.mean(acc ** 2) / np.mean(stems["vocals"] ** 2))
    mix = sum(stems.values())
    scale = 0.8 / np.max(np.abs(mix))
    return (mix * scale).astype(np.float32), {k: (s * scale).astype(np.float32)
                                              for k, s in stems.items()}


def key_set(seconds: float = 8.0) -> list[tuple[str, float, np.ndarray]]:
    """``(key name, bpm, mix)`` for all 24 keys, tempi cycling through five values."""
    tempi = (84.0, 96.0, 110.0, 128.0, 150.0)
    out = []
    for i in range(24):
        tonic, minor = i % 12, i >= 12
        bpm = tempi[i % len(tempi)]
        stems = progression(tonic, minor, bpm, seconds)
        mix = stems["drums"] + stems["bass"] + stems["other"]
        out.append((f"{NAMES[tonic]} {'Minor' if minor else 'Major'}", bpm,
                    (0.8 * mix / np.max(np.abs(mix))).astype(np.float32)))
    return out
