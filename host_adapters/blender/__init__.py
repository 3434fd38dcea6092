"""TTS.ai for Blender's Video Sequence Editor: narrate, dub, clean up, split stems and
transcribe strips; results land on free channels, aligned, originals muted, never changed.

Submodules import ``bpy`` and the core only inside ``register`` so that the build script
(``python -m host_adapters.blender.build``) can import this package without Blender.
"""
from __future__ import annotations


def _classes() -> tuple:
    from . import operators, panel, prefs, recovery
    return (prefs.TTSAIPreferences, *operators.classes, *recovery.classes, *panel.classes)


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
