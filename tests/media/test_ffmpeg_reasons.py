"""An ffmpeg failure is explained by the line that says why, not by its last progress line."""
from __future__ import annotations

from ttsai_plugin.media.ffmpeg import reason_and_hint

OPUS_RATE_FAILURE = """\
Input #0, wav, from 'narration.wav':
  Duration: 00:00:05.53, bitrate: 352 kb/s
[libopus @ 0x55d0c8a1e2c0] Specified sample rate 22050 is not supported
[aost#0:0/libopus @ 0x55d0c8a1f000] Error while opening encoder - maybe incorrect parameters such as bit_rate, rate, width or height.
[out#0/ogg @ 0x55d0c8a1d100] video:0KiB audio:0KiB subtitle:0KiB other streams:0KiB global headers:0KiB muxing overhead: unknown
size=       0KiB time=N/A bitrate=N/A speed=N/A
Conversion failed!
"""


def test_the_reason_is_the_encoder_complaint_not_the_statistics():
    reason, _hint = reason_and_hint(OPUS_RATE_FAILURE)
    assert "size=" not in reason and "video:" not in reason
    assert "maybe incorrect parameters" in reason or "22050 is not supported" in reason


def test_a_run_with_only_statistics_still_says_something():
    reason, _hint = reason_and_hint("size=       0KiB time=N/A bitrate=N/A speed=N/A\n")
    assert reason.strip(".")
