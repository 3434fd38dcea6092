"""Media that cannot be used: corrupt, empty, silent video, missing. A clear error, nothing
sent, no result written, and the file itself untouched."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ttsai_plugin import workflows
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import InputError, MediaError, TTSAIError
from ttsai_plugin.local import DEV_KEY
from ttsai_plugin.workflows.context import Context
from tests import media_factory
from tests.bad_input.conftest import assert_one_clear_line, run_cli, tree


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def bad_files(tmp_path) -> dict[str, tuple[Path, type[TTSAIError], tuple[str, ...]]]:
    """name -> (file, the error class a user should get, words one of which the message says)."""
    src = tmp_path / "src"
    src.mkdir()
    return {
        "corrupt": (media_factory.corrupt_file(src), MediaError,
                    ("corrupt", "not a media", "invalid")),
        "zero-length": (media_factory.empty_file(src), InputError, ("empty",)),
        "no audio stream": (media_factory.video_without_audio(src), InputError, ("no audio",)),
        "missing": (src / "gone.wav", InputError, ("does not exist", "not found", "no such")),
    }


CASES = ["corrupt", "zero-length", "no audio stream", "missing"]


@pytest.mark.parametrize("case", CASES)
def test_enhancing_unusable_media_fails_clearly_and_changes_nothing(client, wire, bad_files,
                                                                   tmp_path, case):
    path, error, words = bad_files[case]
    before, out = _sha(path), tmp_path / "out"
    with pytest.raises(error) as err:
        workflows.enhance(Context(client, out), Clip(media=path, name="Interview"))
    message = str(err.value).lower()
    assert path.name.lower() in message, message
    assert any(w in message for w in words), message
    assert err.value.hint or case == "missing"
    assert wire.requests == 0, "nothing was sent for media that cannot be used"
    assert _sha(path) == before
    assert tree(out) == {}, "no result, no work folder left behind"


@pytest.mark.parametrize("case", ["zero-length", "missing"])
def test_client_refuses_to_upload_unusable_files(client, wire, bad_files, tmp_path, case):
    path, _, words = bad_files[case]
    with pytest.raises(InputError) as err:
        client.enhance(path, out=tmp_path / "e.wav")
    assert any(w in str(err.value).lower() for w in words)
    assert wire.requests == 0 and not (tmp_path / "e.wav").exists()


@pytest.mark.parametrize("case", CASES)
def test_unusable_media_on_the_command_line_is_one_clear_line(engine, bad_files, tmp_path, case):
    path, _, words = bad_files[case]
    before = _sha(path)
    out = tmp_path / "cli-out"
    out.mkdir()
    result = run_cli("enhance", str(path), "-o", str(out / "clean.wav"), "--base-url", engine.url,
                     "--api-key", DEV_KEY, "-q")
    # exit 2 = the input is unusable, a file ffmpeg cannot read included (it is not media: #12)
    line = assert_one_clear_line(result, code=2, secrets=(DEV_KEY,))
    assert path.name in line and any(w in line.lower() for w in words), line
    assert _sha(path) == before
    assert tree(out) == {}
