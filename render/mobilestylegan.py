"""MobileStyleGAN in plain torch: mapping network z -> w and synthesis network w -> RGB 1024².

A port of the network that bes-dev/MobileStyleGAN.pytorch distilled from StyleGAN2-FFHQ, laid out as the
deployed OpenVINO graph computes it (weights converted by `weights/mobilestylegan.py`):

    mapping:    pixel-norm(z) -> 8 x [linear -> LeakyReLU(0.2) -> x gain]          -> w (512)
    synthesis:  learned 4x4 constant
                -> styled 3x3 conv (x * affine(w) -> conv -> + noise -> + bias -> LeakyReLU)
                -> 7 blocks, 4² -> 512²:
                     x * affine(w) -> Haar inverse wavelet (C -> C/4 channels, 2x size)
                     2 x [x * affine(w) -> depthwise 3x3 -> pointwise 1x1 -> + noise -> + bias -> LeakyReLU]
                -> to_img: x * affine(w) -> 1x1 conv to 12 wavelet bands -> + bias -> inverse wavelet -> 1024²

Modulation scales activations (demodulation is folded into the pointwise weights), so every sample of a
batch can carry its own w without grouped convolutions. Noise inputs are constants: output is a
deterministic function of w.

Every modulated layer has its own affine(w), so synthesis also takes w+ [B, n_styles, 512]: one style per
layer, in the order the layers run (the 4x4 conv; per block its upsampling, conv1, conv2; to_img). An
expression edit confined to the layers where its attribute lives leaves the rest of the face alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class MobileStyleGANConfig:
    style_dim: int = 512
    n_mlp: int = 8
    # channels entering each synthesis block (after the 4x4 conv) and leaving it
    block_in: tuple[int, ...] = (512, 512, 512, 512, 512, 256, 128)
    block_out: tuple[int, ...] = (512, 512, 512, 512, 256, 128, 64)
    slope: float = 0.2

    @property
    def resolution(self) -> int:
        return 4 * 2 ** (len(self.block_in) + 1)

    @property
    def n_styles(self) -> int:
        """Styles of a w+ latent: the 4x4 conv, three per block (upsampling, conv1, conv2), to_img."""
        return 2 + 3 * len(self.block_in)

    def style_resolutions(self) -> tuple[int, ...]:
        """Feature-map size each style of w+ acts on (to_img counts as the output's size)."""
        per_block = tuple(r for i in range(len(self.block_in)) for r in (4 * 2**i, 8 * 2**i, 8 * 2**i))
        return (4, *per_block, self.resolution)


def idwt_haar(x: torch.Tensor) -> torch.Tensor:
    """Inverse single-level Haar wavelet: [B, 4C, H, W] -> [B, C, 2H, 2W] (channels_last memory).

    Channels [0, C) are the low band; [C, 4C) hold the three detail bands interleaved per channel
    (channel C + 3c + k is band k of channel c), as the exported graph reshapes them. The graph spells
    this as six transposed convolutions with 1/sqrt(2) taps; the closed form is
    out[2i+a, 2j+b] = (LL + s_a H0 + s_b H1 + s_a s_b H2) / 2 with s_0 = +1, s_1 = -1.
    Computed as a butterfly written straight into the interleaved NHWC output: [B, H, 2, W, 2, C] is
    [B, 2H, 2W, C] in memory, so no shuffle copy is needed.
    """
    b, c4, h, w = x.shape
    c = c4 // 4
    xl = x.permute(0, 2, 3, 1)  # [B, H, W, 4C]; a free view when x is channels_last
    ll, high = xl[..., :c], xl[..., c:].unflatten(-1, (c, 3))
    h0, h1, h2 = high[..., 0], high[..., 1], high[..., 2]
    s, d = ll + h0, ll - h0
    t, u = h1 + h2, h1 - h2
    out = x.new_empty(b, h, 2, w, 2, c)
    torch.add(s, t, out=out[:, :, 0, :, 0])
    torch.sub(s, t, out=out[:, :, 0, :, 1])
    torch.add(d, u, out=out[:, :, 1, :, 0])
    torch.sub(d, u, out=out[:, :, 1, :, 1])
    return out.view(b, 2 * h, 2 * w, c).permute(0, 3, 1, 2).mul_(0.5)


class StyleAffine(nn.Module):
    """w -> per-channel scales [B, C, 1, 1]: a linear layer times a fixed gain."""

    def __init__(self, style_dim: int, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels, style_dim))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("gain", torch.ones(()))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return (F.linear(w, self.weight, self.bias) * self.gain)[:, :, None, None]


class StyledConv(nn.Module):
    """The 4x4 layer: modulated dense 3x3 conv, noise, bias, LeakyReLU."""

    def __init__(self, style_dim: int, channels: int, size: int, slope: float):
        super().__init__()
        self.affine = StyleAffine(style_dim, channels)
        self.weight = nn.Parameter(torch.zeros(channels, channels, 3, 3))
        self.noise = nn.Parameter(torch.zeros(1, 1, size, size))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.slope = slope

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x * self.affine(w), self.weight, padding=1)
        return F.leaky_relu_(x.add_(self.noise).add_(self.bias), self.slope)


