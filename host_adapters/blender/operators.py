"""The TTS.ai operators (stable idnames ``ttsai.*``).

From the UI an operator shows its credit estimate, runs in the background with progress in
the status bar and the sidebar, and Esc cancels. From a script (``bpy.ops.ttsai.dub(...)``)
or headless, it blocks until the result is on the timeline and returns ``{'FINISHED'}``; a
failure returns ``{'CANCELLED'}`` with a report saying what to do, and changes nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ttsai_plugin.errors import InputError, TTSAIError

from . import actions, compat, host, prefs, runtime
from .lazy import workflows


class _TTSAIOperator:
    """Shared invoke → estimate dialog → background job → insert, or blocking execute."""

    bl_options = {"REGISTER"}
    operation = ""
    produces_audio = True

    estimate_only: BoolProperty(  # type: ignore
        name="Estimate Only", options={"HIDDEN", "SKIP_SAVE"},
        description="Only report what the job would cost; change nothing")

    @classmethod
    def poll(cls, context: Any) -> bool:
        return context.scene is not None

    # subclasses fill plan.items (and plan.estimate for billed work); steps run on a worker,
    # after the operator may have ended, so they capture plain values, never ``self``
    def build(self, context: Any, plan: actions.Plan) -> None:
        raise NotImplementedError

    def _plan(self, context: Any) -> actions.Plan:
        plan = actions.new_plan(context, self.operation, self.bl_label,
                                produces_audio=self.produces_audio)
        self.build(context, plan)
        actions.preflight(plan)
        return plan

    def _estimate_clips(self, plan: actions.Plan, **opts: Any) -> None:
        clips = [i.source.clip for i in plan.items if i.source is not None]
        plan.estimate = lambda ctx: sum(
            workflows.estimate(ctx, self.operation, clip=c, **opts).credits for c in clips)

    def _fail(self, message: str) -> set[str]:
        """Report a failure and cancel. Scripts get ``{'CANCELLED'}`` with a warning report
        (an ERROR report would make ``bpy.ops`` raise instead); the UI shows an error."""
        self.report({"ERROR"} if getattr(self, "_invoked", False) else {"WARNING"}, message)
        return {"CANCELLED"}

    def invoke(self, context: Any, event: Any) -> set[str]:
        self._invoked = True
        try:
            plan = self._plan(context)
        except TTSAIError as exc:
            return self._fail(str(exc))
        self._estimate = self._cost(plan)
        self.report({"INFO"}, f"{self.bl_label}: {self._estimate}")
        return context.window_manager.invoke_props_dialog(self, width=400)

    @staticmethod
    def _cost(plan: actions.Plan) -> str:
        try:
            credits = actions.estimate(plan)
        except TTSAIError as exc:
            return f"Cost unknown: {exc.message}"
        if not credits:
            return "No credits"
        left = runtime.last_credits.remaining if runtime.last_credits else None
        return f"Estimated cost: {credits:g} credits" + (f" ({left:g} left)" if left is not None else "")

    def draw(self, context: Any) -> None:
        layout = self.layout
        for prop in self.bl_rna.properties:
            if prop.identifier != "rna_type" and not prop.is_hidden:
                layout.prop(self, prop.identifier)
        estimate = getattr(self, "_estimate", "")
        if estimate:
            layout.label(text=estimate, icon="FUND")

    def execute(self, context: Any) -> set[str]:
        try:
            plan = self._plan(context)
        except TTSAIError as exc:
            return self._fail(str(exc))
        if self.estimate_only:
            self.report({"INFO"}, f"{self.bl_label}: {self._cost(plan)}")
            return {"FINISHED"}
        if getattr(self, "_invoked", False) and runtime.timers_fire() and context.window:
            self._task = actions.start(plan, context.scene.name)
            wm = context.window_manager
            self._timer = wm.event_timer_add(0.25, window=context.window)
            wm.modal_handler_add(self)
            return {"RUNNING_MODAL"}
        task = actions.start(plan, context.scene.name)
        runtime.run_blocking(task)
        return self._conclude(task)

    def modal(self, context: Any, event: Any) -> set[str]:
        task = self._task
        if event.type == "ESC" and event.value == "PRESS" and not task.finished:
            task.job.cancel()
            return {"RUNNING_MODAL"}
        if task.finished:
            self.cancel(context)
            return self._conclude(task)
        if event.type == "TIMER":
            fraction, message = task.job.progress
            context.workspace.status_text_set(
                f"TTS.ai {task.label}: {fraction:.0%} {message} — Esc to cancel")
        return {"PASS_THROUGH"}

    def cancel(self, context: Any) -> None:
        """Blender ended the modal run (a file load, a closed window): take down the progress
        timer and status text. The job itself goes on; its result is journaled and offered."""
        if getattr(self, "_timer", None) is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def _conclude(self, task: runtime.Task) -> set[str]:
        for note in task.warnings:
            self.report({"WARNING"}, note)
        if task.ok:
            self.report({"INFO"}, task.message)
            return {"FINISHED"}
        if task.job.state.value == "cancelled":
            self.report({"INFO"}, task.message or f"{task.label} was cancelled.")
            return {"CANCELLED"}
        return self._fail(task.message or f"{task.label} failed.")


class TTSAI_OT_narrate(_TTSAIOperator, bpy.types.Operator):
    """Speak typed text, a text file or the selected text strips as sound strips"""

    bl_idname = "ttsai.narrate"
    bl_label = "Narrate"
    operation = "narrate"

    text: StringProperty(name="Text", description="Words to speak at the playhead")  # type: ignore
    text_file: StringProperty(name="Text File", subtype="FILE_PATH",  # type: ignore
                              options=compat.PATH_OPTIONS)
    voice: StringProperty(name="Voice", description="Empty: the preferences' voice")  # type: ignore
    model: StringProperty(name="Model", description="Empty: the preferences' model")  # type: ignore
    language: StringProperty(name="Language", description="Empty: detect")  # type: ignore
    speed: FloatProperty(name="Speed", default=1.0, min=0.5, max=2.0)  # type: ignore

    def build(self, context: Any, plan: actions.Plan) -> None:
        scene = context.scene
        s = plan.settings
        opts = dict(voice=self.voice or s.voice, model=self.model or s.model,
                    language=self.language or None, speed=self.speed)
        playhead = compat.frame_to_seconds(scene, scene.frame_current)
        texts: list[tuple[str, float, int]] = []   # text, start seconds, channel to go above
        if self.text.strip():
            texts.append((self.text, playhead, 0))
        elif self.text_file:
            path = Path(compat.abspath(self.text_file))
            if not path.is_file():
                raise InputError(f"Text file not found: {path}", hint="Pick an existing file.")
            texts.append((path.read_text(encoding="utf-8"), playhead, 0))
        else:
            for strip in host.selected_text_strips(scene):
                start = compat.frame_to_seconds(scene, compat.visible_range(strip)[0])
                texts.append((strip.text, start, strip.channel))
        if not texts:
            raise InputError("Nothing to narrate.",
                             hint="Type text, pick a text file, or select text strips.")
        for text, start, above in texts:
            plan.items.append(actions.Item(None, lambda ctx, t=text, at=start: workflows.narrate(
                ctx, t, start=at, **opts), above=above))
        plan.estimate = lambda ctx: sum(workflows.estimate(
            ctx, "narrate", text=t, model=opts["model"]).credits for t, _s, _a in texts)


class TTSAI_OT_dub(_TTSAIOperator, bpy.types.Operator):
    """Dub the selected strips into another language on a free channel; mute the originals"""

    bl_idname = "ttsai.dub"
    bl_label = "Dub"
    operation = "dub"

    target_language: StringProperty(  # type: ignore
        name="Target Language", description="ISO code (es, de, pt-BR); empty: preferences")
    voice: StringProperty(name="Voice", description="Empty: a default voice")  # type: ignore
    preserve_voice: BoolProperty(name="Keep Original Voice", default=False)  # type: ignore
    subtitles: BoolProperty(name="Subtitles", default=False,  # type: ignore
                            description="Also add the translation as text strips")
    timing: EnumProperty(name="Timing", default="SENTENCE", items=(  # type: ignore
        ("SENTENCE", "Per Sentence", "Dub each sentence on its own, placed where it was said"),
        ("CLIP", "Whole Clip", "One dub of the whole clip, fitted to its length")))
    keep_background: BoolProperty(  # type: ignore
        name="Keep Background", default=True,
        description="When the clip has music or effects under the speech, separate them and "
                    "keep them as their own strip under the dub")
    per_sentence_strips: BoolProperty(  # type: ignore
        name="Sentence Strips", default=False,
        description="Each dubbed sentence as its own strip, to nudge lines one by one")

    def build(self, context: Any, plan: actions.Plan) -> None:
        how = dict(timing=self.timing.lower(), keep_background=None if self.keep_background
                   else False)
        opts = dict(target_language=self.target_language or plan.settings.language,
                    voice=self.voice or None, preserve_voice=self.preserve_voice,
                    subtitles=self.subtitles, per_sentence_strips=self.per_sentence_strips,
                    mix=False, **how)
        actions.clip_items(context, plan, lambda ctx, clip: workflows.dub(ctx, clip, **opts))
        self._estimate_clips(plan, **how)


class TTSAI_OT_enhance(_TTSAIOperator, bpy.types.Operator):
    """Denoise and clarify the selected strips' audio, aligned over them; mute the originals"""

    bl_idname = "ttsai.enhance"
    bl_label = "Enhance"
    operation = "enhance"

    denoise: BoolProperty(name="Denoise", default=True)  # type: ignore
    enhance_clarity: BoolProperty(name="Clarity", default=True)  # type: ignore
    strength: IntProperty(name="Strength", default=2, min=1, max=3)  # type: ignore

    def build(self, context: Any, plan: actions.Plan) -> None:
        opts = dict(denoise=self.denoise, enhance_clarity=self.enhance_clarity,
                    strength=self.strength)
        actions.clip_items(context, plan, lambda ctx, clip: workflows.enhance(ctx, clip, **opts))
        self._estimate_clips(plan)


