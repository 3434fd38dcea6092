"""How failures read on the terminal: one line, a hint, the documented exit code."""
from __future__ import annotations

import errno
import io

from ttsai_plugin.cli.display import error_line, exit_code
from ttsai_plugin.cli.progress import BatchProgress
from ttsai_plugin.workflows.batch import BatchItem
from ttsai_plugin.errors import (AuthenticationError, Cancelled, InputError, MediaError,
                                 PresetError)


def test_each_kind_of_failure_maps_to_its_exit_code():
    assert exit_code(InputError("x")) == 2 and exit_code(PresetError("x")) == 2
    assert exit_code(AuthenticationError("x")) == 3
    assert exit_code(MediaError("x")) == 1 and exit_code(OSError("x")) == 1
    assert exit_code(Cancelled("x")) == 130 and exit_code(KeyboardInterrupt()) == 130


def test_a_full_disk_reads_as_what_to_do_not_as_a_crash():
    line = error_line(OSError(errno.ENOSPC, "No space left on device", "/tmp/out/n.wav"))
    assert line.startswith("ttsai: error: ") and "\n" not in line
    assert "n.wav" in line and "Free some disk space" in line and "Unexpected" not in line


def test_messages_and_hints_fold_into_one_line():
    line = error_line(InputError("The text\nis empty.", hint="Type   something."))
    assert line == "ttsai: error: The text is empty. Type something."


def test_progress_without_a_terminal_prints_one_line_per_step():
    out = io.StringIO()
    progress = BatchProgress(1, label="enhance", stream=out)
    item = BatchItem(1, "talk.wav")
    progress.started(item)
    for fraction, message in ((0.0, "Extracting"), (0.1, "Extracting"), (0.5, "Enhanced")):
        progress.progress(item, fraction, message)
    lines = out.getvalue().splitlines()
    assert [ln.split(" · ")[0] for ln in lines] == ["[  0%] Extracting", "[ 50%] Enhanced"]
    assert all("elapsed" in ln for ln in lines)


def test_a_message_without_a_full_stop_still_reads_apart_from_its_hint():
    """An unreachable host's reason comes from the OS without punctuation."""
    from ttsai_plugin.errors import APIConnectionError
    line = error_line(APIConnectionError("Cannot reach api.example: Name or service not known",
                                         hint="Check the network connection and the base URL."))
    assert line.endswith("Name or service not known. Check the network connection and the "
                         "base URL.")
    assert error_line(InputError("Done.", hint="Next.")) == "ttsai: error: Done. Next."
    assert error_line(InputError("no preset named 'nope'", hint="Known: a.")) == \
        "ttsai: error: no preset named 'nope'. Known: a."
    assert error_line(InputError('He said "stop."', hint="Go.")) == \
        'ttsai: error: He said "stop." Go.'
