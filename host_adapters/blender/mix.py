"""A sound strip's place in the mix — volume, pan, mono, their keyframes and simple drivers —
copied onto a result, so muting the original keeps the fade and the pan.

The mix is captured as plain data (``Mix``) on the main thread when a job starts and kept in
the journal with its landing; insertion copies it from the live source when that still
exists (the editor may have changed the fade meanwhile), else from the capture.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import bpy

from . import compat

PROPS = ("volume", "pan")
_KEY_ATTRS = ("interpolation", "easing", "handle_left_type", "handle_right_type")


@dataclass
class Key:
    """One keyframe of an F-curve: frame, value, handles and how it interpolates."""

    co: tuple[float, float]
    left: tuple[float, float]
    right: tuple[float, float]
    interpolation: str = "BEZIER"
    easing: str = "AUTO"
    handle_left_type: str = "AUTO_CLAMPED"
    handle_right_type: str = "AUTO_CLAMPED"


@dataclass
class Var:
    """A driver variable with its targets (an ID by type and name, a path, a transform)."""

    name: str
    type: str
    targets: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Driver:
    type: str
    expression: str
    use_self: bool = False
    variables: list[Var] = field(default_factory=list)


@dataclass
class Mix:
    """Static values plus per-property keyframes and drivers."""

    volume: float = 1.0
    pan: float = 0.0
    mono: bool = False
    keys: dict[str, list[Key]] = field(default_factory=dict)
    extrapolation: dict[str, str] = field(default_factory=dict)
    drivers: dict[str, Driver] = field(default_factory=dict)

    @property
    def neutral(self) -> bool:
        return (self.volume == 1.0 and self.pan == 0.0 and not self.mono and not self.keys
                and not self.drivers)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Mix | None":
        if not data:
            return None
        keys = {p: [Key(tuple(k["co"]), tuple(k["left"]), tuple(k["right"]),
                        *(k[a] for a in _KEY_ATTRS)) for k in ks]
                for p, ks in data.get("keys", {}).items()}
        drivers = {p: Driver(d["type"], d["expression"], d.get("use_self", False),
                             [Var(**v) for v in d.get("variables", [])])
                   for p, d in data.get("drivers", {}).items()}
        return cls(float(data.get("volume", 1.0)), float(data.get("pan", 0.0)),
                   bool(data.get("mono", False)), keys, dict(data.get("extrapolation", {})),
                   drivers)


def _curve(collection: Any, path: str) -> Any:
    return None if collection is None else collection.find(path, index=0)


def capture(scene: Any, strip: Any) -> Mix:
    """The mix of a sound strip as Blender plays it."""
    sound = getattr(strip, "sound", None)
    mix = Mix(float(strip.volume), float(strip.pan), bool(sound and sound.use_mono))
    curves, drivers = compat.fcurves(scene), compat.drivers(scene)
    for prop in PROPS:
        path = strip.path_from_id(prop)
        fc = _curve(curves, path)
        if fc is not None and len(fc.keyframe_points):
            mix.keys[prop] = [Key(tuple(k.co), tuple(k.handle_left), tuple(k.handle_right),
                                  *(getattr(k, a) for a in _KEY_ATTRS))
                              for k in fc.keyframe_points]
            mix.extrapolation[prop] = fc.extrapolation
        dc = _curve(drivers, path)
        if dc is not None:
            d = dc.driver
            mix.drivers[prop] = Driver(d.type, d.expression, bool(d.use_self), [
                Var(v.name, v.type, [_target(t) for t in v.targets]) for v in d.variables])
    return mix


def _target(t: Any) -> dict[str, Any]:
    return {"id_type": t.id_type, "id": t.id.name if t.id is not None else "",
            "data_path": t.data_path, "transform_type": t.transform_type,
            "transform_space": t.transform_space, "bone_target": t.bone_target}


def apply(scene: Any, strip: Any, mix: Mix | None) -> None:
    """Give ``strip`` the captured mix: values, then keyframes and drivers over them."""
    if mix is None or mix.neutral:
        return
    strip.volume, strip.pan = mix.volume, mix.pan
    if mix.mono and strip.sound is not None:
        strip.sound.use_mono = True
    for prop, keys in mix.keys.items():
        strip.keyframe_insert(prop, frame=keys[0].co[0])
        fc = _curve(compat.fcurves(scene), strip.path_from_id(prop))
        points = fc.keyframe_points
        if len(points) < len(keys):
            points.add(len(keys) - len(points))
        for point, key in zip(points, keys):
            point.co, point.handle_left, point.handle_right = key.co, key.left, key.right
            for a in _KEY_ATTRS:
                setattr(point, a, getattr(key, a))
        fc.extrapolation = mix.extrapolation.get(prop, fc.extrapolation)
        fc.update()
    for prop, d in mix.drivers.items():
        _driver(strip.driver_add(prop).driver, d)


def _driver(target: Any, d: Driver) -> None:
    target.type = d.type
    target.expression = d.expression
    target.use_self = d.use_self
    for v in d.variables:
        var = target.variables.new()
        var.name, var.type = v.name, v.type
        for slot, t in zip(var.targets, v.targets):
            if v.type == "SINGLE_PROP":
                slot.id_type = t["id_type"]
            if t["id"]:
                slot.id = _id(t["id_type"], t["id"])
            slot.data_path = t["data_path"]
            slot.transform_type, slot.transform_space = t["transform_type"], t["transform_space"]
            slot.bone_target = t["bone_target"]


def _id(id_type: str, name: str) -> Any:
    collection = getattr(bpy.data, {"OBJECT": "objects", "SCENE": "scenes", "MESH": "meshes",
                                    "MATERIAL": "materials", "WORLD": "worlds",
                                    "CAMERA": "cameras", "LIGHT": "lights",
                                    "SPEAKER": "speakers"}.get(id_type, "objects"))
    return collection.get(name)


def remove(scene: Any, strip: Any) -> None:
    """Take a strip's keyframes and drivers away before it is removed (rolling back)."""
    curves = compat.fcurves(scene)
    for prop in PROPS:
        path = strip.path_from_id(prop)
        fc = _curve(curves, path)
        if fc is not None:
            curves.remove(fc)
        if _curve(compat.drivers(scene), path) is not None:
            strip.driver_remove(prop)
