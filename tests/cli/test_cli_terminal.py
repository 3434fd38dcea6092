"""What a second user trial of `ttsai` in a terminal found, each case as the user met it:
reruns after -y and of a shell glob, readers that go away early, audio aimed at the terminal,
outputs under a file, --format beside -o FILE, -vv, Ctrl-C at a question or while text is
typed, the bar's file count, completion of --preset. Real files, real subprocesses, real
pseudo-terminals, the local engine."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from tests import media_factory
from tests.cli.test_cli import one_line_error
from tests.cli.test_cli_batch import (  # noqa: F401 - env, files, takes, work: fixtures
    CLI, env, files, run, takes, ttsai_on_path, work)

pytestmark = pytest.mark.timeout(300)


def test_a_batch_run_with_y_is_remembered_so_the_plain_rerun_skips_it(env, work):
    """After `ttsai enhance takes/ -y`, `ttsai enhance takes/` took the .clean.wav files the
    first run wrote for new inputs and stopped with 'Refusing to overwrite the input
    takes/intro.clean.wav' (exit 2): -y runs were never written to the ledger."""
    run(env, "enhance", work, "-y", "-q")
    made = files(work)
    again = run(env, "enhance", work)
    assert files(work) == made and not any(".clean.clean" in f for f in made)
    assert again.stderr.count("already done") == 2, again.stderr
    resumed = run(env, "enhance", work, "-y")
    assert resumed.stderr.count("already done") == 2 and files(work) == made


def test_a_reader_that_stops_early_ends_the_pipe_with_141_even_unbuffered(env, tmp_path):
    """With PYTHONUNBUFFERED=1 (common in containers) `ttsai enhance - -o - | head -c 100`
    said 'Wrote stdout' and exited 0: stdout was a raw file whose write took part of the
    audio, and the rest was dropped without a word."""
    take = media_factory.speech(tmp_path, "long.wav", text="A take long enough to fill the "
                                "pipe twice over, so the reader leaves before the end. " * 2)
    assert take.stat().st_size > 4 * 65536
    proc = subprocess.Popen([*CLI, "enhance", "-", "-o", "-"],
                            env={**env, "PYTHONUNBUFFERED": "1"},
                            stdin=open(take, "rb"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    head = proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert head.startswith(b"RIFF")
    assert proc.wait(timeout=120) == 141, err
    assert "Wrote stdout" not in err and "error" not in err


def _on_a_terminal(env, *args: object) -> tuple[int, bytes, str]:
    """Run `ttsai` with stdout on a pseudo-terminal: its exit code, what the terminal got,
    and stderr."""
    import pty
    import select
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *map(str, args)], env=env, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    shown = b""
    while proc.poll() is None or select.select([master], [], [], 0.2)[0]:
        if select.select([master], [], [], 0.2)[0]:
            try:
                shown += os.read(master, 65536)
            except OSError:  # the terminal's other end is gone
                break
    os.close(master)
    return proc.wait(timeout=120), shown, proc.stderr.read().decode()


def test_audio_is_not_poured_into_the_terminal(env, work):
    """`ttsai enhance take.wav -o -` typed at a terminal filled it with the WAV's bytes."""
    code, shown, err = _on_a_terminal(env, "enhance", work / "intro.wav", "-o", "-")
    assert code == 2 and b"RIFF" not in shown, shown[:200]
    assert "terminal" in err and "> out.wav" in err and "Traceback" not in err
    code, shown, err = _on_a_terminal(env, "transcribe", work / "intro.wav", "-o", "-",
                                      "--format", "txt")
    assert code == 0, err
    assert shown.strip() and b"\x00" not in shown  # a transcript is fine on a terminal


def test_an_output_folder_that_is_a_file_is_named_before_any_work(env, work):
    """`-o take.wav/clean.wav` (a typo, or a file where a folder was meant) failed after the
    work with 'Unexpected NotADirectoryError … please report it' (exit 1), in a batch once
    per file."""
    (work / "clean").write_text("a note, not a folder\n", "utf-8")
    both = [work / "intro.wav", work / "outro.wav"]
    for inputs, out in (([both[0]], work / "intro.wav" / "x.wav"), (both, f"{work / 'clean'}/"),
                        (both, work / "clean" / "{stem}.{ext}")):
        proc = run(env, "enhance", *inputs, "-o", out, ok=False)
        line = one_line_error(proc)
        assert proc.returncode == 2 and "is a file, not a folder" in line, proc.stderr
        assert "Unexpected" not in proc.stderr and "using the built-in" not in proc.stderr


def test_format_names_the_type_of_an_output_without_one_and_never_contradicts_its_name(
        env, work, tmp_path):
    """`-o out.wav --format flac` wrote a WAV and said nothing of the flac asked for; `-o take
    --format flac` was refused ('unknown output type (none) … or --format with a folder')
    although --format's help says it is for names without a type."""
    take = work / "intro.wav"
    said = run(env, "enhance", take, "-o", tmp_path / "out.wav", "--format", "flac", ok=False)
    line = one_line_error(said)
    assert said.returncode == 2 and "--format asks for flac" in line and "out.flac" in line
    assert not (tmp_path / "out.wav").exists()

    run(env, "enhance", take, "-o", tmp_path / "take", "--format", "flac", "-q")
    assert soundfile.info(tmp_path / "take.flac").format == "FLAC"
    run(env, "enhance", take, work / "outro.wav", "-o", f"{tmp_path}/mp3/{{stem}}",
        "--format", "mp3", "-q")
    assert files(tmp_path / "mp3") == ["intro.mp3", "outro.mp3"]

    bare = run(env, "enhance", take, "-o", tmp_path / "clean", ok=False)
    assert bare.returncode == 2 and "(clean/)" in one_line_error(bare)


def test_vv_shows_the_requests_it_promises(env, work, tmp_path):
    """`-vv` is 'also requests and retries', but no request was ever shown (and the
    local-engine notice was said twice, once as a log line)."""
    args = ("enhance", work / "intro.wav", "-o", tmp_path / "x.wav", "--no-cache", "-y")
    loud = run(env, *args, "-vv")
    assert "POST /v1/audio/enhance/: HTTP 200" in loud.stderr, loud.stderr
    assert loud.stderr.count("No TTS.ai API key configured") == 1  # the notice said once
    assert "HTTP 200" not in run(env, *args, "-v").stderr


def test_ctrl_c_before_any_file_is_done_leaves_no_empty_output_folder(env, work, tmp_path):
    """Ctrl-C while the first files of `-o new/deep/` were in flight left new/deep/ behind,
    empty (most runs; it depended on which file wound down last): only the file that made the
    folder tried to remove it, while the others' work was still inside it."""
    import signal
    import time

    from ttsai_plugin.local import EngineConfig, serve
    for n in range(3):
        media_factory.speech(work, f"more{n}.wav", text=f"Another take, number {n}.")
    key = "sk-tts-batch-folder-0001"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 10_000}, latency=3.0))
    out = tmp_path / "new" / "deep"
    try:
        proc = subprocess.Popen([*CLI, "enhance", work, "-o", f"{out}/", "--api-key", key,
                                 "--base-url", server.url], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(list(out.glob(".ttsai-*"))) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(out.glob(".ttsai-*"))) == 5  # every file of the batch is in flight
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert not (tmp_path / "new").exists(), files(tmp_path / "new")
    finally:
        server.close()



