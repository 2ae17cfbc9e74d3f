"""Generator output -> pictures: uint8 conversion, area downscaling, files, contact sheets."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def to_uint8(images: torch.Tensor, size: int | None = None) -> np.ndarray:
    """[B, 3, H, W] in [-1, 1] -> [B, size, size, 3] uint8 RGB, area-downscaled when size < H."""
    x = images.float()
    if size is not None and size != x.shape[-1]:
        if size > x.shape[-1]:
            raise ValueError(f"size {size} is larger than the generator's {x.shape[-1]}")
        x = F.interpolate(x, size=(size, size), mode="area")
    x = ((x.clamp(-1, 1) + 1) * 127.5).round_().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def save_image(rgb: np.ndarray, path: str | Path, quality: int = 95) -> Path:
    """Write one [H, W, 3] RGB uint8 image as PNG or JPEG (by suffix), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"cannot write '{path.name}': use a .png, .jpg or .jpeg file name")
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if suffix in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(rgb[..., ::-1]), params)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode {path.name}")
    if path.parent and not path.parent.exists():
        raise FileNotFoundError(f"folder '{path.parent}' does not exist")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buf.tobytes())
    tmp.replace(path)
    return path


def contact_sheet(tiles: np.ndarray, labels: list[str], cols: int) -> np.ndarray:
    """Arrange [N, S, S, 3] tiles in a grid with a label in the corner of each."""
    n, s = tiles.shape[0], tiles.shape[1]
    rows = -(-n // cols)
    sheet = np.full((rows * s, cols * s, 3), 255, np.uint8)
    scale = max(0.4, s / 320)
    thick = max(1, int(round(scale * 2)))
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        r, c = divmod(i, cols)
        cell = np.ascontiguousarray(tile)
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        cv2.rectangle(cell, (0, 0), (tw + 8, th + base + 8), (0, 0, 0), -1)
        cv2.putText(cell, label, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
        sheet[r * s:(r + 1) * s, c * s:(c + 1) * s] = cell
    return sheet


def parse_seeds(text: str) -> list[int]:
    """'0-15' or '1,5,9' or '0-3,10' -> a list of seeds (each 0 <= seed < 2**32)."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            lo, _, hi = part.partition("-")
            first, last = int(lo), int(hi) if hi else int(lo)
            if last < first:
                raise ValueError
            seeds.extend(range(first, last + 1))
    except ValueError:
        raise ValueError(f"cannot read seeds '{text}': write e.g. 0-15 or 1,5,9") from None
    if not seeds:
        raise ValueError("no seeds given")
    if any(not 0 <= s < 2**32 for s in seeds):
        raise ValueError("seeds must be between 0 and 4294967295")
    return seeds


def parse_grid(text: str) -> tuple[int, int]:
    """'4x4' -> (cols, rows)."""
    try:
        cols, rows = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"cannot read grid '{text}': write COLSxROWS, e.g. 4x4") from None
    if cols < 1 or rows < 1:
        raise ValueError("grid needs at least one column and one row")
    return cols, rows
