"""fp16-packed copies of linear layers for CPU inference: the LLM's, one copy per role with its LoRA merged
in, and the sentence encoder's and classifiers' BERT layers.

Decoding one token reads every layer weight once, so on a CPU it is bound by memory bandwidth: fp32 layers of
Gemma 3 270M are ~400 MB a token. fbgemm's fp16 weight-packed GEMM (fp32 activations, fp16 weights, fp32
accumulation) halves the bytes and its packed layout decodes 2.4x faster than fp32 sgemm on an AVX2 host,
with a relative error of ~2e-4 per layer (int8 dynamic quantization was 3x faster but ~1e-2: activations
are quantized too). Merging the LoRA into the packed weights also removes the per-answer merge/unmerge.

Copies share everything but the linear layers (embedding, norms, rotary buffers) with the original model; a
layer a role does not adapt shares one packed base weight across roles. The e5 encoder's weights come from
Q4_0 blocks with fp16 scales and the classifiers' are stored in float16, so fp16 packing loses ~nothing there.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator

import torch
from torch import nn


def fp16_packing_available(device: torch.device) -> bool:
    """fbgemm's packed fp16 kernels exist on x86 CPU builds of torch; elsewhere keep the fp32 path."""
    return device.type == "cpu" and any(e in torch.backends.quantized.supported_engines for e in ("fbgemm", "x86"))


def packing_wanted(packed: bool | None, device: str | torch.device = "cpu") -> bool:
    """A `packed` option resolved: as given, or (None) wherever the packed kernels are available."""
    return fp16_packing_available(torch.device(device)) if packed is None else packed


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


def _replace_linears(original: nn.Module, packed_for) -> nn.Module:
    """A copy of `original` whose linear layers are `packed_for(path, module)`; every parameter and buffer of
    the rest is shared with the original (the deepcopy memo), so only the module tree is copied."""
    memo = {id(t): t for t in (*original.parameters(), *original.buffers())}
    clone = copy.deepcopy(original, memo)
    for path, module in list(_linears(original)):
        parent_path, _, name = path.rpartition(".")
        parent = clone.get_submodule(parent_path) if parent_path else clone
        setattr(parent, name, packed_for(path, module))
    return clone.eval()


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
        def packed_for(path: str, module: nn.Module) -> PackedLinear:
            weight, bias, adapted = _weight_for(module, role)
            if adapted:
                return PackedLinear(weight, bias)
            if path not in self._base:
                self._base[path] = PackedLinear(weight, bias)
            return self._base[path]

        return _replace_linears(self.text_model, packed_for)


class PackedBertLayer(nn.Module):
    """A transformers BertLayer (post-LN, eval mode) with fp16-packed weights and q, k, v fused into one
    GEMM: for the ~16-token messages of a chat, per-op overhead is a large part of a layer's time, so one
    matmul instead of three and no generic attention dispatch matter. Same call as BertLayer:
    `layer(h, attention_mask=additive_mask)` -> h."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        attn = layer.attention.self
        self.heads, self.head_dim = attn.num_attention_heads, attn.attention_head_size
        self.qkv = PackedLinear(torch.cat([attn.query.weight, attn.key.weight, attn.value.weight]),
                                torch.cat([attn.query.bias, attn.key.bias, attn.value.bias]))
        self.attention_out = PackedLinear(layer.attention.output.dense.weight, layer.attention.output.dense.bias)
        self.attention_norm = layer.attention.output.LayerNorm  # shared with the original
        self.ffn_in = PackedLinear(layer.intermediate.dense.weight, layer.intermediate.dense.bias)
        self.activation = layer.intermediate.intermediate_act_fn
        self.ffn_out = PackedLinear(layer.output.dense.weight, layer.output.dense.bias)
        self.ffn_norm = layer.output.LayerNorm
        self.scale = float(getattr(attn, "scaling", self.head_dim ** -0.5))

    def forward(self, h: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, n, d = h.shape
        q, k, v = self.qkv(h).view(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, scale=self.scale)
        h = self.attention_norm(self.attention_out(a.transpose(1, 2).reshape(b, n, d)) + h)
        return self.ffn_norm(self.ffn_out(self.activation(self.ffn_in(h))) + h)


@torch.inference_mode()
def packed_bert_layers(layers: nn.ModuleList) -> nn.ModuleList:
    """Inference copies of transformers BertLayers (PackedBertLayer); the originals are left as they are."""
    return nn.ModuleList(PackedBertLayer(layer) for layer in layers).eval()
