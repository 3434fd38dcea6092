"""The crash journal: a paid result survives a host crash and is placed exactly once."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from ttsai_plugin.journal import Journal


def test_a_result_downloaded_before_a_crash_is_recovered_without_paying_again(tmp_path):
    journal_path = tmp_path / "journal.jsonl"
    result = tmp_path / "talk.dub-es.wav"
    crashing_host = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from ttsai_plugin.journal import Journal
        Path({str(result)!r}).write_bytes(b"RIFF paid-for audio")
        Journal({str(journal_path)!r}).record_finished(
            "job-7", "dub", [{str(result)!r}], cache_key="ab" * 32, credits=45.0)
        os._exit(137)  # the host dies before the result reaches the timeline
    """)
    proc = subprocess.run([sys.executable, "-c", crashing_host], cwd="/work/main")
    assert proc.returncode == 137

    journal = Journal(journal_path)
    [entry] = journal.recover()
    assert (entry.job_id, entry.operation, entry.credits) == ("job-7", "dub", 45.0)
    assert entry.paths == [result] and entry.paths[0].read_bytes() == b"RIFF paid-for audio"
    assert journal.finished(cache_key="ab" * 32) == entry

    journal.mark_placed("job-7")
    assert Journal(journal_path).recover() == []
    assert Journal(journal_path).finished(job_id="job-7") == entry, "still known for the cache"


def test_a_line_torn_by_a_crash_is_skipped_and_sealed(tmp_path):
    path = tmp_path / "journal.jsonl"
    (tmp_path / "a.wav").write_bytes(b"a")
    (tmp_path / "b.wav").write_bytes(b"b")
    journal = Journal(path)
    journal.record_finished("job-1", "enhance", [tmp_path / "a.wav"], credits=2)
    with open(path, "ab") as f:
        f.write(b'{"event": "finished", "job_id": "job-2", "oper')
    assert [e.job_id for e in journal.recover()] == ["job-1"]
    journal.record_finished("job-3", "dereverb", [tmp_path / "b.wav"], credits=3)
    assert [e.job_id for e in Journal(path).recover()] == ["job-1", "job-3"]


def test_results_whose_files_are_gone_are_pending_but_not_recoverable(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    (tmp_path / "x.wav").write_bytes(b"x")
    journal.record_finished("job-1", "enhance", [tmp_path / "x.wav"])
    (tmp_path / "x.wav").unlink()
    assert [e.job_id for e in journal.pending()] == ["job-1"]
    assert journal.recover() == [] and journal.finished(job_id="job-1") is None


def test_the_journal_is_private_to_the_user(tmp_path):
    journal = Journal(tmp_path / "deep" / "j.jsonl")
    (tmp_path / "x.wav").write_bytes(b"x")
    journal.record_finished("job-1", "tts", [tmp_path / "x.wav"], meta={"voice": "af_bella"})
    assert (journal.path.stat().st_mode & 0o777) == 0o600
    assert journal.entries()[0].meta == {"voice": "af_bella"}


def test_compacting_forgets_old_placed_results_but_never_unplaced_ones(tmp_path):
    import json
    path = tmp_path / "j.jsonl"
    (tmp_path / "x.wav").write_bytes(b"x")
    old = 1_000_000.0
    lines = [{"event": "finished", "job_id": "old-placed", "operation": "tts", "cache_key": None,
              "results": [str(tmp_path / "x.wav")], "time": old},
             {"event": "placed", "job_id": "old-placed", "time": old},
             {"event": "finished", "job_id": "old-unplaced", "operation": "tts",
              "cache_key": None, "results": [str(tmp_path / "x.wav")], "time": old}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    journal = Journal(path)
    journal.record_finished("new", "enhance", [tmp_path / "x.wav"])
    journal.mark_placed("new")
    assert journal.compact() == 1
    assert [e.job_id for e in journal.entries()] == ["old-unplaced", "new"]
    assert [e.job_id for e in journal.recover()] == ["old-unplaced"]


def test_a_dismissed_result_is_no_longer_offered_but_its_files_stay(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    kept = tmp_path / "narration.wav"
    kept.write_bytes(b"RIFF paid-for audio")
    journal.record_finished("job-1", "narrate", [kept], cache_key="cd" * 32)
    journal.record_finished("job-2", "narrate", [kept])

    journal.dismiss("job-1")

    assert [e.job_id for e in Journal(journal.path).recover()] == ["job-2"]
    assert kept.read_bytes() == b"RIFF paid-for audio"
    assert journal.finished(cache_key="cd" * 32).job_id == "job-1", "still known for the cache"
