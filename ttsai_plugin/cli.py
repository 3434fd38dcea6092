"""The `ttsai` command: every workflow on files from a terminal, on the real API or, with no
key configured, on the embedded local engine.

Exit codes: 0 ok, 1 API/processing error, 2 usage/input error, 3 auth/config, 130 cancelled.
"""
from __future__ import annotations

import argparse
import sys
import threading
import traceback
from typing import Any, Sequence

from ttsai_plugin.cli_output import EXIT_USAGE, error_line, exit_code

DESCRIPTION = ("TTS.ai speech tools for files: narrate, dub, clean up, split stems, transcribe. "
               "With no API key configured everything runs on the built-in local engine.")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code (2) and a one-line error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ttsai: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection and output")
    g.add_argument("--api-key", metavar="KEY",
                   help="API key (else TTSAI_API_KEY, else the config file; none = local engine)")
    g.add_argument("--base-url", metavar="URL", help="API base URL (else TTSAI_BASE_URL)")
    g.add_argument("--plan", choices=("pro", "enterprise"), help="your plan's limits")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    g.add_argument("--no-cache", action="store_true", help="always ask the service again")
    g.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def _range(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", "--in", dest="start", type=float, default=0.0, metavar="S",
                   help="use the input from this second on")
    p.add_argument("--end", dest="end", type=float, default=None, metavar="S",
                   help="use the input up to this second")
    p.add_argument("--stream", type=int, default=0, metavar="N", help="audio stream of the input")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="ttsai", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name: str, help_: str, *, file_in: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=[common])
        if file_in:
            p.add_argument("input", help="audio or video file")
            _range(p)
        return p

    p = add("narrate", "Speak text (any length) into an audio file.", file_in=False)
    p.add_argument("text", nargs="?", help="the text to speak (or --file)")
    p.add_argument("--file", "-f", metavar="TXT", help="read the text from a file ('-' = stdin)")
    p.add_argument("-o", "--output", required=True, help="output audio (format from the suffix)")
    p.add_argument("--voice", default="af_bella")
    p.add_argument("--model", default="kokoro")
    p.add_argument("--language")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--reference", metavar="AUDIO", help="clone the voice in this recording")
    p.add_argument("--preset", help="a preset that starts with narration (e.g. youtube-narration)")

    p = add("dub", "Dub speech into another language.")
    p.add_argument("--to", dest="target_language", metavar="LANG",
                   help="target language code, e.g. es (required unless --preset)")
    p.add_argument("--preset", help="a dubbing preset (e.g. dub-spanish)")
    p.add_argument("-o", "--output", required=True,
                   help="output audio, or a video (the picture is copied, audio replaced)")
    p.add_argument("--voice")
    p.add_argument("--preserve-voice", action="store_true")
    p.add_argument("--no-fit", dest="fit_duration", action="store_false",
                   help="keep the dub's natural length")
    p.add_argument("--subtitles", action="store_true", help="also write .srt/.vtt beside -o")

    p = add("enhance", "Remove noise and improve clarity.")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--preset", help="run a preset instead (e.g. stream-mic-cleanup)")
    p.add_argument("--strength", type=int, choices=(1, 2, 3), default=2)
    p.add_argument("--no-denoise", dest="denoise", action="store_false")
    p.add_argument("--no-clarity", dest="enhance_clarity", action="store_false")
    p.add_argument("--super-resolution", action="store_true")

    p = add("dereverb", "Remove echo and room reverb.")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--preset")
    p.add_argument("--type", choices=("echo", "reverb", "both"), default="both")
    p.add_argument("--intensity", type=int, choices=range(1, 6), default=3, metavar="1-5")

    p = add("stems", "Split music into stems (vocals, accompaniment, drums …).")
    p.add_argument("--stems", type=int, choices=(2, 4, 5, 6), default=2)
    p.add_argument("--model", default="demucs")
    p.add_argument("--preset", help="a stems preset (e.g. music-stems-4)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the stems")

    p = add("transcribe", "Speech to text, with SRT/WebVTT subtitles.")
    p.add_argument("--srt", metavar="FILE")
    p.add_argument("--vtt", metavar="FILE")
    p.add_argument("-o", "--output", help="transcript file: .srt, .vtt, .txt or .json")
    p.add_argument("--language")

    p = add("convert", "Change the voice of speech (or, without --voice, the file format).")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--voice", help="target voice id (see `ttsai voices`)")
    p.add_argument("--emotion", choices=("neutral", "happy", "sad", "aggressive", "excited"),
                   help="re-speak with this emotion (speech to speech)")
    p.add_argument("--preset")

    add("analyze", "Key, scale, BPM and time signature of music (free).")

    p = add("voices", "List voices.", file_in=False)
    p.add_argument("--model")
    p.add_argument("--language")
    p.add_argument("--gender", choices=("male", "female", "neutral"))

    add("models", "List models and their prices.", file_in=False)

    p = add("estimate", "Credits a job would cost, before running it.", file_in=False)
    p.add_argument("operation", help="narrate, dub, enhance, dereverb, stems, transcribe, "
                                     "convert, restyle, analyze, or a preset's name (see `ttsai presets`)")
    p.add_argument("input", nargs="?", help="the audio/video file (file operations)")
    _range(p)
    p.add_argument("--text")
    p.add_argument("--file", "-f", metavar="TXT")
    p.add_argument("--model", default="kokoro")
    p.add_argument("--reference", metavar="AUDIO")

    p = add("presets", "List presets, or show one.", file_in=False)
    p.add_argument("name", nargs="?")

    p = add("config", "Save the API key, base URL or plan (config file, mode 0600).",
            file_in=False)

    p = sub.add_parser("serve", help="Run the local engine on loopback (see `ttsai serve -h`).",
                       add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("ttsai-plugin")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "dev"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        from ttsai_plugin.local import main as serve_main
        return int(serve_main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    from ttsai_plugin import cli_commands
    from ttsai_plugin.jobs import CancelToken
    token = CancelToken()
    outcome: dict[str, Any] = {}

    finished = threading.Event()  # not Thread.join: an interrupted join can report a live thread as dead

    def work() -> None:
        try:
            outcome["code"] = cli_commands.run(args, token)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the main thread
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="ttsai-cli", daemon=True).start()
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        token.cancel()
        print("\nttsai: cancelling (Ctrl-C again to quit at once)…", file=sys.stderr)
        try:
            while not finished.wait(0.2):  # let the job remove its partial files
                pass
        except KeyboardInterrupt:
            outcome["error"] = KeyboardInterrupt()
    error = outcome.get("error")
    if error is None:
        return int(outcome.get("code", 0))
    if getattr(args, "debug", False):
        traceback.print_exception(error, file=sys.stderr)
    print(error_line(error), file=sys.stderr)
    return exit_code(error)


if __name__ == "__main__":
    raise SystemExit(main())
