"""The persona's output vocabulary: the slice of Gemma's 262,144-row LM head she actually speaks from.

Oh-LoRA answers in Korean or English. Decoding over all 262k rows spends most of each token reading the
LM head (168M of the model's 268M parameters); her answers only need Hangul, the more frequent Latin-script
pieces, digits, punctuation, and every token of her training data (emoji included). That slice is ~10% of
the rows. Training computes its loss over the same slice, so the adapters are trained for exactly the
distribution the decoder samples from.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

_PLAIN = re.compile(r"^[\u2581 A-Za-z0-9\u3131-\u318e\uac00-\ud7a3.,!?~'\"()\[\]:;%&+\-/*=_<>@#^…·\n]+$")
_HANGUL = re.compile(r"[\u3131-\u318e\uac00-\ud7a3]")
FREQUENT_ID_LIMIT = 30000  # Gemma's ids roughly follow piece frequency: the first 30k cover everyday Latin text
SPECIAL = ("<end_of_turn>", "<eos>", "<start_of_turn>")
VOCABULARY_FILE = "vocabulary.json"  # in an adapters folder, shared by its roles


def build_vocabulary(tokenizer, texts: list[str]) -> list[int]:
    """Sorted token ids: plain Korean/English pieces, every piece of `texts`, and the turn markers."""
    keep: set[int] = set()
    for piece, i in tokenizer.get_vocab().items():
        if _HANGUL.search(piece) and _PLAIN.match(piece):
            keep.add(i)
        elif i < FREQUENT_ID_LIMIT and _PLAIN.match(piece):
            keep.add(i)
    for text in texts:
        keep.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    for s in SPECIAL:
        keep.add(tokenizer.convert_tokens_to_ids(s))
    return sorted(keep)


def save_vocabulary(ids: list[int], path: Path) -> None:
    path.write_text(json.dumps({"size": len(ids), "ids": ids}, separators=(",", ":")))


def load_vocabulary(path: Path) -> list[int]:
    data = json.loads(path.read_text())
    return list(data["ids"])
