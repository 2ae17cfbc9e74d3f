"""Gemma 3 text decoder for serving: one shared base, the role adapters as LoRA side matmuls, and one forward
pass over many sequences at once.

What `ohlora serve` decodes with (training stays on transformers + peft, `dialogue.training.lora`). Read top to
bottom it is the whole network:

    x = embed(ids) · √hidden
    per layer:  x += post_attn_norm(attention(input_norm(x)))       q, k normed per head, then rotated
                x += post_ff_norm(down(gelu_tanh(gate(h)) · up(h)))  h = pre_ff_norm(x)
    logits = final_norm(x) @ embedᵀ  (tied; here only the rows of the persona vocabulary)

Local layers attend to the last `window` positions, global ones to everything; the two kinds rotate with
different bases. RMSNorm scales by (1 + w), as Gemma does.

Why this shape and not transformers' model:
- **Bytes per token.** Decoding on a CPU is bound by memory traffic. The linear layers are fp16-packed
  (fbgemm, `dialogue.packed_weights`) and q/k/v and gate/up are fused, so a token reads ~200 MB of layer
  weights once. The 262k-row embedding table stays fp32 in the weights file and is read a row per token, so
  it costs no resident memory and no conversion; the LM head is a packed copy of the persona vocabulary's rows.
- **One base for every role.** The answer's LoRA is merged into the base (answers are what a user waits
  for); every other role runs its difference from it beside the base weight as two small matmuls (x Aᵀ Bᵀ,
  the scale folded into B) instead of a copy of the model per role: the memory of one model, and any mix of
  roles can share a forward pass.
- **Many sequences per pass.** `forward` takes the new tokens of several sequences (a prompt being read, or
  one token of an answer being written) and runs every linear layer once on all of them; only attention is
  per sequence. Several chat sessions therefore decode for roughly the price of one
  (`dialogue.llm.InProcessLLM` schedules them).
- **Few ops per token.** Around its four GEMMs a layer has ~35 small ops (norms, rotation, cache write,
  attention, gelu, residuals), each a few µs of dispatch for a few hundred floats of work. One sequence's next
  token, the step a lone user waits on, runs them as three fused C++ calls (`dialogue/decode_step.cpp`, built
  once by the set-up); the plain torch path below computes the same and serves every other step.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from dialogue.packed_weights import PackedLinear, fp16_packing_available
from dialogue.weight_files import EmbeddingFile

# peft's module names for the seven projections, grouped by the fused linear layer they feed
FUSED = {"qkv": ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
         "o": ("self_attn.o_proj",),
         "gate_up": ("mlp.gate_proj", "mlp.up_proj"),
         "down": ("mlp.down_proj",)}


@dataclass(frozen=True)
class GemmaConfig:
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    window: int
    sliding: tuple[bool, ...]      # per layer: local (sliding-window) attention
    rope_local: float
    rope_global: float
    eps: float
    query_scale: float             # 1 / √query_pre_attn_scalar

    @classmethod
    def from_dict(cls, c: dict) -> GemmaConfig:
        """From a transformers `config.json` of a Gemma 3 text model."""
        if c.get("model_type") not in ("gemma3_text", None):
            raise ValueError(f"not a Gemma 3 text model: model_type {c.get('model_type')!r}")
        rope = c.get("rope_parameters") or {}
        for kind in ("sliding_attention", "full_attention"):
            if rope.get(kind, {}).get("rope_type", "default") != "default":
                raise ValueError(f"rope type {rope[kind]['rope_type']!r} is not supported (only 'default')")
        n = c["num_hidden_layers"]
        types = c.get("layer_types") or ["sliding_attention"] * n
        return cls(vocab_size=c["vocab_size"], hidden=c["hidden_size"], layers=n, heads=c["num_attention_heads"],
                   kv_heads=c["num_key_value_heads"], head_dim=c["head_dim"], intermediate=c["intermediate_size"],
                   window=c["sliding_window"], sliding=tuple(t == "sliding_attention" for t in types),
                   rope_local=rope.get("sliding_attention", {}).get("rope_theta", c.get("rope_local_base_freq", 1e4)),
                   rope_global=rope.get("full_attention", {}).get("rope_theta", c.get("rope_theta", 1e6)),
                   eps=c["rms_norm_eps"], query_scale=c["query_pre_attn_scalar"] ** -0.5)


class Dense(nn.Module):
    """y = x Wᵀ with W as given (fp32 on a CPU without fbgemm, fp16/bf16 on a GPU)."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.to(self.weight.dtype) @ self.weight.T).to(x.dtype)


