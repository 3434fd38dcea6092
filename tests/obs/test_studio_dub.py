"""OBS's dub button on a stream recording with music under the talk: the dubbed copy's first
track is the dub over the music (kept by default), the second the untouched original."""
from __future__ import annotations

import subprocess

from tests import media_factory
from tests.obs.media_checks import audio_track, sha256, similarity, video_frames_md5
from tests.studio_checks import onset


def test_dub_button_keeps_the_music_under_the_dubbed_sentences(connected, media_dir, tmp_path):
    talk, true_bed, spans = media_factory.talk_over_music(media_dir)
    recording = tmp_path / "recordings" / "2026-12-02 06-00-00.mkv"
    recording.parent.mkdir()
    subprocess.run([media_factory.ffmpeg(), "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=25", "-i", str(talk), "-shortest",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "flac", str(recording)], check=True, capture_output=True)
    before = sha256(recording)
    connected.update(recording=str(recording), dub_language="es")

    connected.click("dub")

    status = connected.wait_status("Dubbed copy", "Dub failed", timeout=180)
    assert status.startswith("Dubbed copy (es)"), status
    dubbed = recording.with_name(f"{recording.stem}.dub-es.mkv")
    dub, original = audio_track(dubbed, 0, tmp_path), audio_track(dubbed, 1, tmp_path)
    assert similarity(original, audio_track(recording, 0, tmp_path)) > 0.9
    bed = audio_track(true_bed, 0, tmp_path)
    rate = 16000
    pause = slice(int(spans[0][1] * rate) + 4000, int(spans[1][0] * rate) - 2000)
    assert similarity(dub[pause], bed[pause]) > 0.8              # the music plays on
    assert similarity(dub, original) < 0.9                       # but the voice is new
    voice = dub - bed[: len(dub)] * (dub[pause] @ bed[pause]) / (bed[pause] @ bed[pause])
    for start, _end in spans:                                    # each line where it was said
        found = onset(voice, rate, start)
        assert found is not None and abs(found - start) <= 0.1, (start, found)
    assert video_frames_md5(dubbed) == video_frames_md5(recording)
    assert sha256(recording) == before
