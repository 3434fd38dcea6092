"""A big result lands in slices, one per main-thread tick, so Blender keeps handling events
while a thousand captions go in; still all or nothing, and one undo step."""
from __future__ import annotations

from pathlib import Path

import bpy

import vse

CAPTIONS = 1000


def _captions_plan(extension, scene, n: int = CAPTIONS):
    """A job whose result is ``n`` captions, one every 2 s (no request made)."""
    from ttsai_plugin.clips import Placement
    from ttsai_plugin.workflows import WorkflowResult

    actions = extension.actions
    scene.frame_end = n * 50 + 100
    plan = actions.new_plan(bpy.context, "transcribe", "Transcribe", produces_audio=False)
    placements = [Placement(Path("c.srt"), 2.0 * i, 1.5, 0, f"cap{i}", kind="caption",
                            text=f"line {i}") for i in range(n)]
    plan.items.append(actions.Item(None, lambda ctx: WorkflowResult(placements,
                                                                     mute_source=False)))
    return plan


def _drains_until_finished(runtime, task) -> list[int]:
    """Strips in the scene after each drain, from the job's end to the task's."""
    task.job.wait(60)
    counts = []
    while not task.finished:
        runtime.drain()
        counts.append(len(vse.compat.all_strips(bpy.context.scene)))
        assert len(counts) < 10 * CAPTIONS, "the insertion never finished"
    return counts


def test_a_thousand_captions_go_in_over_many_drains_each_a_bounded_slice(scene, extension):
    task = extension.actions.start(_captions_plan(extension, scene), scene.name)
    counts = _drains_until_finished(extension.runtime, task)
    assert task.ok, task.message
    slice_max = vse.host.SLICE_STRIPS
    added = [b - a for a, b in zip([0] + counts, counts)]
    assert len(counts) >= CAPTIONS // slice_max
    assert max(added) <= slice_max
    assert counts[-1] == CAPTIONS
    spans = sorted(vse.compat.visible_range(s) for s in vse.compat.all_strips(scene))
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert len({s.channel for s in vse.compat.all_strips(scene)}) == 1


def test_an_undo_between_slices_leaves_no_part_of_the_result(scene, project, extension):
    runtime = extension.runtime
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window):
        bpy.ops.ed.undo_push(message="a step to go back past")
        bpy.ops.ed.undo_push(message="before captions")
        plan = _captions_plan(extension, bpy.context.scene)
        task = extension.actions.start(plan, bpy.context.scene.name)
        task.job.wait(60)
        runtime.drain()
        while not vse.compat.all_strips(bpy.context.scene):
            runtime.drain()
        assert not task.finished
        assert bpy.ops.ed.undo() == {"FINISHED"}   # the user undoes mid-insertion
        while not task.finished:
            runtime.drain()
    assert not task.ok and "timeline changed" in task.message
    assert vse.compat.all_strips(bpy.context.scene) == []
    journal = extension.actions._journal(plan)
    assert [e.job_id for e in journal.pending()] == [plan.job_id]   # offered for recovery
    journal.mark_placed(plan.job_id)


def test_a_script_still_gets_every_caption_in_one_blocking_call(scene, extension):
    task = extension.actions.start(_captions_plan(extension, scene, 300), scene.name)
    extension.runtime.run_blocking(task, timeout=60)
    assert task.ok, task.message
    assert len(vse.compat.all_strips(scene)) == 300
