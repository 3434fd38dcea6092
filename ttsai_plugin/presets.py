"""Load and validate presets: named pipelines of processing steps, plus optional OBS live filters.

Shipped presets live in the repository's ``presets/`` folder, which packaging maps into the
package as ``ttsai_plugin/_presets/`` (setup.py, pyproject.toml); a user's folder
(``TTSAI_PRESETS_DIR``, else ``user_config_dir("ttsai")/presets``) sits beside them and
overrides a shipped preset of the same name. Every file goes through the one validator
below, so hosts and the CLI see exactly the same presets.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ttsai_plugin.errors import PresetError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LANG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


# --- option checks: each returns None when fine, else what is wrong ----------------------

Check = Callable[[Any], "str | None"]


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _int_range(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"must be a whole number from {lo} to {hi}"
    return check


def _num_range(lo: float, hi: float) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"must be a number from {lo:g} to {hi:g}"
    return check


def _one_of(*choices: Any) -> Check:
    def check(v: Any) -> str | None:
        ok = v in choices and type(v) in {type(c) for c in choices}
        return None if ok else "must be one of " + ", ".join(json.dumps(c) for c in choices)
    return check


def _pattern(rx: re.Pattern[str], what: str) -> Check:
    def check(v: Any) -> str | None:
        return None if isinstance(v, str) and rx.match(v) else f"must be {what}"
    return check


_lang = _pattern(_LANG, "a language code such as \"es\" or \"pt-BR\"")
_id = _pattern(_ID, "an id such as \"af_bella\" or \"kokoro\"")
EMOTIONS = ("neutral", "happy", "sad", "aggressive", "excited")

#: The steps a preset may use, and each step's allowed options with their checks.
STEP_OPTIONS: dict[str, dict[str, Check]] = {
    "narrate": {"voice": _id, "model": _id, "language": _lang, "speed": _num_range(0.5, 2.0)},
    "dub": {"target_language": _lang, "voice": _id, "preserve_voice": _bool,
            "fit_duration": _bool, "subtitles": _bool, "timing": _one_of("sentence", "clip"),
            "keep_background": _bool},
    "enhance": {"denoise": _bool, "enhance_clarity": _bool, "super_resolution": _bool,
                "strength": _int_range(1, 3)},
    "dereverb": {"type": _one_of("echo", "reverb", "both"), "intensity": _int_range(1, 5)},
    "split_stems": {"stems": _one_of(2, 4, 5, 6)},
    "transcribe": {"language": _lang},
    "voice_convert": {"target_voice": _id},
    "restyle": {"voice": _id, "emotion": _one_of(*EMOTIONS), "speed": _num_range(0.5, 2.0)},
    "analyze": {},
    "loudness": {"target_lufs": _num_range(-40.0, -5.0)},
}
REQUIRED_OPTIONS: dict[str, tuple[str, ...]] = {
    "dub": ("target_language",), "voice_convert": ("target_voice",), "restyle": ("voice",),
    "loudness": ("target_lufs",),
}
#: Steps that must come first (they make audio from text) or last (they fan out to many files).
FIRST_ONLY = {"narrate"}
LAST_ONLY = {"split_stems"}

#: OBS built-in audio filters a preset may set up on a live mic, with the settings each takes.
OBS_FILTERS: dict[str, dict[str, Check]] = {
    "noise_suppress_filter_v2": {"method": _one_of("rnnoise", "speex", "denoiser"),
                                 "suppress_level": _int_range(-60, 0)},
    "noise_gate_filter": {"open_threshold": _num_range(-96, 0), "close_threshold": _num_range(-96, 0),
                          "attack_time": _int_range(0, 10000), "hold_time": _int_range(0, 10000),
                          "release_time": _int_range(0, 10000)},
    "gain_filter": {"db": _num_range(-30, 30)},
    "compressor_filter": {"ratio": _num_range(1, 32), "threshold": _num_range(-60, 0),
                          "attack_time": _int_range(1, 500), "release_time": _int_range(1, 1000),
                          "output_gain": _num_range(-32, 32)},
    "expander_filter": {"ratio": _num_range(1, 20), "threshold": _num_range(-60, 0),
                        "attack_time": _int_range(1, 100), "release_time": _int_range(1, 1000),
                        "output_gain": _num_range(-32, 32), "detector": _one_of("RMS", "peak")},
    "limiter_filter": {"threshold": _num_range(-60, 0), "release_time": _int_range(1, 1000)},
}


@dataclass(frozen=True)
class Step:
    """One processing step: the operation and its validated options."""

    op: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ObsFilter:
    """One OBS audio filter: its source-type id, the display name and its settings."""

    kind: str
    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A named, validated pipeline; ``source`` is the file it came from."""

    name: str
    description: str
    steps: tuple[Step, ...]
    obs_filters: tuple[ObsFilter, ...] = ()
    source: Path | None = None

    @property
    def needs_text(self) -> bool:
        return bool(self.steps) and self.steps[0].op in FIRST_ONLY


# --- where presets live --------------------------------------------------------------------

def shipped_dir() -> Path | None:
    """The shipped presets: the installed ``ttsai_plugin/_presets`` (wheel, sdist, Blender zip),
    else wherever an editable install maps that package, else the checkout's ``presets/``."""
    here = Path(__file__).resolve().parent
    candidates = [here / "_presets"]
    try:
        from importlib.util import find_spec
        spec = find_spec("ttsai_plugin._presets")
        candidates += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    except (ImportError, ValueError):
        pass
    for candidate in candidates + [here.parent / "presets"]:
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    return None


