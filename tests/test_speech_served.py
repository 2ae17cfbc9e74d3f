"""`ohlora vectors speech`: sentences spoken through an avatar session on a tiny random generator, and what is
read from the frames (per sentence: do the lips close and open)."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from render.avatar import AvatarConfig, AvatarRenderer
from render.vectors.speech import SpeechResult, speak
from tests.animation_fixtures import tiny_directions, tiny_generator


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    r = AvatarRenderer(AvatarConfig(seed=3, path="atlas", max_batch=8, refine=False, blink="control",
                                    lips="control"), log=lambda s: None)
    r.start_with(tiny_generator(), tiny_directions(),
                 {"budget": 50.0, "counts": (3,), "measure_points": 0, "cache": tmp_path_factory.mktemp("cache"),
                  "log": lambda s: None})
    yield r
    asyncio.run(r.stop())


def test_every_sentence_is_spoken_in_order_and_only_speaking_frames_are_kept(renderer):
    spoken = speak(renderer, sentences=("안녕 반가워", "hi there.", "음"), size=32, fps=25.0)
    assert spoken.images.shape[1:] == (32, 32, 3) and len(spoken.images) == len(spoken.times)
    assert list(np.unique(spoken.sentence)) == [0, 1, 2]
    assert np.all(np.diff(spoken.times) > 0) and np.all(np.diff(spoken.sentence) >= 0)
    # a second of silence between sentences is not kept
    starts = [spoken.times[spoken.sentence == k][0] for k in range(3)]
    ends = [spoken.times[spoken.sentence == k][-1] for k in range(3)]
    assert all(b - a >= 0.9 for a, b in zip(ends, starts[1:]))


def test_a_sentence_counts_as_closing_and_opening_only_where_its_frames_do():
    gap = np.array([0.2, 0.04, 0.31, np.nan, 0.1, 0.2, 0.35, 0.06])
    result = SpeechResult(np.zeros(8), gap, np.array([0, 0, 0, 1, 1, 1, 2, 2]), ("a", "b", "c"))
    assert result.per_sentence() == [(True, True), (False, False), (False, True)]
    assert "1 / 2 / 1 of 3" in result.table()
