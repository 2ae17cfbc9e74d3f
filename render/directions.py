"""Expression directions in w space: the controls that open the eyes, open the mouth, turn the head.

A control value c moves a face's latent by c * vector: w' = w + sum_k c_k d_k. Control 0 is the face as
it is; positive values raise the control's measured score (eyes: more open, mouth: more open, yaw: the
face turns toward the image's left side, i.e. the person's right). What 1.0 means is fixed when the
directions are fitted (`meta["unit"]`): for the committed MobileStyleGAN directions 1.0 moves w by 3
standard deviations of the sampled faces' w along the direction — a strong but clean edit (roughly: eyes
from half-closed to wide open over -1…1, the mouth from closed to an open smile, the head by about 30°
each way for yaw); `meta["score_std"]` and docs/expression-directions.md give the measured sizes. `ranges` holds the usable interval of each control (measured by `ohlora vectors
eval`), and `apply` clamps to it.

The file format is a safetensors file with one tensor `vectors` [K, w_dim] and a JSON `meta` entry in its
metadata (names, ranges, method, provenance). `ohlora vectors find` writes it; see render/vectors/.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

DIRECTIONS_DIR = Path(__file__).resolve().parent.parent / "weights" / "directions"


@dataclass
class ExpressionDirections:
    """K named controls: `vectors[k]` is the w offset of control `names[k]` at value 1.0."""

    names: tuple[str, ...]
    vectors: torch.Tensor  # [K, w_dim], float32
    ranges: dict[str, tuple[float, float]]
    meta: dict = field(default_factory=dict)

    def index(self, name: str) -> int:
        """Row of a control in `vectors` (ValueError naming the known controls for an unknown one)."""
        if name not in self.names:
            raise ValueError(f"unknown control '{name}'; known: {', '.join(self.names)}")
        return self.names.index(name)

    def controls_tensor(self, controls: dict[str, float]) -> torch.Tensor:
        """{'eyes': 1.0, …} -> [K] tensor in `names` order (missing controls are 0), clamped to ranges."""
        out = torch.zeros(len(self.names))
        for name, value in controls.items():
            out[self.index(name)] = float(value)
        return self.clamp(out)

    def clamp(self, controls: torch.Tensor) -> torch.Tensor:
        lo = torch.tensor([self.ranges[n][0] for n in self.names], dtype=controls.dtype, device=controls.device)
        hi = torch.tensor([self.ranges[n][1] for n in self.names], dtype=controls.dtype, device=controls.device)
        return torch.maximum(torch.minimum(controls, hi), lo)

    def apply(self, w: torch.Tensor, controls: torch.Tensor) -> torch.Tensor:
        """w [B, D] (or [D]) plus controls [B, K] @ vectors -> [B, D]; controls are clamped to ranges."""
        c = self.clamp(controls.to(w.device, torch.float32))
        if c.ndim == 1:
            c = c[None]
        return w.reshape(-1, w.shape[-1]) + c @ self.vectors.to(w.device, torch.float32)

    def save(self, path: Path) -> None:
        """Write the safetensors file (atomically); `load_directions(path=...)` reads it back."""
        from safetensors.torch import save_file

        meta = dict(self.meta, names=list(self.names), ranges={k: list(v) for k, v in self.ranges.items()})
        tmp = path.with_suffix(".tmp")
        save_file({"vectors": self.vectors.float().contiguous()}, str(tmp), metadata={"meta": json.dumps(meta)})
        tmp.replace(path)


def load_directions(generator: str = "mobilestylegan", path: Path | None = None) -> ExpressionDirections:
    """The committed directions for a generator (weights/directions/<generator>.safetensors) or a file."""
    from safetensors import safe_open

    path = path or DIRECTIONS_DIR / f"{generator}.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"no expression directions at {path}; build them with `ohlora vectors find`")
    with safe_open(str(path), "pt") as f:
        vectors = f.get_tensor("vectors")
        meta = json.loads(f.metadata()["meta"])
    names = tuple(meta.pop("names"))
    ranges = {k: (float(v[0]), float(v[1])) for k, v in meta.pop("ranges").items()}
    if vectors.shape[0] != len(names):
        raise ValueError(f"{path}: {vectors.shape[0]} vectors for {len(names)} names")
    return ExpressionDirections(names, vectors.float(), ranges, meta)
