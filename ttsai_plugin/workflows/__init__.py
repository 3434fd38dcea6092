"""Host-neutral workflows: each takes a Context (client, output folder, cache, progress, cancel)
and a clip or text, and returns a WorkflowResult of placements for the host to insert."""
from __future__ import annotations

from ttsai_plugin.workflows.analyze import analyze
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.dereverb import dereverb
from ttsai_plugin.workflows.dub import dub
from ttsai_plugin.workflows.enhance import enhance
from ttsai_plugin.workflows.estimate import estimate
from ttsai_plugin.workflows.narrate import narrate
from ttsai_plugin.workflows.preset_run import run_preset
from ttsai_plugin.workflows.restyle import restyle
from ttsai_plugin.workflows.results import Estimate, WorkflowResult
from ttsai_plugin.workflows.stems import split_stems
from ttsai_plugin.workflows.transcribe import transcribe
from ttsai_plugin.workflows.voice_convert import voice_convert

__all__ = [
    "Context", "Estimate", "WorkflowResult", "analyze", "dereverb", "dub", "enhance", "estimate",
    "narrate", "restyle", "run_preset", "split_stems", "transcribe", "voice_convert",
]
