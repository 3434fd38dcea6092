"""The credits of a batch before anything is paid, for `ttsai estimate` and `--estimate`
alike: every readable input estimated and totalled, every unreadable one listed with its
reason, and a failing exit code at the end when any could not be read."""
from __future__ import annotations

from typing import Any, Callable

from ttsai_plugin.cli.display import Console, error_json, exit_code
from ttsai_plugin.cli.inputs import InputFile, check_media
from ttsai_plugin.errors import InputError, MediaError

Unreadable = (InputError, MediaError, OSError)


def estimate_each(console: Console, operation: str, sources: list[InputFile | None],
                  estimate: Callable[[InputFile | None], Any]) -> int:
    """Estimate each source (``None``: a text job); one unreadable file never hides the rest."""
    rows: list[dict[str, Any]] = []
    failed: list[tuple[InputFile, BaseException]] = []
    for src in sources:
        try:
            if src is not None:
                check_media([src])
            est = estimate(src)
        except Unreadable as e:
            if src is None or len(sources) == 1:
                raise
            failed.append((src, e))
            continue
        rows.append({"input": src.label if src is not None else None, "credits": est.credits,
                     "detail": est.detail, "upper_bound": est.upper_bound})
    total = sum(r["credits"] for r in rows)
    upper = any(r["upper_bound"] for r in rows)
    prefix = "up to " if upper else ""
    data: dict[str, Any] = {"operation": operation, "credits": total, "upper_bound": upper,
                            "items": rows}
    if len(sources) == 1:
        data["detail"] = rows[0]["detail"]
        console.emit(data, [f"{prefix}{total:g} credits: {rows[0]['detail']}"])
        return 0
    lines = [f"{r['input']}: {'up to ' if r['upper_bound'] else ''}{r['credits']:g} credits "
             f"({r['detail']})" for r in rows]
    counted = f"{len(rows)} files" if not failed else f"{len(rows)} of {len(sources)} files"
    lines.append(f"Total: {prefix}{total:g} credits for {counted}")
    if failed:
        data["failed"] = [{"input": src.label, "error": error_json(e, about=src.label)}
                          for src, e in failed]
    console.emit(data, lines)
    for src, e in failed:
        console.error(e, about=src.label)
    if not failed:
        return 0
    console.note(f"Could not estimate {len(failed)} of {len(sources)} files (not counted in "
                 "the total): " + ", ".join(src.label for src, _ in failed))
    return 1 if len(sources) > 1 else exit_code(failed[0][1])
