"""Outputs that already exist before a batch runs: -y overwrites, -n skips, a terminal is
asked (and Ctrl-C at the question cancels at once), anywhere else the run is refused."""
from __future__ import annotations

import sys
from typing import Any

from ttsai_plugin.cli import outputs as out_mod
from ttsai_plugin.cli.inputs import wait_for_input
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows.batch import BatchItem, BatchLedger


def overwrite_policy(args: Any, items: list[BatchItem], ledger: BatchLedger,
                     token: Any) -> dict[int, str]:
    """Existing outputs (not from an identical earlier run, finished or cut short by a crash):
    -y overwrites, -n skips, else ask on a terminal, or refuse before any work naming the file."""
    policy = getattr(args, "overwrite", None)
    clashes = [(item, out_mod.existing(item.payload[1])) for item in items
               if policy == "yes" or not (item.key and (ledger.finished(item.key)
                                                        or ledger.intended(item.key)))]
    clashes = [(item, paths) for item, paths in clashes if paths]
    if not clashes or policy == "yes":
        return {}
    if policy == "no":
        return {item.index: f"{paths[0]} exists (-n)" for item, paths in clashes}
    interactive = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty() \
        and not any(item.payload[0].stdin for item in items)
    if interactive:
        skipped = {}
        for item, paths in clashes:
            print(f"File '{paths[0]}' already exists. Overwrite? [y/N] ", end="",
                  file=sys.stderr, flush=True)  # stderr: stdout may carry the result
            answer = _answer(token)
            if answer.strip().lower() not in ("y", "yes"):
                skipped[item.index] = f"{paths[0]} exists (kept)"
        return skipped
    first = clashes[0][1][0]
    more = sum(len(p) for _, p in clashes) - 1
    raise InputError(f"{first} already exists" + (f" (and {more} more outputs)" if more else "")
                     + "; not overwriting.",
                     hint="Add -y to overwrite, -n to skip existing outputs, or choose another -o.")


def _answer(token: Any) -> str:
    """A line typed on the terminal, waited for so that a cancelled token (Ctrl-C) ends the
    wait: a bare readline in the job's thread outlived the cancel line, and ttsai hung."""
    try:
        import select  # noqa: F401 - wait_for_input needs it: without it, a plain read
        fd = sys.stdin.fileno()
    except (ImportError, AttributeError, OSError, ValueError):
        return sys.stdin.readline()
    wait_for_input(fd, token, "at the overwrite question")
    return sys.stdin.readline()
