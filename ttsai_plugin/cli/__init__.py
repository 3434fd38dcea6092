"""The `ttsai` command: every workflow on files, folders and pipes from a terminal, on the
real API or, with no key configured, on the embedded local engine.

Parts: ``parser`` (every option, grouped), ``commands`` / ``info`` (what each command does),
``inputs`` / ``outputs`` (files, globs, folders, stdin; -o FILE|DIR/|TEMPLATE|-), ``runner``
(a command over its batch, via ``workflows.batch``), ``progress`` and ``display`` (what is
printed where), ``app`` (signals, pipes, exit codes). Kept import-light so start-up is quick.
"""
import os

CANCELLED_AT_START = b"ttsai: cancelled\n"


def _cancelled_at_start() -> None:
    """Ctrl-C before the command has started: one line, exit 130, no traceback."""
    try:
        os.write(2, CANCELLED_AT_START)
    finally:
        os._exit(130)


try:
    from typing import Sequence
except KeyboardInterrupt:
    _cancelled_at_start()


def main(argv: "Sequence[str] | None" = None) -> int:
    """The console entry point (``ttsai = "ttsai_plugin.cli:main"``)."""
    try:
        from ttsai_plugin.cli.app import main as run
    except KeyboardInterrupt:  # Ctrl-C while the modules load
        _cancelled_at_start()
    return run(argv)


def build_parser():
    """The argparse parser (for docs, completion and tests)."""
    from ttsai_plugin.cli.parser import build_parser as build
    return build()
