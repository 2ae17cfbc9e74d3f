"""The atlas file: a plain safetensors file of uint8 tensors "level<size>" [N, size, size, 3], the keyframes of
each level in flat grid order, with the grid (names, axes, modes, version…) as JSON in its metadata.

It is written and read here without safetensors' helpers: `save_file` serializes every tensor to bytes first
(a second copy of a ~0.5 GB atlas), and a served atlas is a read-only memory map of its file, so that frames
of one size touch only that level's pages, a refinement costs no copy in memory, and nothing of it stays on
the heap.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
import torch


@dataclass(frozen=True)
class FileRows:
    """Bytes [offset, offset + nbytes) of an open file: keyframes copied file to file, never mapped."""

    fd: int
    offset: int
    nbytes: int


Segment = Union[torch.Tensor, FileRows]


class AtlasFile:
    """An open atlas file; kept open as long as its atlas, so its rows stay readable when the path is replaced
    (a refinement writes the next file under the same name)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.file: BinaryIO = open(self.path, "rb")
        n = int.from_bytes(self.file.read(8), "little")
        header = json.loads(self.file.read(n))
        self.meta: dict = json.loads(header.pop("__metadata__")["meta"])
        start = 8 + n
        self.shapes: dict[int, tuple[int, ...]] = {}
        self.offsets: dict[int, int] = {}
        for key, info in header.items():
            shape = tuple(int(d) for d in info["shape"])
            b, e = info["data_offsets"]
            if not key.startswith("level") or info["dtype"] != "U8" or e - b != math.prod(shape):
                raise ValueError(f"{path}: '{key}' is not an atlas level")
            self.shapes[int(key.removeprefix("level"))] = shape
            self.offsets[int(key.removeprefix("level"))] = start + b

        self.mapped: dict[int, torch.Tensor] = {}

    def level(self, size: int) -> torch.Tensor:
        """The keyframes of one level, memory-mapped (copy-on-write: a stray write never reaches the file)."""
        if size not in self.mapped:
            shape = self.shapes[size]
            self.mapped[size] = torch.empty(shape, dtype=torch.uint8) if not math.prod(shape) else \
                torch.from_numpy(np.memmap(self.file, np.uint8, "c", self.offsets[size], shape))
        return self.mapped[size]

    def rows(self, size: int, start: int, count: int) -> FileRows:
        row = math.prod(self.shapes[size][1:])
        return FileRows(self.file.fileno(), self.offsets[size] + start * row, count * row)


def write_atlas_file(path: Path, levels: dict[int, tuple[tuple[int, ...], list[Segment]]], meta: dict) -> None:
    """Write an atlas file from pieces of keyframes (tensors in memory, or rows of another open file) without
    assembling any level in memory; atomic (a temporary file, then rename)."""
    header: dict = {"__metadata__": {"meta": json.dumps(meta)}}
    end = 0
    for s in sorted(levels):
        shape, parts = levels[s]
        n = math.prod(shape)
        if sum(p.nbytes if isinstance(p, FileRows) else p.numel() for p in parts) != n:
            raise ValueError(f"atlas level {s}: the pieces do not add up to {list(shape)}")
        header[f"level{s}"] = {"dtype": "U8", "shape": list(shape), "data_offsets": [end, end + n]}
        end += n
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # safetensors pads its header to 8 bytes
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        _write_all(fd, memoryview(len(blob).to_bytes(8, "little") + blob))
        for s in sorted(levels):
            for part in levels[s][1]:
                if isinstance(part, FileRows):
                    _copy_range(part, fd)
                elif part.numel():
                    _write_all(fd, memoryview(part.contiguous().numpy()).cast("B"))
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    tmp.replace(path)


def _write_all(fd: int, data: memoryview) -> None:
    while len(data):
        data = data[os.write(fd, data):]


def _copy_range(src: FileRows, fd: int) -> None:
    offset, left = src.offset, src.nbytes
    try:
        while left:  # in the kernel: no user-space buffer, no page of it mapped into this process
            n = os.copy_file_range(src.fd, fd, left, offset)
            if n == 0:
                raise OSError("copy_file_range copied nothing")
            offset, left = offset + n, left - n
    except (AttributeError, OSError):  # not Linux, or a file system without it: plain reads, 8 MB at a time
        while left:
            chunk = os.pread(src.fd, min(left, 8 << 20), offset)
            if not chunk:
                raise OSError(f"atlas file ended {left} bytes early")
            _write_all(fd, memoryview(chunk))
            offset, left = offset + len(chunk), left - len(chunk)
