"""TTS.ai for Blender's Video Sequence Editor: narrate, dub, clean up, split stems, restyle,
analyze and transcribe strips; results land on free channels, aligned, originals muted.

Submodules import ``bpy`` only inside ``register`` so that the build script
(``python -m host_adapters.blender.build``) can import this package without Blender; the
core's workflows (and with them httpx, ssl, soundfile) load with the first job (``lazy.py``).
"""
from __future__ import annotations


def _classes() -> tuple:
    from . import operators, ops_analyze, ops_restyle, panel, prefs, recovery
    return (prefs.TTSAIPreferences, *operators.classes, *ops_restyle.classes,
            *ops_analyze.classes, *recovery.classes, *panel.classes)


def register() -> None:
    import bpy
    from . import panel, recovery, runtime
    for cls in _classes():
        bpy.utils.register_class(cls)
    panel.register_menus()
    recovery.register_handlers()
    runtime.start()


def unregister() -> None:
    import bpy
    from . import panel, recovery, runtime
    runtime.stop()
    recovery.unregister_handlers()
    panel.unregister_menus()
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
