"""espeak-ng speech: the voice catalogue a user browses and the audio a script becomes."""
from __future__ import annotations

import numpy as np
import pytest

from ttsai_plugin.errors import BadRequestError, NotFoundError
from ttsai_plugin.local.processing import speech

SENTENCE = "The quick brown fox jumps over the lazy dog, and then it takes a nap."


def seconds(samples: np.ndarray, sr: int) -> float:
    return len(samples) / sr


def test_voice_list_offers_male_and_female_voices_for_major_languages():
    voices = speech.list_voices()
    assert all(set(v) == {"id", "name", "model", "language", "gender", "preview_url"}
               for v in voices)
    assert len({v["id"] for v in voices}) == len(voices)
    for lang in ("en", "es", "fr", "de", "ja", "zh"):
        genders = {v["gender"] for v in voices if v["language"] == lang}
        assert {"male", "female"} <= genders, lang
    bella = next(v for v in voices if v["id"] == "af_bella")
    if speech.piper_available():   # the neural voice speaks every English kokoro id, and says so
        assert (bella["language"], bella["gender"], bella["model"]) == ("en", "male", "piper")
    else:
        assert (bella["language"], bella["gender"]) == ("en", "female")


def test_a_sentence_becomes_a_few_seconds_of_mono_speech():
    samples, sr = speech.synthesize(SENTENCE, "en-us")
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 2.5 < seconds(samples, sr) < 8.0
    assert np.sqrt(np.mean(samples ** 2)) > 0.01


def test_speed_two_speaks_much_faster_than_normal_and_half_much_slower():
    normal = seconds(*speech.synthesize(SENTENCE, "en-us"))
    fast = seconds(*speech.synthesize(SENTENCE, "en-us", speed=2.0))
    slow = seconds(*speech.synthesize(SENTENCE, "en-us", speed=0.5))
    assert fast < 0.65 * normal
    assert slow > 1.5 * normal


def test_the_vendors_example_voice_and_a_target_language_work():
    english, sr = speech.synthesize("Good morning", "af_bella")
    spanish, _ = speech.synthesize("Buenos días a todos", "af_bella", language="es")
    assert seconds(english, sr) > 0.5 and seconds(spanish, sr) > 0.5
    assert speech.resolve("af_bella", "es").startswith("es+f")
    assert speech.resolve("am_adam").startswith("en-us+m")


def test_female_variant_is_higher_pitched_than_the_male_default():
    def pitch(x: np.ndarray, sr: int) -> float:
        frame, lo, hi = int(0.04 * sr), sr // 400, sr // 70
        f0 = []
        for a in range(0, len(x) - frame, frame):
            f = x[a:a + frame] - x[a:a + frame].mean()
            ac = np.correlate(f, f, "full")[frame - 1:]
            if ac[0] > 1e-3:
                lag = lo + int(np.argmax(ac[lo:hi]))
                if ac[lag] > 0.5 * ac[0]:
                    f0.append(sr / lag)
        return float(np.median(f0))

    male = pitch(*speech.synthesize(SENTENCE, "de"))
    female = pitch(*speech.synthesize(SENTENCE, "de+f3"))
    assert female > 1.3 * male


@pytest.mark.parametrize("text", ["مرحبا بالعالم، كيف حالك؟", "שלום עולם 😀🎉", "🎬🎤", "...",
                                  "Tab\tand\x00control\x07chars"])
def test_right_to_left_emoji_and_odd_text_never_crash(text):
    samples, sr = speech.synthesize(text, "en-us")
    assert samples.size > 0 and np.all(np.isfinite(samples))


def test_long_script_goes_through_stdin_without_an_argument_limit():
    script = " ".join(["This line keeps the narrator busy for a while."] * 300)  # ~14 000 chars
    samples, sr = speech.synthesize(script, "en-gb", speed=2.0)
    assert seconds(samples, sr) > 300


def test_unknown_voice_is_not_found_with_a_hint():
    with pytest.raises(NotFoundError) as err:
        speech.synthesize("Hello", "xx_nobody")
    assert err.value.status == 404 and "voices" in str(err.value)
    with pytest.raises(NotFoundError):
        speech.synthesize("Hello", "en-us+nosuchvariant")


@pytest.mark.parametrize("kwargs", [dict(speed=3.0), dict(speed=0.2), dict(language="xx")])
def test_out_of_contract_options_are_bad_requests(kwargs):
    with pytest.raises(BadRequestError):
        speech.synthesize("Hello", "en-us", **kwargs)


def test_empty_text_is_a_bad_request():
    with pytest.raises(BadRequestError):
        speech.synthesize("   ", "en-us")
