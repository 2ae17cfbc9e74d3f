"""StyleGAN2 in plain torch, loading rosinality-format checkpoints (`.pt` with a `g_ema` state dict).

The second face-generator backend: a user with a GPU and a StyleGAN2 checkpoint (trained with
rosinality/stylegan2-pytorch, or converted to it from NVIDIA's pickles) points `--generator` at the
file. Module and parameter names follow that checkpoint layout so its state dict loads strictly:

    style:      pixel norm -> n_mlp x equalized linear (lr multiplier 0.01) + fused LeakyReLU      z -> w
    synthesis:  4x4 constant -> styled conv -> toRGB; per resolution 8² … size²:
                styled conv with 2x transposed-conv upsampling + [1,3,3,1] blur, styled conv,
                toRGB added to the upsampled skip image.
    styled conv = weight-modulated, demodulated conv, + noise (the checkpoint's fixed noise buffers),
                  + bias, LeakyReLU(0.2) x sqrt(2).

`synthesize` takes w [B, 512] (every layer the same style, as the other backend) or w+ [B, n_styles, 512]
in rosinality's layer order.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

SQRT2 = math.sqrt(2.0)


def blur_kernel_2d(taps: list[float]) -> torch.Tensor:
    k = torch.tensor(taps, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, pad: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad, then FIR-filter each channel with `kernel` (true convolution)."""
    b, c, h, w = x.shape
    if up > 1:
        z = x.new_zeros(b, c, h, up, w, up)
        z[:, :, :, 0, :, 0] = x
        x = z.reshape(b, c, h * up, w * up)
    p0, p1 = pad
    x = F.pad(x, (max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)))
    if p0 < 0 or p1 < 0:
        x = x[:, :, max(-p0, 0):x.shape[2] - max(-p1, 0), max(-p0, 0):x.shape[3] - max(-p1, 0)]
    k = torch.flip(kernel, (0, 1)).to(x.dtype)[None, None].expand(c, 1, *kernel.shape)
    return F.conv2d(x, k, groups=c)


class EqualLinear(nn.Module):
    def __init__(self, d_in: int, d_out: int, bias_init: float = 0.0, lr_mul: float = 1.0, activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((d_out,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(d_in)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return F.leaky_relu(out, 0.2) * SQRT2 if self.activate else out


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class Blur(nn.Module):
    def __init__(self, taps: list[float], pad: tuple[int, int], scale: float = 1.0):
        super().__init__()
        self.register_buffer("kernel", blur_kernel_2d(taps) * scale)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class ModulatedConv2d(nn.Module):
    def __init__(self, c_in: int, c_out: int, k: int, style_dim: int, demodulate: bool = True,
                 upsample: bool = False, taps: list[float] = (1, 3, 3, 1)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, c_out, c_in, k, k))
        self.modulation = EqualLinear(style_dim, c_in, bias_init=1.0)
        self.scale = 1 / math.sqrt(c_in * k * k)
        self.demodulate, self.upsample, self.k = demodulate, upsample, k
        if upsample:
            # transposed conv (stride 2) grows the map by k-1+1 pixels; the blur trims it back to 2x
            p = len(taps) - 2 - (k - 1)
            self.blur = Blur(list(taps), ((p + 1) // 2 + 1, p // 2 + 1), scale=4.0)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        b, c_in, h, wd = x.shape
        s = self.modulation(w).view(b, 1, c_in, 1, 1)
        weight = self.scale * self.weight * s  # [B, out, in, k, k]: one kernel per sample
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum((2, 3, 4)) + 1e-8).view(b, -1, 1, 1, 1)
        c_out = weight.shape[1]
        x = x.reshape(1, b * c_in, h, wd)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(b * c_in, c_out, self.k, self.k)
            out = F.conv_transpose2d(x, weight, stride=2, groups=b)
            return self.blur(out.reshape(b, c_out, *out.shape[-2:]))
        out = F.conv2d(x, weight.reshape(b * c_out, c_in, self.k, self.k), padding=self.k // 2, groups=b)
        return out.reshape(b, c_out, h, wd)


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2) * SQRT2


class StyledConv(nn.Module):
    def __init__(self, c_in: int, c_out: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, c_out, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(c_out)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, w), noise))


class ToRGB(nn.Module):
    def __init__(self, c_in: int, style_dim: int, upsample: bool = True):
        super().__init__()
        if upsample:
            self.upsample = Blur([1, 3, 3, 1], (2, 1), scale=4.0)
        self.conv = ModulatedConv2d(c_in, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, w: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, w) + self.bias
        if skip is not None:
            k = self.upsample
            out = out + upfirdn2d(skip, k.kernel, up=2, pad=k.pad)
        return out


class ConstantInput(nn.Module):
    def __init__(self, channels: int, size: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))


