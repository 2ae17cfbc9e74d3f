"""fp16-packed linear layers for CPU inference: the LLM's (`dialogue.decoder`), and the sentence encoder's and
classifiers' BERT layers.

Decoding one token reads every layer weight once, so on a CPU it is bound by memory bandwidth: fp32 layers of
Gemma 3 270M are ~400 MB a token. fbgemm's fp16 weight-packed GEMM (fp32 activations, fp16 weights, fp32
accumulation) halves the bytes and its packed layout decodes 2.4x faster than fp32 sgemm on an AVX2 host,
with a relative error of ~2e-4 per layer; docs/benchmarks.md compares it with the int8 and int4 kernels.

The e5 encoder's weights come from Q4_0 blocks with fp16 scales and the classifiers' are stored in float16,
so fp16 packing loses ~nothing there.
"""
from __future__ import annotations

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
