"""Our PEFT role adapters as GGUF LoRA adapters for llama.cpp (no llama.cpp needed to check the file)."""
from __future__ import annotations

import json

import numpy as np
from safetensors import safe_open

from weights.llamacpp import ADAPTERS_DIR, LlamaCppFiles, peft_to_gguf_lora


def test_adapter_converts_to_gguf_lora_with_llamacpps_names_and_shapes(tmp_path):
    import gguf

    source = ADAPTERS_DIR / "memory"
    target = peft_to_gguf_lora(source, tmp_path / "memory.lora.gguf")
    reader = gguf.GGUFReader(str(target))

    def text(key):
        field = reader.fields[key]
        return bytes(field.parts[field.data[0]]).decode()

    assert text("general.architecture") == "gemma3" and text("general.type") == "adapter"
    assert text("adapter.type") == "lora"
    config = json.loads((source / "adapter_config.json").read_text())
    assert float(reader.fields["adapter.lora.alpha"].parts[-1][0]) == config["lora_alpha"]
    tensors = {t.name: t for t in reader.tensors}
    with safe_open(str(source / "adapter_model.safetensors"), "np") as f:
        assert len(tensors) == len(list(f.keys()))
        a = f.get_tensor("base_model.model.model.layers.10.self_attn.q_proj.lora_A.weight")
        b = f.get_tensor("base_model.model.model.layers.10.mlp.down_proj.lora_B.weight")
    q_a, down_b = tensors["blk.10.attn_q.weight.lora_a"], tensors["blk.10.ffn_down.weight.lora_b"]
    # GGUF lists dimensions innermost first: lora_a is [in, rank], lora_b [rank, out] in ggml's order
    assert list(q_a.shape) == [a.shape[1], a.shape[0]] and list(down_b.shape) == [b.shape[1], b.shape[0]]
    assert np.array_equal(np.asarray(q_a.data).reshape(a.shape), a)
    assert np.array_equal(np.asarray(down_b.data).reshape(b.shape), b)


def test_server_config_names_one_model_alias_per_role(tmp_path):
    files = LlamaCppFiles(tmp_path / "base.gguf", {r: tmp_path / f"{r}.lora.gguf" for r in ("answer", "memory")})
    config = files.server_config(port=8123, threads=3)
    assert config["port"] == 8123 and [m["model_alias"] for m in config["models"]] == ["answer", "memory"]
    assert all(m["model"] == str(tmp_path / "base.gguf") and m["n_threads"] == 3 for m in config["models"])
    assert config["models"][1]["lora_path"] == str(tmp_path / "memory.lora.gguf")
