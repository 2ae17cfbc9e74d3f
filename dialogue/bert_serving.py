"""The sentence encoder's inference-only parts, loaded without transformers or sentence-transformers.

Serving needs only a BERT's tokenizer, its embedding lookup and fp16-packed layers. Loading the whole
sentence-transformers model instead costs ~0.7 GB resident: the fp32 word-embedding table (250k × 384,
366 MB, of which a chat reads a few rows), fp32 layers beside their packed copies, and ~0.3 GB of imports
(transformers' modelling code pulls in torch._dynamo, triton, sympy; sentence-transformers pulls in
scikit-learn). Here the word table is a read-only memory map of the safetensors file (only the pages of
the rows looked up become resident, shared with the page cache), the layers are packed straight from the
file, and the tokenizer is the `tokenizers` one the prepared folder ships, called the way the encoder
calls a transformers tokenizer. The arithmetic is the same as transformers' BertEmbeddings and the packed
BertLayers, so embeddings are bit-identical to the fully loaded path.
"""
from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dialogue.weight_files import safetensors_memmap

def servable_folder(folder: str | Path) -> bool:
    """Whether `folder` is a local sentence-transformers folder this module serves: a BERT (`model_type`
    bert, GELU) in one model.safetensors, mean pooling, then normalization."""
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text())
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return (config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
            and modules == ["Transformer", "Pooling", "Normalize"]
            and (folder / "model.safetensors").exists() and (folder / "tokenizer.json").exists()
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens")))


def read_config(folder: str | Path) -> types.SimpleNamespace:
    """A BERT folder's config.json as attributes (hidden_size, num_attention_heads, layer_norm_eps, …)."""
    return types.SimpleNamespace(**json.loads((Path(folder) / "config.json").read_text()))


class _Module(nn.Module):
    """A plain container of named submodules."""

    def __init__(container, **children: nn.Module) -> None:  # not `self`: BertAttention has a child "self"
        super().__init__()
        for name, child in children.items():
            setattr(container, name, child)


def bert_layer_weights(config) -> nn.Module:
    """A transformers BertLayer's parameter tree (same state-dict names, no forward), enough to load its
    weights and pack them with `dialogue.packed_weights.packed_bert_layers`; `config` needs hidden_size,
    num_attention_heads, intermediate_size and layer_norm_eps."""
    if getattr(config, "hidden_act", "gelu") != "gelu":
        raise ValueError(f"hidden_act {config.hidden_act!r}: only the erf GELU ('gelu') is supported here")
    d, heads, ff, eps = config.hidden_size, config.num_attention_heads, config.intermediate_size, config.layer_norm_eps
    attn = _Module(query=nn.Linear(d, d), key=nn.Linear(d, d), value=nn.Linear(d, d))
    attn.num_attention_heads, attn.attention_head_size = heads, d // heads
    attn.scaling = attn.attention_head_size ** -0.5
    return _Module(
        attention=_Module(self=attn, output=_Module(dense=nn.Linear(d, d), LayerNorm=nn.LayerNorm(d, eps=eps))),
        intermediate=_Module(dense=nn.Linear(d, ff), intermediate_act_fn=nn.GELU()),  # erf GELU, as "gelu"
        output=_Module(dense=nn.Linear(ff, d), LayerNorm=nn.LayerNorm(d, eps=eps)),
    ).eval()


def as_bert_config(config):
    """A transformers BertConfig from `config` (already one, or `read_config`'s namespace)."""
    from transformers import BertConfig, PretrainedConfig

    return config if isinstance(config, PretrainedConfig) else BertConfig(**vars(config))


@torch.inference_mode()
def packed_layers_from(tensors: Mapping[str, torch.Tensor], prefix: str, count: int, config) -> nn.ModuleList:
    """fp16-packed BertLayers from fp32/fp16 weights named `{prefix}{i}.attention.self.query.weight` …
    (e.g. a safetensors file's lazily read tensors)."""
    from dialogue.packed_weights import packed_bert_layers

    with torch.device("meta"):  # no fp32 parameters are allocated: the given tensors are assigned
        layers = nn.ModuleList(bert_layer_weights(config) for _ in range(count))
    for i, layer in enumerate(layers):
        start = f"{prefix}{i}."
        # matrices are only read by the packing; vectors (biases, norms) are kept, so they are copied off
        # whatever the tensors live in (a memory-mapped file must not stay mapped through them)
        layer.load_state_dict({k[len(start):]: v.float() if v.dim() > 1 else v.float().clone()
                               for k, v in tensors.items() if k.startswith(start)}, assign=True)
    return packed_bert_layers(layers)


class MappedBertEmbeddings(nn.Module):
    """transformers' BertEmbeddings (eval mode, token type 0, positions from 0) over a memory-mapped
    word table: word row + token-type row 0 + position row, then LayerNorm, added in that order."""

    def __init__(self, words: np.ndarray, positions: torch.Tensor, token_types: torch.Tensor,
                 norm_weight: torch.Tensor, norm_bias: torch.Tensor, eps: float) -> None:
        super().__init__()
        self.words = words
        # copies: a view would keep the safetensors file mapped, with every page the loader touched
        self.register_buffer("positions", positions.float().clone(), persistent=False)
        self.register_buffer("token_type", token_types[0].float().clone(), persistent=False)
        self.LayerNorm = nn.LayerNorm(positions.shape[1], eps=eps)
        with torch.no_grad():
            self.LayerNorm.weight.copy_(norm_weight)
            self.LayerNorm.bias.copy_(norm_bias)
        self.requires_grad_(False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        n = input_ids.shape[1]
        words = torch.from_numpy(np.asarray(self.words[input_ids.numpy()], np.float32))
        return self.LayerNorm(words + self.token_type + self.positions[:n])


class ServingTokenizer:
    """A `tokenizers.Tokenizer` called like a transformers tokenizer, for the calls the encoder makes:
    `tok(text)["input_ids"]` and `tok(texts, padding=True, truncation=True, max_length=n, return_tensors="pt")`.
    Truncation drops content tokens from the right before the special tokens are added, and padding goes
    right, as transformers does with this tokenizer. Safe to call from several threads (no per-call state
    is set on the shared Rust tokenizer)."""

    def __init__(self, path: str | Path, pad_token: str, model_max_length: int) -> None:
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_file(str(path))
        self.backend.no_truncation()
        self.backend.no_padding()
        self.pad_token_id = self.backend.token_to_id(pad_token)
        if self.pad_token_id is None:
            raise ValueError(f"{path}: no pad token {pad_token!r}")
        self.model_max_length = model_max_length
        self._specials = self.backend.num_special_tokens_to_add(False)

    def __call__(self, text: str | Sequence[str], padding: bool | str = False, truncation: bool = False,
                 max_length: int | None = None, return_tensors: str | None = None) -> dict:
        """{"input_ids", "attention_mask"} of one text (lists) or a batch (lists of lists, or [batch, n]
        tensors with return_tensors="pt")."""
        if padding not in (False, True, "longest", "do_not_pad"):
            raise ValueError(f"padding={padding!r}: this tokenizer pads to the longest text only")
        single = isinstance(text, str)
        texts = [text] if single else list(text)
        limit = (max_length or self.model_max_length) if truncation else None
        ids = []
        for encoding in self.backend.encode_batch(texts, add_special_tokens=False):
            if limit is not None:
                encoding.truncate(max(limit - self._specials, 0))
            ids.append(self.backend.post_process(encoding, None, True).ids)
        masks = [[1] * len(x) for x in ids]
        if padding in (True, "longest") and ids:
            longest = max(map(len, ids))
            ids = [x + [self.pad_token_id] * (longest - len(x)) for x in ids]
            masks = [m + [0] * (longest - len(m)) for m in masks]
        if return_tensors == "pt":
            return {"input_ids": torch.tensor(ids, dtype=torch.long), "attention_mask": torch.tensor(masks, dtype=torch.long)}
        if return_tensors is not None:
            raise ValueError(f"return_tensors={return_tensors!r}: only 'pt' or None")
        return {"input_ids": ids[0], "attention_mask": masks[0]} if single else {"input_ids": ids, "attention_mask": masks}


class ServingBert:
    """What `SentenceEncoder` needs to serve a prepared BERT folder (`servable_folder`): the tokenizer,
    the memory-mapped embeddings, the fp16-packed layers, the prompts and the maximum sequence length."""

    def __init__(self, folder: str | Path) -> None:
        from safetensors import safe_open

        folder = Path(folder)
        self.config = read_config(folder)
        st_config = _json(folder / "config_sentence_transformers.json")
        self.prompts: dict[str, str] = dict(st_config.get("prompts") or {})
        tok_config = _json(folder / "tokenizer_config.json")
        model_max = int(tok_config.get("model_max_length", self.config.max_position_embeddings))
        self.max_seq_length = int(_json(folder / "sentence_bert_config.json").get("max_seq_length", model_max))
        self.tokenizer = ServingTokenizer(folder / "tokenizer.json", tok_config.get("pad_token", "<pad>"), model_max)
        weights = folder / "model.safetensors"
        with safe_open(str(weights), framework="pt") as f:
            get = lambda name: f.get_tensor(f"embeddings.{name}")  # noqa: E731
            self.embeddings = MappedBertEmbeddings(
                safetensors_memmap(weights, "embeddings.word_embeddings.weight"), get("position_embeddings.weight"),
                get("token_type_embeddings.weight"), get("LayerNorm.weight"), get("LayerNorm.bias"),
                float(self.config.layer_norm_eps))
            layer_tensors = {k: f.get_tensor(k) for k in f.keys() if k.startswith("encoder.layer.")}
        self.layers = packed_layers_from(layer_tensors, "encoder.layer.", int(self.config.num_hidden_layers), self.config)


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except OSError:
        return {}
