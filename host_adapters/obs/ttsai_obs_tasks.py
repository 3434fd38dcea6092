"""What each button does off the main thread: core workflows in, plain results out.

No ``obspython`` here: these run on worker threads and hand back paths and names that the
script applies to OBS on its main thread. Originals are never touched; every output is
written under a temporary name and renamed when complete (the core's media functions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ttsai_plugin import media, presets, workflows
from ttsai_plugin.clients import make_client
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import (AuthenticationError, EngineMissingError, InputError, NotFoundError,
                                 PresetError, TTSAIError)
from ttsai_plugin.journal import Journal, JournalEntry
from ttsai_plugin.workflows.context import Context

Progress = Callable[[float, str], None]
MUXABLE = (".mkv", ".mp4", ".mov", ".m4v", ".webm")
"""Containers a copy can be written in; other recordings (.flv, .ts) get an .mkv copy."""


@dataclass(frozen=True)
class Connection:
    """Where the API is. The key is never here: the core reads it from the user's config."""

    base_url: str
    media_dir: Path


@dataclass
class Landing:
    """Where a finished result goes in OBS: Media Sources ``(source, file, play)`` to show in
    ``scene`` and sources to mute. The journal keeps it, so an interrupted result lands the
    same way later."""

    scene: str = ""
    shown: list[tuple[str, str, bool]] = field(default_factory=list)
    mute: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"scene": self.scene, "shown": [list(s) for s in self.shown],
                "mute": list(self.mute)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Landing":
        return cls(str(data.get("scene", "")),
                   [(str(a), str(b), bool(c)) for a, b, c in data.get("shown", [])],
                   [str(m) for m in data.get("mute", [])])


@dataclass
class Outcome:
    """A finished job: files made, a line for the status text, a mock label if mocked, the
    credits it cost and where it goes in OBS."""

    message: str
    files: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mock: str | None = None
    credits: float = 0.0
    landing: Landing = field(default_factory=Landing)


JOURNAL_HOST = "obs"
OBS_HINTS: dict[type, str] = {
    AuthenticationError: "Type your key under Connection → API key and press 'Save key' (or "
                         "clear the key to use the local engine).",
    NotFoundError: "Check the Voice in the script's Narration settings.",
    EngineMissingError: "Type your key under Connection → API key and press 'Save key', or "
                        "install the offline engine into the Python OBS uses: pip install "
                        "'ttsai-plugin[engine]'.",
}
"""What to do, in the script's own words, instead of the core's CLI and add-on words."""


def in_obs_terms(error: BaseException) -> str:
    """An error's message with its hint replaced by what to do in OBS, where that differs."""
    text = str(error)
    obs_hint = next((h for kind, h in OBS_HINTS.items() if isinstance(error, kind)), None)
    hint = getattr(error, "hint", None)
    if obs_hint is None or not isinstance(error, TTSAIError):
        return text
    if hint and text.endswith(hint):
        text = text[:-len(hint)].rstrip()
    return f"{text} {obs_hint}"


def journal() -> Journal:
    """The user's journal (``TTSAI_JOURNAL``, else the user data folder), shared with the core."""
    return Journal()


def journaled(task: Callable[..., Outcome], job_id: str, operation: str,
              land: Callable[[Outcome], Landing] | None = None) -> Callable[..., Outcome]:
    """``task``, then its complete files and where they go noted in the journal (fsynced) on
    the worker — before OBS shows them, so a crash in between loses nothing paid for."""
    def run(conn: Connection, *args: Any, progress: Progress, cancel: Any) -> Outcome:
        outcome = task(conn, *args, progress=progress, cancel=cancel)
        if land is not None:
            outcome.landing = land(outcome)
        journal().record_finished(job_id, operation, outcome.files, credits=outcome.credits,
                                  meta={"host": JOURNAL_HOST, "message": outcome.message,
                                        "landing": outcome.landing.to_json()})
        return outcome
    return run


def interrupted(running: set[str] | frozenset[str] = frozenset()) -> list[JournalEntry]:
    """The script's finished results that OBS never showed (it closed or crashed first) and
    whose files are still there, oldest first; jobs still ``running`` here are not included."""
    return [e for e in journal().recover() if e.meta.get("host") == JOURNAL_HOST
            and "landing" in e.meta and e.job_id not in running]


def _context(conn: Connection, work: str, progress: Progress, cancel: Any) -> Context:
    client = make_client(base_url=conn.base_url.strip() or None)
    out_dir = conn.media_dir / work
    out_dir.mkdir(parents=True, exist_ok=True)
    return Context(client=client, out_dir=out_dir, cache=ResultCache(), progress=progress,
                   cancel=cancel)


def _recording(path: str) -> Path:
    p = Path(path).expanduser()
    if not path or not p.is_file() or p.stat().st_size == 0:
        raise InputError(f"No recording at '{path}'." if path else "No recording to use yet.",
                         hint="Record something first, or choose a file in 'Recording'.")
    if not media.probe(p).audio_streams:
        raise InputError(f"'{p.name}' has no audio track to work on.")
    return p


