"""A tiny random Gemma 3 model with a character tokenizer and four LoRA adapters, for fast unit tests."""
from __future__ import annotations

import json
from pathlib import Path

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]


def tiny_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from dialogue.data.turns import DATA_PATH

    chars = set(chr(c) for c in range(32, 127)) | {"\n"}
    for line in DATA_PATH.read_text(encoding="utf-8").splitlines():
        chars |= set(line)
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for c in sorted(chars):
        vocab.setdefault(c, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(SPECIALS)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")


def tiny_gemma(vocab_size: int, seed: int = 0):
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(seed)
    cfg = Gemma3TextConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=4,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                           layer_types=["sliding_attention", "full_attention"] * 2, max_position_embeddings=1024,
                           pad_token_id=0, eos_token_id=1, bos_token_id=2)
    return Gemma3ForCausalLM(cfg).eval()


def with_adapters(model, roles=("answer", "memory", "summary", "expression")):
    from peft import LoraConfig, get_peft_model

    cfg = dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    peft = get_peft_model(model, LoraConfig(**cfg), adapter_name=roles[0])
    for role in roles[1:]:
        peft.add_adapter(role, LoraConfig(**cfg))
    return peft


def save_tiny_base(folder: Path) -> Path:
    tok = tiny_tokenizer()
    model = tiny_gemma(len(tok))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    (folder / "note.json").write_text(json.dumps({"tiny": True}))
    return folder
