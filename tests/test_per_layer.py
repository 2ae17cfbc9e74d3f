"""Per-layer (w+) expression edits and the eye/mouth region masks, on tiny random models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from render.atlas import atlas_key
from render.directions import load_directions
from render.masks import composite, face_masks, outside_change, region_mask
from render.stylegan2 import StyleGAN2Generator
from render.timeline import EYE_LID_CLOSURE
from render.walk import LatentWalk
from tests.animation_fixtures import TINY, tiny_directions, tiny_generator


def test_w_plus_with_one_style_everywhere_is_the_plain_w_render():
    gen = tiny_generator()
    w = torch.randn(3, TINY.style_dim)
    plus = w[:, None, :].expand(-1, TINY.n_styles, -1).contiguous()
    torch.testing.assert_close(gen.synthesize(plus), gen.synthesize(w))
    assert TINY.n_styles == 2 + 3 * len(TINY.block_in) == len(TINY.style_resolutions())


def test_every_style_of_w_plus_reaches_the_picture():
    gen = tiny_generator()
    plus = torch.randn(1, TINY.style_dim)[:, None].repeat(1, TINY.n_styles, 1)
    base = gen.synthesize(plus)
    for layer in range(TINY.n_styles):
        moved = plus.clone()
        moved[:, layer] += 1.0
        assert (gen.synthesize(moved) - base).abs().max() > 1e-4, f"style {layer} is ignored"


def test_batched_w_plus_equals_single_renders():
    model_synthesis = tiny_generator().backend.synthesis
    plus = torch.randn(4, TINY.n_styles, TINY.style_dim)
    with torch.no_grad():
        batch = model_synthesis(plus)
        for i in range(4):
            torch.testing.assert_close(batch[i:i + 1], model_synthesis(plus[i:i + 1]), rtol=1e-5, atol=1e-5)


def test_synthesize_rejects_a_w_plus_of_the_wrong_depth():
    gen = tiny_generator()
    with pytest.raises(ValueError, match="w\\+"):
        gen.synthesize(torch.randn(1, TINY.n_styles + 1, TINY.style_dim))


def test_stylegan2_w_plus_follows_rosinalitys_layer_order():
    torch.manual_seed(0)
    g = StyleGAN2Generator(16, style_dim=8, n_mlp=2, channels={4: 8, 8: 8, 16: 4}).eval()
    w = torch.randn(2, 8)
    with torch.no_grad():
        plain = g.synthesize(w)
        torch.testing.assert_close(g.synthesize(w[:, None].expand(-1, g.n_styles, -1)), plain)
        plus = w[:, None].repeat(1, g.n_styles, 1)
        plus[:, -1] += 1.0  # the last to_rgb: a colour change only at the output
        assert (g.synthesize(plus) - plain).abs().max() > 1e-4
    assert g.n_styles == 6 and len(g.style_resolutions()) == 6


def test_a_per_layer_control_leaves_the_other_layers_alone():
    d = tiny_directions(per_layer=True)
    w = torch.randn(2, TINY.style_dim)
    out = d.apply(w, torch.tensor([[1.5, 0.0, 0.0], [0.0, -1.0, 0.0]]))
    assert out.shape == (2, TINY.n_styles, TINY.style_dim)
    on = d.layers[0] > 0
    torch.testing.assert_close(out[0, ~on], w[0].expand(int((~on).sum()), -1))
    torch.testing.assert_close(out[0, on], (w[0] + 1.5 * d.vectors[0]).expand(int(on.sum()), -1))


def test_the_walk_composes_w_plus_like_the_directions(tmp_path):
    gen, d = tiny_generator(), tiny_directions(per_layer=True)
    walk = LatentWalk(gen, d, psi=0.7)
    i = walk.face(5)
    controls = torch.tensor([[0.5, -1.0, 2.0]])
    w_face = walk.w_face(5)
    assert w_face.shape == (1, TINY.style_dim)
    torch.testing.assert_close(walk.compose([i], controls), d.apply(w_face, controls), rtol=1e-5, atol=1e-5)
    frames = walk.render([i, i], torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]), 16)
    assert frames.shape == (2, 16, 16, 3) and (frames[0] != frames[1]).any()
    # the layer weights are part of the keyframe atlas's cache key, and survive a save/load
    plain = LatentWalk(gen, d.with_layers(None), psi=0.7)
    assert atlas_key(walk, 5, (16,), 1.0) != atlas_key(plain, 5, (16,), 1.0)
    d.save(tmp_path / "d.safetensors")
    back = load_directions(path=tmp_path / "d.safetensors")
    torch.testing.assert_close(back.layers, d.layers)


def test_the_walk_refuses_directions_for_another_layer_count():
    d = tiny_directions().with_layers(torch.ones(3, TINY.n_styles + 2))
    with pytest.raises(ValueError, match="layers"):
        LatentWalk(tiny_generator(), d)


def _landmarks() -> np.ndarray:
    """A face-like set of mesh points: eyes at y 0.4, mouth at y 0.7, everything else on a ring."""
    from render.masks import EYE_POINTS, MOUTH_POINTS

    rng = np.random.default_rng(0)
    lm = np.zeros((468, 3))
    angle = np.linspace(0, 2 * np.pi, 468)
    lm[:, 0], lm[:, 1] = 0.5 + 0.45 * np.cos(angle), 0.5 + 0.45 * np.sin(angle)
    for cx, group in zip((0.35, 0.65), EYE_POINTS):
        lm[list(group), :2] = np.array([cx, 0.4]) + rng.uniform(-0.05, 0.05, (len(group), 2))
    lm[list(MOUTH_POINTS), :2] = np.array([0.5, 0.72]) + rng.uniform(-0.07, 0.07, (len(MOUTH_POINTS), 2))
    lm[33, :2], lm[263, :2] = (0.3, 0.4), (0.7, 0.4)
    return lm


def test_region_masks_cover_their_region_and_fade_out():
    masks = face_masks(_landmarks(), 64)
    eyes, mouth = masks["eyes"], masks["mouth"]
    assert eyes.shape == mouth.shape == (64, 64) and eyes.dtype == np.float32
    assert eyes[int(0.4 * 64), int(0.35 * 64)] > 0.95 and mouth[int(0.72 * 64), 32] > 0.95
    assert eyes[int(0.72 * 64), 32] < 0.05 and mouth[int(0.4 * 64), int(0.35 * 64)] < 0.05
    assert eyes[2, 2] == pytest.approx(0.0, abs=1e-6)
    partial = (eyes > 0.05) & (eyes < 0.95)
    assert partial.any(), "a feathered edge, not a hard cut"
    with pytest.raises(ValueError, match="region"):
        region_mask(_landmarks(), "nose", 64)


def test_composite_keeps_the_base_outside_the_mask_and_the_edit_inside():
    mask = torch.from_numpy(face_masks(_landmarks(), 32)["mouth"])[None, None]
    base, edited = torch.zeros(2, 3, 32, 32), torch.ones(2, 3, 32, 32)
    out = composite(edited, base, mask)
    torch.testing.assert_close(out[:, :, mask[0, 0] == 0], base[:, :, mask[0, 0] == 0])
    assert out[:, :, mask[0, 0] > 0.999].min() > 0.999


def test_outside_change_sees_only_what_is_outside_the_mask():
    mask = face_masks(_landmarks(), 32)["eyes"]
    base = np.full((32, 32, 3), 100, np.uint8)
    inside = base.copy()
    inside[mask > 0.5] = 200
    assert outside_change(inside, base, mask) == 0.0
    everywhere = np.full_like(base, 110)
    assert outside_change(everywhere, base, mask) == pytest.approx(10.0)


class _MeanColourIdentity:
    """A stand-in for dlib: the descriptor is the picture's mean brightness, so distances are predictable."""

    def box(self, image):
        return None

    def descriptors(self, images, boxes=None):
        out = np.zeros((len(images), 128))
        out[:, 0] = np.asarray(images, np.float64).reshape(len(images), -1).mean(1) / 255
        return out


