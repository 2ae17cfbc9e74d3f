"""The latent walk: control values → w(t) = w_avg + ψ (w_face − w_avg) + Σ_k c_k(t) d_k, many frames at once,
and exact renders of it (the GPU path, and the keyframes of the CPU atlas). With per-layer directions each
d_k is a w+ offset [n_styles, w_dim] and w(t) is w+."""
from __future__ import annotations

import numpy as np
import torch

from render.directions import ExpressionDirections
from render.generator import FaceGenerator, z_from_seed
from render.kernels import compose_latents, frames_to_uint8, frames_to_uint8_torch


class LatentWalk:
    """Faces (by seed) and expression directions on one generator's device.

    Each face is kept as its raw w; truncation and the control offsets are composed per frame in one
    batched step (a Triton kernel on CUDA), so a batch may mix any faces and any controls.
    """

    def __init__(self, gen: FaceGenerator, directions: ExpressionDirections, psi: float = 0.7):
        if directions.vectors.shape[1] != gen.w_dim:
            raise ValueError(f"directions have {directions.vectors.shape[1]} dims, the generator's w has {gen.w_dim}; "
                             "use directions found for this generator")
        self.gen = gen
        self.directions = directions
        self.names = directions.names
        self.psi = float(psi)
        dev = gen.device
        self.n_styles = directions.n_styles
        if self.n_styles is not None and self.n_styles != gen.n_styles:
            raise ValueError(f"directions act on {self.n_styles} synthesis layers, the generator has {gen.n_styles}")
        # per-layer directions: the walk runs on flattened w+ rows [n_styles * w_dim] (the same kernel)
        vectors = directions.vectors if self.n_styles is None else directions.plus_vectors().flatten(1)
        self.vectors = vectors.to(dev, torch.float32).contiguous()
        self._w_avg = gen.w_avg.reshape(-1).repeat(self.n_styles or 1)
        self.lo = torch.tensor([directions.ranges[n][0] for n in self.names], dtype=torch.float32)
        self.hi = torch.tensor([directions.ranges[n][1] for n in self.names], dtype=torch.float32)
        self._faces: dict[int, int] = {}
        self._w = torch.empty(0, gen.w_dim, device=dev)

    def face(self, seed: int) -> int:
        """Index of the face for a seed (its w is computed once)."""
        if seed not in self._faces:
            w = self.gen.mapping(z_from_seed(seed, self.gen.w_dim))
            self._w = torch.cat([self._w, w.reshape(1, -1)])
            self._faces[seed] = self._w.shape[0] - 1
        return self._faces[seed]

    def w_face(self, seed: int) -> torch.Tensor:
        """The truncated persona latent of a face, without expression offsets: [1, w_dim]."""
        w = self.compose([self.face(seed)], torch.zeros(1, len(self.names)))
        return w if w.ndim == 2 else w[:, 0]

    def clamp(self, controls: torch.Tensor) -> torch.Tensor:
        return torch.maximum(torch.minimum(controls.float().cpu(), self.hi), self.lo)

    def compose(self, face_index: list[int] | torch.Tensor, controls: torch.Tensor | np.ndarray) -> torch.Tensor:
        """face_index [B], controls [B, K] (clamped to the ranges) -> w [B, w_dim] (or w+ [B, n_styles, w_dim]
        for per-layer directions) on the device."""
        c = self.clamp(torch.as_tensor(np.asarray(controls), dtype=torch.float32).reshape(-1, len(self.names)))
        idx = torch.as_tensor(face_index, dtype=torch.int64).reshape(-1)
        dev = self.gen.device
        faces = self._w if self.n_styles is None else self._w.repeat(1, self.n_styles)
        w = compose_latents(faces, idx.to(dev), c.to(dev), self.vectors, self._w_avg, self.psi)
        return w if self.n_styles is None else w.view(-1, self.n_styles, self.gen.w_dim)

    @torch.inference_mode()
    def render(self, face_index: list[int] | torch.Tensor, controls: torch.Tensor | np.ndarray,
               size: int) -> torch.Tensor:
        """Exact frames: [B] faces with [B, K] controls -> uint8 [B, size, size, 3] (on the CPU)."""
        images = self.gen.synthesize(self.compose(face_index, controls))
        return to_size_uint8(images, size).cpu()


def to_size_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Generator output -> uint8 NHWC at `size` (area downscale; fused kernel when it divides evenly)."""
    res = images.shape[-1]
    if size > res:
        raise ValueError(f"size {size} is larger than the generator's {res}")
    if res % size == 0:
        return frames_to_uint8(images, res // size)
    x = torch.nn.functional.interpolate(images.float(), size=(size, size), mode="area")
    return frames_to_uint8_torch(x, 1)
