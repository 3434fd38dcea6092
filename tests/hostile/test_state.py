"""State on disk heals itself: a damaged cache entry is a miss and is removed, the cache stays
under its cap, a bad journal line is skipped (and reported once), and ``.part`` files a
killed run left behind are swept by the next one."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from ttsai_plugin.cache import ResultCache
from ttsai_plugin.journal import Journal
from tests.api.fake_api import AUDIO


def _entry(tmp_path, cache: ResultCache, name: str = "a.wav", data: bytes = b"x" * 1000):
    src = tmp_path / name
    src.write_bytes(data)
    key = cache.key("enhance", {"n": name}, data)
    return key, cache.put(key, [src], operation="enhance")


def test_a_manifest_of_an_empty_list_is_a_miss_and_is_removed(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    key, files = _entry(tmp_path, cache)
    (files[0].parent / "manifest.json").write_text("[]")
    assert cache.get(key) is None  # crashed with AttributeError before
    assert not files[0].parent.exists()
    key2, again = _entry(tmp_path, cache)
    assert key2 == key and cache.get(key) == again


def test_a_cached_file_whose_bytes_changed_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    key, files = _entry(tmp_path, cache)
    files[0].write_bytes(b"y" * 1000)  # same size, other bytes (a bad sector, an editor)
    assert cache.get(key) is None
    assert not files[0].parent.exists()


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    key, files = _entry(tmp_path, cache)
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    manifest = files[0].parent / "manifest.json"
    manifest.write_text(json.dumps({"files": ["../../../secret.txt"]}))
    assert cache.get(key) is None
    assert secret.read_text() == "private"


def test_the_cache_keeps_under_its_cap_dropping_the_least_recently_used(tmp_path):
    cache = ResultCache(tmp_path / "cache", max_bytes=2_500)
    first, _ = _entry(tmp_path, cache, "1.wav")
    second, _ = _entry(tmp_path, cache, "2.wav")
    os.utime(cache._dir(second) / "manifest.json", (1, 1))   # used long ago
    assert cache.get(first) is not None                        # used just now
    third, _ = _entry(tmp_path, cache, "3.wav")
    assert cache.get(second) is None
    assert cache.get(first) is not None and cache.get(third) is not None
    assert cache.size() <= 2_500 + 2_000  # files plus their small manifests


def test_a_journal_line_with_missing_fields_is_skipped_and_reported_once(tmp_path, caplog):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    good = tmp_path / "take.wav"
    good.write_bytes(AUDIO)
    journal.record_finished("job-1", "narrate", [good], credits=2)
    with path.open("a") as f:
        f.write('{"event": "finished", "job_id": "job-2"}\n')
        f.write('{"event": "finished", "job_id": "job-3", "operation": "x", "results": [3]}\n')
        f.write('[]\n')
    caplog.set_level(logging.WARNING, "ttsai.journal")
    assert [e.job_id for e in journal.recover()] == ["job-1"]  # KeyError/TypeError before
    assert [e.job_id for e in journal.pending()] == ["job-1"]
    assert sum("unreadable line" in r.message for r in caplog.records) == 1


def test_part_files_of_a_killed_run_are_swept_by_the_next_download(client, api, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".old.wav.{dead}-0123abcd.part"
    stale.write_bytes(b"half")
    mine = tmp_path / f".busy.wav.{os.getpid()}-0123abcd.part"
    mine.write_bytes(b"in progress")
    client.tts("Hello", voice="af_bella", out=tmp_path / "hello.wav")
    assert not stale.exists()
    assert mine.exists()  # a live run's file is never touched
