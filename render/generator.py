"""The face generator interface and its loaders.

A `FaceGenerator` wraps a backend network (MobileStyleGAN from the embedded IR, or a rosinality-format
StyleGAN2 checkpoint) behind one interface: `mapping(z) -> w`, `synthesize(w) -> images`, `w_dim`,
`resolution`, `w_avg` and truncation. Synthesis is batched with a different w per sample, and takes either
one w per sample or w+ (one style per modulated layer, `n_styles` of them).
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

W_AVG_SAMPLES = 100_000
W_AVG_SEED = 20211011


class Backend(Protocol):
    """What a generator network provides; `FaceGenerator` adds devices, dtypes and truncation."""

    w_dim: int
    resolution: int
    n_styles: int  # styles of a w+ latent
    style_resolutions: tuple[int, ...]  # feature-map size each style acts on
    mapping: nn.Module  # z [B, w_dim] -> w [B, w_dim]
    synthesis: nn.Module  # w [B, w_dim] or w+ [B, n_styles, w_dim] -> image [B, 3, R, R], about [-1, 1]


def tune_cpu_allocator() -> None:
    """Keep glibc from returning every large buffer to the OS after each op.

    Synthesis at 1024² allocates many >32 MB activations; by default glibc mmaps and unmaps each one,
    which costs ~450k page faults per image and as much system time as compute. Same effect as
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>, applied at run time. The heap then never shrinks on
    its own: call `release_cpu_memory` once a burst of exact renders is over.
    """
    if not sys.platform.startswith("linux") or os.environ.get("OHLORA_KEEP_MALLOC"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_max = -1, -4
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, 1 << 30)


def release_cpu_memory() -> None:
    """Give the heap's free memory back to the system (glibc's `malloc_trim(0)`).

    With `tune_cpu_allocator`'s settings the heap keeps whatever synthesis and other big temporaries once
    needed (one 1024² pass leaves ~0.4 GB) and never shrinks below it. A lower trim threshold would bring the
    page faults back in the middle of a pass; trimming once after a burst of exact renders costs one
    re-fault of the working set at the next pass and nothing to frames of the atlas path.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # another C library (musl): nothing to trim this way
        pass


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but torch sees no CUDA device; use --device cpu")
    return dev


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
           "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def parse_dtype(name: str | torch.dtype) -> torch.dtype:
    if isinstance(name, torch.dtype):
        return name
    if name not in _DTYPES:
        raise ValueError(f"unknown dtype '{name}'; use one of float32, float16, bfloat16")
    return _DTYPES[name]


def z_from_seed(seed: int, w_dim: int = 512) -> torch.Tensor:
    """The latent z for a seed: the same face for the same seed on every machine."""
    return torch.from_numpy(np.random.RandomState(seed).randn(1, w_dim).astype(np.float32))


