"""What the `ttsai` command shows: progress on stderr, results on stdout, errors as one line
with a hint, and the exit code each kind of failure maps to."""
from __future__ import annotations

import errno
import json
import sys
import threading
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TextIO

from ttsai_plugin.errors import (AuthenticationError, Cancelled, ConfigError, InputError,
                                 PermissionDeniedError, PresetError, TTSAIError)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_CANCELLED = 0, 1, 2, 3, 130
_OS_HINTS = {
    errno.ENOSPC: "Free some disk space (or write elsewhere) and try again; nothing was kept.",
    errno.EDQUOT: "Your disk quota is full: free some space and try again; nothing was kept.",
    errno.EFBIG: "The file is too large for this disk or file system; write it elsewhere.",
    errno.EACCES: "Check that you may write to that folder, or choose another output path.",
    errno.EPERM: "Check that you may write to that folder, or choose another output path.",
    errno.EROFS: "That disk is read-only: choose another output path.",
    errno.ENOENT: "Check that the folder exists.",
}


def exit_code(error: BaseException) -> int:
    """0 ok, 1 API/processing error, 2 usage/input error, 3 auth/config, 130 cancelled."""
    if isinstance(error, (Cancelled, KeyboardInterrupt)):
        return EXIT_CANCELLED
    if isinstance(error, (ConfigError, AuthenticationError, PermissionDeniedError)):
        return EXIT_CONFIG
    if isinstance(error, (InputError, PresetError)):
        return EXIT_USAGE
    return EXIT_FAILED


def error_line(error: BaseException) -> str:
    """``ttsai: error: <what happened>. <what to do>`` on one line."""
    if isinstance(error, TTSAIError):
        message = error.message.rstrip()
        if error.hint and message and message.rstrip("'\")»”")[-1:] not in tuple(".!?:…"):
            message += "."  # 'Name or service not known Check the network' read as one sentence
        text = message + (f" {error.hint}" if error.hint else "")
    elif isinstance(error, KeyboardInterrupt):
        text = "Cancelled."
    elif isinstance(error, OSError) and error.errno in _OS_HINTS:
        where = f" ({Path(error.filename).name})" if error.filename else ""
        text = f"Could not write or read a file{where}: {error.strerror}. {_OS_HINTS[error.errno]}"
    else:
        text = (f"Unexpected {type(error).__name__}: {error}. Run again with --debug for "
                "details and please report it.")
    return "ttsai: error: " + " ".join(text.split())


class Progress:
    """``progress(fraction, message)`` for workflows: a tqdm bar on a terminal, else one plain
    line per new step (logs and CI stay readable). Thread-safe."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        self._last = ""
        self._lock = threading.Lock()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self.tty and self._bar is None:
                self._bar = _make_bar(self.stream)
            if self._bar is not None:
                self._bar.n = round(fraction * 1000)
                self._bar.set_description_str(message[:48], refresh=False)
                self._bar.refresh()
            elif message != self._last:
                print(f"[{fraction * 100:3.0f}%] {message}", file=self.stream, flush=True)
            self._last = message

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def _make_bar(stream: TextIO) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # no tqdm: plain lines
        return None
    return tqdm(total=1000, file=stream, leave=False, dynamic_ncols=True,
                bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}")


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def emit(data: dict[str, Any], lines: list[str], *, as_json: bool,
         stream: TextIO | None = None) -> None:
    """Print the result: JSON (one object) or short human lines."""
    out = stream or sys.stdout
    if as_json:
        print(json.dumps(_plain(data), ensure_ascii=False, indent=2), file=out)
    else:
        for line in lines:
            print(line, file=out)


def result_lines(result: Any, written: list[tuple[Path, float | None]]) -> list[str]:
    """Human summary of a WorkflowResult: files with durations, credits, mock label, notes."""
    lines = []
    for path, seconds in written:
        lines.append(f"Wrote {path}" + (f" ({seconds:.2f} s)" if seconds is not None else ""))
    credits = getattr(result, "credits_used", 0.0) or 0.0
    if getattr(result, "cached", False):
        lines.append("From the cache: no request made, no credits used.")
    elif credits:
        lines.append(f"Credits used: {credits:g}")
    if getattr(result, "mock", None):
        lines.append(f"Note: mocked by the local engine ({result.mock}); not a real result.")
    for note in getattr(result, "notes", []) or []:
        lines.append(f"Note: {note}")
    return lines
