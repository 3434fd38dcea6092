"""Finding ffmpeg and running it: one place that turns ffmpeg's complaints into MediaErrors.

imageio-ffmpeg's bundled binary is preferred so no host needs a system ffmpeg; an explicit
path (``configure(ffmpeg=...)`` or ``TTSAI_FFMPEG``) wins over it, the system one is last.

Every path reaches ffmpeg as a ``file:`` URL behind ``-protocol_whitelist file,pipe`` (a file
named ``concat:a.wav|b.wav`` is a file, never a protocol), playlists and concat scripts are
refused before ffmpeg opens them, every run has a timeout scaled to its input, and children die
with their parent (a process group, plus ``PR_SET_PDEATHSIG`` on Linux).
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Protocol, Sequence

from ttsai_plugin.errors import Cancelled, ConfigError, InputError, MediaError
from ttsai_plugin.sentences import sentence

_lock = threading.Lock()
_configured: str | None = None
_found: str | None = None

# Phrases in ffmpeg's stderr and the hint a user can act on, most specific first.
_HINTS: tuple[tuple[str, str], ...] = (
    ("no such file or directory", "Check that the file exists and the path is right."),
    ("permission denied", "Check the file's permissions, or choose another output folder."),
    ("moov atom not found", "The movie was never finished (a crashed recording?); remux it "
                            "with a recovery tool or re-record it."),
    ("end of file", "The file is truncated; re-export it from the original."),
    ("unknown encoder", "This ffmpeg lacks the encoder; set TTSAI_FFMPEG to a fuller build."),
    ("no space left on device", "Free some disk space and try again."),
    ("does not contain any stream", "The file holds no audio or video streams."),
    ("invalid data found when processing input",
     "The file is corrupt or not a media file; re-export it from the original."),
)
_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
# ffmpeg's progress and end-of-run statistics: they follow the real reason and say nothing
_STATS = re.compile(r"^(\[out#\d+/[^\]]*\]\s*)?(size=|frame=|video:|audio:|\S+=\s*\S+\s+time=)")


# No console window flashing up for every ffmpeg call when a Windows host runs us.
NO_WINDOW: dict = {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)} \
    if os.name == "nt" else {}

PROTOCOLS = "file,pipe"
"""The only protocols ffmpeg may open: no network, no ``concat:``/``subfile:`` tricks."""
BASE_TIMEOUT = 60.0
SECONDS_PER_MB = 6.0
"""A run may take ``BASE_TIMEOUT`` + ``SECONDS_PER_MB`` per MB of its inputs (a 2 h film of
1.5 GB gets ~2.5 h); ``run(timeout=...)`` overrides it."""
_PLAYLIST_MARKS = (b"#EXTM3U", b"ffconcat", b"[playlist]", b"#EXTINF", b"<MPD", b"<?xml",
                   b"<smil", b"<asx", b"file '", b'file "')
_children: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()


def _pdeathsig_launcher() -> tuple[str, ...]:
    """util-linux ``setpriv`` (Linux): it sets the parent-death signal and execs the command.

    Done by a launcher, not a ``preexec_fn``: a ``preexec_fn`` makes Python fork instead of
    vfork, and fork runs OpenBLAS's at-fork handler, which deadlocks a threaded process (the
    local engine) while another thread is inside BLAS."""
    if not sys.platform.startswith("linux"):
        return ()
    launcher = shutil.which("setpriv")
    return (launcher, "--pdeathsig", "KILL", "--") if launcher else ()


_LAUNCHER = _pdeathsig_launcher()


def child_kwargs() -> dict[str, Any]:
    """Popen keywords so a child is killed with us: its own process group (one kill ends
    ffmpeg and anything it spawned)."""
    if os.name == "nt":
        return dict(NO_WINDOW)
    return {"start_new_session": True}


def popen(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """Start a child (ffmpeg, espeak …) that is killed with its process group on exit."""
    cmd = list(cmd)
    launcher = _LAUNCHER if cmd and shutil.which(cmd[0]) else ()  # a missing binary: OSError
    proc = subprocess.Popen([*launcher, *cmd], **child_kwargs(), **kwargs)
    _children.add(proc)
    return proc


def kill(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and its process group, and reap it."""
    if proc.poll() is None:
        try:
            if os.name != "nt":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie the OS will reap
        pass


@atexit.register
def _kill_children() -> None:
    for proc in list(_children):
        kill(proc)


def file_url(path: str | os.PathLike[str]) -> str:
    """``path`` as ffmpeg's ``file:`` URL (absolute), so no part of a name is a protocol."""
    text = os.fspath(path)
    if text == "-" or text.startswith(("pipe:", "file:")):
        return text
    return "file:" + os.path.abspath(text)