class StyledDWConv(nn.Module):
    """Modulated depthwise-separable conv: x * s -> depthwise 3x3 -> pointwise 1x1 -> noise, bias, LeakyReLU."""

    def __init__(self, style_dim: int, c_in: int, c_out: int, size: int, slope: float):
        super().__init__()
        self.affine = StyleAffine(style_dim, c_in)
        self.depthwise = nn.Parameter(torch.zeros(c_in, 1, 3, 3))
        self.pointwise = nn.Parameter(torch.zeros(c_out, c_in, 1, 1))
        self.noise = nn.Parameter(torch.zeros(1, 1, size, size))
        self.bias = nn.Parameter(torch.zeros(1, c_out, 1, 1))
        self.slope = slope

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        # Modulation is a per-channel scale, so it commutes with the depthwise conv and folds into the
        # pointwise weights: one [C_out, C_in] scaling per sample instead of a pass over the activations.
        s = self.affine(w)[:, :, 0, 0]  # [B, C_in]
        x = F.conv2d(x, self.depthwise, padding=1, groups=x.shape[1])
        b, c, h, wd = x.shape
        pw = self.pointwise[:, :, 0, 0]  # [C_out, C_in]
        if b == 1:
            x = F.conv2d(x, (pw * s)[:, :, None, None])
        else:  # per-sample 1x1 conv = batched matmul over NHWC pixels
            pixels = x.permute(0, 2, 3, 1).reshape(b, h * wd, c)
            x = torch.bmm(pixels, (pw[None] * s[:, None, :]).transpose(1, 2))
            x = x.view(b, h, wd, -1).permute(0, 3, 1, 2)
        return F.leaky_relu_(x.add_(self.noise).add_(self.bias), self.slope)


class SynthesisBlock(nn.Module):
    """One resolution step: modulated inverse-wavelet upsampling, then two styled dw-separable convs."""

    def __init__(self, style_dim: int, c_in: int, c_out: int, size: int, slope: float):
        super().__init__()
        self.up = StyleAffine(style_dim, c_in)
        self.conv1 = StyledDWConv(style_dim, c_in // 4, c_out, size, slope)
        self.conv2 = StyledDWConv(style_dim, c_out, c_out, size, slope)

    def forward(self, x: torch.Tensor, w_up: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
        x = idwt_haar(x.mul_(self.up(w_up)))  # x is this network's own intermediate: scale in place
        return self.conv2(self.conv1(x, w1), w2)


class ToImage(nn.Module):
    """Modulated 1x1 conv to the 12 Haar coefficients of RGB, then the inverse wavelet (no demodulation)."""

    def __init__(self, style_dim: int, c_in: int):
        super().__init__()
        self.affine = StyleAffine(style_dim, c_in)
        self.weight = nn.Parameter(torch.zeros(12, c_in, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, 12, 1, 1))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x.mul_(self.affine(w)), self.weight).add_(self.bias)
        return idwt_haar(x)


class MappingNetwork(nn.Module):
    """z [B, 512] -> w [B, 512]."""

    def __init__(self, cfg: MobileStyleGANConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(cfg.n_mlp, cfg.style_dim, cfg.style_dim))
        self.bias = nn.Parameter(torch.zeros(cfg.n_mlp, cfg.style_dim))
        self.register_buffer("gain", torch.ones(cfg.n_mlp))
        self.register_buffer("eps", torch.tensor(1e-8))
        self.slope = cfg.slope

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + self.eps)
        for i in range(self.weight.shape[0]):
            x = F.leaky_relu(F.linear(x, self.weight[i], self.bias[i]), self.slope) * self.gain[i]
        return x


class SynthesisNetwork(nn.Module):
    """w [B, 512] or w+ [B, n_styles, 512] -> image [B, 3, 1024, 1024] in about [-1, 1] (not clamped)."""

    def __init__(self, cfg: MobileStyleGANConfig):
        super().__init__()
        c0 = cfg.block_in[0]
        self.const = nn.Parameter(torch.zeros(1, c0, 4, 4))
        self.conv1 = StyledConv(cfg.style_dim, c0, 4, cfg.slope)
        self.blocks = nn.ModuleList(
            SynthesisBlock(cfg.style_dim, ci, co, 8 * 2**i, cfg.slope)
            for i, (ci, co) in enumerate(zip(cfg.block_in, cfg.block_out))
        )
        self.to_img = ToImage(cfg.style_dim, cfg.block_out[-1])
        self.n_styles = cfg.n_styles

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        styles = w.unbind(1) if w.ndim == 3 else (w,) * self.n_styles
        if len(styles) != self.n_styles:
            raise ValueError(f"w+ needs {self.n_styles} styles, got {len(styles)}")
        x = self.const.expand(w.shape[0], -1, -1, -1)
        x = self.conv1(x, styles[0])
        for i, block in enumerate(self.blocks):
            x = block(x, *styles[1 + 3 * i:4 + 3 * i])
        return self.to_img(x, styles[-1])


class MobileStyleGAN(nn.Module):
    def __init__(self, cfg: MobileStyleGANConfig = MobileStyleGANConfig()):
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)
