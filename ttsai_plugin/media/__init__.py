"""Media handling on top of ffmpeg and soundfile: probe, extract, encode for upload, decode,
join, stretch, loudness and mux. Every output is written atomically; inputs are never modified.
"""
from __future__ import annotations

from ttsai_plugin.media.audio import decode, extract, pcm_chunks, write_audio, write_wav
from ttsai_plugin.media.ffmpeg import configure, ffmpeg_exe
from ttsai_plugin.media.files import atomic_output
from ttsai_plugin.media.join import OrderedJoin, concat, stitch
from ttsai_plugin.media.loudness import loudness, normalize, true_peak
from ttsai_plugin.media.probe import AudioStream, MediaInfo, duration, probe
from ttsai_plugin.media.transform import mux_audio, time_stretch
from ttsai_plugin.media.upload import (ACCEPTED_FORMATS, SPLIT_OVERLAP, UploadPlan,
                                       encode_for_upload, plan_upload)

__all__ = [
    "ACCEPTED_FORMATS", "AudioStream", "MediaInfo", "OrderedJoin", "SPLIT_OVERLAP", "UploadPlan",
    "atomic_output", "concat", "configure", "decode", "duration", "encode_for_upload", "extract",
    "ffmpeg_exe", "loudness", "mux_audio", "normalize", "pcm_chunks", "plan_upload", "probe",
    "stitch", "time_stretch", "true_peak", "write_audio", "write_wav",
]
