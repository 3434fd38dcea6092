"""`ttsai` for batch work, as a terminal user types it: folders and globs in, names and
templates out, pipes both ways, overwrite control, a batch that survives a failure and
resumes after Ctrl-C. Real files, real subprocesses, the local engine."""
from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile

from tests import media_factory
from tests.cli.test_cli import one_line_error
from ttsai_plugin import media

pytestmark = pytest.mark.timeout(300)
CLI = [sys.executable, "-m", "ttsai_plugin.cli"]


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> Path:
    """A folder as a studio hands it over: two takes, one in a subfolder, a note and a
    broken file that only looks like audio."""
    root = tmp_path_factory.mktemp("takes")
    media_factory.speech(root, "intro.wav", text="Welcome to the first take.")
    media_factory.speech(root, "outro.wav", text="Thanks for listening to the end.")
    (root / "extra").mkdir()
    media_factory.speech(root / "extra", "bonus.wav", text="A bonus line.")
    (root / "notes.txt").write_text("mic 2, room B\n", "utf-8")
    return root


@pytest.fixture
def work(takes, tmp_path) -> Path:
    """A private copy of the takes (outputs land beside them)."""
    import shutil
    dest = tmp_path / "takes"
    shutil.copytree(takes, dest)
    return dest


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    e.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
             XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_STATE_HOME=str(tmp_path / "state"),
             TTSAI_CACHE_DIR=str(tmp_path / "results"))
    return e


def run(env, *args, cwd=None, stdin=None, ok=True, text=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CLI, *map(str, args)], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=text, timeout=240)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_folder_is_enhanced_into_an_output_folder_skipping_what_is_not_media(env, work,
                                                                             tmp_path):
    out = tmp_path / "clean"
    proc = run(env, "enhance", work, "-r", "-o", f"{out}/", "-v")
    assert files(out) == ["extra/bonus.clean.wav", "intro.clean.wav", "outro.clean.wav"]
    assert ": Enhanced (" in proc.stderr  # -v: every step of every file
    assert "[3/3] done" in proc.stderr and "elapsed, ETA" in proc.stderr
    assert "Skipped 1 file(s)" in proc.stderr and "notes.txt" in proc.stderr
    assert "using the built-in local engine" in proc.stderr  # the notice, once
    assert proc.stderr.count("using the built-in local engine") == 1
    assert "Batch: 3 of 3 files done" in proc.stderr and "credits on TTS.ai, free here" in proc.stderr
    # keyless: what TTS.ai would bill, never the built-in engine's own balance as the user's
    assert proc.stdout.count("on TTS.ai; free here on the local engine") == 3
    assert "left" not in proc.stdout
    for name in ("intro", "outro"):
        assert media.duration(out / f"{name}.clean.wav") == pytest.approx(
            media.duration(work / f"{name}.wav"), abs=1e-3)

    # without -r the subfolder is named, not silently dropped; without -o, beside each input
    proc = run(env, "dereverb", work, "-q")
    assert proc.stdout == "" and proc.stderr == ""
    assert (work / "intro.dereverb.wav").is_file() and (work / "outro.dereverb.wav").is_file()
    assert not (work / "extra" / "bonus.dereverb.wav").exists()
    # the next run over the folder does not take those results for new inputs
    again = run(env, "dereverb", work)
    assert "Skipped 2 result(s) of earlier runs" in again.stderr
    assert "already done" in again.stderr and not (work / "intro.dereverb.dereverb.wav").exists()


def test_templates_name_every_output_and_bad_ones_are_refused_before_any_work(env, work,
                                                                             tmp_path):
    dubs = tmp_path / "dubs"
    inputs = [work / "intro.wav", work / "outro.wav"]
    run(env, "dub", *inputs, "--to", "es", "-o", f"{dubs}/{{index:02d}}-{{stem}}.{{lang}}.{{ext}}",
        "-q")
    made = ["01-intro.es.transcript.json", "01-intro.es.wav",   # the transcript named after it
            "02-outro.es.transcript.json", "02-outro.es.wav"]
    assert files(dubs) == made

    stems = run(env, "stems", work / "intro.wav", str(work / "*o.wav"), "-o", tmp_path / "st",
                "-j", "9")
    assert "-j 9 is more than the pro plan's 5 requests at once; running 5" in stems.stderr
    assert files(tmp_path / "st") == ["intro/accompaniment.wav", "intro/vocals.wav",
                                      "outro/accompaniment.wav", "outro/vocals.wav"]

    for args, says in [
        (["-o", "{stem}.{lang}.wav"], "uses {lang}, which this command does not provide"),
        (["-o", "{stem.wav"], "is malformed"),
        (["-o", str(tmp_path / "one.wav")], "names one file, but there are 2 inputs"),
        (["-o", str(tmp_path / "{dir}.wav")], "would both be written to"),
    ]:
        proc = run(env, "enhance", *inputs, *args, cwd=tmp_path, ok=False)
        assert proc.returncode == 2 and says in one_line_error(proc), (args, proc.stderr)
    assert files(tmp_path / "dubs") == made
    assert not list(tmp_path.glob("*.wav"))


