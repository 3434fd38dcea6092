"""Split a script of any length into chunks the API accepts, at the most natural boundary.

Paragraphs and sentences are packed greedily into chunks of at most ``max_chars``; a sentence
longer than that is cut at clause marks, then between words, and only as a last resort inside
a word (never inside an emoji or a combining sequence). Works for RTL scripts and CJK too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ttsai_plugin.errors import InputError

SENTENCE_PAUSE = 0.25   # seconds of silence after a chunk that ends a sentence
PARAGRAPH_PAUSE = 0.6   # ... after a chunk that ends a paragraph
CLAUSE_PAUSE = 0.12     # ... after a chunk cut at a comma or between words

_PARAGRAPHS = re.compile(r"\n\s*\n")
# a sentence ends at terminal punctuation (Latin, Arabic/Urdu, CJK, ellipsis), plus closing quotes
_SENTENCE = re.compile(r"[^.!?…。！？؟۔]*(?:[.!?…。！？؟۔]+[\"'”’»)\]」』]*|$)", re.S)
_CLAUSE_MARKS = ",;:،؛、，；：—–"
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


@dataclass(frozen=True)
class Chunk:
    """One request's worth of text and the pause that should follow it."""

    text: str
    pause_after: float


def _sentences(paragraph: str) -> list[str]:
    parts = [m.group(0).strip() for m in _SENTENCE.finditer(paragraph)]
    return [p for p in parts if p]


def _safe_cut(text: str, limit: int) -> int:
    """The largest cut ≤ limit that does not split a grapheme (emoji ZWJ, skin tone, accents)."""
    cut = limit
    while cut > 1:
        nxt, prev = text[cut], text[cut - 1]
        if (nxt in _JOINERS or prev == "\u200d" or unicodedata.category(nxt).startswith("M")
                or "\U0001F3FB" <= nxt <= "\U0001F3FF" or unicodedata.category(nxt) == "Cs"):
            cut -= 1
            continue
        break
    return cut


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at clause marks, then spaces, then anywhere safe."""
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[: max_chars + 1]
        cut = max((window.rfind(m) for m in _CLAUSE_MARKS), default=-1)
        if cut >= max_chars // 3:
            cut += 1
        else:
            cut = window.rfind(" ")
            if cut < max_chars // 3:
                cut = _safe_cut(rest, max_chars)
        cut = min(cut, max_chars)
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def split_text(text: str, max_chars: int, *, max_chunks: int | None = None) -> list[Chunk]:
    """Chunks of at most ``max_chars`` characters, in reading order, with their pauses.

    Each paragraph starts a new chunk (so the pause after it is ours, not the engine's) unless
    that makes more than ``max_chunks`` requests: then neighbouring chunks are packed together.
    """
    chunks = _split(text, max_chars)
    if max_chunks is not None and len(chunks) > max_chunks:
        chunks = _pack(chunks, max_chars)
    return chunks


def _pack(chunks: list[Chunk], max_chars: int) -> list[Chunk]:
    packed: list[Chunk] = []
    for chunk in chunks:
        last = packed[-1] if packed else None
        sep = "\n\n" if last is not None and last.pause_after == PARAGRAPH_PAUSE else " "
        if last is not None and len(last.text) + len(sep) + len(chunk.text) <= max_chars \
                and last.pause_after != CLAUSE_PAUSE:
            packed[-1] = Chunk(last.text + sep + chunk.text, chunk.pause_after)
        else:
            packed.append(chunk)
    return packed


def _split(text: str, max_chars: int) -> list[Chunk]:
    if max_chars < 20:
        raise ValueError("max_chars must be at least 20")
    if not text or not text.strip():
        raise InputError("The text is empty.", hint="Type or paste the words to speak.")
    chunks: list[Chunk] = []
    paragraphs = [p for p in _PARAGRAPHS.split(text.strip()) if p.strip()]
    for p_index, paragraph in enumerate(paragraphs):
        units: list[tuple[str, float]] = []
        for sentence in _sentences(" ".join(paragraph.split())):
            parts = _split_long(sentence, max_chars)
            units += [(part, CLAUSE_PAUSE) for part in parts[:-1]]
            units.append((parts[-1], SENTENCE_PAUSE))
        buffer, pause = "", SENTENCE_PAUSE
        for unit, unit_pause in units:
            sep = "" if buffer.endswith(("。", "！", "？")) else " "
            joined = f"{buffer}{sep}{unit}" if buffer else unit
            if buffer and (len(joined) > max_chars or pause == CLAUSE_PAUSE):
                chunks.append(Chunk(buffer, pause))
                joined = unit
            buffer, pause = joined, unit_pause
        if buffer:
            last = p_index == len(paragraphs) - 1
            chunks.append(Chunk(buffer, 0.0 if last else PARAGRAPH_PAUSE))
    return chunks
