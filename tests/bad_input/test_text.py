"""Bad or unusual text: refused clearly before anything is sent, or split, or simply spoken."""
from __future__ import annotations

import pytest

from ttsai_plugin import media, workflows
from ttsai_plugin.errors import InputError, LimitExceededError, NotFoundError
from ttsai_plugin.local import DEV_KEY
from ttsai_plugin.workflows.context import Context
from tests.bad_input.conftest import assert_one_clear_line, run_cli, tree


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"], ids=["empty", "spaces", "whitespace"])
def test_empty_text_is_refused_before_any_request(client, wire, tmp_path, text):
    out = tmp_path / "out" / "speech.wav"
    with pytest.raises(InputError) as err:
        client.tts(text, voice="af_bella", out=out)
    assert "empty" in str(err.value).lower() and err.value.hint
    with pytest.raises(InputError):
        workflows.narrate(Context(client, tmp_path / "out"), text)
    assert wire.requests == 0
    assert tree(tmp_path / "out") == {}


def test_empty_text_on_the_command_line_is_one_clear_line(engine, tmp_path):
    result = run_cli("narrate", "   ", "-o", str(tmp_path / "n.wav"), "--base-url", engine.url,
                     "--api-key", DEV_KEY, "-q")
    line = assert_one_clear_line(result, code=2, secrets=(DEV_KEY,))
    assert "empty" in line.lower()
    assert not (tmp_path / "n.wav").exists()


def test_tts_refuses_text_over_the_plan_limit_and_names_the_limit(client, wire, tmp_path):
    out = tmp_path / "long.wav"
    with pytest.raises(LimitExceededError) as err:
        client.tts("word " * 1001, voice="af_bella", out=out)
    assert "5,000" in str(err.value) and "5,005" in str(err.value)
    assert "narrate" in err.value.hint.lower() or "split" in err.value.hint.lower()
    assert wire.requests == 0 and not out.exists()


def test_narrate_splits_text_over_the_plan_limit_instead_of_refusing(client, wire, tmp_path):
    sentence = "The narrator keeps reading this long script one sentence after another. "
    text = sentence * 80  # about 5,900 characters: over Pro's 5,000 per request
    assert len(text) > client.plan.max_text_chars
    result = workflows.narrate(Context(client, tmp_path / "out"), text)
    path = result.files[0]
    assert wire.statuses[200] == 2, "two requests, each within the limit"
    seconds = media.duration(path)
    samples, sr = media.decode(path)
    assert abs(len(samples) / sr - seconds) < 0.05
    assert seconds > 60, "80 sentences of speech last well over a minute"


def test_unknown_voice_is_not_found_with_a_hint_and_no_file(client, tmp_path):
    out = tmp_path / "v.wav"
    with pytest.raises(NotFoundError) as err:
        client.tts("Hello there.", voice="no_such_voice_42", out=out)
    assert "no_such_voice_42" in str(err.value)
    assert "ttsai voices" in (err.value.hint or "")
    assert not out.exists() and tree(tmp_path) == {}


def test_unknown_model_is_not_found_with_a_hint(client, tmp_path):
    with pytest.raises(NotFoundError) as err:
        client.tts("Hello there.", voice="af_bella", model="no-such-model", out=tmp_path / "m.wav")
    assert "no-such-model" in str(err.value)
    assert "ttsai models" in (err.value.hint or "")


def test_unknown_voice_on_the_command_line_is_one_clear_line(engine, tmp_path):
    result = run_cli("narrate", "Hello there.", "--voice", "no_such_voice_42", "-o",
                     str(tmp_path / "n.wav"), "--base-url", engine.url, "--api-key", DEV_KEY, "-q")
    line = assert_one_clear_line(result, code=1, secrets=(DEV_KEY,))
    assert "no_such_voice_42" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", [
    "مرحبا بكم في البرنامج. اليوم نتحدث عن الصوت.",
    "שלום וברוכים הבאים לתוכנית. היום נדבר על סאונד.",
    "Welcome back 👋🏽! Today: audio 🎧🎬 and family 👨‍👩‍👧 edits ✨.",
    "Mixed: hello عالم 🌍 שלום!",
], ids=["arabic", "hebrew", "emoji", "mixed"])
def test_right_to_left_and_emoji_text_is_spoken(client, tmp_path, text):
    result = workflows.narrate(Context(client, tmp_path / "out"), text)
    path = result.files[0]
    samples, sr = media.decode(path)
    assert len(samples) / sr > 0.5
    assert abs(len(samples) / sr - result.placements[0].duration) < 0.05
    assert path.name.endswith(".narration.wav") and path.exists()
