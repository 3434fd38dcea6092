"""What a workflow hands back to a host: placements on the timeline and what it cost."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttsai_plugin.clips import Placement


@dataclass
class WorkflowResult:
    """Placements to insert, the credits spent, and whatever else the operation learned.

    ``mock`` is the engine's label when any answer was mocked (show it, never hide it);
    ``mute_source`` tells the host to mute the original clip once the result is in place.
    """

    placements: list[Placement]
    credits_used: float = 0.0
    mock: str | None = None
    transcript: Any | None = None
    files: list[Path] = field(default_factory=list)
    mute_source: bool = True
    notes: list[str] = field(default_factory=list)
    original_text: str | None = None
    translated_text: str | None = None
    analysis: Any | None = None
    cached: bool = False

    @property
    def audio(self) -> list[Placement]:
        return [p for p in self.placements if p.kind == "audio"]

    @property
    def captions(self) -> list[Placement]:
        return [p for p in self.placements if p.kind == "caption"]


@dataclass(frozen=True)
class Estimate:
    """Credits a job will cost before it runs; ``detail`` says how that was worked out."""

    credits: float
    detail: str
    upper_bound: bool = False
