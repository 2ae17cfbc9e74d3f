"""The LLM's tokenizer as the decoder uses it (encode, count, decode, special tokens), and text deltas of a
growing list of token ids for streaming."""
from __future__ import annotations

import json
from pathlib import Path


class TextTokenizer:
    """The LLM's tokenizer with the calls the engine makes. Served from the prepared folder's SentencePiece model
    (`weights.gemma.sentencepiece_model`: the same tokens as tokenizer.json in ~50 MB instead of ~260 MB);
    a `tokenizers.Tokenizer` (a transformers tokenizer's backend) works too."""

    def __init__(self, backend, bos_id: int | None = None, special_ids: frozenset[int] = frozenset()) -> None:
        self.backend = backend
        self._spm = not hasattr(backend, "token_to_id")  # sentencepiece.SentencePieceProcessor
        self.bos_id = bos_id
        self.special_ids = special_ids  # left out of decoded text, as transformers' skip_special_tokens does

    @classmethod
    def from_folder(cls, folder: Path) -> TextTokenizer:
        """The tokenizer of a prepared model folder; its SentencePiece model is written on first use (in a
        child process: reading tokenizer.json costs ~300 MB that this process would keep)."""
        import subprocess
        import sys

        import sentencepiece

        from weights.gemma import NOT_CONVERTIBLE, SENTENCEPIECE_NAME, special_ids_path

        source, model = Path(folder) / "tokenizer.json", Path(folder) / SENTENCEPIECE_NAME
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing; run `ohlora weights prepare --only gemma3-270m`")
        if (not model.exists() or not special_ids_path(model).exists()
                or model.stat().st_mtime < source.stat().st_mtime):
            done = subprocess.run([sys.executable, "-m", "weights.gemma", str(source), str(model)],
                                  cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
            if done.returncode == NOT_CONVERTIBLE:  # another kind of tokenizer: served by `tokenizers` itself
                from tokenizers import Tokenizer

                return cls(Tokenizer.from_file(str(source)))
            if done.returncode:
                raise RuntimeError(f"writing {model} failed: {done.stderr.strip()[-500:]}")
        config = json.loads((Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
        special = json.loads(special_ids_path(model).read_text(encoding="utf-8"))["special_ids"]
        sp = sentencepiece.SentencePieceProcessor(model_file=str(model))
        return cls(sp, sp.piece_to_id(config.get("bos_token", "<bos>")), frozenset(special))

    def encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids; `special` adds the model's own markers (Gemma's <bos>)."""
        if not self._spm:
            return self.backend.encode(text, add_special_tokens=special).ids
        ids = self.backend.encode(text)
        return [self.bos_id, *ids] if special and self.bos_id is not None else ids

    def count(self, text: str) -> int:
        """Tokens in `text` without the markers (prompt budgets)."""
        return len(self.encode(text, special=False))

    def decode(self, ids: list[int]) -> str:
        if not self._spm:
            return self.backend.decode(ids, skip_special_tokens=True)
        return self.backend.decode([i for i in ids if i not in self.special_ids])

    def token_id(self, token: str) -> int | None:
        if not self._spm:
            return self.backend.token_to_id(token)
        i = self.backend.piece_to_id(token)
        return i if self.backend.id_to_piece(i) == token else None


class IncrementalDetokenizer:
    """Turns a growing id list into text deltas, holding back incomplete UTF-8 (a split Hangul/emoji)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.shown = ""

    def step(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids)
        if text.endswith("\ufffd") or not text.startswith(self.shown):
            return ""
        delta, self.shown = text[len(self.shown):], text
        return delta

    def flush(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids).rstrip("\ufffd")
        delta = text[len(self.shown):] if text.startswith(self.shown) else ""
        self.shown = text
        return delta