class TTSAI_OT_dereverb(_TTSAIOperator, bpy.types.Operator):
    """Remove echo and reverb from the selected strips, aligned over them; mute the originals"""

    bl_idname = "ttsai.dereverb"
    bl_label = "Remove Echo"
    operation = "dereverb"

    kind: EnumProperty(name="Remove", default="both", items=[  # type: ignore
        ("both", "Echo and Reverb", ""), ("echo", "Echo", ""), ("reverb", "Reverb", "")])
    intensity: IntProperty(name="Intensity", default=3, min=1, max=5)  # type: ignore

    def build(self, context: Any, plan: actions.Plan) -> None:
        opts = dict(type=self.kind, intensity=self.intensity)
        actions.clip_items(context, plan, lambda ctx, clip: workflows.dereverb(ctx, clip, **opts))
        self._estimate_clips(plan)


class TTSAI_OT_split_stems(_TTSAIOperator, bpy.types.Operator):
    """Split the selected strips into stems on consecutive free channels; mute the originals"""

    bl_idname = "ttsai.split_stems"
    bl_label = "Split Stems"
    operation = "split_stems"

    stems: EnumProperty(name="Stems", default="2", items=[  # type: ignore
        ("2", "2: Vocals, Accompaniment", ""), ("4", "4: Vocals, Drums, Bass, Other", ""),
        ("5", "5: + Piano", ""), ("6", "6: + Guitar", "")])

    def build(self, context: Any, plan: actions.Plan) -> None:
        n = int(self.stems)
        actions.clip_items(context, plan, lambda ctx, clip: workflows.split_stems(
            ctx, clip, stems=n))
        self._estimate_clips(plan)


