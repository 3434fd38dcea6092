"""What a user trial of `ttsai` batch work found, as the user met it: the credit line of each
file, every unreadable file named in an estimate, stems of same-named inputs kept apart.
Real files, real subprocesses, the local engine."""
from __future__ import annotations

import json
import math
import re

import pytest

from tests import media_factory
from tests.cli.test_cli_batch import env, files, run  # noqa: F401 - env is a fixture
from ttsai_plugin import media

pytestmark = pytest.mark.timeout(300)


def test_each_file_of_a_batch_reports_its_own_credits_and_the_balance_after_it(env, tmp_path):
    from ttsai_plugin.local import EngineConfig, serve
    takes = tmp_path / "takes"
    takes.mkdir()
    for name, text in [("a", "Hello one."), ("b", "A longer second take for the trial here."),
                       ("c", "Third.")]:
        media_factory.speech(takes, f"{name}.wav", text=text)
    key = "sk-tts-batch-credits-0001"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 10_000}))
    try:
        proc = run(env, "transcribe", takes, "-o", f"{tmp_path / 'subs'}/", "--api-key", key,
                   "--base-url", server.url)
        final = server.engine.ledger.balance(key)
    finally:
        server.close()
    shown = re.findall(r"Wrote \S+/(\w)\.srt\nCredits: ([\d,.]+) used, ([\d,.]+) left",
                       proc.stdout)
    assert sorted(name for name, _, _ in shown) == ["a", "b", "c"], proc.stdout
    number = lambda text: float(text.replace(",", ""))  # noqa: E731
    for name, used, _ in shown:  # transcription: 2 credits a started second of that file
        seconds = media.duration(takes / f"{name}.wav")
        assert number(used) == 2 * math.ceil(seconds), (name, proc.stdout)
    # the balances step down file by file, each by that file's own credits, to the final one
    steps = sorted(((number(left), number(used)) for _, used, left in shown), reverse=True)
    balance = 10_000.0
    for left, used in steps:
        balance -= used
        assert left == balance, proc.stdout
    assert balance == final
    assert f"{10_000 - final:,.6g} credits used, {final:,.6g} left" in proc.stderr


def test_an_estimate_over_a_glob_counts_every_readable_file_and_names_each_unreadable_one(
        env, tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    for name in ("a", "c"):
        media_factory.speech(takes, f"{name}.wav", text="A take to estimate.")
    media_factory.corrupt_file(takes, "b-broken.wav")
    (takes / "d-empty.wav").write_bytes(b"")
    (takes / "notes.txt").write_text("not audio\n", "utf-8")
    named = sorted(str(p) for p in takes.glob("*.wav")) + [str(takes / "notes.txt")]

    for argv in (["estimate", "enhance", *named], ["enhance", *named, "--estimate"]):
        proc = run(env, *argv, ok=False)
        assert proc.returncode == 1, proc.stderr  # a batch with a failed file: exit 1
        assert "Traceback" not in proc.stderr
        listed = [ln.split(":")[0] for ln in proc.stdout.splitlines() if "credits (" in ln]
        assert listed == [str(takes / "a.wav"), str(takes / "c.wav")], proc.stdout
        assert "Total: 8 credits for 2 of 5 files" in proc.stdout  # 2 × 2 s × 2 credits
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ttsai: error:")]
        for bad, reason in [("b-broken.wav", "is not an audio or video file (ffmpeg cannot"),
                            ("d-empty.wav", "is empty (0 bytes)"),
                            ("notes.txt", "is not an audio or video file")]:
            mine = [ln for ln in errors if bad in ln]  # each once, with its own reason
            assert len(mine) == 1 and reason in mine[0], proc.stderr
        assert "Could not estimate 3 of 5 files" in proc.stderr

    report = json.loads(run(env, "estimate", "enhance", *named, "--json", ok=False).stdout)
    assert report["credits"] == 8 and len(report["items"]) == 2
    assert sorted(f["input"].rsplit("/", 1)[1] for f in report["failed"]) == [
        "b-broken.wav", "d-empty.wav", "notes.txt"]
    assert {f["error"]["exit_code"] for f in report["failed"]} == {2}
