"""`ttsai dub` like a studio, from the terminal: a talk over music (espeak-ng sentences at
known times over synthetic music, made at test time) dubbed by a real `ttsai` subprocess on
the embedded engine; the music kept, each sentence in place, and the dub's transcript and
subtitles beside the user's output, named after it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from ttsai_plugin import media

from tests import media_factory
from tests.studio_checks import correlation, mono

pytestmark = pytest.mark.timeout(300)

SENTENCES = (("Hello and welcome to the show.", 0.5), ("Thank you for watching.", 3.4))
ROOT = Path(__file__).resolve().parents[2]
RATE = 16000  # what studio_checks.mono decodes to
SIDE = ["es.original.srt", "es.srt", "es.transcript.json", "es.vtt", "es.wav"]


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """(the mix, the true music bed, the true sentence spans): six seconds."""
    return media_factory.talk_over_music(tmp_path_factory.mktemp("talk"), "talk.wav",
                                         sentences=SENTENCES, seconds=6.0, sample_rate=22050)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """No key, a fresh machine, one cache for the module: later stories reuse paid calls."""
    home = tmp_path_factory.mktemp("home")
    e = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    e.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
             XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
             TTSAI_CACHE_DIR=str(home / "results"))
    return e


def ttsai(env, *args, ok=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=240)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def one_line_error(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ttsai: error:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def pause(spans) -> slice:
    """Between the two sentences, clear of each by a margin: only the music plays there."""
    return slice(int((spans[0][1] + 0.25) * RATE), int((spans[1][0] - 0.15) * RATE))


@pytest.fixture(scope="module")
def studio(env, talk, tmp_path_factory):
    """The paid run: dub into Spanish, with subtitles and the stems saved."""
    root = tmp_path_factory.mktemp("studio")
    proc = ttsai(env, "dub", talk[0], "--to", "es", "-o", root / "out" / "es.wav", "--subtitles",
                 "--stems-out", root / "stems", "--json")
    return root, json.loads(proc.stdout)


def test_dub_a_talk_over_music_into_spanish_keeps_the_music_and_each_sentence(studio, talk):
    root, _info = studio
    path, true_bed, spans = talk
    out = root / "out"
    assert names(out) == SIDE                            # one audio file, no work folder left
    assert media.duration(out / "es.wav") == pytest.approx(media.duration(path), abs=0.02)
    x, bed = mono(out / "es.wav"), mono(true_bed)
    assert correlation(x[pause(spans)], bed[pause(spans)]) > 0.8   # the music plays on
    first = slice(int(spans[0][0] * RATE), int(spans[0][1] * RATE))
    assert (x[first] ** 2).mean() > 1.5 * (bed[first] ** 2).mean()  # a voice over it there
    transcript = json.loads((out / "es.transcript.json").read_text("utf-8"))
    assert transcript["target_language"] == "es" and len(transcript["lines"]) == len(spans)
    for line, (start, _end) in zip(transcript["lines"], spans):
        assert line["source_start"] == pytest.approx(start, abs=0.1)
        assert line["dub_start"] == pytest.approx(start, abs=0.3)      # said where it was said
        assert line["original_text"] and line["translated_text"]
    original = list(srt.parse((out / "es.original.srt").read_text("utf-8")))
    assert original[0].start.total_seconds() == pytest.approx(spans[0][0], abs=0.1)
    dubbed = list(srt.parse((out / "es.srt").read_text("utf-8")))
    assert dubbed[0].start.total_seconds() == pytest.approx(transcript["lines"][0]["dub_start"],
                                                            abs=0.05)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".ttsai-")]


def test_stems_out_holds_the_bed_and_the_voices(studio, talk):
    root, _info = studio
    stems = root / "stems"
    assert names(stems) == ["talk.bed.wav", "talk.dub-es.voice.wav", "talk.vocals.wav"]
    assert correlation(mono(stems / "talk.bed.wav"), mono(talk[1])) > 0.8


def test_json_reports_every_file_it_wrote(studio):
    root, info = studio
    reported = {os.path.relpath(o["path"], root) for o in info["outputs"]}
    assert reported == {f"out/{n}" for n in SIDE} | {f"stems/{n}" for n in names(root / "stems")}
    assert info["outputs"][0]["path"].endswith("es.wav") and info["outputs"][0]["duration"] > 5
    assert info["original_text"] and info["translated_text"]
    assert any(n.startswith("Background kept") for n in info["notes"])


def test_no_keep_background_gives_the_voice_alone(env, studio, talk, tmp_path):
    _path, true_bed, spans = talk
    proc = ttsai(env, "dub", talk[0], "--to", "es", "--no-keep-background",
                 "-o", tmp_path / "voice.wav", "--json")
    x, bed = mono(tmp_path / "voice.wav"), mono(true_bed)
    assert abs(correlation(x[pause(spans)], bed[pause(spans)])) < 0.3   # no music in it
    assert names(tmp_path) == ["voice.transcript.json", "voice.wav"]
    assert not any(n.startswith("Background kept") for n in json.loads(proc.stdout)["notes"])


def test_timing_clip_dubs_the_whole_clip_and_without_the_bed_is_todays_dub(env, studio, talk,
                                                                          tmp_path):
    ttsai(env, "dub", talk[0], "--to", "es", "--timing", "clip", "-o", tmp_path / "a" / "es.wav")
    [whole] = json.loads((tmp_path / "a" / "es.transcript.json").read_text("utf-8"))["lines"]
    assert whole["source_start"] == 0 and whole["source_end"] == pytest.approx(6.0, abs=0.02)

    proc = ttsai(env, "dub", talk[0], "--to", "es", "--timing", "clip", "--no-keep-background",
                 "--subtitles", "-o", tmp_path / "b" / "es.wav", "--json")
    assert names(tmp_path / "b") == ["es.srt", "es.vtt", "es.wav"]     # no transcript, as before
    assert not any("Background" in n for n in json.loads(proc.stdout)["notes"])
    assert 1.0 < media.duration(tmp_path / "b" / "es.wav") < 6.02     # one dub of the whole talk


def test_side_files_follow_dir_outputs_and_the_overwrite_rules(env, studio, talk, tmp_path):
    ttsai(env, "dub", talk[0], "--to", "es", "--subtitles", "-o", f"{tmp_path / 'dir'}/")
    assert names(tmp_path / "dir") == [n.replace("es.", "talk.dub-es.", 1) for n in SIDE]

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "es.transcript.json").write_text("mine", "utf-8")
    refused = ttsai(env, "dub", talk[0], "--to", "es", "-o", taken / "es.wav", ok=False)
    assert refused.returncode == 2 and "es.transcript.json already exists" in one_line_error(
        refused) and "-y" in refused.stderr
    assert names(taken) == ["es.transcript.json"]                      # nothing paid, nothing moved
    skipped = ttsai(env, "dub", talk[0], "--to", "es", "-o", taken / "es.wav", "-n")
    assert "Skipped" in skipped.stderr and names(taken) == ["es.transcript.json"]
    assert (taken / "es.transcript.json").read_text("utf-8") == "mine"
    ttsai(env, "dub", talk[0], "--to", "es", "-o", taken / "es.wav", "-y")
    assert names(taken) == ["es.transcript.json", "es.wav"]
    assert json.loads((taken / "es.transcript.json").read_text("utf-8"))["lines"]


def test_the_estimate_counts_the_separation_and_each_sentence(env, talk):
    kept = json.loads(ttsai(env, "estimate", "dub", talk[0], "--to", "es", "--json").stdout)
    assert "separation" in kept["detail"] and kept["upper_bound"]
    assert "per 4 s of speech" in kept["detail"]                       # one call per sentence
    voice = json.loads(ttsai(env, "estimate", "dub", talk[0], "--to", "es",
                             "--no-keep-background", "--json").stdout)
    assert "separation" not in voice["detail"] and "line(s)" in voice["detail"]
    whole = json.loads(ttsai(env, "estimate", "dub", talk[0], "--to", "es", "--timing", "clip",
                             "--no-keep-background", "--json").stdout)
    assert "one call" in whole["detail"] and whole["credits"] < kept["credits"]


def test_flags_that_cannot_work_together_are_refused_before_any_work(env, talk, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", "utf-8")
    for args, says in [
        (["--preset", "dub-spanish", "--timing", "clip"], "--timing cannot be used with --preset"),
        (["--to", "es", "--stems-out", a_file], "is a file; the stems need a folder"),
    ]:
        proc = ttsai(env, "dub", talk[0], *args, ok=False)
        assert proc.returncode == 2 and says in one_line_error(proc), (args, proc.stderr)
        assert proc.stdout == ""
    bad = ttsai(env, "dub", talk[0], "--to", "es", "--timing", "word", ok=False)
    assert bad.returncode == 2 and "invalid choice: 'word'" in bad.stderr
    assert names(tmp_path) == ["notes.txt"]


def test_a_dub_piped_to_stdout_keeps_its_transcript_and_subtitles_in_the_current_folder(
        env, talk, tmp_path):
    """`-o -` has no "beside": the audio goes down the pipe, the side files into the current
    folder named as the default output would be, and stderr says where; none overwritten."""
    here = tmp_path / "here"
    here.mkdir()
    args = [*[sys.executable, "-m", "ttsai_plugin.cli"], "dub", str(talk[0]), "--to", "es",
            "--subtitles", "-o", "-"]
    env = {**env, "PYTHONPATH": str(ROOT)}  # this checkout's ttsai, run from another folder
    proc = subprocess.run(args, env=env, cwd=here, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout[:4] == b"RIFF"  # only the audio on stdout
    made = ["talk.dub-es.original.srt", "talk.dub-es.srt", "talk.dub-es.transcript.json",
            "talk.dub-es.vtt"]
    assert names(here) == made
    said = proc.stderr.decode()
    assert "went to stdout" in said and str(here) in said and "talk.dub-es.transcript.json" in said
    assert json.loads((here / "talk.dub-es.transcript.json").read_text("utf-8"))

    again = subprocess.run(args, env=env, cwd=here, capture_output=True, timeout=240)
    assert again.returncode == 2 and again.stdout == b""
    assert "talk.dub-es" in again.stderr.decode() and "already exists" in again.stderr.decode()


def test_a_transcript_piped_to_stdout_still_writes_the_subtitles_named_with_vtt(env, talk,
                                                                                tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", "transcribe", str(talk[0]),
                           "-o", "-", "--format", "txt", "--vtt", str(tmp_path / "talk.vtt")],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "welcome" in proc.stdout.lower()
    assert (tmp_path / "talk.vtt").read_text("utf-8").startswith("WEBVTT")


def test_a_preset_dub_keeps_the_transcripts_as_well_as_the_subtitles(env, talk, tmp_path):
    """dub-spanish writes subtitles; the dub's transcript (.transcript.json) and the original's
    subtitles came out of the same run and were dropped by the preset."""
    out = tmp_path / "out"
    ttsai(env, "dub", talk[0], "--preset", "dub-spanish", "-o", out / "es.wav")
    assert names(out) == SIDE
    saved = json.loads((out / "es.transcript.json").read_text("utf-8"))
    assert "Thank you for watching." in saved["original_text"]


def test_stems_of_same_named_inputs_never_overwrite_each_other(env, talk, tmp_path):
    import shutil
    for side in ("a", "b"):
        (tmp_path / "takes" / side).mkdir(parents=True)
        shutil.copyfile(talk[0], tmp_path / "takes" / side / "x.wav")
    a, b = tmp_path / "takes" / "a" / "x.wav", tmp_path / "takes" / "b" / "x.wav"
    out = ["-o", f"{tmp_path / 'dubs'}/{{index}}-{{stem}}.{{ext}}"]

    refused = ttsai(env, "dub", a, b, "--to", "es", *out, "--stems-out", tmp_path / "st", ok=False)
    assert refused.returncode == 2 and "would both be written to" in one_line_error(refused)
    assert not (tmp_path / "st").exists() and not (tmp_path / "dubs").exists()

    ttsai(env, "dub", a, b, "--to", "es", *out, "--stems-out", f"{tmp_path / 'st'}/{{index}}-{{stem}}")
    assert names(tmp_path / "st") == ["1-x", "2-x"]
    assert "x.dub-es.voice.wav" in names(tmp_path / "st" / "1-x")
    assert "x.dub-es.voice.wav" in names(tmp_path / "st" / "2-x")

    # a folder input keeps its subfolders, as -o DIR/ does
    ttsai(env, "dub", tmp_path / "takes", "-r", "--to", "es", "-o", f"{tmp_path / 'd2'}/",
          "--stems-out", tmp_path / "st2")
    assert names(tmp_path / "st2") == ["a", "b"]
    again = ttsai(env, "dub", tmp_path / "takes", "-r", "--to", "es", "-o", f"{tmp_path / 'd3'}/",
                  "--stems-out", tmp_path / "st2", ok=False)
    assert again.returncode == 2 and "already exists" in one_line_error(again)


def test_a_quick_three_sentence_talk_is_reported_as_three_sentences_not_one_line(env,
                                                                              tmp_path):
    """Said briskly, the pauses between the sentences are too short to cut at: the dub is one
    line, and the report says so instead of "1 line(s)" for a 3-sentence talk."""
    quick = media_factory.speech(tmp_path, "quick.wav", rate=220, text="Good morning everyone. "
                                 "Today we talk about rivers. Thank you for coming.")
    notes = json.loads(ttsai(env, "dub", quick, "--to", "es", "-o", tmp_path / "es.wav",
                             "--json").stdout)["notes"]
    proc = ttsai(env, "dub", quick, "--to", "es", "-o", tmp_path / "again.wav", "-v")
    assert "line(s)" not in proc.stderr
    assert "Dubbed into es: 3 sentences in 1 line" in proc.stderr
    assert any(n.startswith("Dubbed 3 sentences as 1 line: sentences less than 0.35 s apart")
               for n in notes), notes
    lines = json.loads((tmp_path / "es.transcript.json").read_text("utf-8"))["lines"]
    assert len(lines) == 1


def test_a_talk_with_clear_pauses_is_reported_line_by_line(env, tmp_path):
    slow = media_factory.speech(tmp_path, "slow.wav", text="Good morning everyone. "
                                "Today we talk about rivers. Thank you for coming.")
    proc = ttsai(env, "dub", slow, "--to", "es", "-o", tmp_path / "es.wav", "-v")
    assert "Dubbed into es: 3 lines" in proc.stderr and "Dubbed 3 sentences" not in proc.stdout


def test_stems_of_a_trimmed_dub_are_named_for_the_range_and_checked_before_any_work(env, talk,
                                                                                   tmp_path):
    trim = ["--start", "1", "--end", "6"]
    ttsai(env, "dub", talk[0], "--to", "es", *trim, "-o", tmp_path / "a.wav",
          "--stems-out", tmp_path / "st")
    stem = Path(talk[0]).stem
    assert f"{stem}@1-6s.dub-es.voice.wav" in names(tmp_path / "st")
    again = ttsai(env, "dub", talk[0], "--to", "es", *trim, "-o", tmp_path / "b.wav",
                  "--stems-out", tmp_path / "st", ok=False)
    assert again.returncode == 2 and "already exists" in one_line_error(again)
    assert not (tmp_path / "b.wav").exists()
