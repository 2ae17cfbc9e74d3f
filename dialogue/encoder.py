"""Sentence embeddings for memory retrieval and the classifiers: multilingual-e5-small by default.

e5 expects a role prefix: "query: " for what is searched with (and for classification inputs), "passage: "
for what is stored. The prepared folder configures both as sentence-transformers prompts.

The classifiers fine-tune only the top layers of e5 (their own small copies, weights/classifiers/): they
read the frozen encoder's hidden states below those layers (`token_states`). One forward pass of a
message therefore serves its memory embedding and both classifiers; the states are cached with it.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

DEFAULT_ENCODER = "multilingual-e5-small"
Kind = Literal["query", "passage"]


def _resolve(model: str) -> str:
    """A manifest name -> its prepared folder; anything else (a local folder, a hub id) as given."""
    from weights import load_manifest, prepared_path

    if model in load_manifest():
        return str(prepared_path(model))
    if not Path(model).exists() and "/" not in model:
        raise ValueError(f"sentence encoder '{model}' is neither a prepared model, a folder, nor a hub id")
    return model


class SentenceEncoder:
    """L2-normalized sentence embeddings (float32), with a small cache for repeated texts."""

    def __init__(self, model: str = DEFAULT_ENCODER, device: str = "cpu", cache_size: int = 2048,
                 packed: bool | None = None):
        """`packed` (default: wherever available, i.e. x86 CPU): run the layers with fp16-packed weights
        (dialogue.packed_weights). A packed prepared BERT folder is served by `dialogue.bert_serving`
        (memory-mapped word table, no fp32 layers, no transformers import); the full sentence-transformers
        model (`model`, `bert`: what fine-tuning copies its layers from) then loads on first use only."""
        from dialogue.bert_serving import ServingBert, servable_folder
        from dialogue.packed_weights import packed_bert_layers, packing_wanted

        self.source = _resolve(model)
        self.device = device
        self.packed = packing_wanted(packed, device)
        self._model = None
        self._model_lock = threading.Lock()
        if self.packed and servable_folder(self.source):
            serving = ServingBert(self.source)
            self.tokenizer = serving.tokenizer
            self.config = serving.config
            self.embeddings = serving.embeddings
            self.layers = serving.layers
            self.prompts = serving.prompts
            self.max_seq_length = serving.max_seq_length
            self.dim = int(serving.config.hidden_size)
        else:
            st = self.model
            self.tokenizer = st.tokenizer
            self.config = self.bert.config
            self.embeddings = self.bert.embeddings
            self.layers = packed_bert_layers(self.bert.encoder.layer) if self.packed else self.bert.encoder.layer
            self.prompts = dict(st.prompts)
            self.max_seq_length = st.max_seq_length
            dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
            self.dim = int(dim())
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._states: OrderedDict[tuple[str, str, int], torch.Tensor] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # hidden states kept by every full forward pass: the layers the loaded classifiers start from
        self.keep_layers: set[int] = set()

    @property
    def model(self):
        """The sentence-transformers model on fp32 weights (loaded on first use when serving packed)."""
        with self._model_lock:
            if self._model is None:
                import logging

                from sentence_transformers import SentenceTransformer

                logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
                self._model = SentenceTransformer(self.source, device=self.device)
                self._model.eval()
            return self._model

    @property
    def bert(self):
        """The underlying transformers BertModel (frozen, fp32; loaded on first use when serving packed)."""
        return self.model[0].auto_model

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def clear_cache(self) -> None:
        """Forget cached embeddings and hidden states (benchmarks measure uncached calls)."""
        with self._lock:
            self._cache.clear()
            self._states.clear()

    def _prompt(self, kind: Kind) -> str:
        return self.prompts.get(kind, f"{kind}: ")

    def _forward(self, texts: list[str], kind: Kind, upto: int | None) -> tuple[np.ndarray | None, dict[int, list]]:
        """Run the encoder on `texts` (batched, padded): the pooled unit embeddings when all layers run
        (`upto` None), and per kept layer each text's token states [n_tokens, dim] (padding removed)."""
        import torch

        batch = self.tokenizer([self._prompt(kind) + t for t in texts], padding=True, truncation=True,
                               max_length=self.max_seq_length, return_tensors="pt")
        mask = batch["attention_mask"]
        lengths = mask.sum(1).tolist()
        wanted = {layer for layer in self.keep_layers if upto is None or layer <= upto}
        if upto is not None:
            wanted.add(upto)
        n = self.num_layers if upto is None else upto
        kept: dict[int, list] = {}
        with torch.inference_mode():
            h = self.embeddings(input_ids=batch["input_ids"])
            ext = additive_mask(mask)
            for i in range(n + 1):
                if i in wanted:
                    kept[i] = [h[j, :lengths[j]].clone() for j in range(len(texts))]
                if i < n:
                    h = self.layers[i](h, attention_mask=ext)
                    h = h[0] if isinstance(h, tuple) else h
            emb = None
            if upto is None:
                emb = torch.nn.functional.normalize(mean_pool(h, mask), dim=-1).float().numpy()
        return emb, kept

    def _store_states(self, kind: Kind, texts: list[str], kept: dict[int, list]) -> None:
        with self._lock:
            for layer, states in kept.items():
                for t, s in zip(texts, states):
                    self._states[(kind, t, layer)] = s
                    self._states.move_to_end((kind, t, layer))
            while len(self._states) > self._cache_size:
                self._states.popitem(last=False)

    def token_states(self, texts: Sequence[str], layer: int, kind: Kind = "query", full: bool = True) -> list:
        """Each text's hidden states after `layer` of the encoder's layers, as [n_tokens, dim] tensors.

        `full`: run the whole encoder for uncached texts, so their embeddings are cached too (a user
        message is also embedded for retrieval); else only the layers below `layer` (a summary).
        """
        texts = list(texts)
        with self._lock:
            found = [self._states.get((kind, t, layer)) for t in texts]
        todo = [i for i, s in enumerate(found) if s is None]
        if todo:
            batch = list(dict.fromkeys(texts[i] for i in todo))
            self.keep_layers.add(layer)
            emb, kept = self._forward(batch, kind, None if full else layer)
            self._store_states(kind, batch, kept)
            if emb is not None:
                self._store_embeddings(kind, batch, emb)
            by_text = dict(zip(batch, kept[layer]))
            for i in todo:
                found[i] = by_text[texts[i]]
        return found

    def _store_embeddings(self, kind: Kind, texts: list[str], emb: np.ndarray) -> None:
        with self._lock:
            for t, e in zip(texts, emb):
                self._cache[(kind, t)] = np.array(e, np.float32)
                self._cache.move_to_end((kind, t))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def encode(self, texts: Sequence[str], kind: Kind = "query", batch_size: int = 32) -> np.ndarray:
        """[len(texts), dim] unit vectors; `kind` picks the e5 prefix."""
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        texts = list(texts)
        out = np.empty((len(texts), self.dim), np.float32)
        todo = []
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get((kind, t))
                if hit is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end((kind, t))
                    out[i] = hit
        if todo:
            batch = list(dict.fromkeys(texts[i] for i in todo))
            # similar lengths together: less padding per batch
            order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
            done: dict[str, np.ndarray] = {}
            for start in range(0, len(order), batch_size):
                chunk = [batch[i] for i in order[start:start + batch_size]]
                emb, kept = self._forward(chunk, kind, None)
                self._store_states(kind, chunk, kept)
                self._store_embeddings(kind, chunk, emb)
                done.update(zip(chunk, emb))
            for i in todo:
                out[i] = done[texts[i]]
        return out

    def encode_one(self, text: str, kind: Kind = "query") -> np.ndarray:
        return self.encode([text], kind)[0]