@dataclass
class LoRA:
    """One role's low-rank update of one fused linear layer: y += (x Aᵀ) Bᵀ, B already scaled."""

    a: torch.Tensor  # [rank total, in]
    b: torch.Tensor  # [out, rank total]; block-diagonal over the fused projections


@dataclass
class DecoderLayer:
    input_norm: torch.Tensor        # (1 + w) of each RMSNorm
    post_attn_norm: torch.Tensor
    pre_ff_norm: torch.Tensor
    post_ff_norm: torch.Tensor
    qk_norm: torch.Tensor           # [heads + kv_heads, head_dim]: q_norm's (1 + w)·query scale per query head, then k_norm's
    linear: dict[str, nn.Module]    # "qkv", "o", "gate_up", "down"
    # role (None: the bare base) -> fused name -> LoRA beside the base weights; none for the merged role
    lora: dict[str | None, dict[str, LoRA]] = field(default_factory=dict)


@dataclass
class KVCache:
    """Keys and values of one sequence for every layer: [layers, capacity, kv_heads, head_dim]; grows by doubling."""

    keys: torch.Tensor
    values: torch.Tensor
    length: int = 0

    @classmethod
    def empty(cls, cfg: GemmaConfig, capacity: int, dtype: torch.dtype, device: torch.device) -> KVCache:
        shape = (cfg.layers, max(capacity, 16), cfg.kv_heads, cfg.head_dim)
        return cls(torch.empty(shape, dtype=dtype, device=device), torch.empty(shape, dtype=dtype, device=device))

    def reserve(self, length: int) -> None:
        if length > self.keys.shape[1]:
            grown = max(length, 2 * self.keys.shape[1])
            for name in ("keys", "values"):
                old = getattr(self, name)
                new = old.new_empty((old.shape[0], grown, *old.shape[2:]))
                new[:, : self.length] = old[:, : self.length]
                setattr(self, name, new)


@dataclass
class SequenceInput:
    """New tokens of one sequence for a forward pass, the cache they extend, and the role that reads them."""

    tokens: list[int]
    cache: KVCache
    role: str | None = None


def rms_norm(x: torch.Tensor, scale: torch.Tensor, eps: float) -> torch.Tensor:
    return nn.functional.rms_norm(x, scale.shape, scale, eps)  # `scale` is Gemma's (1 + w)


