"""Presets: the shipped ones load, a user's folder overrides by name, bad files are named."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ttsai_plugin import presets
from ttsai_plugin.errors import PresetError

REQUIRED = {"youtube-narration", "podcast-voice", "stream-mic-cleanup", "interview-dereverb",
            "dub-spanish", "music-stems-4"}


def write(folder: Path, name: str, data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, "utf-8")
    return path


@pytest.fixture(autouse=True)
def user_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "user-presets"
    monkeypatch.setenv("TTSAI_PRESETS_DIR", str(folder))
    return folder


def test_shipped_presets_load_and_stream_cleanup_is_the_documented_chain():
    found = presets.load_presets()
    assert REQUIRED <= set(found)
    chain = found["stream-mic-cleanup"]
    assert [s.op for s in chain.steps] == ["dereverb", "enhance", "loudness"]
    assert chain.steps[-1].options["target_lufs"] == -16.0
    kinds = [f.kind for f in chain.obs_filters]
    assert kinds[0] == "noise_suppress_filter_v2" and chain.obs_filters[0].settings["method"] == "rnnoise"
    assert {"gain_filter", "compressor_filter", "limiter_filter"} <= set(kinds)
    assert found["music-stems-4"].steps[0].options == {"stems": 4}
    assert found["youtube-narration"].needs_text


def test_a_user_preset_overrides_a_shipped_one_by_name(user_folder):
    write(user_folder, "mine", {"name": "podcast-voice", "description": "louder",
                                "steps": [{"op": "loudness", "options": {"target_lufs": -14}}]})
    p = presets.get_preset("podcast-voice")
    assert p.description == "louder" and p.source.parent == user_folder


def test_packaged_presets_folder_is_found(tmp_path, monkeypatch):
    pkg = Path(presets.__file__).resolve().parent
    packaged = pkg / "_presets"
    assert not packaged.exists()
    shutil.copytree(presets.shipped_dir(), packaged)
    try:
        assert presets.shipped_dir() == packaged
        assert REQUIRED <= set(presets.load_presets())
    finally:
        shutil.rmtree(packaged)


@pytest.mark.parametrize("data, field", [
    ({"name": "x", "steps": [{"op": "enhance", "options": {"strength": 9}}]}, "steps[0].options.strength"),
    ({"name": "x", "steps": [{"op": "enhance", "options": {"volume": 1}}]}, "steps[0].options.volume"),
    ({"name": "x", "steps": [{"op": "explode"}]}, "steps[0].op"),
    ({"name": "x", "steps": [{"op": "dub", "options": {}}]}, "steps[0].options.target_language"),
    ({"name": "x", "steps": [{"op": "split_stems", "options": {"stems": 3}}]}, "steps[0].options.stems"),
    ({"name": "x", "steps": [{"op": "enhance"}, {"op": "narrate"}]}, "steps[1].op"),
    ({"name": "x", "steps": [{"op": "split_stems"}, {"op": "enhance"}]}, "steps[0].op"),
    ({"name": "x", "steps": []}, "steps"),
    ({"name": "Bad Name!", "steps": [{"op": "enhance"}]}, "name"),
    ({"name": "x", "steps": [{"op": "dereverb", "options": {"type": "room"}}]}, "steps[0].options.type"),
    ({"name": "x", "steps": [{"op": "loudness", "options": {"target_lufs": "loud"}}]},
     "steps[0].options.target_lufs"),
    ({"name": "x", "steps": [{"op": "enhance"}],
      "obs_filters": [{"kind": "gain_filter", "name": "g", "settings": {"db": 99}}]},
     "obs_filters[0].settings.db"),
    ({"name": "x", "steps": [{"op": "enhance"}],
      "obs_filters": [{"kind": "reverb_filter", "name": "r"}]}, "obs_filters[0].kind"),
])
def test_an_invalid_preset_names_the_file_and_the_bad_field(user_folder, data, field):
    path = write(user_folder, "broken", data)
    with pytest.raises(PresetError) as err:
        presets.load_preset(path)
    assert "broken.json" in str(err.value) and field in str(err.value)


def test_broken_json_names_the_line(user_folder):
    path = write(user_folder, "typo", '{"name": "x",\n "steps": [}')
    with pytest.raises(PresetError, match=r"typo\.json: line 2"):
        presets.load_preset(path)


def test_an_unknown_preset_lists_the_known_ones():
    with pytest.raises(PresetError, match="no preset named 'nope'") as err:
        presets.get_preset("nope")
    assert "stream-mic-cleanup" in err.value.hint
