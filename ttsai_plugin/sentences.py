"""Messages built from pieces (a library's reason inside ours, a hint after a message) read
as clean sentences: one full stop where a sentence ends, none doubled inside brackets."""
from __future__ import annotations

_ENDS = ".!?…:"
_CLOSERS = "'\"”’»)]"


def sentence(text: str) -> str:
    """``text`` as one sentence: trimmed, ending in terminal punctuation (a full stop added
    only when it has none, also none before a closing quote or bracket)."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    return text if text.rstrip(_CLOSERS)[-1:] in _ENDS else text + "."


def clause(text: str) -> str:
    """``text`` to sit inside another sentence (in brackets, after a colon): trimmed, without
    its own closing full stop(s) ('... input.' becomes '... input'); ellipses and ?/! stay."""
    text = " ".join(str(text).split())
    while text.endswith(".") and not text.endswith("..."):
        text = text[:-1].rstrip()
    return text


def join(*parts: str | None) -> str:
    """The non-empty ``parts`` as sentences, one space apart (a message, then its hint)."""
    return " ".join(s for s in (sentence(p) for p in parts if p) if s)