def mean_pool(h, mask):
    """Mean of the token states [batch, tokens, dim] over the tokens where the 0/1 mask is 1."""
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp(min=1)


def additive_mask(mask):
    """[batch, tokens] 0/1 attention mask -> the additive [batch, 1, 1, tokens] mask a BertLayer takes."""
    import torch

    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


_shared: dict[tuple[str, str], SentenceEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(model: str = DEFAULT_ENCODER, device: str = "cpu") -> SentenceEncoder:
    """One encoder per process and model: memory and both classifiers share its weights."""
    with _shared_lock:
        if (model, device) not in _shared:
            _shared[(model, device)] = SentenceEncoder(model, device)
        return _shared[(model, device)]


def cached_query_embeddings(texts: list[str], encoder, cache: Path, what: str) -> np.ndarray:
    """e5 query embeddings of `texts`, computed once and kept in `cache`, keyed by the texts and the encoder
    (`what` names them in the log line of the first run)."""
    digest = hashlib.sha256("\n".join([str(getattr(encoder, "source", type(encoder).__name__))] + texts).encode()
                            ).hexdigest()[:16]
    path = Path(cache) / f"{digest}.npy"
    try:
        embeddings = np.load(path)
        if embeddings.shape[0] != len(texts):
            raise ValueError("stale")
    except (OSError, ValueError):
        log.info("embedding %d %s (once)", len(texts), what)
        embeddings = encoder.encode(texts, kind="query", batch_size=64)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, embeddings.astype(np.float32))
        except OSError as err:  # a read-only cache only costs the next start the same seconds
            log.warning("%s: embeddings not cached (%s)", what, err)
    return embeddings
