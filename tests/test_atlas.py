"""Latent walk and keyframe atlas on a tiny random generator."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from render.atlas import KeyframeAtlas, axis_weights
from render.atlas_building.build import build_atlas
from render.atlas_building.plan import axis_coords, plan_grid
from render.atlas_cache import load_or_build_atlas
from render.atlas_refiner import AtlasRefiner
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


def test_axis_coords_hold_both_ends_and_zero():
    c = axis_coords(-2.0, 3.0, 6)
    assert 0.0 in c and c[0] == -2.0 and c[-1] == 3.0 and len(c) == 6 and (np.diff(c) > 0).all()


def test_atlas_reports_error_against_exact_renders(atlas):
    m = atlas.meta["measured"]
    assert set(m) == {"16", "32"}
    for s in m.values():
        assert 0 < s["atlas"] < 255 and 0 < s["crossfade"] < 255
    assert all(mode in ("linear", "cubic") for mode in atlas.modes)
    assert all(len(a) in (3, 5) for a in atlas.axes)
    # one tensor grid over all controls: a frame is exact at every node, whatever mix of controls
    assert atlas.count == int(np.prod([len(a) for a in atlas.axes])) and atlas.meta["layout"] == "grid"
    assert set(atlas.meta["measured_timeline"]) == {"16", "32"}


class _EdgeRenderer:
    """Stands in for exact renders: control 0 brightens the image evenly (a cross-fade is exact), control 1
    slides a vertical edge across it (a cross-fade ghosts it), control 2 does nothing."""

    def __init__(self):
        self.walk = type("W", (), {"names": ("fade", "slide", "still")})()
        self.rendered = 0

    def __call__(self, pts, desc=None, bar=None):
        x = np.arange(64)[None, :]
        pts = np.asarray(pts, float)
        img = 100 + 40 * pts[:, :1] + 100 * (x < 32 + 28 * pts[:, 1:2])
        img = np.broadcast_to(img[:, None, :, None], (len(pts), 8, 64, 3))
        return {16: torch.from_numpy(np.ascontiguousarray(img).round().astype(np.uint8))}


def test_plan_spends_keyframes_where_the_image_changes_least_linearly():
    ranges = {"fade": (-1.0, 1.0), "slide": (-1.0, 1.0), "still": (-1.0, 1.0)}
    plans = plan_grid(_EdgeRenderer(), ("fade", "slide", "still"), ranges, budget=2.0, size=16,
                      counts=(3, 5, 9, 17), max_keyframes=1000, log=lambda s: None)
    assert [len(p.coords) for p in plans] == [3, 17, 3]
    assert plans[0].error < 0.5 and plans[2].error == 0.0
    # the budget is a sum over the controls; the keyframe cap wins over it
    capped = plan_grid(_EdgeRenderer(), ("fade", "slide", "still"), ranges, budget=0.1, size=16,
                       counts=(3, 5, 9, 17), max_keyframes=9 * 9, log=lambda s: None)
    assert int(np.prod([len(p.coords) for p in capped])) <= 81 and len(capped[1].coords) == 9


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
    assert a.file is not None and b.file is not None  # served from the file, memory-mapped, even when just built
    assert torch.equal(a.levels[16], b.levels[16]) and [list(x) for x in a.axes] == [list(x) for x in b.axes]
    assert a.modes == b.modes and b.file_meta()["components"] == [[[0, 1, 2], 1.0, None, False]]
    other = LatentWalk(walk.gen, tiny_directions(seed=9), psi=0.7)
    load_or_build_atlas(other, 3, levels=(16,), budget=50.0, cache=tmp_path, log=lambda s: None)
    assert len(list((tmp_path / "atlas").glob("*.safetensors"))) == 2  # other directions, other atlas


def test_refinement_inserts_exact_keyframes(atlas, walk):
    small = KeyframeAtlas(atlas.names, [a.copy() for a in atlas.axes], atlas.modes, {16: atlas.levels[16]},
                          dict(atlas.meta))
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


def _copy(atlas: KeyframeAtlas) -> KeyframeAtlas:
    return KeyframeAtlas(atlas.names, [a.copy() for a in atlas.axes], atlas.modes, dict(atlas.levels),
                         dict(atlas.meta))


def _refine_once(ref: AtlasRefiner) -> KeyframeAtlas:
    for _ in range(100):
        new = ref.step(frames=8)
        if new is not None:
            return new
    raise AssertionError("no refinement completed")


def test_refinement_on_file_maps_the_same_keyframes_as_in_memory(tmp_path, walk, atlas):
    """A refiner with a path writes the next file from ranges of the current one and maps it: the same
    keyframes as the in-memory rebuild, a file safetensors reads, and the replaced file's rows stay valid."""
    from safetensors import safe_open

    base = atlas
    path = tmp_path / "a.safetensors"
    _copy(base).save(path)
    on_file = KeyframeAtlas.load(path)
    assert on_file.file is not None and all(torch.equal(on_file.levels[s], base.levels[s]) for s in base.levels)
    by_file, in_memory = AtlasRefiner(on_file, walk, 3, path), AtlasRefiner(_copy(base), walk, 3)
    for _ in range(3):  # insertions along different controls, each from the previous file
        before = by_file.atlas
        got, want = _refine_once(by_file), _refine_once(in_memory)
        assert got.file is not None and got.count == want.count > before.count
        for s in base.levels:
            assert torch.equal(got.levels[s], want.levels[s])
            assert torch.equal(before.levels[s], before.levels[s].clone())  # the old mapping still reads
    again = KeyframeAtlas.load(path)
    assert [list(a) for a in again.axes] == [list(a) for a in got.axes] and again.meta["refined"] == 3
    with safe_open(str(path), "pt") as f:
        for s in base.levels:
            assert torch.equal(f.get_tensor(f"level{s}"), got.levels[s])
    assert not list(tmp_path.glob("*.tmp*"))


