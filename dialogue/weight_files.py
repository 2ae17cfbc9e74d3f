"""Tensors of a safetensors file used where they lie, without loading the file: where a tensor's bytes are,
a read-only memory map of them, and an embedding table read a row at a time."""
from __future__ import annotations

import contextlib
import json
import os
import struct
from pathlib import Path

import numpy as np
import torch

_NUMPY_DTYPES = {"F32": np.float32, "F16": np.float16}


def tensor_entry(path: str | Path, name: str) -> tuple[int, np.dtype, tuple[int, ...]]:
    """(byte offset in the file, numpy dtype, shape) of tensor `name`, from the file's header."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    entry = header[name]
    if entry["dtype"] not in _NUMPY_DTYPES:
        raise ValueError(f"{path}: {name} is {entry['dtype']}; only {', '.join(_NUMPY_DTYPES)} can be read in place")
    begin, end = entry["data_offsets"]
    dtype = np.dtype(_NUMPY_DTYPES[entry["dtype"]])
    shape = tuple(entry["shape"])
    if end - begin != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f"{path}: {name} has {end - begin} bytes for shape {shape}")
    return 8 + header_len + begin, dtype, shape


def safetensors_memmap(path: str | Path, name: str) -> np.ndarray:
    """Tensor `name` of a safetensors file as a read-only numpy memory map (nothing is read until used)."""
    offset, dtype, shape = tensor_entry(path, name)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


class EmbeddingFile:
    """The fp32 embedding table of a safetensors file, read row by row with `os.pread` when tokens are looked
    up: the 671 MB table of Gemma's 262k-token vocabulary costs no resident memory (a memory map would, as
    page faults map whole neighbourhoods of rows)."""

    def __init__(self, path: Path, name: str) -> None:
        self._offset, dtype, self.shape = tensor_entry(path, name)
        if dtype != np.float32 or len(self.shape) != 2:
            raise ValueError(f"{name} in {path} is {dtype} {self.shape}, expected a 2-D float32 table")
        self.path = Path(path)
        self._row_bytes = self.shape[1] * 4
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows `ids` (a 1-D integer tensor) as a new fp32 tensor [len(ids), dim]."""
        ids = ids.tolist()
        out = np.empty((len(ids), self.shape[1]), np.float32)
        view = memoryview(out).cast("B")
        for i, token in enumerate(ids):
            if not 0 <= token < self.shape[0]:
                raise IndexError(f"token id {token} is outside the vocabulary (0..{self.shape[0] - 1})")
            start = i * self._row_bytes
            if os.preadv(self._fd, [view[start:start + self._row_bytes]],
                         self._offset + token * self._row_bytes) != self._row_bytes:
                raise OSError(f"{self.path} ended early: re-run `ohlora weights prepare --force`")
        return torch.from_numpy(out)

    def all_rows(self) -> torch.Tensor:
        return self[torch.arange(self.shape[0])]

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            os.close(self._fd)
