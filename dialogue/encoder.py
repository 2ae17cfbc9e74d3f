"""Sentence embeddings for memory retrieval and the classifiers: multilingual-e5-small by default.

e5 expects a role prefix: "query: " for what is searched with (and for classification inputs), "passage: "
for what is stored. The prepared folder configures both as sentence-transformers prompts.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

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

    def __init__(self, model: str = DEFAULT_ENCODER, device: str = "cpu", cache_size: int = 2048):
        import logging

        from sentence_transformers import SentenceTransformer

        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        self.model = SentenceTransformer(_resolve(model), device=device)
        self.model.eval()
        self.tokenizer = self.model.tokenizer
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

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
            emb = self.model.encode([texts[i] for i in todo], prompt_name=kind, batch_size=batch_size,
                                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
            with self._lock:
                for i, e in zip(todo, emb):
                    out[i] = e
                    self._cache[(kind, texts[i])] = out[i].copy()
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def encode_one(self, text: str, kind: Kind = "query") -> np.ndarray:
        return self.encode([text], kind)[0]


_shared: dict[tuple[str, str], SentenceEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(model: str = DEFAULT_ENCODER, device: str = "cpu") -> SentenceEncoder:
    """One encoder per process and model: memory and both classifiers share its weights."""
    with _shared_lock:
        if (model, device) not in _shared:
            _shared[(model, device)] = SentenceEncoder(model, device)
        return _shared[(model, device)]