def _spawn_on_terminal(env, *args: object) -> tuple[subprocess.Popen, int]:
    """`ttsai` with a pseudo-terminal as its controlling terminal (so ^C typed is SIGINT) on
    stdin, stdout and stderr; the process and the terminal's other end."""
    import fcntl
    import pty
    import termios
    master, slave = pty.openpty()

    def terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    proc = subprocess.Popen([*CLI, *map(str, args)], env=env, stdin=slave, stdout=slave,
                            stderr=slave, preexec_fn=terminal)
    os.close(slave)
    return proc, master


def _read(master: int, until: bytes = b"", seconds: float = 60.0) -> bytes:
    """What the terminal shows, until ``until`` appears (or it goes quiet, or closes)."""
    import select
    import time
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until in seen):
        if not select.select([master], [], [], 0.5)[0]:
            if not until:
                break
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the command has ended and closed the terminal
            break
        seen += chunk
    return seen


def _wait(proc: subprocess.Popen, seconds: float = 10.0) -> int | None:
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def _ctrl_c_at(prompt: bytes, env, *args) -> tuple[int | None, bytes]:
    """Start ttsai on a terminal, press Ctrl-C once ``prompt`` shows: its exit code and screen."""
    proc, master = _spawn_on_terminal(env, *args)
    seen = _read(master, prompt)
    os.write(master, b"\x03")
    code = _wait(proc)
    seen += _read(master)
    os.close(master)
    return code, seen


def test_ctrl_c_at_the_overwrite_question_ends_ttsai_at_once(env, work):
    """Ctrl-C at 'Overwrite? [y/N]' printed the cancel line, then ttsai hung: the question
    was read by a readline in the job's thread that nothing could wake."""
    target = work / "intro.clean.wav"
    target.write_bytes(b"keep me")
    code, seen = _ctrl_c_at(b"Overwrite? [y/N]", env, "enhance", work / "intro.wav")
    assert code == 130, seen.decode(errors="replace")
    assert seen.count(b"ttsai: cancelled") == 1 and target.read_bytes() == b"keep me"


def test_narration_typed_at_the_terminal_says_how_to_end_and_ctrl_c_ends_it(env, tmp_path):
    """`ttsai narrate - -o vo.wav` at a prompt waited silently for text, and Ctrl-C there
    printed the cancel line and then hung until a second Ctrl-C."""
    code, seen = _ctrl_c_at(b"Ctrl-D", env, "narrate", "-", "-o", tmp_path / "gone.wav")
    assert code == 130, seen.decode(errors="replace")
    assert seen.count(b"ttsai: cancelled") == 1 and not (tmp_path / "gone.wav").exists()

    proc, master = _spawn_on_terminal(env, "narrate", "-", "-o", tmp_path / "vo.wav")
    _read(master, b"Ctrl-D")
    os.write(master, b"Typed at the prompt.\n\x04")
    code = _wait(proc, 120)
    seen = _read(master)
    os.close(master)
    assert code == 0, seen.decode(errors="replace")
    assert soundfile.info(tmp_path / "vo.wav").duration > 0.5


