"""The one small language for naming outputs, shared by every command and host (yt-dlp style):
``{stem}.clean.{ext}``, ``out/{index:03d}-{stem}.{lang}.{ext}``, ``{dir}/{stem}/{stem_name}.{ext}``.

Fields are ``{name}`` or ``{name:format-spec}`` (Python's mini-language, e.g. ``{index:03d}``);
``{{`` and ``}}`` are literal braces. A field the command does not provide is refused before
any work, naming the fields it does provide.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any, Mapping

from ttsai_plugin.errors import InputError
from ttsai_plugin.sentences import sentence

FIELDS: dict[str, str] = {
    "stem": "the input's file name without its extension (talk for talk.mp4)",
    "ext": "the output's extension without the dot (wav, mp4, srt …)",
    "dir": "the input's folder",
    "tag": "what the command did (clean, dereverb, dub-es, converted …)",
    "lang": "the target language (dub)",
    "preset": "the preset's name (--preset)",
    "stem_name": "the stem's name: vocals, accompaniment, drums … (stems)",
    "index": "the input's position in the batch, from 1",
}
_UNSAFE_PART = re.compile(r"[\x00/\\]")


@dataclass(frozen=True)
class Template:
    """A parsed output template; ``fields`` are the names it uses."""

    text: str
    fields: frozenset[str]

    def render(self, values: Mapping[str, Any]) -> str:
        """The template filled in; values are made safe as parts of one file name."""
        out = []
        for literal, name, spec, conversion in string.Formatter().parse(self.text):
            out.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value is None:
                raise InputError(f"The output template {self.text!r} uses {{{name}}}, which "
                                 "has no value here.", hint=_available(values))
            if conversion:
                value = {"r": repr, "s": str, "a": ascii}[conversion](value)
            try:
                text = format(value, spec or "")
            except (ValueError, TypeError) as e:
                raise InputError(f"{{{name}:{spec}}} in the output template: {sentence(str(e))}",
                                 hint="For example {index:03d} for 001, 002 …") from None
            out.append(text if name == "dir" else _UNSAFE_PART.sub("_", text))
        return "".join(out)


def is_template(text: str) -> bool:
    """True when ``text`` holds at least one ``{field}`` (not only ``{{`` escapes)."""
    try:
        return any(name is not None for _, name, _, _ in string.Formatter().parse(text))
    except ValueError:
        return "{" in text.replace("{{", "")


def parse(text: str, allowed: set[str] | frozenset[str] | None = None) -> Template:
    """Check a template once, before any work: balanced braces and known fields only."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as e:
        raise InputError(f"The output template {text!r} is malformed: {sentence(str(e))}",
                         hint="Fields look like {stem}; write {{ or }} for a literal brace.") from None
    names = set()
    for _, name, _, _ in parts:
        if name is None:
            continue
        if name == "" or not name.isidentifier():
            raise InputError(f"The output template {text!r} has an empty or odd field {{{name}}}.",
                             hint="Name a field, e.g. {stem}.clean.{ext}.")
        usable = FIELDS if allowed is None else allowed
        if name not in usable:
            raise InputError(f"The output template {text!r} uses {{{name}}}, which this "
                             "command does not provide.",
                             hint="Available: " + ", ".join(
                                 "{" + f + "}" for f in FIELDS if f in usable) + ".")
        names.add(name)
    return Template(text, frozenset(names))


def render(text: str, values: Mapping[str, Any]) -> str:
    """Parse and fill ``text`` in one go (for one-off names)."""
    return parse(text, set(values)).render(values)


def _available(values: Mapping[str, Any]) -> str:
    have = [k for k, v in values.items() if v is not None]
    return "Available here: " + ", ".join("{" + k + "}" for k in have) + "."
