"""Changing time and containers: tempo without pitch change, and audio tracks muxed under an
untouched video stream."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ttsai_plugin.errors import InputError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.audio import codec_args
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import atomic_output, source
from ttsai_plugin.media.probe import audio_stream, duration, probe

_MIN_RATIO, _MAX_RATIO = 0.1, 10.0
_MUX_AUDIO = {".mp4": ["-c:a", "aac", "-b:a", "192k"], ".m4v": ["-c:a", "aac", "-b:a", "192k"],
              ".mov": ["-c:a", "aac", "-b:a", "192k"], ".mkv": ["-c:a", "flac"],
              ".webm": ["-c:a", "libopus", "-b:a", "160k"]}


def atempo_chain(ratio: float) -> str:
    """An ``atempo`` filter chain for any ratio, each link within atempo's 0.5–2.0 range."""
    links = []
    while ratio > 2.0:
        links.append(2.0)
        ratio /= 2.0
    while ratio < 0.5:
        links.append(0.5)
        ratio /= 0.5
    links.append(ratio)
    return ",".join(f"atempo={r:.9f}" for r in links)


def time_stretch(src: str | os.PathLike[str], out: str | os.PathLike[str], *, ratio: float,
                 cancel: CancelCheck | None = None) -> Path:
    """Play ``src`` ``ratio`` times as fast with the pitch kept (duration becomes d / ratio).

    To fit a dub into the original's length use ``ratio = dub_duration / target_duration``.
    """
    p = source(src)
    if not _MIN_RATIO <= ratio <= _MAX_RATIO:
        raise InputError(f"A tempo ratio of {ratio:g} is out of range.",
                         hint=f"Use a ratio between {_MIN_RATIO} and {_MAX_RATIO}.")
    info = probe(p)
    rate = audio_stream(info, p, 0).sample_rate
    frames = round(duration(p) * rate / ratio)
    exact = f"apad=whole_len={frames},atrim=end_sample={frames}"  # atempo's length drifts
    out_p = Path(out)
    with atomic_output(out_p, p) as tmp:
        ffmpeg.run(["-i", p, "-map", "0:a:0", "-vn", "-af", f"{atempo_chain(ratio)},{exact}",
                    *codec_args(out_p), tmp], cancel=cancel, what=f"change the tempo of {p.name}")
    return out_p


_WEBM_VIDEO = ("vp8", "vp9", "av1")


def check_video_output(video: str | os.PathLike[str], out: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a container that cannot hold ``video``'s picture as it is
    (it is copied, never re-encoded): WebM takes only VP8, VP9 and AV1."""
    out_p = Path(out)
    codec = probe(video).video_codec
    if out_p.suffix.lower() == ".webm" and codec and codec not in _WEBM_VIDEO:
        raise InputError(f"{out_p.name} cannot hold the {codec} picture of {Path(video).name}: "
                         "WebM takes only VP8, VP9 or AV1, and the picture is copied as it is.",
                         hint="Write .mp4, .mkv or .mov instead.")


def mux_audio(video: str | os.PathLike[str], audio_tracks: Sequence[str | os.PathLike[str]],
              out: str | os.PathLike[str], *, titles: Sequence[str] | None = None,
              languages: Sequence[str | None] | None = None,
              cancel: CancelCheck | None = None) -> Path:
    """A copy of ``video`` with its video stream copied bit for bit and ``audio_tracks`` as its
    audio, in order (first is the default track), e.g. the cleaned take, then the original.
    ``titles`` and ``languages`` (ISO 639-2, "spa") label the tracks for players and editors."""
    v = source(video)
    tracks = [source(a) for a in audio_tracks]
    if not tracks:
        raise InputError("mux_audio needs at least one audio track.")
    if not probe(v).has_video:
        raise InputError(f"{v.name} has no video stream to keep.",
                         hint="Pass the recording that holds the picture.")
    for t in tracks:
        audio_stream(probe(t), t, 0)
    out_p = Path(out)
    codec = _MUX_AUDIO.get(out_p.suffix.lower())
    if codec is None:
        raise InputError(f"Cannot mux into {out_p.suffix or 'a file without suffix'}.",
                         hint=f"Use one of {', '.join(sorted(_MUX_AUDIO))}.")
    check_video_output(v, out_p)
    for label, values in (("titles", titles), ("languages", languages)):
        if values is not None and len(values) != len(tracks):
            raise InputError(f"{len(values)} {label} given for {len(tracks)} audio tracks.")
    args: list = ["-i", v]
    for t in tracks:
        args += ["-i", t]
    args += ["-map", "0:v", "-map_metadata", "0", "-map_chapters", "0"]
    for i in range(len(tracks)):
        args += ["-map", f"{i + 1}:a:0"]
    args += ["-c:v", "copy", *codec]
    for i in range(len(tracks)):
        args += [f"-disposition:a:{i}", "default" if i == 0 else "0"]
        if titles is not None:
            args += [f"-metadata:s:a:{i}", f"title={titles[i]}"]
        if languages is not None and languages[i]:
            args += [f"-metadata:s:a:{i}", f"language={languages[i]}"]
    if out_p.suffix.lower() in (".mp4", ".m4v", ".mov"):
        args += ["-movflags", "+faststart"]
    with atomic_output(out_p, v, *tracks) as tmp:
        ffmpeg.run([*args, tmp], cancel=cancel, what=f"mux audio into {v.name}")
    return out_p
