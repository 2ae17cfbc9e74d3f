"""`python -m dialogue.data.dedupe`: find the near-duplicate exchanges of the written conversations.

Independent writers (and one writer over a long session) sometimes write the same exchange twice in other
words. Two exchanges are near-duplicates when both their user messages and her answers are close in e5
space (cosine ≥ THRESHOLD on each); the later one (file order) is listed in `near_duplicates.json` beside
the data, which the loader leaves out of training. The data files themselves stay as written.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dialogue.data.written import WRITTEN_DIR, conversations

THRESHOLD = 0.95
OUTPUT = WRITTEN_DIR / "near_duplicates.json"


def exchanges() -> list[tuple[str, str, str]]:
    """(exchange id, user message, answer) of every written exchange, in file order."""
    return [(f"{c['id']}-{i + 1}", t["user"], t["answer"]) for c in conversations() for i, t in enumerate(c["turns"])]


def near_duplicates(messages: np.ndarray, answers: np.ndarray, threshold: float = THRESHOLD,
                    chunk: int = 1024) -> dict[int, int]:
    """{later index: the earlier index it repeats} for rows whose message and answer embeddings (unit
    vectors) are both within `threshold` cosine of an earlier row's."""
    dropped: dict[int, int] = {}
    for start in range(0, len(messages), chunk):
        m = messages[start:start + chunk] @ messages.T
        a = answers[start:start + chunk] @ answers.T
        both = (m >= threshold) & (a >= threshold)
        for row, i in enumerate(range(start, min(start + chunk, len(messages)))):
            earlier = np.nonzero(both[row, :i])[0]
            earlier = [j for j in earlier if j not in dropped]
            if earlier:
                dropped[i] = int(earlier[0])
    return dropped


def main() -> None:
    from dialogue.encoder import shared_encoder

    rows = exchanges()
    encoder = shared_encoder()
    emb = {}
    for name, col in (("messages", 1), ("answers", 2)):
        texts = [r[col] for r in rows]
        parts = [encoder.encode(texts[i:i + 256], "query") for i in tqdm(range(0, len(texts), 256), desc=name)]
        emb[name] = np.concatenate(parts).astype(np.float32)
    dropped = near_duplicates(emb["messages"], emb["answers"])
    pairs = [{"dropped": rows[i][0], "repeats": rows[j][0], "message": rows[i][1], "answer": rows[i][2]}
             for i, j in sorted(dropped.items())]
    OUTPUT.write_text(json.dumps({"threshold": THRESHOLD, "exchanges": len(rows), "near_duplicates": pairs},
                                 ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(pairs)} of {len(rows)} exchanges repeat an earlier one (cosine ≥ {THRESHOLD} on message and "
          f"answer) -> {OUTPUT}")


def dropped_ids(path: Path = OUTPUT) -> set[str]:
    """The exchange ids the last run listed (empty before any run)."""
    if not path.exists():
        return set()
    return {p["dropped"] for p in json.loads(path.read_text(encoding="utf-8"))["near_duplicates"]}


if __name__ == "__main__":
    main()
