"""fp16-packed copies of the LLM's linear layers for CPU decoding, one per role with its LoRA merged in.

Decoding one token reads every layer weight once, so on a CPU it is bound by memory bandwidth: fp32 layers of
Gemma 3 270M are ~400 MB a token. fbgemm's fp16 weight-packed GEMM (fp32 activations, fp16 weights, fp32
accumulation) halves the bytes and its packed layout decodes 2.4x faster than fp32 sgemm on an AVX2 host,
with a relative error of ~2e-4 per layer (int8 dynamic quantization was 3x faster but ~1e-2: activations
are quantized too). Merging the LoRA into the packed weights also removes the per-answer merge/unmerge.

Copies share everything but the linear layers (embedding, norms, rotary buffers) with the original model; a
layer a role does not adapt shares one packed base weight across roles.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator

import torch
from torch import nn


def fp16_packing_available(device: torch.device) -> bool:
    """fbgemm's packed fp16 kernels exist on x86 CPU builds of torch; elsewhere keep the fp32 path."""
    return device.type == "cpu" and any(e in torch.backends.quantized.supported_engines for e in ("fbgemm", "x86"))


class PackedLinear(nn.Module):
    """y = x Wᵀ + b with W held fp16-packed for fbgemm; inference only."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        bias = None if bias is None else bias.detach().float().contiguous()
        self.packed = torch.ops.quantized.linear_prepack_fp16(weight.detach().float().contiguous(), bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic_fp16(x, self.packed)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, fp16-packed"


def _linears(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """(qualified name, module) for every plain Linear or LoRA-wrapped Linear, not descending into the latter."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if hasattr(child, "base_layer") and hasattr(child, "lora_A"):
            yield path, child
        elif isinstance(child, nn.Linear):
            yield path, child
        else:
            yield from _linears(child, path + ".")


def _weight_for(module: nn.Module, role: str | None) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """(weight with `role`'s LoRA merged in, bias, whether the role adapts this layer)."""
    if not hasattr(module, "lora_A"):
        return module.weight, module.bias, False
    base = module.base_layer
    if getattr(module, "merged", False):
        raise RuntimeError("pack role weights from the unmerged model (an adapter is merged into the base)")
    if role is not None and role in module.lora_A:
        return base.weight + module.get_delta_weight(role), base.bias, True
    return base.weight, base.bias, False


class PackedRoleModels:
    """One fp16-packed copy of the text model per role (None: the bare base), built on first use."""

    def __init__(self, text_model: nn.Module) -> None:
        self.text_model = text_model
        self._models: dict[str | None, nn.Module] = {}
        self._base: dict[str, PackedLinear] = {}  # shared by every role that leaves the layer as it is

    def get(self, role: str | None) -> nn.Module:
        if role not in self._models:
            self._models[role] = self._build(role)
        return self._models[role]

    @torch.inference_mode()
    def _build(self, role: str | None) -> nn.Module:
        original = self.text_model
        # Copy the module tree only: every parameter and buffer is shared through the deepcopy memo.
        memo = {id(t): t for t in (*original.parameters(), *original.buffers())}
        clone = copy.deepcopy(original, memo)
        for path, module in list(_linears(original)):
            weight, bias, adapted = _weight_for(module, role)
            if adapted:
                packed = PackedLinear(weight, bias)
            else:
                if path not in self._base:
                    self._base[path] = PackedLinear(weight, bias)
                packed = self._base[path]
            parent_path, _, name = path.rpartition(".")
            parent = clone.get_submodule(parent_path) if parent_path else clone
            setattr(parent, name, packed)
        return clone.eval()