def test_fidelity_measures_identity_and_the_change_outside_the_region():
    from render.directions import ExpressionDirections
    from render.vectors.evaluation import ControlReport, EvalResult
    from render.vectors.fidelity import fidelity_values, measure_fidelity

    d = ExpressionDirections(("eyes", "mouth"), torch.zeros(2, 4), {"eyes": (-1.0, 1.0), "mouth": (-0.5, 2.0)},
                             {"speech": {"closed": -0.5, "open": 1.5}})
    assert fidelity_values(d, "mouth") == [-0.5, -0.25, 1.0, 1.5, 2.0]
    lm = _landmarks()
    faces, size = 2, 32
    base = np.full((faces, size, size, 3), 100, np.uint8)
    masks = face_masks(lm, size)
    reports = []
    for name in d.names:
        values = np.union1d(fidelity_values(d, name), [0.0])
        images = np.repeat(base[:, None], len(values), axis=1).copy()
        for j, v in enumerate(values):  # the edit brightens its own region by 100·v, and everything by 2·|v|
            images[:, j] = np.clip(100 + 2 * abs(v) + 100 * v * (masks[name][..., None] > 0.5), 0, 255)
        rep = ControlReport(name, values, np.ones(faces), 0.9, {}, {}, 0.0, 0)
        rep.images, rep.landmarks = images, np.repeat(lm[None, None], faces, 0).repeat(len(values), 1)
        reports.append(rep)
    result = EvalResult(reports, faces, 0.03, {}, 0, base_images=base,
                        base_landmarks=np.repeat(lm[None], faces, 0).astype(np.float32))
    fid = measure_fidelity(result, d, _MeanColourIdentity(), progress=False)
    mouth = fid.control("mouth")
    assert list(mouth.values) == [-0.5, -0.25, 1.0, 1.5, 2.0]
    # outside the region only the uniform 2·|v| shift is seen
    np.testing.assert_allclose(mouth.outside[0], [2 * abs(v) for v in mouth.values], atol=0.51)
    assert (fid.control("eyes").identity[:, -1] > fid.control("eyes").identity[:, 1]).all()
    assert fid.speech == (-0.5, 1.5) and fid.blink_value == -1.0
    joined = fid.join(fid)
    assert joined.faces == 4 and joined.control("eyes").identity.shape == (4, 4)
    lines = [t for t, _, _ in fid.targets()]
    assert any(t.startswith("blink") for t in lines) and any(t.startswith("speech") for t in lines)
    assert "| eyes | -1.00 |" in fid.table()
    # the drawn blink is measured on every neutral face; flat grey has no face, so it reads as unmeasured
    assert fid.lids is not None and np.isnan(fid.lids.ear_shut).all() and "(lids shut)" in fid.table()
    # and so is the narrowed eye level, at the closure the live timeline draws for "small"
    assert fid.lids.narrowed == EYE_LID_CLOSURE["small"] and np.isnan(fid.lids.ear_narrowed).all()
    assert f'eyes "small" (lids {EYE_LID_CLOSURE["small"]:.2f})' in fid.table()
    assert joined.lids.identity_narrowed.shape == (4,)
    assert any(t.startswith("blink: EAR ≤ 0.1 with the lids shut") and not ok for t, _, ok in fid.targets())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_w_plus_walk_on_cuda_matches_the_cpu():
    from render.generator import FaceGenerator
    from tests.animation_fixtures import TinyBackend

    d = tiny_directions(per_layer=True)
    cpu = LatentWalk(tiny_generator(), d)
    cuda = LatentWalk(FaceGenerator(TinyBackend(0), torch.zeros(TINY.style_dim), device="cuda", name="tiny0"), d)
    controls = torch.tensor([[0.5, -1.0, 2.0], [-2.0, 1.5, 0.0]])
    faces = [cpu.face(3), cpu.face(4)]
    assert [cuda.face(3), cuda.face(4)] == faces
    torch.testing.assert_close(cuda.compose(faces, controls).cpu(), cpu.compose(faces, controls), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(cuda.gen.synthesize(cuda.compose(faces, controls)).cpu(),
                               cpu.gen.synthesize(cpu.compose(faces, controls)), rtol=1e-4, atol=1e-4)


def test_layer_bands_pick_the_styles_by_feature_map_size():
    from render.vectors.commands import layer_bands

    res = TINY.style_resolutions()  # (4, 4, 8, 8, 8, 16, 16, 32)
    layers = layer_bands(res, ("eyes", "mouth", "yaw"), {"eyes": (8, 16), "yaw": (4, 4)})
    assert layers[0].tolist() == [float(8 <= r <= 16) for r in res]
    assert layers[1].tolist() == [1.0] * len(res)  # no band: every layer
    assert layers[2].tolist() == [float(r == 4) for r in res]
    with pytest.raises(ValueError, match="no synthesis layer"):
        layer_bands(res, ("eyes",), {"eyes": (64, 128)})
    with pytest.raises(ValueError, match="unknown control"):
        layer_bands(res, ("eyes",), {"nose": (8, 16)})