def user_dir() -> Path:
    """The user's own presets folder (may not exist yet)."""
    env = os.environ.get("TTSAI_PRESETS_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir
    return Path(user_config_dir("ttsai")) / "presets"


def preset_dirs() -> list[Path]:
    """Folders searched, lowest precedence first."""
    dirs = [d for d in (shipped_dir(), user_dir()) if d is not None]
    return [d for d in dirs if d.is_dir()]


# --- the one loader ------------------------------------------------------------------------

def _fail(path: Path | str, where: str, problem: str) -> PresetError:
    return PresetError(f"preset {Path(path).name}: {where} {problem}",
                       hint=f"Fix {path} (see presets/README.md for the fields).")


def _check_options(path: Path | str, where: str, options: Any, allowed: Mapping[str, Check],
                   required: Iterable[str] = ()) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise _fail(path, where, "must be an object of option names to values")
    for key, value in options.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise _fail(path, f"{where}.{key}", f"is not a known option (allowed: {known})")
        problem = allowed[key](value)
        if problem:
            raise _fail(path, f"{where}.{key}", f"{problem} (got {json.dumps(value)})")
    for key in required:
        if key not in options:
            raise _fail(path, f"{where}.{key}", "is required")
    return dict(options)


def parse_preset(data: Any, source: Path | str) -> Preset:
    """Validate a preset's decoded JSON; PresetError names the file and the bad field."""
    if not isinstance(data, dict):
        raise _fail(source, "the file", "must hold one JSON object")
    unknown = set(data) - {"name", "description", "steps", "obs_filters"}
    if unknown:
        raise _fail(source, f"field {sorted(unknown)[0]!r}", "is not a preset field "
                    "(allowed: name, description, steps, obs_filters)")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(source, "name", "must be lower-case letters, digits, '-' or '_' "
                    f"(got {json.dumps(name)})")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _fail(source, "description", "must be a string")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise _fail(source, "steps", "must be a non-empty list of {\"op\", \"options\"}")
    steps: list[Step] = []
    for i, raw in enumerate(steps_data):
        where = f"steps[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"op", "options"}:
            raise _fail(source, where, "must be an object with only \"op\" and \"options\"")
        op = raw.get("op")
        if op not in STEP_OPTIONS:
            raise _fail(source, f"{where}.op", f"{json.dumps(op)} is not a known operation "
                        f"(known: {', '.join(STEP_OPTIONS)})")
        if op in FIRST_ONLY and i != 0:
            raise _fail(source, f"{where}.op", f"{op!r} can only be the first step")
        if op in LAST_ONLY and i != len(steps_data) - 1:
            raise _fail(source, f"{where}.op", f"{op!r} can only be the last step")
        options = _check_options(source, f"{where}.options", raw.get("options", {}),
                                 STEP_OPTIONS[op], REQUIRED_OPTIONS.get(op, ()))
        steps.append(Step(op, options))
    filters: list[ObsFilter] = []
    filters_data = data.get("obs_filters", [])
    if not isinstance(filters_data, list):
        raise _fail(source, "obs_filters", "must be a list of {\"kind\", \"name\", \"settings\"}")
    for i, raw in enumerate(filters_data):
        where = f"obs_filters[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"kind", "name", "settings"}:
            raise _fail(source, where, "must be an object with \"kind\", \"name\", \"settings\"")
        kind = raw.get("kind")
        if kind not in OBS_FILTERS:
            raise _fail(source, f"{where}.kind", f"{json.dumps(kind)} is not a known OBS filter "
                        f"(known: {', '.join(OBS_FILTERS)})")
        fname = raw.get("name")
        if not isinstance(fname, str) or not fname.strip():
            raise _fail(source, f"{where}.name", "must be a non-empty string")
        settings = _check_options(source, f"{where}.settings", raw.get("settings", {}),
                                  OBS_FILTERS[kind])
        filters.append(ObsFilter(kind, fname, settings))
    return Preset(name, description, tuple(steps), tuple(filters),
                  Path(source) if not isinstance(source, Path) else source)


def load_preset(path: Path | str) -> Preset:
    """Read and validate one preset file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PresetError(f"preset {path.name}: cannot be read ({exc.strerror or exc})",
                          hint=f"Check that {path} exists and is readable.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"line {exc.lineno} column {exc.colno}:", f"is not valid JSON ({exc.msg})")
    return parse_preset(data, path)


def load_presets(dirs: Iterable[Path] | None = None) -> dict[str, Preset]:
    """Every preset by name; later folders override earlier ones (user over shipped)."""
    found: dict[str, Preset] = {}
    for folder in (preset_dirs() if dirs is None else dirs):
        folder_names: dict[str, Path] = {}
        for path in sorted(Path(folder).glob("*.json")):
            preset = load_preset(path)
            if preset.name in folder_names:
                raise _fail(path, "name", f"{preset.name!r} is also used by "
                            f"{folder_names[preset.name].name} in the same folder")
            folder_names[preset.name] = path
            found[preset.name] = preset
    return found


def get_preset(name_or_path: str | Path, dirs: Iterable[Path] | None = None) -> Preset:
    """A preset by name (user folder first), or from a path to a .json file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" and candidate.exists():
        return load_preset(candidate)
    presets = load_presets(dirs)
    try:
        return presets[str(name_or_path)]
    except KeyError:
        known = ", ".join(sorted(presets)) or "none found"
        raise PresetError(f"no preset named {str(name_or_path)!r}",
                          hint=f"Known presets: {known}. List them with `ttsai presets`.") from None
