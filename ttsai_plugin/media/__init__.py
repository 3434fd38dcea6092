"""Media handling on top of ffmpeg and soundfile: probe, extract, encode for upload, decode,
join, stretch, loudness and mux. Every output is written atomically; inputs are never modified.
"""
from __future__ import annotations

from ttsai_plugin.media.audio import decode, extract, pcm_chunks, write_audio, write_wav
from ttsai_plugin.media.ffmpeg import configure, ffmpeg_exe
from ttsai_plugin.media.files import atomic_output
from ttsai_plugin.media.probe import AudioStream, MediaInfo, duration, probe

__all__ = [
    "AudioStream", "MediaInfo", "atomic_output", "configure", "decode", "duration", "extract",
    "ffmpeg_exe", "pcm_chunks", "probe", "write_audio", "write_wav",
]
