"""Triton kernels against their torch references, run by Triton's interpreter on CPU tensors."""
from __future__ import annotations

import os

os.environ.setdefault("TRITON_INTERPRET", "1")  # before the kernels are first defined

import pytest
import torch

from render import kernels

pytestmark = pytest.mark.skipif(not kernels.triton_available(), reason="triton is not installed")


def _interpreted() -> None:
    if os.environ.get("TRITON_INTERPRET") != "1":
        pytest.skip("TRITON_INTERPRET is off: these CPU-tensor comparisons need Triton's interpreter")


def test_compose_latents_matches_reference_with_mixed_faces():
    _interpreted()
    g = torch.Generator().manual_seed(0)
    faces, vectors = torch.randn(3, 200, generator=g), torch.randn(4, 200, generator=g)
    index = torch.tensor([2, 0, 0, 1, 2])
    controls, w_avg = torch.randn(5, 4, generator=g), torch.randn(200, generator=g)
    got = kernels.compose_latents_triton(faces, index, controls, vectors, w_avg, 0.7)
    want = kernels.compose_latents_torch(faces, index, controls, vectors, w_avg, 0.7)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # each row is its own face: the faces really are gathered per row
    assert not torch.allclose(got[0], got[1])


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_to_uint8_matches_reference(factor):
    _interpreted()
    g = torch.Generator().manual_seed(factor)
    x = torch.randn(2, 3, 16, 24, generator=g) * 1.2  # beyond [-1, 1]: the clamp matters
    got = kernels.frames_to_uint8_triton(x, factor)
    want = kernels.frames_to_uint8_torch(x, factor)
    assert got.shape == (2, 16 // factor, 24 // factor, 3) and got.dtype == torch.uint8
    assert (got.int() - want.int()).abs().max() <= 1  # float summation order may flip a rounding tie
    assert (got != want).float().mean() < 0.01


def test_reference_conversion_agrees_with_the_image_writer():
    from render.images import to_uint8

    x = torch.randn(2, 3, 32, 32) * 1.1
    ref = kernels.frames_to_uint8_torch(x, 2).numpy().astype(int)
    assert abs(ref - to_uint8(x, 16).astype(int)).max() <= 1


def test_bad_shapes_are_errors():
    _interpreted()
    with pytest.raises(ValueError):
        kernels.frames_to_uint8_triton(torch.zeros(1, 3, 10, 10), 4)
    with pytest.raises(ValueError):
        kernels.compose_latents_triton(torch.zeros(2, 8), torch.tensor([0]), torch.zeros(1, 3), torch.zeros(2, 8),
                                       torch.zeros(8), 1.0)
