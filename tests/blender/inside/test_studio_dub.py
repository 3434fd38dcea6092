"""Dub like a studio inside the VSE: a talk over music keeps its music as a strip under the
dub, each sentence lands where it was said, and one sentence can be its own strip."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import bpy
import numpy as np

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])
TALK = MEDIA / "talk_music.wav"
SPANS = json.loads((MEDIA / "talk_music.spans.json").read_text())


def _mono(path: Path) -> np.ndarray:
    from ttsai_plugin import media
    return media.decode(path, sample_rate=16000, mono=True)[0]


def _onset(x: np.ndarray, near: float) -> float | None:
    n = 80  # 5 ms at 16 kHz
    levels = 20 * np.log10(np.sqrt(np.mean(x[: len(x) // n * n].reshape(-1, n) ** 2, 1)) + 1e-10)
    lo, hi = int((near - 0.5) / 0.005), int((near + 1.5) / 0.005)
    loud = np.flatnonzero(levels[lo:hi] > levels.max() - 30)
    return None if loud.size == 0 else (lo + int(loud[0])) * 0.005


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def test_dub_a_talk_over_music_keeps_the_music_as_a_strip_under_the_dub(scene, project):
    vse.need_audio()
    sha = hashlib.sha256(TALK.read_bytes()).hexdigest()
    talk = vse.sound(scene, TALK, 1, 26)                     # starts 1 s into the edit
    vse.select_only(scene, talk)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es") == {"FINISHED"}
    bed, dub = vse.new_strips(scene, before)
    assert (bed.channel, dub.channel) == (2, 3)              # the bed right under the dub
    assert vse.compat.visible_range(bed) == vse.compat.visible_range(talk)
    assert vse.compat.visible_range(dub)[0] == vse.compat.visible_range(talk)[0]
    assert vse.file_of(bed).name == "talk_music.bed.wav" and project in vse.file_of(bed).parents
    assert _corr(_mono(vse.file_of(bed)), _mono(MEDIA / "talk_music.bed.wav")) > 0.8
    voice = _mono(vse.file_of(dub))
    for start, _end in SPANS:
        found = _onset(voice, start)
        assert found is not None and abs(found - start) <= 0.1, (start, found)
    assert talk.mute and not bed.mute and not dub.mute       # the editor can rebalance the two
    assert hashlib.sha256(TALK.read_bytes()).hexdigest() == sha


def test_one_strip_per_sentence_lets_the_editor_nudge_a_line(scene, project):
    vse.need_audio()
    talk = vse.sound(scene, TALK, 1, 1)
    vse.select_only(scene, talk)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es", per_sentence_strips=True,
                             subtitles=True) == {"FINISHED"}
    added = vse.new_strips(scene, before)
    sounds = [s for s in added if s.type == "SOUND"]
    texts = [s for s in added if s.type == "TEXT"]
    bed, lines = sounds[0], sounds[1:]
    assert bed.channel == 2 and vse.file_of(bed).name == "talk_music.bed.wav"
    assert len(lines) == len(SPANS) and all(x.channel == 3 for x in lines)
    for line, (start, _end) in zip(lines, SPANS):
        assert abs(vse.seconds(scene, vse.compat.visible_range(line)[0] - 1) - start) <= 0.1
    assert texts and all(t.channel == 4 for t in texts)


def test_without_keep_background_the_dub_is_one_strip_and_no_bed(scene, project):
    vse.need_audio()
    talk = vse.sound(scene, TALK, 1, 1)
    vse.select_only(scene, talk)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es", keep_background=False,
                             timing="CLIP") == {"FINISHED"}
    [dub] = vse.new_strips(scene, before)
    assert dub.channel == 2 and vse.file_of(dub).name == "talk_music.dub-es.wav"
    assert talk.mute


def test_the_dub_dialog_estimate_includes_the_separation(scene, project, capfd):
    vse.need_audio()
    talk = vse.sound(scene, TALK, 1, 1)
    vse.select_only(scene, talk)
    assert bpy.ops.ttsai.dub(target_language="es", estimate_only=True) == {"FINISHED"}
    with_bed = capfd.readouterr()
    assert bpy.ops.ttsai.dub(target_language="es", keep_background=False, timing="CLIP",
                             estimate_only=True) == {"FINISHED"}
    plain = capfd.readouterr()
    assert "Dub: Estimated cost: 65 credits" in plain.out + plain.err       # 13 s × 5
    cost = float((with_bed.out + with_bed.err).split("Dub: Estimated cost: ")[1].split()[0])
    assert cost >= 65 + 13 * 4                                              # + the separation