def refuse_playlist(path: str | os.PathLike[str]) -> None:
    """InputError when a user file is a playlist or concat script (it would open other files)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return  # ffmpeg reports a missing or unreadable file itself
    if head.startswith(_PLAYLIST_MARKS) or head.lower().startswith(b"<?xml"):
        raise InputError(f"{Path(path).name} is a playlist or script, not a media file.",
                         hint="Open the media file itself; playlists and concat lists that "
                              "point at other files are not read.")


def safe_args(args: Sequence[Any]) -> tuple[list[str], int]:
    """ffmpeg arguments with every input behind the protocol whitelist as a ``file:`` URL and
    the output (the last argument) as one too; also the bytes of input (for the timeout)."""
    items = [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    out: list[str] = []
    size = 0
    fmt: str | None = None  # the -f given for the next input (lavfi sources are no files)
    for i, text in enumerate(items):
        before = items[i - 1] if i else ""
        if before == "-f":
            fmt = text
        if before == "-i":
            if fmt != "lavfi" and text != "-" and not text.startswith("pipe:"):
                refuse_playlist(text)
                try:
                    size += os.stat(text).st_size
                except OSError:
                    pass
                out[-1:] = ["-protocol_whitelist", PROTOCOLS, "-i"]
                text = file_url(text)
            fmt = None
        elif i == len(items) - 1 and i and not text.startswith("-"):
            text = file_url(text)
        out.append(text)
    return out, size


def timeout_for(size: int) -> float:
    """Seconds a run with ``size`` bytes of input may take (see ``SECONDS_PER_MB``)."""
    return BASE_TIMEOUT + SECONDS_PER_MB * size / (1024 * 1024)


class CancelCheck(Protocol):
    """Anything with a ``cancelled`` flag (``ttsai_plugin.jobs.CancelToken``)."""

    @property
    def cancelled(self) -> bool: ...


def configure(*, ffmpeg: str | os.PathLike[str] | None = None) -> None:
    """Use this ffmpeg binary from now on (``None`` goes back to automatic discovery)."""
    global _configured, _found
    with _lock:
        _configured = str(ffmpeg) if ffmpeg else None
        _found = None


def ffmpeg_exe() -> str:
    """The ffmpeg binary: configured → ``TTSAI_FFMPEG`` → imageio-ffmpeg's → system one."""
    global _found
    with _lock:
        explicit = _configured or os.environ.get("TTSAI_FFMPEG")
        if explicit:
            explicit = shutil.which(explicit) or explicit  # a bare name is looked up on PATH
            if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
                raise ConfigError(f"ffmpeg not found at {explicit!r}.",
                                  hint="Point TTSAI_FFMPEG (or the settings) to an ffmpeg binary.")
            return explicit
        if _found is None:
            _found = _discover()
        return _found


def _discover() -> str:
    try:
        import imageio_ffmpeg
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and Path(exe).is_file():
            return exe
    except Exception:  # noqa: BLE001 - any failure here means "not bundled"; try the system's
        pass
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    raise ConfigError("No ffmpeg available.",
                      hint="pip install imageio-ffmpeg, install ffmpeg, or set TTSAI_FFMPEG.")


def reason_and_hint(stderr: str) -> tuple[str, str | None]:
    """The line of ffmpeg's stderr that says what went wrong, and a hint for what to do."""
    lines = [_PREFIX.sub("", ln.strip()) for ln in stderr.splitlines() if ln.strip()]
    skip = ("At least one output file must be specified", "Conversion failed!",
            "Exiting normally")
    meaningful = [ln for ln in lines if not ln.startswith(skip) and not _STATS.match(ln)]
    for phrase, hint in _HINTS:
        for line in meaningful:
            if phrase in line.lower():
                return sentence(line), hint
    reason = meaningful[-1] if meaningful else (lines[-1] if lines else "ffmpeg failed")
    return sentence(reason), None


def run(args: Sequence[Any], *, what: str, cancel: CancelCheck | None = None,
        stdout: int | None = None, timeout: float | None = None) -> str:
    """Run ffmpeg with ``args``; return its stderr. Failure → MediaError, cancel → Cancelled.

    ``what`` names the task for the error message ("extract audio from talk.mp4"). Inputs
    and the output go through ``safe_args``; past ``timeout`` (default ``timeout_for`` the
    inputs' size) ffmpeg is killed and a MediaError says so.
    """
    safe, size = safe_args(args)
    limit = timeout if timeout is not None else timeout_for(size)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", *safe]
    with tempfile.TemporaryFile() as err:
        try:
            proc = popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=err)
        except OSError as exc:
            raise MediaError(f"Could not start ffmpeg to {what}: {exc}.",
                             hint="Set TTSAI_FFMPEG to a working ffmpeg binary.") from exc
        deadline = time.monotonic() + limit
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled(f"Cancelled: {what}.") from None
                    if time.monotonic() > deadline:
                        raise MediaError(f"ffmpeg did not {what} within {limit:.0f} s; it "
                                         "was stopped.",
                                         hint="The file may be damaged or far longer than "
                                              "it looks; try a shorter range.") from None
        finally:
            kill(proc)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if rc != 0:
        reason, hint = reason_and_hint(text)
        raise MediaError(f"ffmpeg could not {what}: {reason}", hint=hint)
    return text


def probe_stderr(path: Path, *, timeout: float = 30.0) -> str:
    """ffmpeg's description of ``path`` (``ffmpeg -i``; it always exits 1 without an output)."""
    refuse_playlist(path)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-protocol_whitelist", PROTOCOLS,
           "-i", file_url(path)]
    proc = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg could not describe {Path(path).name} within {timeout:g} s.",
                         hint="The file may be damaged, or on a stalled network drive.") \
            from None
    finally:
        kill(proc)
    return err.decode("utf-8", "replace")