def test_audio_goes_through_pipes_and_stdout_holds_only_the_audio(env, work, tmp_path):
    wav = (work / "intro.wav").read_bytes()
    proc = run(env, "enhance", "-", "-o", "-", "--format", "flac", stdin=wav, text=False)
    piped = tmp_path / "piped.flac"
    piped.write_bytes(proc.stdout)
    assert soundfile.info(piped).format == "FLAC"
    assert media.duration(piped) == pytest.approx(media.duration(work / "intro.wav"), abs=1e-3)
    assert b"Wrote stdout" in proc.stderr  # the result line moved to stderr

    spoken = run(env, "narrate", "-", "-o", "-", "-q", stdin=b"Read from a pipe.", text=False)
    assert spoken.stdout[:4] == b"RIFF" and spoken.stderr == b""
    (tmp_path / "said.wav").write_bytes(spoken.stdout)
    assert media.duration(tmp_path / "said.wav") > 0.5

    refused = run(env, "enhance", work / "intro.wav", work / "outro.wav", "-o", "-", ok=False)
    assert refused.returncode == 2 and "writes one result to stdout" in one_line_error(refused)


def test_existing_outputs_are_never_overwritten_silently(env, work):
    target = work / "intro.clean.wav"
    target.write_bytes(b"keep me")
    proc = run(env, "enhance", work / "intro.wav", work / "outro.wav", ok=False)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(target) in line and "-y to overwrite" in line and "-n to skip" in line
    assert target.read_bytes() == b"keep me" and not (work / "outro.clean.wav").exists()

    skipped = run(env, "enhance", work / "intro.wav", work / "outro.wav", "-n")
    assert target.read_bytes() == b"keep me" and (work / "outro.clean.wav").is_file()
    assert "Skipped" in skipped.stderr and "exists (-n)" in skipped.stderr

    run(env, "enhance", work / "intro.wav", "-y", "-q")
    assert media.duration(target) == pytest.approx(media.duration(work / "intro.wav"), abs=1e-3)
    refused = run(env, "convert", work / "intro.wav", "-o", work / "intro.wav", "-y", ok=False)
    assert refused.returncode == 2 and "Refusing to overwrite the input" in refused.stderr


def test_one_broken_file_does_not_stop_the_batch_and_a_rerun_pays_for_nothing(env, work,
                                                                               tmp_path):
    from ttsai_plugin.local import EngineConfig, serve
    media_factory.corrupt_file(work, "broken.wav")
    key = "sk-tts-batch-studio-0001"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 10_000}))
    conn = ["--api-key", key, "--base-url", server.url]
    try:
        proc = run(env, "transcribe", work, "-o", f"{tmp_path / 'subs'}/", "--json", *conn,
                   ok=False)
        assert proc.returncode == 1
        report = json.loads(proc.stdout)
        assert report["summary"] == {**report["summary"], "total": 3, "done": 2, "failed": 1}
        broken = next(i for i in report["items"] if i["status"] == "failed")
        assert broken["input"].endswith("broken.wav") and broken["error"]["exit_code"] == 2
        assert "not an audio or video file" in broken["error"]["message"]
        assert files(tmp_path / "subs") == ["intro.srt", "outro.srt"]
        paid = server.engine.ledger.balance(key)
        assert paid < 10_000

        again = run(env, "transcribe", work, "-o", f"{tmp_path / 'subs'}/", *conn, ok=False)
        assert again.returncode == 1 and again.stderr.count("already done") == 2
        assert server.engine.ledger.balance(key) == paid  # nothing re-requested
        assert "Failed: " in again.stderr and "broken.wav" in again.stderr
    finally:
        server.close()


