"""The labelled rows the classifiers and the memory gate are trained, chosen and measured on, by split.

Every figure comes from the held-out `test` split; thresholds, regularization and temperatures are chosen
on `val`. Ethics, topic change and memory: the written data (dialogue/data/written: train, val and test by
writer) plus the generated rows of dialogue/data/, whose test split is kept as "test_templated", reported
beside the written test, never used for a choice. The persona-question classifier's splits are the SFT
turns' (held-out -> test, validation part -> val).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dialogue.classifiers import ETHICS_LABELS, PERSONA_LABELS, TOPIC_LABELS

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TASK_LABELS = {"ethics": ETHICS_LABELS, "topic": TOPIC_LABELS, "persona": PERSONA_LABELS}


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# Conversation categories whose user messages are not all ordinary (romance, politics, insults toward her)
NOT_ALL_NORMAL = {"written:boundary"}
# ordinary conversation messages sampled into the ethics training rows
CONVERSATION_MESSAGES = 4000


def conversation_messages() -> list[dict]:
    """The user messages of the written conversations as ordinary (normal) ethics training rows: thousands of
    everyday questions, requests and reactions by nine writers, the kind of message the gate must let pass."""
    from dialogue.data.turns import written_turns

    seen, rows = set(), []
    for t in written_turns():
        if t.category in NOT_ALL_NORMAL or t.message in seen:
            continue
        seen.add(t.message)
        rows.append({"text": t.message, "label": "normal", "lang": t.lang, "kind": "conversation",
                     "split": "train", "source": "written/turns (user messages)"})
    # a seeded sample: enough variety to teach "ordinary", without drowning the offensive classes
    return np.random.default_rng(0).permutation(np.array(rows, dtype=object))[:CONVERSATION_MESSAGES].tolist()


def task_rows(task: str) -> list[dict]:
    """A classifier's labelled rows ({"text" or "previous"+"message", "label", "split", "lang", ...}).

    Ethics, topic and persona: the written data (dialogue/data/written: train, val and test by writer) plus
    the generated rows (dialogue/data/<task>.jsonl; persona: the generated SFT turns' messages and the memory
    cases' questions). Those train on their train and val splits; their test split is kept as
    "test_templated", reported beside the written test, never used for a choice.
    """
    from dialogue.data.written import ethics_rows, heldout_texts, persona_questions, topic_rows, without_texts

    if task == "persona":
        from dialogue.data.persona_questions import persona_question_rows
        from dialogue.data.turns import load_turns

        written = persona_questions()
        generated = [dict(r, split="test_templated" if r["split"] == "test" else "train")
                     for r in persona_question_rows(load_turns(), read_jsonl(DATA_DIR / "memory_cases.jsonl"))]
        # advances ("could we date? I'm serious") ask none of her facts; the gate lifts an uncounted flag only on a
        # confident question about her, so they train as "none" (writer F's stay out: they measure the lift)
        advances = [{"text": r["text"], "label": "none", "split": "train", "lang": r["lang"],
                     "source": "ethics.jsonl (romance)"}
                    for r in read_jsonl(DATA_DIR / "ethics.jsonl") if r["label"] == "romance" and r["split"] != "test"]
        return without_texts(generated + advances + written, "text", heldout_texts(written, "text"))
    written = ethics_rows() if task == "ethics" else topic_rows()
    if task == "ethics":
        written += conversation_messages()
    key = "text" if task == "ethics" else "message"
    generated = [dict(r, split="test_templated" if r["split"] == "test" else "train", source=f"{task}.jsonl")
                 for r in read_jsonl(DATA_DIR / f"{task}.jsonl")]
    # a training row that happens to be a written held-out text does not train
    return without_texts(generated + written, key, heldout_texts(written, key))


def ordinary_messages(split: str) -> list[str]:
    """The written open-domain and persona messages of the split's writers (`open.jsonl`, `persona.jsonl` and any
    further writer's `open-<writer>.jsonl`, `persona-<writer>.jsonl`), boundary ones left out."""
    from dialogue.data.written import json_lines, task_files

    paths = [path for name in ("open", "persona") for path, in_split in task_files(name) if in_split == split]
    return [row["message"] for path in paths for _, row in json_lines(path) if row.get("category") != "boundary"]


def memory_case_rows() -> list[dict]:
    """The retrieval cases: the written ones (dialogue/data/written: train, val and test by writer) and the
    generated ones of dialogue/data/memory_cases.jsonl, whose test split is kept as "test_templated"
    (reported beside the written test, never used for a choice). Held-out questions never train."""
    from dialogue.data.written import heldout_texts, memory_cases, without_texts

    written = memory_cases()
    generated = [dict(r, split="test_templated" if r["split"] == "test" else r["split"])
                 for r in read_jsonl(DATA_DIR / "memory_cases.jsonl")]
    return without_texts(generated, "question", heldout_texts(written, "question")) + written
