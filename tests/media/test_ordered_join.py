"""Joining parts as they arrive: any order, any thread, the same file as joining them at the end,
and nothing left behind when a part never comes."""
from __future__ import annotations

import random
import threading

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin import media
from ttsai_plugin.errors import MediaError

SR = 24000


def parts(folder, n=12):
    rng = np.random.default_rng(5)
    out = []
    for i in range(n):
        p = folder / f"part{i}.wav"
        sf.write(str(p), rng.normal(0, 0.2, int(SR * rng.uniform(0.05, 1.5))).astype(np.float32),
                 SR, subtype="PCM_16")
        out.append(p)
    return out


def test_parts_arriving_out_of_order_from_threads_make_the_same_file(tmp_path):
    ps = parts(tmp_path)
    gaps = [0.2, 0.0] * 5 + [0.4]
    at_end = media.concat(ps, tmp_path / "at_end.wav", gaps=gaps, crossfade=0.05)
    order = list(range(len(ps)))
    random.Random(2).shuffle(order)
    with media.OrderedJoin(tmp_path / "live.wav", len(ps), gaps=gaps, crossfade=0.05) as join:
        threads = [threading.Thread(target=join.add, args=(i, ps[i])) for i in order]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert (tmp_path / "live.wav").read_bytes() == at_end.read_bytes()


def test_a_part_that_never_comes_leaves_no_output(tmp_path):
    ps = parts(tmp_path, 3)
    with pytest.raises(MediaError, match=r"part\(s\) \[1\] of 3 never arrived"):
        with media.OrderedJoin(tmp_path / "out.wav", 3) as join:
            join.add(0, ps[0])
            join.add(2, ps[2])
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in ps]


def test_an_error_while_parts_arrive_leaves_no_output(tmp_path):
    ps = parts(tmp_path, 3)
    with pytest.raises(RuntimeError, match="the service failed"):
        with media.OrderedJoin(tmp_path / "out.mp3", 3) as join:
            join.add(0, ps[0])
            raise RuntimeError("the service failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in ps]
