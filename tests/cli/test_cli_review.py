"""Odd but plausible things users type, found in a hands-on review: each story here once went
wrong (a wrong figure, a misleading message) and now does what the user meant."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests import media_factory
from tests.cli.test_cli import env, one_line_error, ttsai  # noqa: F401 - the shared fixture
from ttsai_plugin import media

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def two_tracks(talk_mp4, music_wav, tmp_path):
    """A video whose second audio track (4 s of music) is shorter than its speech track."""
    out = tmp_path / "two-tracks.mp4"
    subprocess.run([media_factory.ffmpeg(), "-v", "error", "-y", "-i", talk_mp4, "-t", "4", "-i", music_wav,
                    "-map", "0:v", "-map", "0:a", "-map", "1:a", "-c:v", "copy",
                    "-c:a", "aac", out], check=True)
    return out


def test_the_estimate_for_a_second_audio_track_bills_that_tracks_length(env, two_tracks):
    assert media.duration(two_tracks) > 8
    est = json.loads(ttsai(env, "estimate", "enhance", two_tracks, "--stream", "1",
                           "--json").stdout)
    assert est["credits"] == 2 * 4  # 4 s at 2 credits a second, not the 9 s speech track


@pytest.mark.parametrize("flags, says", [
    (["--start", "100"], "--start 100 is past the end of speech.wav, which is 8.93 s long"),
    (["--start", "2", "--end", "100"], "--end 100 is past the end of speech.wav"),
    (["--start", "5", "--end", "2"], "--end 2 is not after --start 5"),
    (["--start", "nan"], "--start and --end are seconds into the input"),
    (["--stream", "-1"], "--stream counts the input's audio tracks from 0"),
])
def test_a_range_past_the_file_is_refused_in_the_flags_own_words(env, speech_wav, tmp_path,
                                                                 flags, says):
    """Not 'Clip ... Trim the clip inside its media, or relink the media' (a timeline's words)."""
    proc = ttsai(env, "enhance", speech_wav, *flags, "-o", tmp_path / "out.wav", check_ok=False)
    line = one_line_error(proc)
    assert proc.returncode == 2 and says in line
    assert "Clip " not in line and "relink" not in line and "frames" not in line
    assert not (tmp_path / "out.wav").exists()


def test_end_is_checked_against_the_chosen_tracks_own_length(env, two_tracks, tmp_path):
    proc = ttsai(env, "enhance", two_tracks, "--stream", "1", "--end", "7", "-o",
                 tmp_path / "music.wav", check_ok=False)
    assert proc.returncode == 2 and "--end 7 is past the end of two-tracks.mp4, which is 4.0" \
        in one_line_error(proc)


@pytest.mark.parametrize("args, says", [
    (["preset", "{speech}"], "Cannot estimate 'preset': it is neither an operation nor a preset"),
    (["bogus"], "or a preset: dub-spanish"),
    (["youtube-narration"], "needs the text it would speak. Add --text"),
    (["narrate"], "needs the text it would speak. Add --text"),
    (["podcast-voice"], "needs the input file. Add it after the operation"),
    (["enhance", "--text", "hi"], "needs the input file"),
])
def test_an_estimate_missing_what_it_needs_says_which_flag_to_add(env, speech_wav, args, says):
    """Not 'Pass text=...'/'Pass clip=...' (the Python API's words) nor an unexpected TypeError."""
    proc = ttsai(env, "estimate", *[a.format(speech=speech_wav) for a in args], check_ok=False)
    line = one_line_error(proc)
    assert proc.returncode == 2 and says in line
    assert "=..." not in line and "Unexpected" not in line and "split_stems" not in line


def test_an_estimate_names_a_preset_as_the_operation(env, speech_wav):
    est = json.loads(ttsai(env, "estimate", "podcast-voice", speech_wav, "--json").stdout)
    assert est["credits"] == 2 * 9 and "podcast-voice" in est["detail"]
    assert "--preset" not in ttsai(env, "estimate", "--help").stdout


def test_transcripts_are_as_readable_as_any_other_file_the_user_makes(env, speech_wav, tmp_path):
    """A transcript is not a secret: it gets the usual permissions (it came out 0600 before)."""
    import os
    import stat
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    ttsai(env, "transcribe", speech_wav, "-o", tmp_path / "t.txt", "--srt", tmp_path / "t.srt",
          "--vtt", tmp_path / "t.vtt")
    expected = stat.S_IMODE(os.stat(ordinary).st_mode)
    for name in ("t.txt", "t.srt", "t.vtt"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected, name


def test_a_webm_output_for_an_h264_video_is_refused_before_any_work(env, talk_mp4, tmp_path):
    """The picture is copied, never re-encoded: WebM cannot hold H.264 (was an opaque ffmpeg
    'frame= 0 ... Lsize= 0KiB' error after the job had run and been paid for)."""
    proc = ttsai(env, "enhance", talk_mp4, "-o", tmp_path / "out.webm", check_ok=False)
    line = one_line_error(proc)
    assert proc.returncode == 2 and "out.webm cannot hold the h264 picture" in line
    assert "Write .mp4, .mkv or .mov instead" in line and "[ 10%]" not in proc.stderr
    assert [p for p in tmp_path.iterdir() if p.name != "home"] == []  # home: the batch ledger
    ttsai(env, "enhance", talk_mp4, "-o", tmp_path / "out.mkv")
    assert media.probe(tmp_path / "out.mkv").video_codec == "h264"


def test_a_voice_filter_that_matches_nothing_says_so(env):
    """An empty answer printed nothing at all, which reads like a hang-up or a broken install."""
    proc = ttsai(env, "voices", "--language", "xx")
    assert proc.stdout == "" and "No voices match --language xx" in proc.stderr
    assert json.loads(ttsai(env, "voices", "--language", "xx", "--json").stdout)["voices"] == []
    spanish = ttsai(env, "voices", "--language", "es").stdout.splitlines()
    assert spanish and all(" es " in f" {line} " for line in spanish)


def test_a_missing_voice_reference_names_the_flag(env, tmp_path):
    """Was '... does not exist. Check the path, or relink the media.' (an editor's words)."""
    proc = ttsai(env, "narrate", "Hello", "--reference", tmp_path / "me.wav", "-o",
                 tmp_path / "out.wav", check_ok=False)
    line = one_line_error(proc)
    assert proc.returncode == 2 and "Check the --reference recording's path" in line
    assert "relink" not in line and not (tmp_path / "out.wav").exists()


def test_an_existing_folder_as_output_gets_the_derived_name_inside_it(env, speech_wav, tmp_path):
    """Was 'Cannot write out: unknown output type (none)'; a folder now means 'put it in here'
    (as -o DIR/ does), named after the input."""
    folder = tmp_path / "renders.d"
    folder.mkdir()
    ttsai(env, "enhance", speech_wav, "-o", folder, "-q")
    assert [p.name for p in folder.iterdir()] == ["speech.clean.wav"]


def test_a_failed_job_leaves_no_empty_folders_that_o_made(env, engine, speech_wav, tmp_path):
    """-o new/takes/clean.wav makes its folders; a job that fails (here a wrong key) must not
    leave them behind, empty, as if something had been saved."""
    work = tmp_path / "work"
    work.mkdir()
    out = work / "new" / "takes" / "clean.wav"
    proc = ttsai(env, "enhance", speech_wav, "-o", out, "--base-url", engine.url,
                 "--api-key", "sk-wrong-key", check_ok=False)
    assert proc.returncode == 3 and "sk-wrong-key" not in proc.stderr
    assert list(work.iterdir()) == []
    ttsai(env, "enhance", speech_wav, "-o", out)
    assert media.duration(out) > 8
