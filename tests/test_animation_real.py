"""The animation path on the real MobileStyleGAN weights: a tiny atlas, the demo video, the CLI's checks.

Directions are random here (orthogonal, w-scale) until the committed ones land; the behaviour tested —
keyframes equal exact renders, the video holds the streamed frames — does not depend on what they mean.
"""
from __future__ import annotations

import asyncio

import cv2
import numpy as np
import pytest
import torch

from realtime.cli import main
from render.directions import ExpressionDirections

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def real_renderer(face_generator, tmp_path_factory):
    from render.avatar import AvatarConfig, AvatarRenderer

    q, _ = torch.linalg.qr(torch.randn(512, 3, generator=torch.Generator().manual_seed(0)))
    directions = ExpressionDirections(("eyes", "mouth", "yaw"), q.T.contiguous() * 6.0,
                                      {"eyes": (-2.0, 2.0), "mouth": (-1.5, 2.0), "yaw": (-2.0, 2.0)})
    r = AvatarRenderer(AvatarConfig(seed=7, path="atlas", refine=False, atlas_levels=(64,)), log=lambda s: None)
    r.start_with(face_generator, directions, {"counts": (3,), "measure_points": 0, "log": lambda s: None,
                                              "cache": tmp_path_factory.mktemp("cache")})
    yield r
    asyncio.run(r.stop())


def test_real_atlas_keyframes_are_exact_renders(real_renderer):
    atlas = real_renderer.source.atlases[7]
    # one 3×3×3 grid over eyes, mouth and yaw
    assert atlas.count == 3 ** 3 and atlas.meta["layout"] == "grid"
    pts = atlas.keyframe_points()[[1, 5, 11, 19]]
    exact = real_renderer.walk.render([real_renderer.walk.face(7)] * 4, pts, 64)
    assert (atlas.render(pts, 64).int() - exact.int()).abs().max() <= 1


def test_demo_video_holds_the_streamed_frames(real_renderer, tmp_path):
    from render.demo_video import write_demo

    out = tmp_path / "demo.mp4"
    n = write_demo(real_renderer, out, seconds=1.0, size=64, fps=15)
    assert n == 15 and out.stat().st_size > 1000
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    assert len(frames) == 15 and frames[0].shape == (64, 64, 3)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.5  # she moves


def test_animate_flags_are_checked_before_any_work(capsys):
    assert main(["render", "--animate", "-o", "demo.gif"]) == 2
    assert "mp4" in capsys.readouterr().err
    assert main(["render", "--animate", "--seconds", "0", "-o", "demo.mp4"]) == 2