def test_an_estimate_totals_the_batch_and_runs_nothing(env, work):
    est = json.loads(run(env, "dub", work, "-r", "--to", "es", "--estimate", "--json").stdout)
    assert len(est["items"]) == 3
    assert est["credits"] == sum(i["credits"] for i in est["items"]) > 0
    same = json.loads(run(env, "estimate", "dub", work, "-r", "--to", "es", "--json").stdout)
    assert same["credits"] == est["credits"]
    assert not [p for p in work.rglob("*.dub-*")]


def test_ctrl_c_mid_batch_exits_130_with_one_line_and_a_rerun_resumes(env, work, tmp_path):
    from ttsai_plugin.local import EngineConfig, serve
    key = "sk-tts-batch-cancel-0001"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 10_000}, latency=1.5))
    out = tmp_path / "clean"
    args = [*CLI, "enhance", str(work), "-r", "-o", f"{out}/", "-j", "1", "--api-key",
            key, "--base-url", server.url]
    try:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        for line in proc.stderr:  # the first file is finished: stop in the second
            if line.startswith("[1/3] done"):
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert [ln for ln in err.splitlines() if ln.strip()] == [
            "ttsai: cancelled; nothing half-written (run the same command again to resume)"]
        done = files(out)
        assert len(done) == 1 and not [p for p in out.rglob(".*")]
        paid = server.engine.ledger.balance(key)

        again = run(env, *args[3:], "-q")
        assert again.stderr == "" and len(files(out)) == 3
        spent_now = paid - server.engine.ledger.balance(key)
        left = [p for p in work.rglob("*.wav") if f"{p.relative_to(work).with_suffix('')}"
                ".clean.wav" not in done]
        assert len(left) == 2  # billed for those two only: the finished take is not redone
        assert spent_now == sum(2 * math.ceil(media.duration(p) - 1e-9) for p in left)
    finally:
        server.close()