class TTSAI_OT_transcribe(_TTSAIOperator, bpy.types.Operator):
    """Transcribe the selected strips into subtitle text strips and an .srt beside the .blend"""

    bl_idname = "ttsai.transcribe"
    bl_label = "Transcribe"
    operation = "transcribe"
    produces_audio = False

    language: StringProperty(name="Language", description="Empty: detect")  # type: ignore

    def build(self, context: Any, plan: actions.Plan) -> None:
        language = self.language or None
        actions.clip_items(context, plan, lambda ctx, clip: workflows.transcribe(
            ctx, clip, language=language))
        self._estimate_clips(plan)


class TTSAI_OT_voice_convert(_TTSAIOperator, bpy.types.Operator):
    """Say the selected strips' speech in another voice, aligned over them"""

    bl_idname = "ttsai.voice_convert"
    bl_label = "Convert Voice"
    operation = "voice_convert"

    target_voice: StringProperty(name="Target Voice",  # type: ignore
                                 description="Empty: the preferences' voice")

    def build(self, context: Any, plan: actions.Plan) -> None:
        voice = self.target_voice or plan.settings.voice
        actions.clip_items(context, plan, lambda ctx, clip: workflows.voice_convert(
            ctx, clip, target_voice=voice))
        self._estimate_clips(plan)


