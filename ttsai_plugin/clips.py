"""Host-neutral clips (the used range of some media) and placements (results for a timeline)."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ttsai_plugin.errors import InputError

# Containers round durations; a range may end this far past the reported end.
_END_TOLERANCE = 0.05
PLACEMENT_KINDS = ("audio", "caption")


@dataclass
class Clip:
    """A reference to media plus the range of it used on the timeline.

    Only ``[source_in, source_out)`` is extracted, uploaded and billed; ``source_out=None``
    means "to the end of the media". ``track`` is the host's channel/track number.
    """

    media: Path
    source_in: float = 0.0
    source_out: float | None = None
    timeline_start: float = 0.0
    track: int = 1
    name: str = ""
    audio_stream: int = 0
    _media_duration: float | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.media = Path(self.media)
        if not self.name:
            self.name = self.media.stem
        for label, value in (("source_in", self.source_in),
                             ("timeline_start", self.timeline_start)):
            if not math.isfinite(value):
                raise InputError(f"Clip {self.name!r}: {label} must be a number, not {value}.")
        if self.source_in < 0:
            raise InputError(f"Clip {self.name!r} starts at {self.source_in:.3f}s in its media; "
                             "it cannot start before 0.")
        if self.source_out is not None and not self.source_out > self.source_in:
            raise InputError(f"Clip {self.name!r} has an empty range "
                             f"({self.source_in:.3f}–{self.source_out:.3f}s).",
                             hint="Make the clip longer than zero frames.")
        if self.audio_stream < 0:
            raise InputError(f"Clip {self.name!r}: audio_stream must be 0 or more.")

    @property
    def media_duration(self) -> float:
        """The whole media's duration (probed once)."""
        if self._media_duration is None:
            from ttsai_plugin.media import probe
            self._media_duration = probe(self.media).duration
        return self._media_duration

    @property
    def duration(self) -> float:
        """Seconds of media this clip uses."""
        end = self.source_out if self.source_out is not None else self.media_duration
        return max(0.0, end - self.source_in)

    @property
    def timeline_end(self) -> float:
        return self.timeline_start + self.duration

    def validate(self) -> "Clip":
        """Check the media exists, has the audio stream, and holds the range; return the clip
        with ``source_out`` filled in. Raises InputError with what to fix."""
        from ttsai_plugin.media import probe
        from ttsai_plugin.media.probe import audio_stream, stream_duration
        found = probe(self.media)
        audio_stream(found, self.media, self.audio_stream)
        info = replace(found, duration=stream_duration(self.media, self.audio_stream))
        self._media_duration = info.duration
        end = self.source_out if self.source_out is not None else info.duration
        if info.duration and self.source_in >= info.duration:
            raise InputError(f"Clip {self.name!r} starts at {self.source_in:.3f}s but "
                             f"{self.media.name} is only {info.duration:.3f}s long.",
                             hint="Trim the clip inside its media, or relink the media.")
        if info.duration and end > info.duration + _END_TOLERANCE:
            raise InputError(f"Clip {self.name!r} ends at {end:.3f}s but {self.media.name} is "
                             f"only {info.duration:.3f}s long.",
                             hint="Trim the clip inside its media, or relink the media.")
        clipped = replace(self, source_out=min(end, info.duration) if info.duration else end)
        clipped._media_duration = info.duration
        return clipped

    def extract(self, out: str | os.PathLike[str], **options) -> Path:
        """Extract just the used range of this clip's audio to ``out`` (see ``media.extract``)."""
        from ttsai_plugin.media import extract
        return extract(self.media, out, start=self.source_in, end=self.source_out,
                       stream=self.audio_stream, **options)


@dataclass
class Placement:
    """A result a workflow hands back to the host: put ``path`` at ``start`` seconds on the
    track ``track_offset`` above the source clip (or above the highest used track)."""

    path: Path
    start: float
    duration: float
    track_offset: int
    name: str
    kind: str = "audio"
    text: str | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.kind not in PLACEMENT_KINDS:
            raise ValueError(f"Placement kind must be one of {PLACEMENT_KINDS}, not {self.kind!r}")
        if self.kind == "caption" and self.text is None:
            raise ValueError("A caption placement needs text")
        if self.duration < 0:
            raise ValueError(f"Placement {self.name!r} has a negative duration")

    @property
    def end(self) -> float:
        return self.start + self.duration
