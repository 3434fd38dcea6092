"""Text that fits on screen: list labels cut to the combo box's room, tooltips in lines.

OBS sizes a list's combo box to its longest label and never below it, so one long source or
scene name in a list widens the whole page past the default Scripts window (775×492): fields
and buttons run off its right edge, or Qt squeezes the group's labels away (seen in OBS 29
with the script's own stem 'Music (accompaniment)'). Only the label is cut; the value OBS
stores stays the full name. Qt 5 (OBS 29) never wraps a plain-text tooltip, so a long one is
one line wider than the screen whose start is cut off: tooltips are broken into lines here.
"""
from __future__ import annotations

import textwrap
import unicodedata

ROOM_SCENE = 9.5
"""Em of OBS's UI font in the Connection group's narrowest field (beside 'Audio folder')."""
ROOM = 10.5
"""Em in the Stems, Recording cleanup and Live mic chain groups' list fields."""
ELLIPSIS = "…"
TIP_CHARS = 64
"""Longest tooltip line: about 450 px in OBS's UI font."""
_NARROW = set(" ilj.,:;'!|I")
_SLIM = set("ftr()[]{}-/\"")
_WIDE = set("mwMW@%")


def char_em(ch: str) -> float:
    """About how wide one character is in OBS's UI font (Open Sans), in em."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in _NARROW:
        return 0.27
    if ch in _SLIM:
        return 0.38
    if ch in _WIDE:
        return 0.92
    if ch == ELLIPSIS:
        return 0.85
    return 0.66 if ch.isupper() else 0.58


def text_em(text: str) -> float:
    """About how wide ``text`` is in OBS's UI font, in em: enough to tell what fits."""
    return sum(char_em(ch) for ch in text)


def fit(name: str, room: float = ROOM) -> str:
    """``name`` as it is when it fits ``room`` em, else cut at the end with '…'."""
    if text_em(name) <= room:
        return name
    used, kept = char_em(ELLIPSIS), []
    for ch in name:
        used += char_em(ch)
        if used > room:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + ELLIPSIS


def fit_inside(head: str, name: str, room: float = ROOM) -> str:
    """``head (name)`` within ``room`` em, cutting only the name (e.g. 'Current (Gamepl…)')."""
    return f"{head} ({fit(name, room - text_em(f'{head} ()'))})"


def tip_lines(text: str, width: int = TIP_CHARS) -> str:
    """``text`` broken into lines of at most ``width`` characters, its own line breaks kept;
    a path or URL longer than a line stays whole on a line of its own."""
    return "\n".join(textwrap.fill(paragraph, width, break_long_words=False,
                                    break_on_hyphens=False)
                      for paragraph in text.split("\n"))
