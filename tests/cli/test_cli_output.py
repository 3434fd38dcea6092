"""How failures read on the terminal: one line, a hint, the documented exit code."""
from __future__ import annotations

import errno
import io
import re

from tests.cli.test_cli import one_line_error
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


DOUBLED = re.compile(r"[.!?]\)?[.!?]|\.\s+\.")


def test_errors_built_from_a_library_reason_read_as_clean_sentences(tmp_path):
    """ffmpeg's, the template parser's and TOML's reasons end in their own full stop; wrapped
    in ours ('… (reason.). Hint') they doubled it."""
    import os
    import subprocess
    import sys

    from tests import media_factory
    media_factory.corrupt_file(tmp_path, "broken.wav")
    take = media_factory.speech(tmp_path, "take.wav", text="A short take.")
    (tmp_path / "config" / "ttsai").mkdir(parents=True)
    (tmp_path / "config" / "ttsai" / "config.toml").write_text('plan = "pro\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               TTSAI_CACHE_DIR=str(tmp_path / "results"))
    clean = {k: v for k, v in env.items() if k != "XDG_CONFIG_HOME"}
    cases = [(env, ["config"], "is not valid TOML"),
             (clean, ["enhance", tmp_path / "broken.wav", "-o", tmp_path / "b.wav"],
              "is not an audio or video file (ffmpeg cannot read broken.wav"),
             (clean, ["enhance", take, "-o", str(tmp_path / "{stem:q}.wav")],
              "in the output template: Unknown format code")]
    for where, args, says in cases:
        proc = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *map(str, args)],
                              env=where, capture_output=True, text=True, timeout=120)
        line = one_line_error(proc)
        assert says in line, line
        assert not DOUBLED.search(line), line
        assert line.endswith(".") or line.endswith("…"), line


def test_a_reason_in_brackets_drops_its_own_full_stop_but_keeps_other_marks():
    from ttsai_plugin.sentences import clause, join, sentence
    assert f"bad file ({clause('Invalid data found.')})." == "bad file (Invalid data found)."
    assert clause("Really?") == "Really?" and clause("and so on...") == "and so on..."
    assert sentence("Invalid data") == "Invalid data." and sentence("(see above.)") == \
        "(see above.)"
    assert join("Cannot read it.", None, "Give audio.") == "Cannot read it. Give audio."
    assert str(InputError("Nope", hint="Try again.")) == "Nope. Try again."