class FaceGenerator:
    """A backend on a device, with truncation around its mean w.

    mapping runs in fp32 (it is tiny); synthesis in `dtype` (fp16/bf16 only on CUDA).
    """

    def __init__(self, backend: Backend, w_avg: torch.Tensor, device: str | torch.device = "auto",
                 dtype: str | torch.dtype = "float32", name: str = "generator"):
        self.device = pick_device(device) if isinstance(device, str) else device
        self.dtype = parse_dtype(dtype)
        if self.device.type == "cpu" and self.dtype != torch.float32:
            raise ValueError("half precision synthesis needs CUDA; on CPU use float32")
        if self.device.type == "cpu":
            tune_cpu_allocator()
        self.name = name
        self.backend = backend
        self.w_dim = backend.w_dim
        self.resolution = backend.resolution
        self.n_styles = int(getattr(backend, "n_styles", 1))
        self.style_resolutions = tuple(getattr(backend, "style_resolutions", (backend.resolution,)))
        self._mapping = backend.mapping.to(self.device).eval()
        self._synthesis = backend.synthesis.to(self.device, self.dtype).eval()
        if self.device.type == "cpu" and getattr(backend, "channels_last_on_cpu", False):
            # NHWC keeps the dominant 1x1 convolutions as plain matrix products on CPU.
            self._synthesis = self._synthesis.to(memory_format=torch.channels_last)
        self.w_avg = w_avg.to(self.device, torch.float32).reshape(1, self.w_dim)

    @torch.inference_mode()
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z [B, w_dim] -> w [B, w_dim] (fp32, on this generator's device)."""
        return self._mapping(z.to(self.device, torch.float32))

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """Pull w toward the mean face: w_avg + psi (w - w_avg). psi=1 leaves w as it is."""
        return self.w_avg + psi * (w.to(self.device, torch.float32) - self.w_avg)

    @torch.inference_mode()
    def synthesize(self, w: torch.Tensor) -> torch.Tensor:
        """w [B, w_dim] or w+ [B, n_styles, w_dim] -> images [B, 3, R, R] in about [-1, 1], in this
        generator's dtype."""
        plain = w.ndim == 2 and w.shape[1] == self.w_dim
        per_layer = w.ndim == 3 and w.shape[1:] == (self.n_styles, self.w_dim)
        if not (plain or per_layer):
            raise ValueError(f"synthesize expects w [B, {self.w_dim}] or w+ [B, {self.n_styles}, {self.w_dim}], "
                             f"got {tuple(w.shape)}")
        w = w.to(self.device, self.dtype)
        if self.device.type == "cpu" and w.shape[0] > 1:
            # On CPU a 1024² pass is memory-bound: one sample at a time keeps activations in cache and
            # measured about 1.9x faster per frame than the batched pass at batch 4 (docs/benchmarks.md).
            return torch.cat([self._synthesis(w[i:i + 1]) for i in range(w.shape[0])])
        return self._synthesis(w)

    def w_from_seeds(self, seeds: list[int], psi: float = 0.7) -> torch.Tensor:
        z = torch.cat([z_from_seed(s, self.w_dim) for s in seeds])
        return self.truncate(self.mapping(z), psi)


@torch.inference_mode()
def mean_w(mapping: nn.Module, w_dim: int, samples: int = W_AVG_SAMPLES, seed: int = W_AVG_SEED) -> torch.Tensor:
    """The mean of w over `samples` standard-normal z (fixed seed, so the result is reproducible)."""
    g = torch.Generator().manual_seed(seed)
    total = torch.zeros(w_dim, dtype=torch.float64)
    done = 0
    while done < samples:
        n = min(8192, samples - done)
        total += mapping(torch.randn(n, w_dim, generator=g)).double().sum(0)
        done += n
    return (total / samples).float()


def _cached_w_avg(folder: Path, backend: Backend) -> torch.Tensor:
    from safetensors.torch import load_file, save_file

    path = folder / "w_avg.safetensors"
    if path.exists():
        return load_file(str(path))["w_avg"]
    w_avg = mean_w(backend.mapping, backend.w_dim)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    save_file({"w_avg": w_avg}, str(tmp), metadata={"samples": str(W_AVG_SAMPLES), "seed": str(W_AVG_SEED)})
    tmp.replace(path)
    return w_avg


def load_generator(source: str = "mobilestylegan", device: str | torch.device = "auto",
                   dtype: str | torch.dtype = "float32") -> FaceGenerator:
    """Load a face generator.

    source: "mobilestylegan" (the embedded default, prepared by `ohlora weights prepare`) or the path of
    a rosinality-format StyleGAN2 checkpoint (`.pt` with a `g_ema` state dict).
    """
    if source == "mobilestylegan":
        from safetensors.torch import load_file

        from render.mobilestylegan import MobileStyleGAN
        from weights import prepared_path

        folder = prepared_path("mobilestylegan")
        model = MobileStyleGAN()
        model.load_state_dict(load_file(str(folder / "mobilestylegan.safetensors")), strict=True)
        backend = _MobileStyleGANBackend(model)
        return FaceGenerator(backend, _cached_w_avg(folder, backend), device, dtype, name="mobilestylegan")
    path = Path(source)
    if path.suffix in (".pt", ".pth") and path.exists():
        from render.stylegan2 import load_rosinality_checkpoint

        backend, w_avg = load_rosinality_checkpoint(path)
        if w_avg is None:
            w_avg = mean_w(backend.mapping, backend.w_dim, samples=20_000)
        return FaceGenerator(backend, w_avg, device, dtype, name=path.name)
    raise ValueError(f"unknown generator '{source}': use 'mobilestylegan' or the path of a StyleGAN2 .pt file")


class _MobileStyleGANBackend:
    channels_last_on_cpu = True

    def __init__(self, model: nn.Module):
        self.mapping = model.mapping
        self.synthesis = model.synthesis
        self.w_dim = model.cfg.style_dim
        self.resolution = model.cfg.resolution
        self.n_styles = model.cfg.n_styles
        self.style_resolutions = model.cfg.style_resolutions()
