"""Classifiers that fine-tune the top layers of e5: their own copies of the top K BERT layers plus a head.

The frozen encoder's layers below stay shared: a message's hidden states after layer 12 − K come from the
same forward pass that embeds it for memory retrieval (`SentenceEncoder.token_states`), so a classifier
costs K/12 of an encoder pass on top of the embedding. Two input shapes:

- single (ethics): the message's states → K layers → mean pooling → linear head.
- pair (topic change): the summary's and the message's states, each from its own frozen pass, joined into
  one sequence → K layers with attention across both (a cross-encoder over the top layers) → mean of
  each part u, v → linear head on [u, v, u·v, |u − v|].

Weights are stored in float16 (half the size; the figures in docs/ are measured on the stored weights).
`train_layer_classifier` chooses the epoch, the temperature and (ethics) the flag threshold on `val`.
"""
from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Sequence
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

    @classmethod
    def from_encoder(cls, bert, top_layers: int, labels: Sequence[str], pair: bool) -> LayerClassifier:
        """A new classifier starting from copies of the encoder's top `top_layers` layers."""
        n = len(bert.encoder.layer)
        layers = [copy.deepcopy(bert.encoder.layer[i]) for i in range(n - top_layers, n)]
        model = cls(layers, labels, n - top_layers, pair)
        for p in model.parameters():
            p.requires_grad_(True)
        return model

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
                               "`train_layer_classifier` returns")

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


def is_layer_classifier(path: Path) -> bool:
    """Whether the classifier saved at `path` (weights/classifiers/NAME) is a fine-tuned-layers one."""
    return path.with_name(path.name + ".layers.safetensors").exists()


# ---- training ------------------------------------------------------------------------------------

def _sources(rows: list[dict], split: str) -> str:
    """'written/ethics/writerF.jsonl (2780), ethics.jsonl (5819)': where a split's rows came from."""
    counts: dict[str, int] = {}
    for r in rows:
        if r["split"] == split:
            counts[r.get("source", "?")] = counts.get(r.get("source", "?"), 0) + 1
    return ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))


def all_topic_pairs(rows: list[dict]) -> list[dict]:
    """The `train` topic rows plus every other (summary, follow-up) pairing among the train topics.

    The dataset pairs each summary with a few messages; the train split holds many more valid pairs:
    a topic's summary with each of its own follow-ups (continued) and with every follow-up of the other
    train topics (changed). Generic replies ("응 맞아", "why?" — continued under several topics) are
    never used as changed. Only train rows are combined, so val and test stay untouched.
    """
    train = [r for r in rows if r["split"] == "train"]
    groups_of: dict[str, set] = {}
    for r in train:
        if r["label"] == "continued":
            groups_of.setdefault(r["message"], set()).add(r["group"])
    generic = {m for m, g in groups_of.items() if len(g) > 1}
    follow: dict[str, set] = {}
    for m, g in groups_of.items():
        if m not in generic:
            follow.setdefault(next(iter(g)), set()).add(m)
    summaries = {(r["previous"], r["group"], r["lang"]) for r in train}
    seen = {(r["previous"], r["message"]) for r in train}
    out = list(train)
    for prev, group, lang in sorted(summaries):
        for g, messages in sorted(follow.items()):
            for m in sorted(messages):
                if (prev, m) not in seen:
                    seen.add((prev, m))
                    out.append({"previous": prev, "message": m, "label": "continued" if g == group else "changed",
                                "lang": lang, "group": group, "split": "train"})
    return out


def changed_partners(rows: list[dict]) -> dict[int, list[str]]:
    """For each plain "changed" train row (no switch phrase: its message is another train topic's
    follow-up), the follow-ups it may be paired with instead: those of every other train topic in the
    message's language. A follow-up belongs to a topic when it continues that topic and no other."""
    train = [r for r in rows if r["split"] == "train"]
    groups_of: dict[str, set] = {}
    for r in train:
        if r["label"] == "continued":
            groups_of.setdefault(r["message"], set()).add(r["group"])
    owned = {m: next(iter(g)) for m, g in groups_of.items() if len(g) == 1}
    hangul = lambda t: any("\uac00" <= c <= "\ud7a3" for c in t)  # noqa: E731
    out = {}
    for i, r in enumerate(rows):
        if r["split"] == "train" and r["label"] == "changed" and r["message"] in owned:
            ko = hangul(r["message"])
            out[i] = sorted(m for m, g in owned.items() if g != r["group"] and hangul(m) == ko)
    return out


def _draw_partners(rows: list[dict], partners: dict[int, list[str]], rng: np.random.Generator) -> None:
    for i, pool in partners.items():
        rows[i] = dict(rows[i], message=pool[rng.integers(len(pool))])


