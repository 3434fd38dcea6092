"""After a stream: a cleaned copy of the recording (by hand or when recording stops), a dub."""
from __future__ import annotations

from tests.obs.media_checks import (audio_track, similarity, sha256, track_loudness,
                                    video_frames_md5)


def _clean_path(recording, suffix=None):
    return recording.with_name(f"{recording.stem}.clean{suffix or recording.suffix}")


def _assert_clean_copy(recording, before_sha, tmp_path, suffix=None):
    clean = _clean_path(recording, suffix)
    assert clean.is_file()
    assert sha256(recording) == before_sha
    assert video_frames_md5(clean) == video_frames_md5(recording)
    from ttsai_plugin import media
    assert len(media.probe(clean).audio_streams) == 1
    cleaned, original = audio_track(clean, 0, tmp_path), audio_track(recording, 0, tmp_path)
    assert abs(len(cleaned) - len(original)) < 0.1 * 16000
    assert similarity(cleaned, original) < 0.999  # processed, not a copy
    assert abs(track_loudness(clean, 0, tmp_path) - -16.0) < 1.0  # the preset's last step
    assert track_loudness(recording, 0, tmp_path) < -19.0  # the original stays as it was


def test_cleanup_button_writes_a_clean_copy_beside_the_recording(connected, recording, tmp_path):
    before = sha256(recording)
    connected.update(recording=str(recording), cleanup_preset="stream-mic-cleanup")

    connected.click("clean")

    status = connected.wait_status("Cleaned recording", "Cleanup failed", timeout=120)
    assert status.startswith("Cleaned recording"), status
    _assert_clean_copy(recording, before, tmp_path)


def test_recording_stop_cleans_automatically_when_enabled(connected, flv_recording, tmp_path):
    before = sha256(flv_recording)
    connected.update(cleanup_auto=True, cleanup_preset="stream-mic-cleanup")

    connected.py(f"import ttsai_obs; ttsai_obs.handle_recording_stopped({str(flv_recording)!r})")

    status = connected.wait_status("Cleaned recording", "Cleanup failed", timeout=120)
    assert status.startswith("Cleaned recording"), status
    _assert_clean_copy(flv_recording, before, tmp_path, ".mkv")  # FLV cannot hold the copy


def test_without_auto_cleanup_a_stop_is_remembered_for_the_button(connected, recording, tmp_path):
    connected.py(f"import ttsai_obs; ttsai_obs.handle_recording_stopped({str(recording)!r})")
    connected.py("import time; time.sleep(0.5)")
    assert not _clean_path(recording).exists()

    connected.click("clean")

    assert connected.wait_status("Cleaned recording", "Cleanup failed",
                                 timeout=120).startswith("Cleaned recording")
    assert _clean_path(recording).is_file()


def test_a_failed_recording_only_says_so(connected, tmp_path):
    connected.update(cleanup_auto=True)
    connected.py(f"import ttsai_obs; ttsai_obs.handle_recording_stopped("
                 f"{str(tmp_path / 'never-written.mkv')!r})")
    assert connected.wait_status("Recording stopped, but no recording file")


def test_dub_makes_a_copy_with_the_dub_first_and_the_original_second(connected, recording,
                                                                   tmp_path):
    before = sha256(recording)
    connected.update(recording=str(recording), dub_language="es")

    connected.click("dub")

    status = connected.wait_status("Dubbed copy", "Dub failed", timeout=120)
    assert status.startswith("Dubbed copy (es)"), status
    assert "(mock: speech-translate" in status  # the engine's mock is shown, never hidden
    dubbed = recording.with_name(f"{recording.stem}.dub-es{recording.suffix}")
    from ttsai_plugin import media
    tracks = media.probe(dubbed).audio_streams
    assert [t.title for t in tracks] == ["Dub (es)", "Original"]
    original = audio_track(recording, 0, tmp_path)
    assert similarity(audio_track(dubbed, 1, tmp_path), original) > 0.9
    assert similarity(audio_track(dubbed, 0, tmp_path), original) < 0.5
    assert video_frames_md5(dubbed) == video_frames_md5(recording)
    assert sha256(recording) == before


def test_clean_before_any_recording_says_to_record_first(script):
    script.click("clean")
    assert script.wait_status("Cleanup failed") == (
        "Cleanup failed: No recording to use yet. Record something first, or choose a file "
        "in 'Recording'.")