def rotate(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding (the half-split form, x·cos + [−x₂, x₁]·sin): x [n, heads, d], cos and sin [n, 1, d],
    the sign of the first half folded into `signed_sin` so that swapping the halves is one flip."""
    n, heads, d = x.shape
    return x * cos + x.view(n, heads, 2, d // 2).flip(2).view(n, heads, d) * signed_sin


class GemmaDecoder:
    """A Gemma 3 text model for inference with role adapters; see the module docstring."""

    def __init__(self, cfg: GemmaConfig, embedding: torch.Tensor | EmbeddingFile, layers: list[DecoderLayer], final_norm: torch.Tensor,
                 roles: frozenset[str], dtype: torch.dtype = torch.float32,
                 device: torch.device | str = "cpu", packed: bool = False) -> None:
        self.cfg, self.embedding, self.layers, self.final_norm = cfg, embedding, layers, final_norm
        self.roles = roles  # the adapters this decoder can run
        self.dtype, self.device, self.packed = dtype, torch.device(device), packed
        self.embed_scale = torch.tensor(cfg.hidden ** 0.5, dtype=torch.float32).item()
        self._rope: dict[bool, tuple[torch.Tensor, torch.Tensor]] = {}
        self._rope_len = 0
        # one sequence's next token through the fused C++ step (dialogue/decode_step.cpp), where it is built
        self._fused = None
        if self.device.type == "cpu" and dtype == torch.float32:
            from dialogue.decode_native import decode_step

            self._fused = decode_step()

    # --- loading --------------------------------------------------------------------------------------

    @classmethod
    def from_files(cls, base_dir: Path, adapters: dict[str, Path] | None = None, *, packed: bool | None = None,
                   device: str = "cpu", dtype: torch.dtype | None = None) -> GemmaDecoder:
        """The transformers folder `base_dir` (config.json, model.safetensors) with peft adapter folders
        (role -> folder holding adapter_config.json and adapter_model.safetensors). `packed` (default:
        wherever available, x86 CPU) packs the linear layers in fp16; elsewhere they stay in `dtype`
        (default fp32 on CPU, bf16 on CUDA)."""
        from safetensors import safe_open

        cfg = GemmaConfig.from_dict(json.loads((Path(base_dir) / "config.json").read_text()))
        weights = Path(base_dir) / "model.safetensors"
        if not weights.exists():
            raise FileNotFoundError(f"{weights} is missing; run `ohlora weights prepare --only gemma3-270m`")
        dev = torch.device(device)
        embedding = EmbeddingFile(weights, "model.embed_tokens.weight")
        if dev.type != "cpu":  # a GPU holds the table (and gathers from it) itself
            embedding = embedding.all_rows().to(dev, dtype or torch.bfloat16)
        loras = {role: _read_adapter(folder) for role, folder in (adapters or {}).items()}
        with safe_open(weights, framework="pt") as f:  # tensors read as the layers are built, not all at once
            decoder = cls.build(cfg, _LazyTensors(f), embedding, loras, packed=packed, device=device, dtype=dtype)
        _release_freed_memory()
        return decoder

    @classmethod
    def from_transformers(cls, model, *, packed: bool | None = None, dtype: torch.dtype | None = None) -> GemmaDecoder:
        """From a transformers Gemma 3 causal LM, or a peft model around one (every loaded adapter becomes a
        role). The tensors are copied: the model can go on training."""
        causal = model.get_base_model() if hasattr(model, "get_base_model") else model
        sd = {k.replace("base_layer.", ""): v.detach() for k, v in causal.state_dict().items() if "lora_" not in k}
        loras = {}
        for role, pc in (getattr(model, "peft_config", None) or {}).items():
            from peft.utils import get_peft_model_state_dict

            loras[role] = (get_peft_model_state_dict(model, adapter_name=role), pc.lora_alpha / pc.r)
        embedding = sd.pop("model.embed_tokens.weight").clone()
        device = str(embedding.device)
        return cls.build(GemmaConfig.from_dict(causal.config.to_dict()), sd, embedding, loras, packed=packed,
                         device=device, dtype=dtype)

    @classmethod
    def build(cls, cfg: GemmaConfig, base: dict[str, torch.Tensor], embedding: torch.Tensor | EmbeddingFile,
              loras: dict[str, tuple[dict[str, torch.Tensor], float]], *, packed: bool | None = None,
              device: str = "cpu", dtype: torch.dtype | None = None, merged: str | None = "answer") -> GemmaDecoder:
        """From a transformers state dict (`model.layers.N.…` names) and peft adapter state dicts with their
        scale (alpha / rank). The `merged` role's LoRA (default: the answer's, the role a user waits
        for) is merged into the base weights, so it decodes with no side matmuls at all; every other role, and
        the bare base (role None), then runs its difference from it as a side LoRA of twice the rank
        (B_r A_r − B_m A_m = [B_r, −B_m] [A_r; A_m]), which is exact."""
        dev = torch.device(device)
        packed = fp16_packing_available(dev) if packed is None else packed
        if packed and not fp16_packing_available(dev):
            raise ValueError(f"fp16-packed weights need an x86 CPU build of torch (device {dev})")
        act = dtype or (torch.float32 if dev.type == "cpu" else torch.bfloat16)
        merged = merged if merged in loras else None

        def linear(weight: torch.Tensor) -> nn.Module:
            return PackedLinear(weight.float()) if packed else Dense(weight.to(dev, act).contiguous())

        def norm(name: str) -> torch.Tensor:
            return (1.0 + base[name].float()).to(dev, act)

        layers = []
        for i in range(cfg.layers):
            p = f"model.layers.{i}."
            side = {role: _fused_lora(sd, i, cfg, scale) for role, (sd, scale) in loras.items()}
            into_base = side.pop(merged, {}) if merged else {}
            fused = {}
            for name, parts in FUSED.items():
                weight = torch.cat([base[p + m + ".weight"] for m in parts]).float()
                if name in into_base:
                    weight = weight + into_base[name].b @ into_base[name].a
                fused[name] = linear(weight)
            layer = DecoderLayer(norm(p + "input_layernorm.weight"), norm(p + "post_attention_layernorm.weight"),
                                 norm(p + "pre_feedforward_layernorm.weight"),
                                 norm(p + "post_feedforward_layernorm.weight"),
                                 # the attention's query scale folded into q's norm (rotation is linear)
                                 torch.cat([(norm(p + "self_attn.q_norm.weight") * cfg.query_scale).expand(cfg.heads, -1),
                                            norm(p + "self_attn.k_norm.weight").expand(cfg.kv_heads, -1)]), fused)
            for role in [*side, *([None] if merged else [])]:  # their difference from the merged base
                own = side.get(role, {})
                layer.lora[role] = {}
                for name in own.keys() | into_base.keys():
                    mine, theirs = own.get(name), into_base.get(name)
                    a = [lora.a for lora in (mine, theirs) if lora is not None]
                    b = ([mine.b] if mine else []) + ([-theirs.b] if theirs else [])
                    layer.lora[role][name] = LoRA(torch.cat(a).to(dev, act).contiguous(),
                                                  torch.cat(b, 1).to(dev, act).contiguous())
            layers.append(layer)
        return cls(cfg, embedding, layers, norm("model.norm.weight"), frozenset(loras), act, dev, packed)

    def head(self, vocab_ids: list[int] | None) -> nn.Module:
        """The tied LM head restricted to `vocab_ids` rows (None: all rows), packed like the layers."""
        if vocab_ids is None:
            rows = self.embedding.all_rows() if isinstance(self.embedding, EmbeddingFile) else self.embedding
        else:
            rows = self.embedding[torch.tensor(vocab_ids, dtype=torch.long)]
        return PackedLinear(rows.float()) if self.packed else Dense(rows.to(self.device, self.dtype).contiguous())

    def new_cache(self, capacity: int) -> KVCache:
        return KVCache.empty(self.cfg, capacity, self.dtype, self.device)

    # --- the forward pass -----------------------------------------------------------------------------

    def _rotation(self, positions: torch.Tensor, sliding: bool) -> tuple[torch.Tensor, torch.Tensor]:
        end = int(positions.max()) + 1
        if end > self._rope_len:  # tables for positions [0, end), doubled to amortize
            self._rope_len = max(2 * end, 256)
            pos = torch.arange(self._rope_len, dtype=torch.float32)
            for local in (True, False):
                base = self.cfg.rope_local if local else self.cfg.rope_global
                d = self.cfg.head_dim
                inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
                angles = torch.outer(pos, inv)
                cos, sin = torch.cat((angles, angles), -1).cos(), torch.cat((-angles.sin(), angles.sin()), -1)
                self._rope[local] = (cos.to(self.device, self.dtype), sin.to(self.device, self.dtype))
        cos, sin = self._rope[sliding]
        return cos[positions][:, None], sin[positions][:, None]

    def _mask(self, start: int, n: int) -> dict[bool, torch.Tensor] | None:
        """For n new tokens after `start` cached ones: which keys (positions 0 … start+n-1) each query row may
        see, for local and global layers; None for a single token (it sees all of its window)."""
        if n == 1:
            return None
        group = self.cfg.heads // self.cfg.kv_heads
        qpos = torch.arange(start, start + n, device=self.device).repeat(group)[:, None]
        kpos = torch.arange(start + n, device=self.device)[None, :]
        causal = kpos <= qpos
        return {False: causal, True: causal & (qpos - kpos < self.cfg.window)}

    def _embed(self, ids: list[int]) -> torch.Tensor:
        return self.embedding[torch.tensor(ids, dtype=torch.long)].to(self.device, self.dtype) * self.embed_scale

    def _window_start(self, start: int, sliding: bool) -> int:
        """The first cache row the query at position `start` attends to."""
        return max(0, start - self.cfg.window + 1) if sliding else 0

    def _project(self, layer: DecoderLayer, name: str, x: torch.Tensor, spans: list[tuple[str | None, int, int]]):
        y = layer.linear[name](x)
        for role, start, end in spans:
            lora = layer.lora.get(role, {}).get(name)
            if lora is not None:
                y[start:end].addmm_(x[start:end] @ lora.a.T, lora.b.T)
        return y

    @torch.inference_mode()
    def forward(self, batch: list[SequenceInput]) -> torch.Tensor:
        """Runs the new tokens of every sequence through the model, appending to their caches; returns the
        final-normed hidden state of each sequence's last new token, [len(batch), hidden]."""
        if self._fused is not None and len(batch) == 1 and len(batch[0].tokens) == 1:
            return self._next_token(batch[0])
        cfg = self.cfg
        order = sorted(range(len(batch)), key=lambda i: batch[i].role or "")  # one row range per role
        seqs = [batch[i] for i in order]
        ids, positions, spans, ranges = [], [], [], []
        row = 0
        for s in seqs:
            if not s.tokens:
                raise ValueError("a sequence in the batch has no new tokens")
            n = len(s.tokens)
            s.cache.reserve(s.cache.length + n)
            ids += s.tokens
            positions.append(torch.arange(s.cache.length, s.cache.length + n))
            ranges.append((row, row + n))
            if spans and spans[-1][0] == s.role:
                spans[-1] = (s.role, spans[-1][1], row + n)
            else:
                spans.append((s.role, row, row + n))
            row += n
        pos = torch.cat(positions).to(self.device)
        x = self._embed(ids)
        q_size = cfg.heads * cfg.head_dim
        group = cfg.heads // cfg.kv_heads
        rotations = {local: self._rotation(pos, local) for local in set(cfg.sliding)}
        masks = [self._mask(s.cache.length, b - a) for s, (a, b) in zip(seqs, ranges)]
        for li, layer in enumerate(self.layers):
            sliding = cfg.sliding[li]
            cos, sin = rotations[sliding]
            h = rms_norm(x, layer.input_norm, cfg.eps)
            qkv = self._project(layer, "qkv", h, spans).view(-1, cfg.heads + 2 * cfg.kv_heads, cfg.head_dim)
            # q and k heads normed (each with its own scale) and rotated together: fewer small ops per layer
            qk = qkv[:, : cfg.heads + cfg.kv_heads]
            qk = rotate(qk * torch.rsqrt(qk.pow(2).mean(-1, keepdim=True) + cfg.eps) * layer.qk_norm, cos, sin)
            q, k, v = qk[:, : cfg.heads], qk[:, cfg.heads:], qkv[:, cfg.heads + cfg.kv_heads:]
            out = torch.empty_like(q)
            for s, (a, b), mask in zip(seqs, ranges, masks):
                start, n = s.cache.length, b - a
                s.cache.keys[li, start:start + n] = k[a:b]
                s.cache.values[li, start:start + n] = v[a:b]
                lo = self._window_start(start, sliding)
                keys = s.cache.keys[li, lo:start + n].transpose(0, 1)      # [kv_heads, L, d]
                values = s.cache.values[li, lo:start + n].transpose(0, 1)
                # the query heads sharing a key/value head are stacked as extra query rows
                query = q[a:b].transpose(0, 1).reshape(cfg.kv_heads, group * n, cfg.head_dim)
                if mask is None:  # one new token: three small ops, no mask
                    attn = torch.softmax(query @ keys.transpose(1, 2), -1) @ values
                else:
                    attn = nn.functional.scaled_dot_product_attention(query, keys, values,
                                                                      attn_mask=mask[sliding][:, lo:], scale=1.0)
                out[a:b] = attn.view(cfg.kv_heads, group, n, cfg.head_dim).permute(2, 0, 1, 3).reshape(n, cfg.heads, cfg.head_dim)
            o = self._project(layer, "o", out.reshape(-1, q_size), spans)
            x = x + rms_norm(o, layer.post_attn_norm, cfg.eps)
            h = rms_norm(x, layer.pre_ff_norm, cfg.eps)
            gate, up = self._project(layer, "gate_up", h, spans).chunk(2, -1)
            down = self._project(layer, "down", nn.functional.gelu(gate, approximate="tanh") * up, spans)
            x = x + rms_norm(down, layer.post_ff_norm, cfg.eps)
        for s, (a, b) in zip(seqs, ranges):
            s.cache.length += b - a
        last = torch.tensor([b - 1 for _, b in ranges], device=self.device)
        hidden = rms_norm(x[last], self.final_norm, cfg.eps)
        result = torch.empty_like(hidden)
        result[torch.tensor(order, device=self.device)] = hidden  # back to the caller's order
        return result

    def _next_token(self, s: SequenceInput) -> torch.Tensor:
        """`forward` for one sequence's single new token: the same computation, with each layer's small ops
        fused into three C++ calls around its four GEMMs. Returns [1, hidden]."""
        cfg, fused, spans = self.cfg, self._fused, [(s.role, 0, 1)]
        start = s.cache.length
        s.cache.reserve(start + 1)
        x = self._embed(s.tokens)  # a fresh tensor: the fused calls add to it in place
        position = torch.tensor([start])
        rotations = {local: tuple(t.reshape(-1).contiguous() for t in self._rotation(position, local))
                     for local in set(cfg.sliding)}
        h = rms_norm(x, self.layers[0].input_norm, cfg.eps)
        for li, layer in enumerate(self.layers):
            sliding = cfg.sliding[li]
            cos, sin = rotations[sliding]
            lo = self._window_start(start, sliding)
            qkv = self._project(layer, "qkv", h, spans)
            attn = fused.attend(qkv, layer.qk_norm, cos, sin, s.cache.keys[li], s.cache.values[li], start, lo,
                                cfg.heads, cfg.kv_heads, cfg.eps)
            o = self._project(layer, "o", attn, spans)
            h = fused.residual_norm(x, o, layer.post_attn_norm, layer.pre_ff_norm, cfg.eps)
            down = self._project(layer, "down", fused.gelu_gate(self._project(layer, "gate_up", h, spans)), spans)
            after = self.layers[li + 1].input_norm if li + 1 < len(self.layers) else self.final_norm
            h = fused.residual_norm(x, down, layer.post_ff_norm, after, cfg.eps)
        s.cache.length += 1
        return h