def test_blend_is_the_weighted_sum_with_negative_and_repeated_taps():
    from render.atlas import blend

    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (6, 5, 7, 3), dtype=torch.uint8, generator=g)
    flat = np.array([[0, 0, 1, 2, 5], [3, 4, 4, 1, 0]])
    weight = np.array([[-0.125, 0.5625, 0.625, -0.0625, 0.0], [0.3, 0.3, 0.2, 0.25, -0.05]])
    ref = (weight[:, :, None] * frames.reshape(6, -1).numpy()[flat].astype(np.float64)).sum(1)
    got = blend(frames, flat, weight).reshape(2, -1).numpy().astype(int)
    want = np.clip(np.floor(ref + 0.5), 0, 255)
    assert np.abs(got - want).max() <= 1 and (got != want).mean() < 0.05


def test_a_file_of_another_format_is_refused_with_how_to_rebuild(tmp_path, atlas):
    from render.atlas_file import write_atlas_file

    path = tmp_path / "old.safetensors"
    meta = dict(atlas.file_meta(), version=4)
    write_atlas_file(path, {16: (tuple(atlas.levels[16].shape), [atlas.levels[16]])}, meta)
    with pytest.raises(ValueError, match="ohlora serve --prepare"):
        KeyframeAtlas.load(path)


def test_study_cuts_nested_grids_from_cached_exact_renders(walk, tmp_path):
    from render.atlas_building.error import ExactStore, evaluation_points, grid_study, pareto_rows

    store = ExactStore(walk, 3, (16,), tmp_path)
    sets = evaluation_points(walk, 4)
    rows = grid_study(walk, 3, store, sets, (5, 3, 3), size=16)
    assert sorted(r["keyframes"] for r in rows) == [27, 45]
    for r in rows:
        assert all(0 < r[f"{s}_{m}"] < 255 for s in sets for m in ("linear", "cubic"))
    assert 1 <= len(pareto_rows(rows, tuple(sets))) <= 2
    # a rerun finds every exact render on disk and renders nothing
    again = ExactStore(walk, 3, (16,), tmp_path)
    assert len(again.cache) == len(store.cache) > 45
    rows2 = grid_study(walk, 3, again, sets, (5, 3, 3), size=16)
    assert again.rendered == 0 and [r["keyframes"] for r in rows2] == [r["keyframes"] for r in rows]
