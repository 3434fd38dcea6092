"""A full disk while writing media: a clear MediaError, no partial file, and the cache and
journal degrade instead of failing a finished (paid-for) job."""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ttsai_plugin import media
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.errors import MediaError
from ttsai_plugin.journal import Journal


@pytest.fixture
def full_disk(tmp_path) -> Path:
    """A real 256 KB tmpfs (needs root, as in CI)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.parametrize("write", [
    lambda src, out: media.write_wav(np.zeros(480_000, np.float32), 48000, out / "a.wav"),
    lambda src, out: media.extract(src, out / "b.wav"),
    lambda src, out: media.concat([src, src], out / "c.mp3"),
    lambda src, out: media.normalize(src, out / "d.wav"),
    lambda src, out: media.time_stretch(src, out / "e.wav", ratio=0.5),
], ids=["write_wav", "extract", "concat", "normalize", "time_stretch"])
def test_writing_to_a_full_disk_is_a_clear_error_and_leaves_nothing(speech_wav, full_disk, write):
    with pytest.raises(MediaError) as caught:
        write(speech_wav, full_disk)
    assert "space" in str(caught.value).lower()
    assert list(full_disk.iterdir()) == []


def test_a_full_cache_or_journal_does_not_fail_the_job(speech_wav, full_disk, caplog):
    cache = ResultCache(full_disk / "cache")
    key = cache.key("enhance", {}, speech_wav)
    assert cache.put(key, [speech_wav]) == [speech_wav], "not cached, but the result stands"
    assert cache.get(key) is None
    filler = full_disk / "filler"
    with contextlib.suppress(OSError):
        filler.write_bytes(b"x" * 400_000)
    journal = Journal(full_disk / "journal.jsonl")
    journal.record_finished("job-1", "enhance", [speech_wav])
    assert "could not write the journal" in caplog.text
