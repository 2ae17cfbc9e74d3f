"""A deterministic stand-in for the sentence encoder: hashed character bigrams, unit-normalized."""
from __future__ import annotations

import zlib

import numpy as np


class HashingEncoder:
    dim = 384

    def encode(self, texts, kind="query", batch_size=32):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            t = f" {t.lower()} "
            for a, b in zip(t, t[1:]):
                out[i, zlib.crc32((a + b).encode()) % self.dim] += 1
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n else out[i]
        return out

    def encode_one(self, text, kind="query"):
        return self.encode([text], kind)[0]