@pytest.mark.parametrize("after", [0.3, 0.8, 2.5])
def test_ctrl_c_during_start_up_is_one_line_and_130(env, after):
    """Importing, starting, or waiting for a script on stdin: still one line and 130 (the
    open stdin keeps the command running whenever the signal comes)."""
    proc = subprocess.Popen([*CLI, "narrate", "-", "-o", "-"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    assert proc.poll() is None, proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert [ln for ln in err.splitlines() if ln.strip()][0].startswith("ttsai: cancelled")
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_a_closed_pipe_ends_quietly(env):
    for _ in range(3):  # the race was intermittent
        proc = subprocess.run(f"{sys.executable} -m ttsai_plugin.cli presets --json | head -c 10",
                              shell=True, env=env, capture_output=True, text=True, timeout=60)
        assert len(proc.stdout) == 10 and proc.stderr == "", proc.stderr


def test_audio_piped_to_a_reader_that_quits_exits_141_without_an_error(env, work):
    """`ttsai enhance take.wav -o - | true` said 'Unexpected BrokenPipeError … please report
    it' and exited 1: the closed pipe was counted as a failed file."""
    cmd = (f"{sys.executable} -m ttsai_plugin.cli enhance '{work / 'intro.wav'}' -o - -q"
           " | (exec 0<&-; sleep 1); exit ${PIPESTATUS[0]}")
    proc = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 141, proc.stderr
    assert "Unexpected" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_take_whose_long_name_leaves_no_room_for_the_tag_is_a_bad_input(env, tmp_path):
    """A take named with 250 characters is fine on disk, but `.clean.wav` beside it is not:
    that was 'Unexpected OSError: [Errno 36] File name too long … please report it', exit 1;
    an -o name that long failed the same way."""
    take = media_factory.speech(tmp_path, "take.wav", text="A long name.")
    take = take.rename(tmp_path / ("take " + "x" * 241 + ".wav"))
    proc = run(env, "enhance", take, ok=False)
    assert proc.returncode == 2, proc.stderr
    line = one_line_error(proc)
    assert "more than the 255" in line and "shorter name with -o" in line
    proc = run(env, "enhance", take, "-o", tmp_path / ("y" * 300 + ".wav"), ok=False)
    assert proc.returncode == 2 and "more than the 255" in one_line_error(proc)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [take.name]


def test_converting_a_24_bit_master_to_another_lossless_format_keeps_its_24_bits(env, tmp_path):
    """`ttsai convert master.flac -o master.wav` (no --voice: only the format changes) wrote
    16-bit WAV and FLAC from a 24-bit master, silently dropping its low bits."""
    take = media_factory.speech(tmp_path, "take.wav", text="A studio master.")
    data, rate = soundfile.read(take)
    master = tmp_path / "master.flac"
    soundfile.write(master, data, rate, subtype="PCM_24")
    for name in ("master.wav", "again.flac"):
        run(env, "convert", master, "-o", tmp_path / name, "-q")
        assert soundfile.info(tmp_path / name).subtype == "PCM_24", name
        assert media.duration(tmp_path / name) == pytest.approx(media.duration(master), abs=1e-3)
    run(env, "convert", take, "-o", tmp_path / "plain.flac", "-q")
    assert soundfile.info(tmp_path / "plain.flac").subtype == "PCM_16"


def test_a_rerun_on_another_range_of_the_take_is_new_work_not_already_done(env, work):
    """After `ttsai enhance intro.wav`, `ttsai enhance intro.wav --start 0.5 --end 1.5` said
    'Skipped: already done' and kept the whole-take result: the range was not part of what
    the ledger remembered."""
    take = work / "intro.wav"
    run(env, "enhance", take)
    out = work / "intro.clean.wav"
    assert media.duration(out) == pytest.approx(media.duration(take), abs=0.01)
    again = run(env, "enhance", take, "--start", "0.5", "--end", "1.5", ok=False)
    assert "already done" not in again.stderr
    assert again.returncode == 2 and "already exists" in one_line_error(again)
    run(env, "enhance", take, "--start", "0.5", "--end", "1.5", "-y")
    assert media.duration(out) == pytest.approx(1.0, abs=0.01)


def test_transcribing_a_silent_take_says_no_speech_was_heard(env, tmp_path):
    """A silent take gave 'Wrote quiet.srt' and a 0-byte file, with nothing saying why."""
    import numpy
    quiet = tmp_path / "quiet.wav"
    soundfile.write(quiet, numpy.zeros(3 * 22050, dtype="int16"), 22050)
    proc = run(env, "transcribe", quiet, "--srt", tmp_path / "quiet.srt")
    assert "no speech heard" in proc.stdout and (tmp_path / "quiet.srt").exists()


def test_zero_jobs_at_once_is_refused_like_a_negative_count(env, work):
    """`-j -3` was refused, but `-j 0` silently ran at the plan's full concurrency."""
    for n in ("0", "-3"):
        proc = run(env, "enhance", work / "intro.wav", "-j", n, ok=False)
        assert proc.returncode == 2 and "-j needs 1 or more" in one_line_error(proc)
    assert not (work / "intro.clean.wav").exists()


def test_errors_are_json_with_json_and_non_media_is_a_bad_input(env, work, tmp_path):
    proc = run(env, "enhance", work / "notes.txt", "--json", ok=False)
    assert proc.returncode == 2
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "input_error" and "notes.txt is not an audio or video file" in \
        err["message"] and err["hint"] and err["exit_code"] == 2
    usage = run(env, "enhance", "--json", "--bogus", work / "intro.wav", ok=False)
    assert usage.returncode == 2 and json.loads(usage.stdout)["error"]["code"] == "usage"


def test_a_write_error_names_the_users_file_not_a_work_folder(env, work, tmp_path):
    """Was 'Could not write or read a file (.ttsai-864b2e8547): Read-only file system'."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        proc = run(env, "enhance", work / "intro.wav", "-o", folder / "clean.wav", ok=False)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    line = one_line_error(proc)
    assert proc.returncode == 1 and "(clean.wav)" in line and ".ttsai-" not in line, line
    assert "read-only" in line.lower()


def test_every_option_has_help_and_config_shows_where_settings_come_from(env, tmp_path):
    import argparse

    from ttsai_plugin.cli import build_parser
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"ttsai {name} {action.option_strings or action.dest}"
        titles = [g.title for g in sub._action_groups if g._group_actions]
        if name == "enhance":
            assert {"input", "output", "batch", "display", "connection"} <= set(titles)

    secret = "sk-tts-never-shown-424242"
    shown = run({**env, "TTSAI_API_KEY": secret}, "config")
    assert secret not in shown.stdout + shown.stderr
    assert re.search(r"^api_key +set ", shown.stdout, re.M)
    assert "environment TTSAI_API_KEY" in shown.stdout
    data = json.loads(run(env, "config", "--json").stdout)["settings"]
    assert data["api_key"]["value"] == "not set" and data["base_url"]["source"] == "default"


def test_config_keeps_its_columns_when_a_path_is_long_and_never_shows_the_key(env, tmp_path):
    secret = "sk-tts-never-shown-737373"
    deep = tmp_path / "a-studio-share" / "with-a-rather-long-cache-folder-name" / "for-ttsai"
    where = {**env, "TTSAI_API_KEY": secret, "TTSAI_CACHE_DIR": str(deep)}
    wide = run({**where, "COLUMNS": "300"}, "config").stdout
    rows = wide.splitlines()
    assert len(rows) == 8 and secret not in wide
    assert len(str(deep)) > 40 and any(str(deep) in r for r in rows)
    assert len({r.index(" (") if r.startswith("cache") else r.rindex(" (") for r in rows}) == 1
    assert re.search(r"^api_key +set +\(environment TTSAI_API_KEY\)$", wide, re.M)

    narrow = run({**where, "COLUMNS": "90"}, "config").stdout
    assert secret not in narrow
    lines = narrow.splitlines()
    value_column = lines[0].index("set")
    inline = [ln for ln in lines if not ln.startswith(" ") and ln.endswith(")")]
    wrapped = [ln for ln in lines if ln.startswith(" ")]
    assert len(inline) + len(wrapped) == 8 and inline
    assert len({ln.rindex(" (") for ln in inline}) == 1 and all(len(ln) <= 90 for ln in inline)
    assert all(ln.index("(") == value_column for ln in wrapped)  # a source under its value
    long_row = next(i for i, ln in enumerate(lines) if str(deep) in ln)
    assert lines[long_row + 1].strip() == "(environment TTSAI_CACHE_DIR)"


def ttsai_on_path(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` with a ``ttsai`` command on PATH running this checkout, as a shell would find it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "ttsai"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m ttsai_plugin.cli \"$@\"\n")
    shim.chmod(0o755)
    return {**env, "PATH": f"{bindir}:{env['PATH']}", "PYTHONPATH": os.getcwd()}


def test_bash_completes_commands_and_options(env, tmp_path):
    script = run(env, "completion", "bash").stdout
    assert "complete" in script
    e = ttsai_on_path(env, tmp_path)
    probe = (f'eval "$(ttsai completion bash)"; COMP_WORDS=(ttsai enh); COMP_CWORD=1; '
             f'COMP_LINE="ttsai enh"; COMP_POINT=9; $(complete -p ttsai | sed "s/.*-F \\([^ ]*\\).*/\\1/") '
             f'ttsai enh ttsai; echo "${{COMPREPLY[@]}}"; COMP_WORDS=(ttsai enhance --over); '
             f'COMP_CWORD=2; COMP_LINE="ttsai enhance --over"; COMP_POINT=21; '
             f'$(complete -p ttsai | sed "s/.*-F \\([^ ]*\\).*/\\1/") ttsai --over enhance; '
             f'echo "${{COMPREPLY[@]}}"')
    proc = subprocess.run(["bash", "-c", probe], env=e, capture_output=True, text=True,
                          timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["enhance"], proc.stderr
    assert "--overwrite" in lines[1]
    for shell in ("zsh", "fish"):
        assert "ttsai" in run(env, "completion", shell).stdout


def test_on_a_terminal_it_asks_before_overwriting(env, work):
    """As ffmpeg does: 'File ... already exists. Overwrite? [y/N]'; no answer keeps the file."""
    import pty
    import select
    target = work / "intro.clean.wav"
    target.write_bytes(b"keep me")
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, "enhance", str(work / "intro.wav")], env=env, stdin=slave,
                            stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Overwrite? [y/N]" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 1.0)[0]:
            seen += os.read(master, 1024)
    os.write(master, b"n\n")
    proc.wait(timeout=60)
    os.close(master)
    assert f"File '{target}' already exists".encode() in seen
    assert proc.returncode == 0 and target.read_bytes() == b"keep me"
