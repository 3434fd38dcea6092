"""probe() across ffmpeg builds and the odd files real users have: cover art, unfinished
recordings, files whose header does not say how long they are."""
from __future__ import annotations

import shutil
import subprocess

import imageio_ffmpeg
import pytest

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.errors import MediaError
from ttsai_plugin.media.probe import parse

FFMPEGS = [imageio_ffmpeg.get_ffmpeg_exe(), *filter(None, [shutil.which("ffmpeg")])]


@pytest.fixture(params=FFMPEGS, ids=lambda p: "bundled" if "imageio" in p else "system")
def each_ffmpeg(request):
    media.configure(ffmpeg=request.param)
    yield request.param
    media.configure(ffmpeg=None)


def run(*args):
    subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error", *map(str, args)], check=True)


def test_every_ffmpeg_build_reads_the_same_facts(each_ffmpeg, talk_mp4, two_track_mkv):
    movie = media.probe(talk_mp4)
    assert movie.has_video and [(s.codec, s.channels) for s in movie.audio_streams] == [("aac", 1)]
    tracks = media.probe(two_track_mkv)
    assert [(s.channels, s.sample_rate, s.language) for s in tracks.audio_streams] == [
        (2, 44100, "eng"), (1, 48000, "spa")]


def test_cover_art_is_not_video(speech_wav, tmp_path):
    cover = tmp_path / "cover.png"
    run("-f", "lavfi", "-i", "color=c=red:size=64x64", "-frames:v", "1", cover)
    song = tmp_path / "song.mp3"
    run("-i", speech_wav, "-i", cover, "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame",
        "-c:v", "png", "-disposition:v", "attached_pic", song)
    info = media.probe(song)
    assert not info.has_video and info.audio_streams[0].codec == "mp3"


def test_an_unfinished_recording_gets_a_hint(talk_mp4, tmp_path):
    broken = tmp_path / "crashed-recording.mp4"
    data = talk_mp4.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # moov atom is at the end: cut off
    with pytest.raises(MediaError) as caught:
        media.probe(broken)
    assert "crashed recording" in str(caught.value) or "truncated" in str(caught.value)


def test_a_stream_without_a_duration_in_its_header_is_measured(speech_wav, tmp_path):
    # Matroska written to a pipe (as a recorder that died would leave it) has no duration.
    out = tmp_path / "streamed.mkv"
    with open(out, "wb") as f:
        subprocess.run([media_factory.ffmpeg(), "-v", "error", "-i", str(speech_wav),
                        "-c:a", "flac", "-f", "matroska", "-"], stdout=f, check=True)
    assert "Duration: N/A" in subprocess.run([media.ffmpeg_exe(), "-i", str(out)],
                                             capture_output=True, text=True).stderr
    assert media.probe(out).duration == pytest.approx(media.duration(speech_wav), abs=0.05)


@pytest.mark.parametrize("line, expected", [
    ("  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp",
     (6, 48000, None)),
    ("  Stream #0:0: Audio: pcm_s24le ([1][0][0][0] / 0x0001), 96000 Hz, 3 channels, s32",
     (3, 96000, None)),
    ("  Stream #0:2(jpn): Audio: opus, 48000 Hz, stereo, fltp (default)", (2, 48000, "jpn")),
])
def test_stream_lines_from_several_ffmpeg_versions(line, expected):
    info = parse(f"Input #0, x, from 'f':\n  Duration: 01:02:03.50, start: 0.0\n{line}\n")
    s = info.audio_streams[0]
    assert (s.channels, s.sample_rate, s.language) == expected
    assert info.duration == pytest.approx(3723.5)
