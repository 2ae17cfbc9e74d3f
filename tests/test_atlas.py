"""Latent walk and keyframe atlas on a tiny random generator."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from render.atlas import (AtlasRefiner, Component, KeyframeAtlas, axis_coords, axis_weights, build_atlas,
                          decompose, load_or_build_atlas)
from render.walk import LatentWalk
from tests.animation_fixtures import tiny_directions, tiny_generator


@pytest.fixture(scope="module")
def walk():
    return LatentWalk(tiny_generator(), tiny_directions(), psi=0.7)


@pytest.fixture(scope="module")
def atlas(walk):
    return build_atlas(walk, seed=3, levels=(16, 32), budget=0.5, measure_points=4, counts=(3, 5),
                       log=lambda s: None)


def test_walk_composes_truncated_face_plus_directions(walk):
    gen, d = walk.gen, walk.directions
    face = walk.face(3)
    c = torch.tensor([[0.5, -1.0, 1.5], [0.0, 0.0, 0.0]])
    w = walk.compose([face, face], c)
    w0 = gen.truncate(gen.mapping(__import__("render.generator", fromlist=["z"]).z_from_seed(3, gen.w_dim)), 0.7)
    torch.testing.assert_close(w[1:], w0, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w[:1], d.apply(w0, c[0]), rtol=1e-5, atol=1e-5)
    # controls are clamped to the ranges
    torch.testing.assert_close(walk.compose([face], torch.tensor([[9.0, 0, 0]])),
                               walk.compose([face], torch.tensor([[2.0, 0, 0]])))
    assert walk.face(3) == face and walk.face(4) != face


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_axis_weights_reproduce_nodes_and_sum_to_one(mode):
    coords = np.array([-2.0, -0.5, 0.0, 1.0, 2.0])
    idx, w = axis_weights(coords, coords, mode)
    dense = np.zeros((5, 5))
    for r in range(5):
        np.add.at(dense[r], idx[r], w[r])
    np.testing.assert_allclose(dense, np.eye(5), atol=1e-12)
    x = np.linspace(-2, 2, 37)
    _, w = axis_weights(coords, x, mode)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-12)


def test_cubic_reproduces_a_quadratic_better_than_a_crossfade():
    coords = np.linspace(-2, 2, 5)
    x = np.linspace(-1.9, 1.9, 40)
    f = lambda v: v ** 2  # noqa: E731
    errs = {}
    for mode in ("linear", "cubic"):
        idx, w = axis_weights(coords, x, mode)
        errs[mode] = np.abs((w * f(coords)[idx]).sum(1) - f(x)).mean()
    assert errs["cubic"] < 0.5 * errs["linear"]


def test_atlas_equals_exact_renders_at_keyframes(atlas, walk):
    points = atlas.keyframe_points()
    assert len(points) == atlas.count == atlas.levels[16].shape[0]
    pick = points[[0, len(points) // 2, len(points) - 1, 7]]
    for size in (16, 32):
        exact = walk.render([walk.face(3)] * len(pick), pick, size)
        got = atlas.render(pick, size)
        assert (got.int() - exact.int()).abs().max() <= 1


def test_additive_parts_cover_each_local_control_with_the_head_turn():
    comps = decompose(("eyes", "mouth", "yaw"))
    assert [(c.controls, c.coef) for c in comps] == [((0, 2), 1.0), ((1, 2), 1.0), ((2,), -1.0)]
    assert [(c.controls, c.coef) for c in decompose(("eyes", "mouth"))] == [((0, 1), 1.0)]
    c = axis_coords(-2.0, 3.0, 6)
    assert 0.0 in c and c[0] == -2.0 and c[-1] == 3.0 and len(c) == 6 and (np.diff(c) > 0).all()


def test_atlas_reports_error_against_exact_renders(atlas):
    m = atlas.meta["measured"]
    assert set(m) == {"16", "32"}
    for s in m.values():
        assert 0 < s["atlas"] < 255 and 0 < s["crossfade"] < 255
    assert all(mode in ("linear", "cubic") for mode in atlas.modes)
    assert all(len(a) in (3, 5) for a in atlas.axes)
    assert [c.coef for c in atlas.components] == [1.0, 1.0, -1.0]


def test_atlas_frames_move_smoothly_between_keyframes(atlas):
    xs = np.linspace(-2, 2, 41)
    c = np.zeros((41, 3))
    c[:, 2] = xs
    frames = atlas.render(c, 16).float()
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < 4 * steps.mean() + 1.0  # no sudden jump at cell borders


def test_cache_round_trip_and_key(tmp_path, walk):
    a = load_or_build_atlas(walk, 3, levels=(16,), budget=50.0, cache=tmp_path, log=lambda s: None)
    files = list((tmp_path / "atlas").glob("*.safetensors"))
    assert len(files) == 1
    b = load_or_build_atlas(walk, 3, levels=(16,), budget=50.0, cache=tmp_path, log=lambda s: None)
    assert torch.equal(a.levels[16], b.levels[16]) and [list(x) for x in a.axes] == [list(x) for x in b.axes]
    assert [(c.controls, c.coef, c.offset) for c in a.components] == [(c.controls, c.coef, c.offset) for c in b.components]
    other = LatentWalk(walk.gen, tiny_directions(seed=9), psi=0.7)
    load_or_build_atlas(other, 3, levels=(16,), budget=50.0, cache=tmp_path, log=lambda s: None)
    assert len(list((tmp_path / "atlas").glob("*.safetensors"))) == 2  # other directions, other atlas


def test_refinement_inserts_exact_keyframes(atlas, walk):
    small = KeyframeAtlas(atlas.names, [a.copy() for a in atlas.axes], atlas.modes,
                          [Component(c.controls, c.coef) for c in atlas.components],
                          {16: atlas.levels[16]}, dict(atlas.meta))
    ref = AtlasRefiner(small, walk, 3)
    new = None
    for _ in range(100):
        new = ref.step(frames=8)
        if new is not None:
            break
    assert new is not None and new.count > small.count
    old_points = {tuple(p) for p in small.keyframe_points()}
    added = np.array([p for p in new.keyframe_points() if tuple(p) not in old_points])
    assert len(added) == new.count - small.count
    exact = walk.render([walk.face(3)] * len(added), added, 16)
    assert (new.render(added, 16).int() - exact.int()).abs().max() <= 1
    # and the old keyframes are still reproduced
    pts = small.keyframe_points()[::7]
    assert torch.equal(new.render(pts, 16), small.render(pts, 16))
