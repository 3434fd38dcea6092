"""Modules imported on first use, so enabling the add-on does not load the network stack,
NumPy or soundfile: they load with the first job (or the first estimate)."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module until an attribute is read, then imports it once."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


workflows = LazyModule("ttsai_plugin.workflows")
