"""Tiny random generator and directions shared by the animation tests."""
from __future__ import annotations

import torch

from render.directions import ExpressionDirections
from render.generator import FaceGenerator
from render.mobilestylegan import MobileStyleGAN, MobileStyleGANConfig

TINY = MobileStyleGANConfig(style_dim=16, n_mlp=2, block_in=(32, 32), block_out=(32, 16))


class TinyBackend:
    def __init__(self, seed: int = 0):
        torch.manual_seed(seed)
        model = MobileStyleGAN(TINY)
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.3)
        model.eval()
        self.mapping, self.synthesis = model.mapping, model.synthesis
        self.w_dim, self.resolution = TINY.style_dim, TINY.resolution
        self.n_styles, self.style_resolutions = TINY.n_styles, TINY.style_resolutions()


def tiny_generator(seed: int = 0) -> FaceGenerator:
    return FaceGenerator(TinyBackend(seed), torch.zeros(TINY.style_dim), device="cpu", name=f"tiny{seed}")


def tiny_directions(seed: int = 1, names: tuple[str, ...] = ("eyes", "mouth", "yaw"),
                    per_layer: bool = False) -> ExpressionDirections:
    """Random directions; per_layer=True confines each control to a different band of synthesis layers."""
    g = torch.Generator().manual_seed(seed)
    vectors = torch.randn(len(names), TINY.style_dim, generator=g) * 0.3
    layers = None
    if per_layer:
        layers = torch.zeros(len(names), TINY.n_styles)
        for k in range(len(names)):
            layers[k, k % TINY.n_styles::len(names)] = 1.0
    return ExpressionDirections(names, vectors, {n: (-2.0, 2.0) for n in names}, layers=layers)
