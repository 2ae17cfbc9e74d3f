"""The sampling dataset: (seed, z, w, face-mesh landmarks) rows for random faces, written in chunks.

Rows are generated in batches and saved as numbered `.npz` chunks beside a `dataset.json` that records
how they were made, so an interrupted run resumes where it stopped and a finished one is extended by
asking for more rows. Landmarks (not just scores) are stored, so the scores can be redefined without
rendering again. Row i is the face of seed `first_seed + i`; w is truncated with `psi`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from render.vectors.scoring import N_LANDMARKS, FaceMeshScorer, scores_from_landmarks

SAMPLE_FIRST_SEED = 1_000_000  # far from the small seeds people pick and from the evaluation faces
CHUNK_ROWS = 32


@dataclass(frozen=True)
class SamplingConfig:
    generator: str = "mobilestylegan"
    psi: float = 0.7
    first_seed: int = SAMPLE_FIRST_SEED
    score_size: int = 256  # faces are area-downscaled to this size before the face mesh sees them
    compare_rows: int = 0  # the first rows are also scored at full resolution (a resolution check)


@dataclass
class SampleSet:
    """All rows of a dataset folder, concatenated."""

    config: SamplingConfig
    seeds: np.ndarray  # [N] int64
    w: np.ndarray  # [N, 512] float32, truncated
    landmarks: np.ndarray  # [N, 468, 3] float32, NaN where no face was found
    landmarks_full: np.ndarray  # [M, 468, 3] the first M rows scored at the generator's resolution

    def __len__(self) -> int:
        return len(self.seeds)

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.landmarks).any(axis=(1, 2))

    def scores(self) -> dict[str, np.ndarray]:
        return scores_from_landmarks(self.landmarks)


def _chunk_path(folder: Path, index: int) -> Path:
    return folder / f"rows-{index:05d}.npz"


def _check_config(folder: Path, config: SamplingConfig) -> None:
    meta = folder / "dataset.json"
    if meta.exists():
        old = SamplingConfig(**json.loads(meta.read_text())["config"])
        if old != config:
            raise ValueError(f"{folder} holds a dataset made with {old}; asked for {config}. "
                             f"Use another --out folder or the same settings")
    else:
        meta.write_text(json.dumps({"config": asdict(config), "format": "ohlora-vector-samples-1"}, indent=1))


def existing_rows(folder: Path) -> int:
    """How many rows the folder's consecutive chunks hold."""
    n, i = 0, 0
    while _chunk_path(folder, i).exists():
        with np.load(_chunk_path(folder, i)) as f:
            n += len(f["seeds"])
        i += 1
    return n


def sample_dataset(folder: Path, rows: int, config: SamplingConfig = SamplingConfig(), batch: int = 8,
                   device: str = "auto", progress: bool = True) -> SampleSet:
    """Make sure `folder` holds at least `rows` rows (rendering only the missing ones) and return them."""
    import torch
    from tqdm import tqdm

    from render.generator import load_generator, z_from_seed
    from render.images import to_uint8

    folder.mkdir(parents=True, exist_ok=True)
    _check_config(folder, config)
    have = existing_rows(folder)
    if have % CHUNK_ROWS and have < rows:
        raise ValueError(f"{folder}: the last chunk is partial ({have} rows); delete it and run again")
    if have < rows:
        gen = load_generator(config.generator, device)
        scorer = FaceMeshScorer()
        bar = tqdm(total=rows, initial=have, desc="sample faces", unit="face", disable=not progress)
        start = have
        t0 = time.perf_counter()
        while start < rows:
            n = min(CHUNK_ROWS, rows - start) if rows - start < CHUNK_ROWS else CHUNK_ROWS
            seeds = np.arange(config.first_seed + start, config.first_seed + start + n, dtype=np.int64)
            z = torch.cat([z_from_seed(int(s), gen.w_dim) for s in seeds])
            w = gen.truncate(gen.mapping(z), config.psi).cpu()
            lms, lms_full = [], []
            for i in range(0, n, batch):
                img = gen.synthesize(w[i:i + batch])
                lms.append(scorer.landmarks(to_uint8(img, config.score_size)))
                rows_left_to_compare = config.compare_rows - (start + i)
                if rows_left_to_compare > 0:
                    full = to_uint8(img[:rows_left_to_compare])
                    lms_full.append(scorer.landmarks(full))
                bar.update(len(img))
            landmarks = np.concatenate(lms)
            tmp = folder / ".chunk.tmp.npz"
            np.savez(tmp, seeds=seeds, z=z.numpy(), w=w.numpy().astype(np.float32), landmarks=landmarks,
                     landmarks_full=(np.concatenate(lms_full) if lms_full
                                     else np.zeros((0, N_LANDMARKS, 3), np.float32)))
            tmp.replace(_chunk_path(folder, start // CHUNK_ROWS))
            start += n
            bar.set_postfix(s_per_face=f"{(time.perf_counter() - t0) / (start - have):.2f}",
                            no_face=int(np.isnan(landmarks).any(axis=(1, 2)).sum()))
        bar.close()
        scorer.close()
    return load_samples(folder, rows)


def load_samples(folder: Path, rows: int | None = None) -> SampleSet:
    """Read a dataset folder (the first `rows` rows, or all)."""
    meta = folder / "dataset.json"
    if not meta.exists():
        raise FileNotFoundError(f"no sampling dataset in {folder}; make one with `ohlora vectors find`")
    config = SamplingConfig(**json.loads(meta.read_text())["config"])
    parts: dict[str, list[np.ndarray]] = {"seeds": [], "w": [], "landmarks": [], "landmarks_full": []}
    i = 0
    while _chunk_path(folder, i).exists():
        with np.load(_chunk_path(folder, i)) as f:
            for k in parts:
                parts[k].append(f[k])
        i += 1
    if not parts["seeds"]:
        raise FileNotFoundError(f"{folder} holds no rows yet; run `ohlora vectors find`")
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    if rows is not None:
        cat = {k: v[:rows] for k, v in cat.items()}
    return SampleSet(config, cat["seeds"], cat["w"], cat["landmarks"], cat["landmarks_full"])
