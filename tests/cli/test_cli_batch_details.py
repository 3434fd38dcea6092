"""What a user trial of `ttsai` batch work found, as the user met it: the credit line of each
file, every unreadable file named in an estimate, stems of same-named inputs kept apart.
Real files, real subprocesses, the local engine."""
from __future__ import annotations

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