_preset_items: list[tuple[str, str, str]] = []


def _presets(_self: Any, _context: Any) -> list[tuple[str, str, str]]:
    from ttsai_plugin.presets import load_presets
    try:
        found = load_presets()
    except TTSAIError:
        found = {}
    _preset_items[:] = [(name, name, p.description) for name, p in sorted(found.items())]
    return _preset_items or [("NONE", "(no presets found)", "")]


class TTSAI_OT_apply_preset(_TTSAIOperator, bpy.types.Operator):
    """Run a preset pipeline on the selected strips (or on text, for narration presets)"""

    bl_idname = "ttsai.apply_preset"
    bl_label = "Apply Preset"
    operation = "preset"

    preset: EnumProperty(name="Preset", items=_presets)  # type: ignore
    text: StringProperty(name="Text", description="For presets that narrate")  # type: ignore

    def build(self, context: Any, plan: actions.Plan) -> None:
        from ttsai_plugin.presets import get_preset
        if self.preset == "NONE":
            raise InputError("No presets were found.",
                             hint="Reinstall the extension, or add presets to TTSAI_PRESETS_DIR.")
        preset = get_preset(self.preset)
        for step in preset.steps:   # a step the built-in engine cannot run: refuse up front
            prefs.check_engine(plan.settings, step.op)
        last = preset.steps[-1].op if preset.steps else ""
        plan.produces_audio = self.produces_audio = last not in ("transcribe", "analyze")
        if preset.needs_text:
            scene = context.scene
            at = compat.frame_to_seconds(scene, scene.frame_current)
            text = self.text
            plan.items.append(actions.Item(None, lambda ctx: _at(_named(workflows.run_preset(
                ctx, preset, text=text), "Narration", preset.name), at)))
            plan.estimate = lambda ctx: workflows.estimate(
                ctx, "preset", preset=preset, text=text).credits
            return
        actions.clip_items(context, plan, lambda ctx, clip: _named(workflows.run_preset(
            ctx, preset, clip=clip), clip.name, preset.name))
        clips = [i.source.clip for i in plan.items]
        plan.estimate = lambda ctx: sum(workflows.estimate(
            ctx, "preset", preset=preset, clip=c).credits for c in clips)


def _named(result: Any, source: str, preset: str) -> Any:
    host.name_after_preset(result.placements, source, preset)
    return result


def _at(result: Any, start: float) -> Any:
    """Shift a text-started preset's placements to the playhead."""
    for p in result.placements:
        p.start += start
    return result


class TTSAI_OT_cancel(bpy.types.Operator):
    """Cancel every running TTS.ai job (nothing half-written is kept)"""

    bl_idname = "ttsai.cancel"
    bl_label = "Cancel TTS.ai Jobs"
    bl_options = {"REGISTER"}

    def execute(self, context: Any) -> set[str]:
        n = runtime.cancel_all()
        self.report({"INFO"}, f"Cancelling {n} job(s)." if n else "No TTS.ai job is running.")
        return {"FINISHED"}


classes = (TTSAI_OT_narrate, TTSAI_OT_dub, TTSAI_OT_enhance, TTSAI_OT_dereverb,
           TTSAI_OT_split_stems, TTSAI_OT_transcribe, TTSAI_OT_voice_convert,
           TTSAI_OT_apply_preset, TTSAI_OT_cancel)