def test_the_bar_counts_finished_files_not_fractions_of_running_ones(env, work):
    """The bar read '1/4 files' while no file had finished: its count was the sum of the
    running files' fractions (4 × 32 % = 1.3), rounded."""
    import re
    import struct
    import termios
    for n in range(2):
        media_factory.speech(work, f"more{n}.wav", text=f"Another take, number {n}, a bit longer.")
    proc, master = _spawn_on_terminal(env, "enhance", work, "-o", f"{work}/clean/")
    import fcntl
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 140, 0, 0))
    shown = b""
    while (code := proc.poll()) is None or (chunk := _read(master, seconds=1)):
        shown += _read(master, seconds=1) if code is None else chunk
    os.close(master)
    assert proc.wait() == 0
    text = shown.decode(errors="replace")
    first = text.index("Wrote ")
    before = [int(m.group(1)) for m in re.finditer(r"(\d+)/4 files", text[:first])]
    # the bar is redrawn as a file finishes, just before its 'Wrote' line: no earlier
    assert before and len([n for n in before if n > 0]) <= 2, before
    assert re.findall(r"(\d+)/4 files", text)[-1] == "4"


def test_completion_offers_preset_names_after_preset(env, tmp_path):
    """`ttsai enhance --preset <Tab>` offered the files of the current folder."""
    e = ttsai_on_path(env, tmp_path)
    (tmp_path / "stray.wav").write_bytes(b"")
    complete = '$(complete -p ttsai | sed "s/.*-F \\([^ ]*\\).*/\\1/")'
    probe = (f'eval "$(ttsai completion bash)"; '
             f'COMP_WORDS=(ttsai enhance --preset ""); COMP_CWORD=3; '
             f'COMP_LINE="ttsai enhance --preset "; COMP_POINT=23; '
             f'{complete} ttsai "" --preset; echo "${{COMPREPLY[@]}}"; '
             f'COMP_WORDS=(ttsai stems x.wav --preset mu); COMP_CWORD=4; '
             f'COMP_LINE="ttsai stems x.wav --preset mu"; COMP_POINT=29; '
             f'{complete} ttsai mu --preset; echo "${{COMPREPLY[@]}}"')
    proc = subprocess.run(["bash", "-c", probe], env=e, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    offered, narrowed = proc.stdout.splitlines()[:2]
    assert "stream-mic-cleanup" in offered.split() and "stray.wav" not in offered, proc.stderr
    assert narrowed.split() == ["music-stems-4"]


def test_rerunning_a_shell_glob_resumes_instead_of_refusing_its_own_results(env, work):
    """`ttsai enhance *.wav`, then the same line again (after Ctrl-C, to resume): the shell's
    glob now also named intro.clean.wav, and ttsai stopped with 'Refusing to overwrite the
    input intro.clean.wav' (exit 2)."""
    def glob() -> list[Path]:  # what `*.wav` expands to, as the shell does it
        return sorted(work.glob("*.wav"))
    run(env, "enhance", *glob(), "-q")
    made = files(work)
    again = run(env, "enhance", *glob())
    assert "Skipped 2 result(s) of earlier runs" in again.stderr, again.stderr
    assert again.stderr.count("already done") == 2 and files(work) == made
    alone = run(env, "enhance", work / "intro.clean.wav", "-q")  # named on its own: it is input
    assert alone.returncode == 0 and (work / "intro.clean.clean.wav").is_file()


def test_a_batch_whose_reader_quits_stops_like_ctrl_c_and_exits_141(env, work, tmp_path):
    """`ttsai enhance takes/ -o clean/ | head -1` went on through every remaining file (each
    one paid for) with no one reading, and only then exited 141."""
    for n in range(4):
        media_factory.speech(work, f"more{n}.wav", text=f"Another take, number {n}.")
    out = tmp_path / "clean"
    cmd = (f"{sys.executable} -m ttsai_plugin.cli enhance '{work}' -o '{out}/' -j 1 --no-cache"
           " | head -1; exit ${PIPESTATUS[0]}")
    proc = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 141, proc.stderr
    assert proc.stdout.startswith("Wrote ") and "error" not in proc.stderr
    assert 1 <= len(files(out)) <= 3, files(out)  # of 6: the ones in flight finish, no more
    assert not list(out.glob(".ttsai-*"))


def test_ctrl_c_with_json_answers_with_one_error_object(env, work):
    """With --json every error is a JSON object on stdout, but Ctrl-C left stdout empty."""
    import json
    import signal
    import time
    proc = subprocess.Popen([*CLI, "narrate", "-", "-o", work / "vo.wav", "--json"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # started, and waiting for the script on the open stdin
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert json.loads(out)["error"]["code"] == "cancelled"
    assert json.loads(out)["error"]["exit_code"] == 130
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        "ttsai: cancelled; nothing half-written (run the same command again to resume)"]