class StyleGAN2Generator(nn.Module):
    """rosinality's `Generator` layout; `channels` maps resolution -> channels (read from a checkpoint)."""

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channels: dict[int, int] | None = None,
                 lr_mlp: float = 0.01):
        super().__init__()
        self.size, self.style_dim = size, style_dim
        log_size = int(math.log2(size))
        if 2**log_size != size or size < 8:
            raise ValueError(f"StyleGAN2 size must be a power of two >= 8, got {size}")
        ch = channels or {4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64, 1024: 32}
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activate=True)
                                                  for _ in range(n_mlp)])
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], style_dim)
        self.to_rgb1 = ToRGB(ch[4], style_dim, upsample=False)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.noises = nn.Module()
        n_layers = (log_size - 2) * 2 + 1
        for i in range(n_layers):
            res = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, res, res))
        c_in = ch[4]
        for i in range(3, log_size + 1):
            c_out = ch[2**i]
            self.convs.append(StyledConv(c_in, c_out, style_dim, upsample=True))
            self.convs.append(StyledConv(c_out, c_out, style_dim))
            self.to_rgbs.append(ToRGB(c_out, style_dim))
            c_in = c_out
        self.n_layers = n_layers

    @property
    def n_styles(self) -> int:
        """Styles of a w+ latent, in rosinality's order (to_rgb1 shares its style with the first upsampling conv)."""
        return 2 * int(math.log2(self.size)) - 2

    def style_resolutions(self) -> tuple[int, ...]:
        return (4, *(8 * 2 ** (i // 2) for i in range(self.n_styles - 1)))

    def synthesize(self, w: torch.Tensor) -> torch.Tensor:
        """w [B, D] or w+ [B, n_styles, D] -> image."""
        styles = w.unbind(1) if w.ndim == 3 else (w,) * self.n_styles
        if len(styles) != self.n_styles:
            raise ValueError(f"w+ needs {self.n_styles} styles, got {len(styles)}")
        noise = [getattr(self.noises, f"noise_{i}") for i in range(self.n_layers)]
        x = self.input.input.expand(w.shape[0], -1, -1, -1)
        x = self.conv1(x, styles[0], noise[0])
        skip = self.to_rgb1(x, styles[1])
        for j, to_rgb in enumerate(self.to_rgbs):
            x = self.convs[2 * j](x, styles[1 + 2 * j], noise[2 * j + 1])
            x = self.convs[2 * j + 1](x, styles[2 + 2 * j], noise[2 * j + 2])
            skip = to_rgb(x, styles[3 + 2 * j], skip)
        return skip


class _Synthesis(nn.Module):
    def __init__(self, g: StyleGAN2Generator):
        super().__init__()
        self.g = g

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.g.synthesize(w)


class StyleGAN2Backend:
    """A `render.generator.Backend` over a StyleGAN2Generator."""

    def __init__(self, g: StyleGAN2Generator):
        self.generator = g.eval()
        self.mapping = g.style
        self.synthesis = _Synthesis(g)
        self.w_dim = g.style_dim
        self.resolution = g.size
        self.n_styles = g.n_styles
        self.style_resolutions = g.style_resolutions()


def config_from_state_dict(sd: dict[str, torch.Tensor]) -> dict:
    """Size, style_dim, n_mlp and channels of a rosinality generator, read from its tensor shapes."""
    try:
        style_dim = sd["style.1.weight"].shape[1]
        n_mlp = sum(1 for k in sd if k.startswith("style.") and k.endswith(".weight"))
        n_rgbs = sum(1 for k in sd if k.startswith("to_rgbs.") and k.endswith(".conv.weight"))
        size = 2 ** (n_rgbs + 2)
        channels = {4: sd["input.input"].shape[1]}
        for j in range(n_rgbs):
            channels[2 ** (j + 3)] = sd[f"convs.{2 * j}.conv.weight"].shape[1]
    except KeyError as e:
        raise ValueError(f"not a rosinality StyleGAN2 generator state dict (missing {e})") from None
    return {"size": size, "style_dim": style_dim, "n_mlp": n_mlp, "channels": channels}


def load_rosinality_checkpoint(path: Path) -> tuple[StyleGAN2Backend, torch.Tensor | None]:
    """Load `g_ema` (or a bare generator state dict) from a rosinality checkpoint; also its `latent_avg`."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(ckpt, dict):
        raise ValueError(f"{path} does not hold a state dict")
    sd = ckpt.get("g_ema", ckpt)
    sd = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    g = StyleGAN2Generator(**config_from_state_dict(sd))
    missing, unexpected = g.load_state_dict(sd, strict=False)
    # blur kernels are fixed buffers some exports omit; anything else missing means a different network
    missing = [k for k in missing if not k.endswith(".kernel")]
    if missing or unexpected:
        raise ValueError(f"{path}: checkpoint does not fit StyleGAN2 (missing {missing[:4]}, unexpected {unexpected[:4]})")
    latent_avg = ckpt.get("latent_avg")
    if latent_avg is not None:
        latent_avg = torch.as_tensor(latent_avg, dtype=torch.float32).reshape(-1)[: g.style_dim]
    return StyleGAN2Backend(g), latent_avg
