"""Running one `ttsai` command: parse, run the work on a thread so Ctrl-C is answered at
once (the job's token is cancelled, partial files removed, exit 130 with one line), a
closed output pipe ends quietly (141), and every failure is one line (or JSON)."""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import traceback
from typing import Any, Sequence

from ttsai_plugin.cli.display import (EXIT_CANCELLED, EXIT_PIPE, Console, error_json,
                                      error_line, exit_code)

CANCEL_LINE = "ttsai: cancelled; nothing half-written (run the same command again to resume)"


def _commands() -> dict[str, Any]:
    from ttsai_plugin.cli import commands, info
    return {"narrate": commands.cmd_narrate, "dub": commands.cmd_dub,
            "enhance": commands.cmd_enhance, "dereverb": commands.cmd_dereverb,
            "stems": commands.cmd_stems, "transcribe": commands.cmd_transcribe,
            "convert": commands.cmd_convert, "analyze": commands.cmd_analyze,
            "voices": info.cmd_voices, "models": info.cmd_models,
            "estimate": info.cmd_estimate, "presets": info.cmd_presets,
            "config": info.cmd_config, "completion": info.cmd_completion}


def _logging(verbose: int, quiet: bool) -> None:
    """-vv: the client's requests and retries on stderr."""
    if verbose >= 2 and not quiet:
        from ttsai_plugin.clients import LOCAL_NOTICE
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("ttsai: %(name)s: %(message)s"))
        # the console says it once already; the log line printed it a second time
        handler.addFilter(lambda record: record.getMessage() != LOCAL_NOTICE)
        root = logging.getLogger("ttsai_plugin")
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)


def _pipe_closed() -> int:
    """The reader went away (``| head``): stop quietly, and keep Python's exit flush silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def _cancel_json() -> None:
    """With --json a cancelled run still answers with one error object, as every error does."""
    from ttsai_plugin.errors import Cancelled
    try:
        print(json.dumps({"error": error_json(Cancelled(
            "Cancelled; nothing half-written.",
            hint="Run the same command again to resume."))}), flush=True)
    except (BrokenPipeError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # during start-up, before the job's own handling
        print(CANCEL_LINE, file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return _pipe_closed()


def _main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        from ttsai_plugin.local import main as serve_main
        return int(serve_main(argv[1:]) or 0)
    from ttsai_plugin.cli.parser import build_parser, estimate_as_command
    argv = estimate_as_command(argv)
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    console = Console(quiet=args.quiet, verbose=args.verbose, as_json=args.json)
    _logging(args.verbose, args.quiet)
    from ttsai_plugin.jobs import CancelToken
    token = CancelToken()
    outcome: dict[str, Any] = {}
    finished = threading.Event()  # not Thread.join: an interrupted join can report a live thread as dead

    def work() -> None:
        try:
            outcome["code"] = _commands()[args.command](args, token, console)
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
        console.quiet = True       # the cancel line is the last word: no notice, note or
        logging.disable(logging.CRITICAL)  # log line from the job winding down
        print(f"\r{CANCEL_LINE}", file=sys.stderr, flush=True)
        try:
            while not finished.wait(0.2):  # let the jobs remove their partial files
                pass
        except KeyboardInterrupt:
            pass
        if args.json:
            _cancel_json()
        return EXIT_CANCELLED
    error = outcome.get("error")
    if error is None:
        return int(outcome.get("code", 0))
    if isinstance(error, BrokenPipeError) or (isinstance(error, OSError) and error.errno == 32):
        return _pipe_closed()
    if isinstance(error, SystemExit):
        return int(error.code or 0)
    if token.cancelled:
        return EXIT_CANCELLED
    if args.debug:
        traceback.print_exception(error, file=sys.stderr)
    if args.json:
        try:
            print(json.dumps({"error": error_json(error)}, ensure_ascii=False), flush=True)
        except BrokenPipeError:
            return _pipe_closed()
    print(error_line(error), file=sys.stderr)
    return exit_code(error)
