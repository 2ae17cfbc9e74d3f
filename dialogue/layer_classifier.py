"""A classifier over the top layers of e5: its own copies of the top K BERT layers plus a linear head.

The frozen encoder's layers below stay shared: a message's hidden states after layer 12 − K come from the
same forward pass that embeds it for memory retrieval (`SentenceEncoder.token_states`), so a classifier
costs K/12 of an encoder pass on top of the embedding. Two input shapes:

- single (ethics, persona question): the message's states → K layers → mean pooling → linear head.
- pair (topic change, the retrieval cross-encoder): the summary's (or memory's) and the message's states,
  each from its own frozen pass, joined into one sequence → K layers with attention across both (a
  cross-encoder over the top layers) → mean of each part u, v → linear head on [u, v, u·v, |u − v|].

Stored as NAME.layers.safetensors (float16; the figures in docs/ are measured on the stored weights) and
NAME.json (labels, temperature, thresholds, how it was made). `dialogue.training.classifier_layers` trains it.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dialogue.encoder import additive_mask, mean_pool

PAIR_FEATURES = 4


def _pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """A list of [n_i, d] tensors -> [b, max n, d] and its 0/1 mask."""
    n = max(s.shape[0] for s in states)
    h = states[0].new_zeros((len(states), n, states[0].shape[1]))
    mask = torch.zeros((len(states), n), dtype=torch.long)
    for i, s in enumerate(states):
        h[i, :s.shape[0]] = s
        mask[i, :s.shape[0]] = 1
    return h, mask


class LayerClassifier(nn.Module):
    """K fine-tuned BERT layers over the frozen encoder's states at `from_layer`, then a linear head."""

    def __init__(self, layers: Sequence[nn.Module], labels: Sequence[str], from_layer: int, pair: bool,
                 temperature: float = 1.0, meta: dict | None = None):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        dim = self.layers[0].output.dense.out_features
        self.head = nn.Linear(dim * (PAIR_FEATURES if pair else 1), len(labels))
        self.labels = tuple(labels)
        self.from_layer = from_layer
        self.pair = pair
        self.temperature = temperature
        self.meta = dict(meta or {})

    def _run(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ext = additive_mask(mask)
        for layer in self.layers:
            h = layer(h, attention_mask=ext)
            h = h[0] if isinstance(h, tuple) else h
        return h

    def logits(self, states: Sequence[torch.Tensor], second: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Unscaled logits [batch, labels]; `second` (pair models): the message states, `states` the summary's."""
        if not self.pair:
            h, mask = _pad(states)
            pooled = mean_pool(self._run(h, mask), mask)
            return self.head(nn.functional.normalize(pooled, dim=-1) * 10)
        if second is None or len(second) != len(states):
            raise ValueError("a pair classifier needs the states of both texts")
        h, mask = _pad([torch.cat([a, b]) for a, b in zip(states, second)])
        part = torch.zeros_like(mask)  # 1 on the message's tokens
        for i, (a, b) in enumerate(zip(states, second)):
            part[i, a.shape[0]:a.shape[0] + b.shape[0]] = 1
        out = self._run(h, mask)
        u = nn.functional.normalize(mean_pool(out, mask * (1 - part)), dim=-1)
        v = nn.functional.normalize(mean_pool(out, part), dim=-1)
        return self.head(torch.cat([u, v, u * v, (u - v).abs()], dim=-1) * 10)

    def predict_proba(self, states, second=None) -> np.ndarray:
        with torch.inference_mode():
            self.eval()
            return torch.softmax(self.logits(states, second) / self.temperature, dim=-1).numpy()

    # ---- storage -----------------------------------------------------------------------------------
    def save(self, path: Path) -> tuple[Path, Path]:
        """`path`.layers.safetensors (float16) and `path`.json (labels, temperature, how it was made)."""
        from safetensors.torch import save_file

        from dialogue.packed_weights import PackedLinear

        if any(isinstance(m, PackedLinear) for m in self.modules()):
            raise RuntimeError("this classifier was loaded for inference (fp16-packed layers); save the one "
                               "`dialogue.training.classifier_layers.train_layer_classifier` returns")

        path.parent.mkdir(parents=True, exist_ok=True)
        weights = path.with_name(path.name + ".layers.safetensors")
        save_file({k: v.detach().to(torch.float16).contiguous() for k, v in self.state_dict().items()}, str(weights))
        config = path.with_suffix(".json")
        config.write_text(json.dumps({"kind": "layers", "labels": list(self.labels), "from_layer": self.from_layer,
                                      "top_layers": len(self.layers), "pair": self.pair,
                                      "temperature": self.temperature, **self.meta}, ensure_ascii=False, indent=1))
        return weights, config

    @classmethod
    def load(cls, path: Path, bert_config, packed: bool | None = None) -> LayerClassifier:
        """The saved classifier, for inference; `packed` (default: on x86 CPU) fp16-packs its layers, which
        are stored in float16 anyway. `bert_config`: the encoder's (`SentenceEncoder.config`)."""
        from safetensors.torch import load_file

        from dialogue.bert_serving import as_bert_config, bert_layer_weights
        from dialogue.packed_weights import packed_bert_layers, packing_wanted

        meta = json.loads(path.with_suffix(".json").read_text())
        tensors = load_file(str(path.with_name(path.name + ".layers.safetensors")))
        count = int(meta.pop("top_layers"))
        pack = packing_wanted(packed)
        if pack:  # only packed copies survive: the fp32 weights are assigned, then packed
            with torch.device("meta"):
                layers = [bert_layer_weights(bert_config) for _ in range(count)]
        else:
            from transformers.models.bert.modeling_bert import BertLayer

            layers = [BertLayer(as_bert_config(bert_config)) for _ in range(count)]
        model = cls(layers, meta.pop("labels"), int(meta.pop("from_layer")), bool(meta.pop("pair")),
                    float(meta.pop("temperature")), {k: v for k, v in meta.items() if k != "kind"})
        model.load_state_dict({k: v.float() for k, v in tensors.items()}, assign=pack)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        if pack:
            model.layers = packed_bert_layers(model.layers)
        return model


class LayerEnsemble:
    """Several `LayerClassifier`s trained alike with different seeds, read as one: the mean of their
    probabilities. The members share the frozen states they start from, so each adds only its own K layers.

    Stored as the first member at NAME (whose NAME.json also holds the ensemble's thresholds and lists the
    others under "members") and the others beside it as NAME-seedS.
    """

    def __init__(self, members: Sequence[LayerClassifier]):
        first = members[0]
        for m in members[1:]:
            if (m.labels, m.from_layer, m.pair) != (first.labels, first.from_layer, first.pair):
                raise ValueError("ensemble members must share labels, input layer and shape")
        self.members = list(members)
        self.labels, self.from_layer, self.pair = first.labels, first.from_layer, first.pair
        self.layers, self.meta = first.layers, first.meta

    def predict_proba(self, states, second=None) -> np.ndarray:
        return np.mean([m.predict_proba(states, second) for m in self.members], axis=0)

    def save(self, path: Path, member_names: Sequence[str]) -> tuple[Path, Path]:
        """The first member at `path`, listing the others, which are saved beside it as `member_names`
        (e.g. "ethics-seed1"); returns the first member's files."""
        if len(member_names) != len(self.members) - 1:
            raise ValueError(f"{len(self.members) - 1} members besides the first need as many names")
        self.meta["members"] = list(member_names)
        for member, name in zip(self.members[1:], member_names):
            member.save(path.with_name(name))
        return self.members[0].save(path)

    @classmethod
    def load(cls, path: Path, bert_config, packed: bool | None = None) -> LayerEnsemble | LayerClassifier:
        """The classifier saved at `path`: its members when its NAME.json lists any, else the one model."""
        first = LayerClassifier.load(path, bert_config, packed)
        names = first.meta.get("members", [])
        if not names:
            return first
        missing = [n for n in names if not is_layer_classifier(path.with_name(n))]
        if missing:
            raise FileNotFoundError(f"{path.name}: ensemble members {', '.join(missing)} are missing from {path.parent}; "
                                    f"rebuild them with `ohlora classifiers train --task {path.name} --seeds …`")
        return cls([first] + [LayerClassifier.load(path.with_name(n), bert_config, packed) for n in names])


def is_layer_classifier(path: Path) -> bool:
    """Whether the classifier saved at `path` (weights/classifiers/NAME) is a fine-tuned-layers one."""
    return path.with_name(path.name + ".layers.safetensors").exists()
