"""What `ttsai` prints and where: results on stdout (or stderr when stdout carries audio),
notes and errors on stderr, JSON when asked, nothing but errors with -q; and the exit code
each kind of failure maps to."""
from __future__ import annotations

import errno
import json
import re
import sys
import threading
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, TextIO

from ttsai_plugin.errors import (APIError, AuthenticationError, Cancelled, ConfigError,
                                 InputError, PermissionDeniedError, PresetError, TTSAIError)
from ttsai_plugin.sentences import join

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_CANCELLED, EXIT_PIPE = 0, 1, 2, 3, 130, 141
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


def _message_and_hint(error: BaseException) -> tuple[str, str | None]:
    if isinstance(error, TTSAIError):
        return error.message.rstrip(), error.hint
    if isinstance(error, KeyboardInterrupt):
        return "Cancelled.", None
    if isinstance(error, OSError) and error.errno in _OS_HINTS:
        where = f" ({Path(error.filename).name})" if error.filename else ""
        return f"Could not write or read a file{where}: {error.strerror}.", _OS_HINTS[error.errno]
    return (f"Unexpected {type(error).__name__}: {error}.",
            "Run again with --debug for details and please report it.")


def error_line(error: BaseException, *, about: str | None = None) -> str:
    """``ttsai: error: [<about>: ]<what happened>. <what to do>`` on one line."""
    message, hint = _message_and_hint(error)
    text = join(message, hint) if hint else " ".join(message.split())
    named = about and not text.startswith(about)  # "a.wav: a.wav is not audio" says it twice
    return "ttsai: error: " + (f"{about}: " if named else "") + text


def error_code(error: BaseException) -> str:
    """A stable machine name: the API's code, else the error class in snake case."""
    if isinstance(error, APIError):
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return "cancelled"
    if isinstance(error, OSError) and error.errno in _OS_HINTS:
        return errno.errorcode.get(error.errno, "os_error").lower()
    name = re.sub(r"Error$", "", type(error).__name__) or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ("_error" if name != "Cancelled" else "")


def error_json(error: BaseException, *, about: str | None = None) -> dict[str, Any]:
    """The JSON form of an error: code, message, hint, exit code (and the input it was about)."""
    message, hint = _message_and_hint(error)
    data: dict[str, Any] = {"code": error_code(error), "message": " ".join(message.split()),
                            "hint": hint, "exit_code": exit_code(error)}
    if about:
        data["input"] = about
    return data


def usage_error(parser: Any, message: str) -> None:
    """argparse's complaint: usage plus one line, or a JSON error object with --json."""
    from ttsai_plugin.cli.parser import wants_json
    if wants_json(sys.argv[1:]) or _STATE.json:
        print(json.dumps({"error": {"code": "usage", "message": message,
                                    "hint": f"See `{parser.prog} --help`.",
                                    "exit_code": EXIT_USAGE}}), file=sys.stdout, flush=True)
    parser.print_usage(sys.stderr)
    print(f"ttsai: error: {message}", file=sys.stderr)


@dataclass
class _State:
    json: bool = False


_STATE = _State()


def plain(value: Any) -> Any:
    """A JSON-ready copy: paths as strings, dataclasses as dicts."""
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass
class Console:
    """Where each kind of line goes. ``data_on_stdout``: stdout carries a result file (-o -),
    so every other line goes to stderr."""

    quiet: bool = False
    verbose: int = 0
    as_json: bool = False
    data_on_stdout: bool = False
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    bar: Any = None  # the progress display, which must be cleared before a line is printed

    def __post_init__(self) -> None:
        _STATE.json = self.as_json

    @property
    def results(self) -> TextIO:
        return sys.stderr if self.data_on_stdout else sys.stdout

    def _print(self, line: str, stream: TextIO) -> None:
        with self._lock:
            if self.bar is not None:
                self.bar.write(line, stream)
            else:
                print(line, file=stream, flush=True)

    def result(self, lines: list[str]) -> None:
        """Human result lines (skipped with --json, which prints one object at the end), kept
        together: lines of parallel jobs never interleave."""
        if not (self.quiet or self.as_json):
            with self._lock:
                for line in lines:
                    self._print(line, self.results)

    def note(self, line: str, *, level: int = 0) -> None:
        """Status on stderr, shown from verbosity ``level`` on; never with -q."""
        if not self.quiet and self.verbose >= level:
            self._print(line, sys.stderr)

    def error(self, error: BaseException, *, about: str | None = None) -> None:
        self._print(error_line(error, about=about), sys.stderr)

    def emit_json(self, data: dict[str, Any]) -> None:
        if self.as_json:
            self._print(json.dumps(plain(data), ensure_ascii=False, indent=2), self.results)

    def emit(self, data: dict[str, Any], lines: list[str]) -> None:
        """A command's whole answer: one JSON object, or its lines."""
        if self.as_json:
            self.emit_json(data)
        else:
            self.result(lines)


def credits_line(used: float, left: float | None, *, local: bool = False) -> str:
    """``Credits: 18 used, 999,946 left``: this job's figure and the balance after it; on the
    built-in engine, what TTS.ai would bill (its balance is the engine's own, not the user's)."""
    if local:
        return f"Credits: {used:,.6g} on TTS.ai; free here on the local engine"
    return f"Credits: {used:,.6g} used" + (f", {left:,.6g} left" if left is not None else "")


def result_lines(result: Any, written: list[tuple[str, float | None]]) -> list[str]:
    """Human summary of a WorkflowResult: files with durations, cache, mock label, notes."""
    lines = []
    for path, seconds in written:
        lines.append(f"Wrote {path}" + (f" ({seconds:.2f} s)" if seconds is not None else ""))
    if getattr(result, "cached", False):
        lines.append("From the cache: no request made, no credits used.")
    if getattr(result, "mock", None):
        lines.append(f"Note: mocked by the local engine ({result.mock}); not a real result.")
    for note in getattr(result, "notes", []) or []:
        lines.append(f"Note: {note}")
    return lines
