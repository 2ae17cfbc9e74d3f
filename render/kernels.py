"""Triton kernels for the hot elementwise steps of the exact (CUDA) path, each beside its torch reference.

- `compose_latents`: w = w_avg + ψ (w_face[i] − w_avg) + Σ_k c_k d_k for a batch mixing many faces and
  control vectors, in one pass over [B, D] (torch needs a gather, a matmul and two axpys).
- `frames_to_uint8`: the generator's [B, 3, H, W] float output → [B, H/f, W/f, 3] uint8 RGB: f×f area
  downscale, clamp to [−1, 1], scale to 0..255, round, NCHW → NHWC, in one read of the float frames.

The kernels are defined on first use, so `TRITON_INTERPRET=1` set before that runs them on CPU tensors
(how the tests compare them with the references). `use_triton(device)` says whether to take them: on
CUDA only, and only where a one-time measurement found them faster than the torch path.
"""
from __future__ import annotations

import functools
import os
import time

import torch
import torch.nn.functional as F


# ---- torch references ----------------------------------------------------------------------------------
def compose_latents_torch(w_faces: torch.Tensor, face_index: torch.Tensor, controls: torch.Tensor,
                          vectors: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
    """w_faces [S, D], face_index [B], controls [B, K], vectors [K, D], w_avg [D] -> w [B, D]."""
    w = w_faces.index_select(0, face_index)
    w_avg = w_avg.reshape(1, -1)
    return w_avg + psi * (w - w_avg) + controls @ vectors


def frames_to_uint8_torch(images: torch.Tensor, factor: int = 1) -> torch.Tensor:
    """[B, 3, H, W] float in about [-1, 1] -> [B, H/factor, W/factor, 3] uint8 (round half up)."""
    x = images.float()
    if factor > 1:
        x = F.avg_pool2d(x, factor)
    x = torch.floor((x.clamp(-1.0, 1.0) + 1.0) * 127.5 + 0.5)
    return x.to(torch.uint8).permute(0, 2, 3, 1).contiguous()


# ---- Triton --------------------------------------------------------------------------------------------
def triton_available() -> bool:
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _kernels():
    import triton
    import triton.language as tl

    @triton.jit
    def compose_kernel(out_ptr, faces_ptr, index_ptr, controls_ptr, vectors_ptr, avg_ptr, psi, D, K,
                       BLOCK_D: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.program_id(1) * BLOCK_D + tl.arange(0, BLOCK_D)
        mask = cols < D
        face = tl.load(index_ptr + row)
        avg = tl.load(avg_ptr + cols, mask=mask, other=0.0)
        acc = avg + psi * (tl.load(faces_ptr + face * D + cols, mask=mask, other=0.0) - avg)
        for k in range(0, K):
            c = tl.load(controls_ptr + row * K + k)
            acc += c * tl.load(vectors_ptr + k * D + cols, mask=mask, other=0.0)
        tl.store(out_ptr + row * D + cols, acc, mask=mask)

    @triton.jit
    def to_uint8_kernel(out_ptr, in_ptr, H, W, OH, OW, FACTOR: tl.constexpr, BLOCK: tl.constexpr):
        b = tl.program_id(0)
        pix = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)  # output pixel index in [0, OH*OW)
        mask = pix < OH * OW
        oy = pix // OW
        ox = pix % OW
        plane = H * W
        for ch in range(3):
            acc = tl.zeros([BLOCK], dtype=tl.float32)
            base = in_ptr + (b * 3 + ch) * plane
            for dy in range(FACTOR):
                for dx in range(FACTOR):
                    y = oy * FACTOR + dy
                    x = ox * FACTOR + dx
                    acc += tl.load(base + y * W + x, mask=mask, other=0.0).to(tl.float32)
            v = acc / (FACTOR * FACTOR)
            v = tl.minimum(tl.maximum(v, -1.0), 1.0)
            v = tl.floor((v + 1.0) * 127.5 + 0.5)
            tl.store(out_ptr + (b * OH * OW + pix) * 3 + ch, v.to(tl.uint8), mask=mask)

    return compose_kernel, to_uint8_kernel


def compose_latents_triton(w_faces: torch.Tensor, face_index: torch.Tensor, controls: torch.Tensor,
                           vectors: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
    """Same as `compose_latents_torch`, as one Triton kernel."""
    compose_kernel, _ = _kernels()
    w_faces, vectors = w_faces.float().contiguous(), vectors.float().contiguous()
    controls, w_avg = controls.float().contiguous(), w_avg.float().reshape(-1).contiguous()
    face_index = face_index.to(torch.int64).contiguous()
    b, k = controls.shape
    d = w_faces.shape[1]
    if vectors.shape != (k, d) or w_avg.numel() != d or face_index.numel() != b:
        raise ValueError("compose_latents: shapes disagree (faces [S,D], index [B], controls [B,K], vectors [K,D])")
    out = torch.empty(b, d, device=w_faces.device, dtype=torch.float32)
    block = 128
    compose_kernel[(b, (d + block - 1) // block)](out, w_faces, face_index, controls, vectors, w_avg,
                                                  float(psi), d, k, BLOCK_D=block)
    return out


def frames_to_uint8_triton(images: torch.Tensor, factor: int = 1) -> torch.Tensor:
    """Same as `frames_to_uint8_torch`, as one Triton kernel."""
    _, to_uint8_kernel = _kernels()
    images = images.contiguous()
    b, c, h, w = images.shape
    if c != 3 or h % factor or w % factor:
        raise ValueError(f"frames_to_uint8: need [B, 3, H, W] with H, W divisible by {factor}, got {tuple(images.shape)}")
    oh, ow = h // factor, w // factor
    out = torch.empty(b, oh, ow, 3, device=images.device, dtype=torch.uint8)
    block = 256
    to_uint8_kernel[(b, (oh * ow + block - 1) // block)](out, images, h, w, oh, ow, FACTOR=factor, BLOCK=block)
    return out


@functools.cache
def use_triton(device_type: str) -> bool:
    """Take the Triton kernels on this device? CUDA only, and only if they measured faster (once)."""
    if device_type != "cuda" or not triton_available() or os.environ.get("OHLORA_NO_TRITON"):
        return False
    x = torch.randn(8, 3, 1024, 1024, device="cuda")

    def best(fn) -> float:
        fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return min(times)

    return best(lambda: frames_to_uint8_triton(x, 2)) < best(lambda: frames_to_uint8_torch(x, 2))


def compose_latents(*args, **kwargs) -> torch.Tensor:
    w_faces = args[0] if args else kwargs["w_faces"]
    fn = compose_latents_triton if use_triton(w_faces.device.type) else compose_latents_torch
    return fn(*args, **kwargs)


def frames_to_uint8(images: torch.Tensor, factor: int = 1) -> torch.Tensor:
    fn = frames_to_uint8_triton if use_triton(images.device.type) else frames_to_uint8_torch
    return fn(images, factor)
