"""One operation from selection to timeline: gather on the main thread, run the core workflow
on a worker, insert on the main thread as one undo step — all or nothing."""
from __future__ import annotations

import contextlib
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import bpy

from ttsai_plugin.cache import ResultCache
from ttsai_plugin.clips import Placement
from ttsai_plugin.errors import InputError, TTSAIError
from ttsai_plugin.journal import Journal

from . import host, mix, prefs, runtime, save_handler

if TYPE_CHECKING:  # the workflows load with the first job, not when the add-on is enabled
    from ttsai_plugin.workflows import Context, WorkflowResult

Step = Callable[["Context"], "WorkflowResult"]
in_flight: set[str] = set()
"""Job ids whose results this session will still insert itself (never offered for recovery)."""


@dataclass
class Item:
    """One unit of work: a source strip (None for narration) and the workflow call on it."""

    source: host.Source | None
    step: Step
    above: int = 0   # place results on channels above this one


@dataclass
class Landing:
    """One item's result as the timeline takes it: placements, the channel to go above and
    the strips to mute. The journal keeps these, so an interrupted job lands the same later."""

    placements: list[Placement]
    above: int = 0
    mute: list[str] = field(default_factory=list)
    source: str = ""          # the selected strip (recovery says so when it is gone)
    meta: str = ""            # the meta strip the source sits in: results go beside it
    mix_from: str = ""        # the sound strip whose volume/pan the audio results take
    mix: mix.Mix | None = None  # that mix as captured when the job started

    def to_json(self) -> dict[str, Any]:
        return {"placements": [{**asdict(p), "path": str(p.path)} for p in self.placements],
                "above": self.above, "mute": list(self.mute), "source": self.source,
                "meta": self.meta, "mix_from": self.mix_from,
                "mix": self.mix.to_json() if self.mix else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Landing":
        return cls([Placement(**p) for p in data["placements"]], int(data.get("above", 0)),
                   list(data.get("mute", [])), str(data.get("source", "")),
                   str(data.get("meta", "")), str(data.get("mix_from", "")),
                   mix.Mix.from_json(data.get("mix")))


@dataclass
class Plan:
    """Everything a job needs, captured on the main thread before it starts."""

    operation: str
    label: str
    items: list[Item]
    settings: prefs.Settings
    out_dir: Path
    saved: bool
    data_dir: Path   # the extension's user folder: cache, journal, unpacked sounds
    produces_audio: bool = True
    estimate: Callable[[Context], float] | None = None
    after: Callable[[Any, list[WorkflowResult]], str] | None = None  # main thread, after landing
    outcome: str = ""          # what ``after`` made of the results (replaces the strip count)
    credits: Any = None        # the job's client's CreditState (``X-Credits-*``)
    results: list[WorkflowResult] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    srt_files: list[Path] = field(default_factory=list)
    landing_notes: list[str] = field(default_factory=list)
    job_id: str = field(default_factory=lambda: f"blender-{uuid.uuid4().hex[:12]}")
    blend: str = field(default_factory=lambda: bpy.data.filepath)  # the file it belongs to
    scene: str = ""                                                 # set by ``start``


def new_plan(context: Any, operation: str, label: str, *, produces_audio: bool = True) -> Plan:
    """Settings, folders and the online-access check, read on the main thread before anything
    else happens (workers never touch ``bpy``)."""
    s = prefs.settings(context)
    prefs.check_online(s)
    prefs.check_engine(s, operation)
    out_dir, saved = host.media_dir(s.media_folder)
    return Plan(operation, label, [], s, out_dir, saved, prefs.user_dir(), produces_audio)


def clip_items(context: Any, plan: Plan, call: Callable[[Context, Any], WorkflowResult]) -> Plan:
    """One item per selected sound/movie strip."""
    for src in host.selected_sources(context.scene, plan.data_dir / "scratch"):
        plan.items.append(Item(src, lambda ctx, c=src.clip: call(ctx, c), above=src.channel))
    return plan


def preflight(plan: Plan) -> None:
    """Fail before any work when the result could never be placed."""
    if not plan.items:
        raise InputError("Nothing to do.", hint="Select strips or enter text first.")
    if plan.produces_audio:
        host.require_sound()


def context_for(plan: Plan, progress: Any = None, cancel: Any = None) -> Context:
    from ttsai_plugin.workflows import Context
    client = prefs.make_client(plan.settings)
    return Context(client, plan.out_dir, ResultCache(plan.data_dir / "cache"), progress, cancel)


def estimate(plan: Plan) -> float:
    """Total credits the plan will cost (0 when nothing is billed)."""
    if plan.estimate is None:
        return 0.0
    return plan.estimate(context_for(plan))


def work(plan: Plan) -> Callable[..., list[WorkflowResult]]:
    """The worker side: run every item's workflow, sharing progress evenly."""
    def run(progress: Any = None, cancel: Any = None) -> list[WorkflowResult]:
        ctx = context_for(plan, progress, cancel)
        plan.out_dir.mkdir(parents=True, exist_ok=True)
        n = len(plan.items)
        out = []
        for i, item in enumerate(plan.items):
            ctx.check_cancelled()
            out.append(item.step(ctx.sub(i / n, (i + 1) / n)))
        if not getattr(ctx.client, "is_local", False):   # the built-in engine bills nobody
            plan.credits = getattr(ctx.client, "credits", None)
        files = [p.path for r in out for p in r.placements] + [f for r in out for f in r.files]
        meta = {"blend": plan.blend, "scene": plan.scene, "label": plan.label,
                "landings": [x.to_json() for x in landings(plan, out)]}
        _journal(plan).record_finished(plan.job_id, plan.operation, sorted(set(files)),
                                       credits=sum(r.credits_used for r in out), meta=meta)
        return out
    return run


def _journal(plan: Plan) -> Journal:
    return Journal(plan.data_dir / "journal.jsonl")


def landings(plan: Plan, results: list[WorkflowResult]) -> list[Landing]:
    """Where each item's result goes; its source is muted when the workflow says so."""
    out = []
    for item, result in zip(plan.items, results):
        src = item.source
        mute = [src.mute] if (src and src.mute and result.mute_source) else []
        if src is None:
            out.append(Landing(result.placements, item.above, mute))
            continue
        out.append(Landing(result.placements, item.above, mute, src.strip, src.meta or "",
                           src.mute or "", src.mix))
    return out


def land(scene: Any, planned: list[Landing]) -> host.Inserted:
    """``land_steps`` all at once (recovery)."""
    return host.drive(land_steps(lambda: scene, planned))


def land_steps(scene_of: Callable[[], Any], planned: list[Landing]) -> host.Steps[host.Inserted]:
    """Insert every landing on free channels and mute its sources — all or nothing, in
    main-thread slices (``host.insert_steps``)."""
    done: list[host.Inserted] = []
    try:
        for x in planned:
            done.append((yield from host.insert_steps(
                scene_of, x.placements, above=x.above, mute=x.mute, source=x.source or None,
                meta=x.meta or None, mix_from=x.mix_from or None, mix_saved=x.mix)))
    except BaseException:
        with contextlib.suppress(Exception):   # a scene gone with a reloaded file
            scene = scene_of()
            for d in reversed(done):
                host.rollback(scene, d)
        raise
    return host.Inserted([n for d in done for n in d.strips], [n for d in done for n in d.muted],
                         [n for d in done for n in d.notes])


def apply_steps(scene_of: Callable[[], Any], plan: Plan,
                results: list[WorkflowResult]) -> host.Steps[None]:
    """Insert every result on free channels and mute the sources — all or nothing."""
    landed = yield from land_steps(scene_of, landings(plan, results))
    scene = scene_of()
    plan.inserted, plan.landing_notes = landed.strips, landed.notes
    plan.results = results
    if plan.after is not None:
        plan.outcome = plan.after(scene, results)
    plan.srt_files = srt_beside_blend([f for r in results for f in r.files])
    if not plan.saved:
        save_handler.remember([p.path for r in results for p in r.placements]
                              + [f for r in results for f in r.files])
    _journal(plan).mark_placed(plan.job_id)


def srt_beside_blend(files: list[Path]) -> list[Path]:
    """Subtitles also go next to the .blend, where video tools look for them."""
    target = host.blend_dir()
    out = []
    for f in map(Path, files):
        if f.suffix == ".srt":
            dest = (target / f.name) if target else f
            if dest != f:
                tmp = dest.with_suffix(".srt.part")
                shutil.copyfile(f, tmp)
                tmp.replace(dest)
            out.append(dest)
    return out


def start(plan: Plan, scene_name: str, on_end: Callable[[runtime.Task], None] | None = None,
          push_undo: bool = True) -> runtime.Task:
    """Submit the plan; its results are inserted on the main thread when the job ends."""
    def scene_of() -> Any:
        if bpy.data.filepath != plan.blend:
            again = f"Reopen {Path(plan.blend).name} to place them; " if plan.blend else ""
            raise InputError("Another .blend was opened while the job ran; nothing was "
                             f"inserted. {again}The results are in {plan.out_dir}.")
        scene = bpy.data.scenes.get(scene_name)
        if scene is None:
            raise InputError(f"Scene {scene_name!r} is gone; nothing was inserted.",
                             hint=f"The results are in {plan.out_dir}.")
        return scene

    def finish(task: runtime.Task) -> host.Steps[None]:
        """The main-thread end of the job, in slices (runtime runs one per tick)."""
        job = task.job
        try:
            if job.error is not None:
                task.message = _message(job.error)
            else:
                try:
                    yield from apply_steps(scene_of, plan, job.result)
                    task.ok = True
                    runtime.note_credits(plan.label, plan.credits)
                    task.message = summary(plan)
                    task.warnings = notes(plan)
                    if push_undo:
                        bpy.ops.ed.undo_push(message=f"TTS.ai: {plan.label}")
                except Exception as exc:  # noqa: BLE001 - reported; the insertion rolled back
                    task.message = _message(exc)
        finally:
            in_flight.discard(plan.job_id)
        if on_end is not None:
            on_end(task)
    plan.scene = scene_name
    in_flight.add(plan.job_id)
    return runtime.submit(plan.label, work(plan), finish)


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TTSAIError) else f"{type(exc).__name__}: {exc}"


def summary(plan: Plan) -> str:
    credits = sum(r.credits_used for r in plan.results)
    parts = [plan.outcome or f"{plan.label}: {len(plan.inserted)} strip(s) added"]
    if credits:
        parts.append(f"{credits:g} credits")
    if any(r.cached for r in plan.results):
        parts.append("from cache")
    return ", ".join(parts) + "."


def notes(plan: Plan) -> list[str]:
    notice = prefs.engine_notice(plan.settings)
    out = ([notice] if notice else []) + [n for r in plan.results for n in r.notes]
    out += plan.landing_notes
    out += [f"Mocked by the local engine: {r.mock}" for r in plan.results if r.mock]
    if not plan.saved:
        out.append(f"The .blend is not saved: results wait in {plan.out_dir} and move next to "
                   "it (into the media folder) when you first save it.")
    return out

