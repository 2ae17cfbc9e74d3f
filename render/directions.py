"""Expression directions in w space: the controls that open the eyes, open the mouth, turn the head.

A control value c moves a face's latent by c * vector: w' = w + sum_k c_k d_k. Control 0 is the face as
it is; positive values raise the control's measured score (eyes: more open, mouth: more open, yaw: the
face turns toward the image's left side, i.e. the person's right). What 1.0 means is fixed when the
directions are fitted (`meta["unit"]`): for the committed MobileStyleGAN directions 1.0 moves w by 3
standard deviations of the sampled faces' w along the direction — a strong but clean edit (roughly: eyes
from half-closed to wide open over -1…1, the mouth from closed to an open smile, the head by about 30°
each way for yaw); `meta["score_std"]` and docs/expression-directions.md give the measured sizes. `ranges`
holds the usable interval of each control (measured by `ohlora vectors eval`), and `apply` clamps to it.

Per-layer controls: with `layers` [K, n_styles] the offset of control k on synthesis layer l is
c_k * layers[k, l] * d_k, and the result is w+ [B, n_styles, w_dim] (one style per modulated layer). A control
then acts only where its attribute lives (eyes and mouth on the middle layers, not the coarse ones that hold
the face's shape nor the fine ones that hold skin and hair colour), which keeps the person the same.
`layers` = None is the plain w edit.

The file format is a safetensors file with a tensor `vectors` [K, w_dim], optionally `layers` [K, n_styles],
and a JSON `meta` entry in its metadata (names, ranges, method, provenance). `ohlora vectors find` writes
it, `ohlora vectors layers` adds the layer weights; see render/vectors/.
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
    layers: torch.Tensor | None = None  # [K, n_styles] weight of each control on each synthesis layer

    @property
    def speech(self) -> tuple[float, float] | None:
        """The mouth values speech moves between (closed lips, a syllable's opening), from `meta["speech"]`."""
        sp = self.meta.get("speech")
        return None if sp is None else (float(sp["closed"]), float(sp["open"]))

    @property
    def n_styles(self) -> int | None:
        return None if self.layers is None else int(self.layers.shape[1])

    def plus_vectors(self) -> torch.Tensor:
        """The w+ offsets of each control at 1.0: [K, n_styles, w_dim] (needs `layers`)."""
        if self.layers is None:
            raise ValueError("these directions act on w, not per layer (no `layers`)")
        return self.layers.float()[:, :, None] * self.vectors.float()[:, None, :]

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
        """w [B, D] (or [D]) plus the controls [B, K] (clamped to ranges) -> w [B, D], or w+ [B, n_styles, D]
        for per-layer directions."""
        c = self.clamp(controls.to(w.device, torch.float32))
        if c.ndim == 1:
            c = c[None]
        w = w.reshape(-1, w.shape[-1]).float()
        if self.layers is None:
            return w + c @ self.vectors.to(w.device, torch.float32)
        return w[:, None, :] + torch.einsum("bk,kld->bld", c, self.plus_vectors().to(w.device))

    def with_layers(self, layers: torch.Tensor | None, ranges: dict[str, tuple[float, float]] | None = None,
                    meta: dict | None = None) -> "ExpressionDirections":
        """The same vectors acting on the given layers (and, optionally, new ranges and metadata)."""
        if layers is not None and layers.shape[0] != len(self.names):
            raise ValueError(f"layers has {layers.shape[0]} rows for {len(self.names)} controls")
        return ExpressionDirections(self.names, self.vectors, dict(ranges or self.ranges), dict(meta or self.meta),
                                    None if layers is None else layers.float())

    def save(self, path: Path) -> None:
        """Write the safetensors file (atomically); `load_directions(path=...)` reads it back."""
        from safetensors.torch import save_file

        meta = dict(self.meta, names=list(self.names), ranges={k: list(v) for k, v in self.ranges.items()})
        tmp = path.with_suffix(".tmp")
        tensors = {"vectors": self.vectors.float().contiguous()}
        if self.layers is not None:
            tensors["layers"] = self.layers.float().contiguous()
        save_file(tensors, str(tmp), metadata={"meta": json.dumps(meta)})
        tmp.replace(path)


def load_directions(generator: str = "mobilestylegan", path: Path | None = None) -> ExpressionDirections:
    """The committed directions for a generator (weights/directions/<generator>.safetensors) or a file."""
    from safetensors import safe_open

    path = path or DIRECTIONS_DIR / f"{generator}.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"no expression directions at {path}; build them with `ohlora vectors find`")
    with safe_open(str(path), "pt") as f:
        vectors = f.get_tensor("vectors")
        layers = f.get_tensor("layers").float() if "layers" in f.keys() else None
        meta = json.loads(f.metadata()["meta"])
    names = tuple(meta.pop("names"))
    ranges = {k: (float(v[0]), float(v[1])) for k, v in meta.pop("ranges").items()}
    if vectors.shape[0] != len(names):
        raise ValueError(f"{path}: {vectors.shape[0]} vectors for {len(names)} names")
    if layers is not None and layers.shape[0] != len(names):
        raise ValueError(f"{path}: layer weights for {layers.shape[0]} controls, {len(names)} names")
    return ExpressionDirections(names, vectors.float(), ranges, meta, layers)