def frozen_states(encoder, texts: Sequence[str], layer: int, progress: Callable[[str], None] = print,
                  batch_size: int = 64) -> dict[str, torch.Tensor]:
    """Hidden states after `layer` for every distinct text (the frozen part, computed once)."""
    distinct = sorted(set(texts), key=len)
    out: dict[str, torch.Tensor] = {}
    for i in range(0, len(distinct), batch_size):
        chunk = distinct[i:i + batch_size]
        _, kept = encoder._forward(chunk, "query", layer)
        out.update(zip(chunk, kept[layer]))
        if (i // batch_size) % 10 == 0:
            progress(f"frozen layers 0–{layer}: {min(i + batch_size, len(distinct))}/{len(distinct)} texts")
    return out


def train_layer_classifier(task: str, encoder, rows: list[dict], labels: Sequence[str], top_layers: int = 2,
                           epochs: int = 8, lr: float = 5e-5, head_lr: float = 1e-3, batch_size: int = 32,
                           seed: int = 0, augment: bool = True, label_smoothing: float = 0.0,
                           select: Callable[[np.ndarray, np.ndarray], float] | None = None,
                           max_minutes: float | None = None, fresh_changes: bool = False,
                           progress: Callable[[str], None] = print) -> tuple[LayerClassifier, dict]:
    """Fine-tune the top layers on the `train` rows; keep the epoch with the best `select(y, p)` on `val`.

    `max_minutes` bounds the run on a shared machine: no epoch starts once that much time has passed.
    `fresh_changes` (topic): every epoch the plain "changed" train pairs get a new partner, a follow-up of
    another train topic (`changed_partners`), so the model sees many more unrelated pairs at the same balance.

    Rows are ethics rows ({"text", "label"}) or topic rows ({"previous", "message", "label"}). The loss is
    class-weighted cross-entropy (balanced classes), optionally label-smoothed. Returns the model (temperature fitted on val) and a
    record of the run per epoch.
    """
    from dialogue.evaluation import macro_f1

    torch.manual_seed(seed)
    pair = task in ("topic", "retrieval")  # retrieval: (memory as shown, question)
    bert = encoder.bert
    model = LayerClassifier.from_encoder(bert, top_layers, labels, pair)
    rows = list(rows)  # fresh_changes replaces rows in this list, never the caller's
    if pair and augment:
        rows = all_topic_pairs(rows) + [r for r in rows if r["split"] != "train"]
    texts = [t for r in rows for t in ((r["previous"], r["message"]) if pair else (r["text"],))]
    states = frozen_states(encoder, texts, model.from_layer, progress)
    y = torch.tensor([list(labels).index(r["label"]) for r in rows])
    split = np.array([r["split"] for r in rows])
    tr = np.where(split == "train")[0]
    va = np.where(split == "val")[0]
    select = select or (lambda yy, p: macro_f1(yy, p.argmax(1), len(labels)))

    def logits(idx, train: bool) -> torch.Tensor:
        model.train(train)
        if pair:
            return model.logits([states[rows[i]["previous"]] for i in idx], [states[rows[i]["message"]] for i in idx])
        return model.logits([states[rows[i]["text"]] for i in idx])

    counts = torch.bincount(y[tr], minlength=len(labels)).float()
    weight = counts.sum() / counts.clamp(min=1) / len(labels)
    opt = torch.optim.AdamW([{"params": list(model.layers.parameters()), "lr": lr},
                             {"params": list(model.head.parameters()), "lr": head_lr}], weight_decay=0.01)
    rng = np.random.default_rng(seed)
    partners = changed_partners(rows) if pair and fresh_changes else None
    record: dict = {"epochs": []}
    best, best_state = -1.0, None
    started = time.time()
    for epoch in range(1, epochs + 1):
        if max_minutes is not None and epoch > 1 and time.time() - started > 60 * max_minutes:
            progress(f"{task}: stopped before epoch {epoch}: the {max_minutes:g}-minute limit has passed")
            record["stopped_early"] = f"after epoch {epoch - 1} of {epochs} (time limit {max_minutes:g} min)"
            break
        t0 = time.time()
        perm = rng.permutation(tr)
        if partners is not None and epoch > 1:
            _draw_partners(rows, partners, rng)
        total = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            loss = nn.functional.cross_entropy(logits(idx, True), y[idx], weight=weight, label_smoothing=label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        with torch.no_grad():
            pv = torch.softmax(torch.cat([logits(va[i:i + 128], False) for i in range(0, len(va), 128)]), -1).numpy()
        score = select(y[va].numpy(), pv)
        record["epochs"].append({"epoch": epoch, "train_loss": total / len(tr), "val_score": score,
                                 "seconds": round(time.time() - t0, 1)})
        progress(f"{task}: epoch {epoch}/{epochs}: train loss {total / len(tr):.3f}, val {score:.3f} "
                 f"({time.time() - t0:.0f} s)")
        if score > best:
            best, best_state = score, copy.deepcopy(model.state_dict())
            record["best_epoch"] = epoch
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        zv = torch.cat([logits(va[i:i + 128], False) for i in range(0, len(va), 128)]).numpy()
    from dialogue.classifiers import EmbeddingHead, fit_temperature

    # the temperature search works on logits: wrap them as an identity head
    ident = EmbeddingHead(tuple(labels), [(np.eye(len(labels), dtype=np.float32), np.zeros(len(labels), np.float32))])
    model.temperature = fit_temperature(ident, zv, y[va].numpy())
    record.update({"train_examples": int(len(tr)), "best_val_score": best, "temperature": model.temperature, "top_layers": top_layers,
                   "lr": lr, "head_lr": head_lr, "batch_size": batch_size, "seed": seed, "label_smoothing": label_smoothing,
                   "trained_on": _sources(rows, "train") + (" (all pairings of the train topics)" if pair and augment else ""),
                   "chosen_on": _sources(rows, "val")})
    return model, record