def _beside(src: Path, tag: str) -> Path:
    """``<name>.<tag>.<ext>`` next to the recording, keeping its container when possible."""
    suffix = src.suffix if src.suffix.lower() in MUXABLE else ".mkv"
    return src.with_name(f"{src.stem}.{tag}{suffix}")


def _label(result: Any, client: Any = None) -> str:
    """What the status line adds: the engine's mock label, and what the job cost — nothing
    from the cache, else the credits the API reported used by this job and left."""
    mock = f" (mock: {result.mock})" if result.mock else ""
    if result.cached:
        return mock + " — from cache, no credits used"
    state = getattr(client, "credits", None)
    used = state.used_total if state is not None and state.used_total else result.credits_used
    left = getattr(state, "remaining", None)
    if not used and left is None:
        return mock
    cost = f"{used:,.2f}".rstrip("0").rstrip(".") + " credits used"
    return mock + f" — {cost}" + (f", {left:,.0f} left" if left is not None else "")


def preset(name: str) -> presets.Preset:
    """The preset chosen in a Preset list, or an error that says what to do in OBS."""
    try:
        return presets.get_preset(name)
    except PresetError as exc:
        known = sorted(presets.load_presets()) if presets.preset_dirs() else []
        if not known:
            raise InputError(f"No presets are installed, so '{name}' cannot be used.",
                             hint="Reinstall the core in the script's 'Core folder' "
                             "(pip install -U ttsai-plugin), then press 'Refresh'.") from None
        if "no preset named" not in str(exc):
            raise
        raise InputError(f"There is no preset called '{name}'.",
                         hint=f"Pick one in the Preset list ({', '.join(known)}).") from None


def narrate(conn: Connection, text: str, voice: str, *, progress: Progress,
            cancel: Any) -> Outcome:
    """Speak ``text`` with ``voice`` into a file in the media folder."""
    if not text.strip():
        raise InputError("The narration text is empty.", hint="Type what should be said.")
    ctx = _context(conn, "narration", progress, cancel)
    with ctx.client:
        result = workflows.narrate(ctx, text, voice=voice)
    path = result.audio[0].path
    return Outcome(f"Narration ready: {path.name}{_label(result, ctx.client)}", [path], mock=result.mock,
                   credits=result.credits_used)


def clean_recording(conn: Connection, recording: str, preset_name: str, *, progress: Progress,
                    cancel: Any) -> Outcome:
    """Write ``<name>.clean.<ext>``: the video stream copied, the audio cleaned by the preset."""
    src = _recording(recording)
    chosen = preset(preset_name)
    ctx = _context(conn, "cleanup", progress, cancel)
    with ctx.client:
        result = workflows.run_preset(ctx, chosen, clip=Clip(media=src))
    ctx.check_cancelled()
    out = _beside(src, "clean")
    media.mux_audio(src, [result.audio[-1].path], out, titles=[f"Cleaned ({chosen.name})"],
                    cancel=cancel)
    return Outcome(f"Cleaned recording: {out.name}{_label(result, ctx.client)}", [out],
                   mock=result.mock, credits=result.credits_used)


def dub_recording(conn: Connection, recording: str, language: str, *, progress: Progress,
                  cancel: Any) -> Outcome:
    """Write ``<name>.dub-<lang>.<ext>``: first audio track the dub, second the original."""
    src = _recording(recording)
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", language or ""):
        raise InputError(f"'{language}' is not a language code.", hint="Use e.g. es, fr, de.")
    ctx = _context(conn, "dub", progress, cancel)
    with ctx.client:
        result = workflows.dub(ctx, Clip(media=src), target_language=language)
    ctx.check_cancelled()
    out = _beside(src, f"dub-{language}")
    media.mux_audio(src, [result.audio[0].path, src], out,
                    titles=[f"Dub ({language})", "Original"], cancel=cancel)
    return Outcome(f"Dubbed copy ({language}): {out.name}{_label(result, ctx.client)}", [out],
                   mock=result.mock, credits=result.credits_used)


def split_stems(conn: Connection, path: str, stems: int, *, progress: Progress,
                cancel: Any) -> Outcome:
    """Separate a media file into ``stems`` files; ``names`` are the stems' names."""
    src = Path(path)
    if not src.is_file():
        raise InputError(f"The media file '{path}' does not exist.")
    ctx = _context(conn, "stems", progress, cancel)
    with ctx.client:
        result = workflows.split_stems(ctx, Clip(media=src), stems=stems)
    placed = result.audio
    return Outcome(f"{len(placed)} stems of {src.name}{_label(result, ctx.client)}",
                   [p.path for p in placed], [p.path.stem for p in placed], mock=result.mock,
                   credits=result.credits_used)