def _release_freed_memory() -> None:
    """Hand the fp32 tensors the build read and merged (~130 MB the heap would keep) back to the system."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


class _LazyTensors(dict):
    """name -> tensor of an open safetensors file, read on access."""

    def __init__(self, handle) -> None:
        super().__init__()
        self._handle = handle

    def __missing__(self, name: str) -> torch.Tensor:
        return self._handle.get_tensor(name)


def _read_adapter(folder: Path) -> tuple[dict[str, torch.Tensor], float]:
    from safetensors.torch import load_file

    config = json.loads((Path(folder) / "adapter_config.json").read_text())
    if config.get("use_dora") or config.get("use_rslora"):
        raise ValueError(f"{folder}: DoRA / rsLoRA adapters are not supported by the serving decoder")
    return load_file(Path(folder) / "adapter_model.safetensors"), config["lora_alpha"] / config["r"]


def _fused_lora(sd: dict[str, torch.Tensor], layer: int, cfg: GemmaConfig, scale: float) -> dict[str, LoRA]:
    """A role's LoRA of layer `layer`, fused like the linear layers (A stacked, B block-diagonal), fp32."""
    fused = {}
    for name, parts in FUSED.items():
        a_parts, b_blocks = [], []
        for m in parts:
            key = f"model.layers.{layer}.{m}"
            a = next((v for k, v in sd.items() if k.endswith(key + ".lora_A.weight")), None)
            if a is None:
                continue
            b = next(v for k, v in sd.items() if k.endswith(key + ".lora_B.weight"))
            a_parts.append((m, a.float()))
            b_blocks.append((m, b.float() * scale))
        if not a_parts:
            continue
        outs = [_out_features(cfg, m) for m in parts]
        rank_total = sum(a.shape[0] for _, a in a_parts)
        b_full = torch.zeros(sum(outs), rank_total)
        col = 0
        for m, b in b_blocks:
            row = sum(outs[: parts.index(m)])
            b_full[row:row + b.shape[0], col:col + b.shape[1]] = b
            col += b.shape[1]
        fused[name] = LoRA(torch.cat([a for _, a in a_parts]), b_full)
    return fused


def _out_features(cfg: GemmaConfig, projection: str) -> int:
    return {"q_proj": cfg.heads * cfg.head_dim, "k_proj": cfg.kv_heads * cfg.head_dim,
            "v_proj": cfg.kv_heads * cfg.head_dim, "o_proj": cfg.hidden, "gate_proj": cfg.intermediate,
            "up_proj": cfg.intermediate, "down_proj": cfg.hidden}[projection.rpartition(".")[2]]


__all__ = ["GemmaConfig", "GemmaDecoder", "KVCache", "SequenceInput"]
