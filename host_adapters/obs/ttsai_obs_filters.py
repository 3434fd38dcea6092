"""The live mic chain: OBS's own audio filters on a source, set from a preset's ``obs_filters``.

Idempotent: filters are found by name and updated in place, so applying the same preset
again changes nothing. Main thread only; every reference is released here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import obspython as obs

from ttsai_obs_scene import SceneError, data, settings_of, source


@dataclass(frozen=True)
class ChainReport:
    """What applying a chain did: filter names created, updated, or already as wanted."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]

    def summary(self, source_name: str) -> str:
        parts = [f"{len(v)} {k}" for k, v in (("added", self.created), ("updated", self.updated),
                                                ("already set", self.unchanged)) if v]
        return f"Mic chain on '{source_name}': " + ", ".join(parts) + "."


def _differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return any(current.get(k) != v for k, v in wanted.items())


def apply_chain(source_name: str, filters: Iterable[Any]) -> ChainReport:
    """Add or update each filter (``kind``, ``name``, ``settings``) on ``source_name``, in order."""
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    with source(source_name) as src:
        if src is None:
            raise SceneError(f"There is no audio source called '{source_name}'. Pick one in "
                             "'Mic source'.")
        if not obs.obs_source_get_output_flags(src) & obs.OBS_SOURCE_AUDIO:
            raise SceneError(f"'{source_name}' has no audio; pick a microphone or other audio "
                             "source.")
        for f in filters:
            wanted = dict(f.settings)
            existing = obs.obs_source_get_filter_by_name(src, f.name)
            try:
                if existing is not None and f.kind not in (
                        obs.obs_source_get_id(existing),
                        obs.obs_source_get_unversioned_id(existing)):
                    obs.obs_source_filter_remove(src, existing)
                    obs.obs_source_release(existing)
                    existing = None
                if existing is None:
                    _add(src, f.kind, f.name, wanted)
                    created.append(f.name)
                elif _differs(settings_of(existing), wanted):
                    with data(wanted) as s:
                        obs.obs_source_update(existing, s)
                    updated.append(f.name)
                else:
                    unchanged.append(f.name)
            finally:
                if existing is not None:
                    obs.obs_source_release(existing)
    return ChainReport(tuple(created), tuple(updated), tuple(unchanged))


def _add(src: Any, kind: str, name: str, settings: Mapping[str, Any]) -> None:
    with data(dict(settings)) as s:
        flt = obs.obs_source_create_private(kind, name, s)
    if flt is None:
        raise SceneError(f"OBS could not create the filter '{kind}' (is the obs-filters "
                         "plugin loaded?).")
    try:
        obs.obs_source_filter_add(src, flt)
    finally:
        obs.obs_source_release(flt)
