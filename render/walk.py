"""The latent walk: control values → w(t) = w_avg + ψ (w_face − w_avg) + Σ_k c_k(t) d_k, many frames at once,
and exact renders of it (the GPU path; `ExactRenders`: the keyframes of the CPU atlas). With per-layer
directions each d_k is a w+ offset [n_styles, w_dim] and w(t) is w+."""
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


class ExactRenders:
    """Exact renders of one face at control vectors, batched, at several sizes (atlas keyframes, and the
    references its error is measured against).

    keep=True remembers every frame by its control vector (an atlas build renders the planning lines once
    and finds them again among the keyframes); `remember` seeds it with frames rendered before.
    """

    def __init__(self, walk: LatentWalk, seed: int, sizes: tuple[int, ...], batch: int = 4, keep: bool = False):
        self.walk, self.face, self.sizes, self.batch = walk, walk.face(seed), sizes, batch
        self.cache: dict[tuple, dict[int, torch.Tensor]] | None = {} if keep else None
        self.rendered = 0  # exact renders so far (cache hits excluded)

    @staticmethod
    def point_key(point: np.ndarray) -> tuple:
        return tuple(np.round(np.asarray(point, np.float64), 9).tolist())

    def remember(self, point: np.ndarray, frames: dict[int, torch.Tensor]) -> None:
        if self.cache is not None:
            self.cache[self.point_key(point)] = frames

    def __call__(self, controls: np.ndarray, desc: str | None = None, bar=None) -> dict[int, torch.Tensor]:
        """Controls [B, K] -> {size: uint8 [B, size, size, 3]}; `desc` shows a progress bar, `bar` advances one."""
        controls = np.asarray(controls, np.float64).reshape(-1, len(self.walk.names))
        todo = list(range(len(controls)))
        if self.cache is not None:
            todo = [i for i in todo if self.point_key(controls[i]) not in self.cache]
            seen: dict[tuple, int] = {}
            todo = [seen.setdefault(self.point_key(controls[i]), i) for i in todo]
            todo = sorted(set(todo))
        got: dict[int, dict[int, torch.Tensor]] = {}
        own = bar is None and desc is not None
        if own:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc=desc, unit="frame", leave=False)
        for i in range(0, len(todo), self.batch):
            rows = todo[i:i + self.batch]
            c = controls[rows]
            with torch.inference_mode():
                images = self.walk.gen.synthesize(self.walk.compose([self.face] * len(c), c))
                frames = {s: to_size_uint8(images, s).cpu() for s in self.sizes}
            for j, r in enumerate(rows):
                got[r] = {s: frames[s][j] for s in self.sizes}
                self.remember(controls[r], got[r])
            self.rendered += len(rows)
            if bar is not None:
                bar.update(len(rows))
        if own:
            bar.close()
        if not len(controls):
            return {s: torch.empty(0, s, s, 3, dtype=torch.uint8) for s in self.sizes}

        def frame(i: int) -> dict[int, torch.Tensor]:
            return got[i] if i in got else self.cache[self.point_key(controls[i])]

        return {s: torch.stack([frame(i)[s] for i in range(len(controls))]) for s in self.sizes}
