"""200 mixed jobs against an engine front that answers wrongly on purpose (absurd rate-limit
headers, cut or non-audio 200s, mp3 for wav, moved POSTs, infinite Retry-After): no job hangs
past the one-minute cap, no bad output and no bad cache entry is kept, the original is
untouched. bench/hostile_faults.py prints the same figures for a bigger run."""
from __future__ import annotations

import pytest

from tests.faults.hostile_soak import run_soak

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]


def test_two_hundred_jobs_against_a_hostile_service_keep_nothing_bad(tmp_path):
    figures = run_soak(tmp_path, jobs=200, share=0.3)
    print("\n" + figures.line())
    assert figures.states["done"] + figures.states["failed"] == 200, figures.states
    assert figures.states["done"] >= 190, figures.failures[:5]
    assert set(figures.hostile) >= {"absurd_reset", "cut_audio", "html_200", "mp3_for_wav",
                                    "post_moved", "inf_retry_after"}, figures.hostile
    assert figures.hangs == 0 and figures.longest_job < 60
    assert figures.bad_outputs == []
    assert figures.cache_entries > 0 and figures.bad_cache_entries == []
    assert figures.originals_unchanged
