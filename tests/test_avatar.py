"""AvatarRenderer / AvatarSession on a tiny random generator: order, isolation, watching, both paths."""
from __future__ import annotations

import asyncio
import time

import cv2
import numpy as np
import pytest

from render.avatar import AvatarConfig, AvatarRenderer
from render.clocks import OfflineClock
from render.frames import EncodedFrame
from tests.animation_fixtures import tiny_directions, tiny_generator

ATLAS = {"budget": 50.0, "counts": (3,), "measure_points": 0}


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    r = AvatarRenderer(AvatarConfig(seed=3, path="atlas", max_batch=8, refine=False), log=lambda s: None)
    r.start_with(tiny_generator(), tiny_directions(),
                 dict(ATLAS, cache=tmp_path_factory.mktemp("cache"), log=lambda s: None))
    yield r
    asyncio.run(r.stop())


def _decode(frame: EncodedFrame) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(frame.data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


async def _take(session, n: int) -> list[EncodedFrame]:
    out = []
    async for f in session.frames():
        out.append(f)
        if len(out) == n:
            break
    return out


def test_each_session_gets_its_own_frames_in_order(renderer):
    async def main():
        sessions = [renderer.open_session(size=32, fps=30, seed=s, clock=OfflineClock()) for s in (3, 4, 5)]
        sessions[1].token("안녕하세요 반가워요", at=0.1)
        sessions[2].set_expression("wide", "very wide", "right", at=0.0)
        got = await asyncio.wait_for(asyncio.gather(*(_take(s, 24) for s in sessions)), timeout=60)
        return sessions, got

    sessions, got = asyncio.run(main())
    atlases = renderer.source.atlases
    for s, frames in zip(sessions, got):
        assert [f.seq for f in frames] == list(range(24))
        assert [f.pts_ms for f in frames] == [round(i * 1000 / 30) for i in range(24)]
        assert all(f.codec == "jpeg" and f.width == f.height == 32 and f.flags & 3 == 3 for f in frames)
        for f in frames[::6]:
            img = _decode(f).astype(float)
            # the frame is the one of this session's face and timeline, not of another session
            dists = {o.seed: np.abs(img - atlases[o.seed].render(np.array([o.controls_at(f.pts_ms / 1000)]), 32)[0]
                                    .numpy()).mean() for o in sessions}
            assert min(dists, key=dists.get) == s.seed, dists
        s.close()
    stats = renderer.stats()  # what /metrics exports as ohlora_render_*
    assert stats["frames"] >= 72 and stats["draw_failures"] == 0 and stats["mean_batch"] >= 1


def test_a_stalled_or_unwatched_session_does_not_hold_up_the_others(renderer):
    async def main():
        live = renderer.open_session(size=32, fps=30)
        stalled = renderer.open_session(size=32, fps=30)
        unwatched = renderer.open_session(size=32, fps=30)
        unwatched.set_watched(False)
        t0 = time.perf_counter()
        frames = await asyncio.wait_for(_take(live, 30), timeout=20)
        elapsed = time.perf_counter() - t0
        # nobody read `stalled`: it holds only its small buffer; `unwatched` rendered nothing
        rendered_stalled, rendered_unwatched = stalled._seq, unwatched._seq
        # the stalled consumer comes back: it gets current frames, not a backlog
        late = await asyncio.wait_for(_take(stalled, 6), timeout=10)
        for s in (live, stalled, unwatched):
            s.close()
        return frames, elapsed, rendered_stalled, rendered_unwatched, late, stalled

    frames, elapsed, rendered_stalled, rendered_unwatched, late, stalled = asyncio.run(main())
    assert len(frames) == 30 and elapsed < 1.0 + 30 / 30  # paced at 30 frames/s, not slowed by the others
    assert rendered_stalled <= stalled.buffer + 1
    assert rendered_unwatched == 0
    assert late[-1].pts_ms / 1000 > elapsed - 0.2
    assert [f.seq for f in late] == sorted(f.seq for f in late)


def test_session_frames_follow_the_timeline_and_the_clock(renderer):
    async def main():
        s = renderer.open_session(size=32, fps=10, quality=100, clock=OfflineClock())
        s.set_controls({"mouth": 2.0, "eyes": -2.0, "yaw": 0.0})
        frames = await asyncio.wait_for(_take(s, 3), timeout=20)
        s.close()
        return s, frames

    s, frames = asyncio.run(main())
    atlas = renderer.source.atlases[3]
    want = atlas.render(np.array([[-2.0, 2.0, 0.0]]), 32)[0].numpy().astype(float)
    other = atlas.render(np.array([[0.0, 0.0, 0.0]]), 32)[0].numpy().astype(float)
    got = _decode(frames[-1]).astype(float)
    luma = np.array([0.299, 0.587, 0.114])  # JPEG keeps luma; the tiny faces' chroma noise it subsamples away
    assert np.abs((got - want) @ luma).mean() < 0.5 * np.abs((got - other) @ luma).mean()
    assert frames[1].pts_ms == 100


def test_offline_frames_come_decoded_from_a_start_time(renderer):
    s = renderer.open_session(size=32, fps=25, quality=95, clock=OfflineClock())
    got = s.decoded_frames(5, from_s=0.2)  # pts 0.2 is 200 ms exactly, though 0.2 + 0.04 is not 0.24 in floats
    assert [round(t * 1000) for t, _ in got] == [200, 240, 280, 320, 360]
    assert all(img.shape == (32, 32, 3) and img.dtype == np.uint8 for _, img in got)
    seen = []
    assert s.decoded_frames(3, from_s=0.24, each=lambda t, img: seen.append((t, img.shape))) == []
    assert seen == [(0.4, (32, 32, 3)), (0.44, (32, 32, 3)), (0.48, (32, 32, 3))]  # the session went on
    s.close()


def test_exact_path_renders_the_latent_walk(tmp_path):
    r = AvatarRenderer(AvatarConfig(seed=3, path="exact", max_batch=4), log=lambda s: None)
    r.start_with(tiny_generator(), tiny_directions())

    async def main():
        s = r.open_session(size=32, fps=30, quality=95, clock=OfflineClock())
        frames = await asyncio.wait_for(_take(s, 4), timeout=20)
        want = r.walk.render([r.walk.face(3)], np.array([s.controls_at(frames[-1].pts_ms / 1000)]), 32)[0]
        other = r.walk.render([r.walk.face(3)], np.array([[2.0, 2.0, 2.0]]), 32)[0]
        await r.stop()
        return frames, want, other

    frames, want, other = asyncio.run(main())
    assert frames[-1].flags & 2 == 0  # not interpolated
    got = _decode(frames[-1]).astype(float)
    luma = np.array([0.299, 0.587, 0.114])
    assert np.abs((got - want.numpy()) @ luma).mean() < 3.0
    assert np.abs((got - other.numpy()) @ luma).mean() > 10.0


def test_bad_requests_are_clear_errors(renderer):
    with pytest.raises(ValueError, match="larger than the generator"):
        renderer.open_session(size=64)
    with pytest.raises(ValueError, match="fps"):
        renderer.open_session(size=32, fps=0)
    with pytest.raises(ValueError, match="render path"):
        AvatarRenderer(AvatarConfig(path="fast"))
