"""Loaders for the written dialogue data in `dialogue/data/written/` (format: its README.md).

Every file there was written by hand; which writer wrote it decides its split, so a test figure is always
measured on text written by someone who wrote none of the training data:

- `turns/`, `ethics/`, `memory/`, `topic/`: the training writers' files (split "train");
- `variants/`: other wordings of the conversations' first messages, for the answer bank (`message_variants`);
- `validation/<task>.jsonl`: the validation writer's (split "val": every choice is made on it);
- `heldout/<task>.jsonl`: the test writer's (split "test": final figures only).

The loaders check each line and name the file and line of the first mistake. Independent writers still
sometimes write the very same short message ("what's your mom like?"): a training row whose text is also
a validation or test text is dropped, so held-out text never trains.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

WRITTEN_DIR = Path(__file__).resolve().parent / "written"
SPLIT_FOLDERS = {"validation": "val", "heldout": "test"}
ETHICS_LABELS = ("normal", "romance", "politics", "insult", "hate", "sexual")
TOPIC_LABELS = ("continued", "changed")
# the user at risk (`self`), someone the user knows at risk (`other`), neither (`none`): dialogue.crisis
CRISIS_LABELS = ("none", "self", "other")
MEMORY_KINDS = ("direct", "associative", "unrelated", "neighbour")
LEVELS = {"eyes": ("closed", "small", "normal", "wide", "very wide"),
          "mouth": ("closed", "small", "normal", "wide", "very wide"),
          "head": ("left", "slightly left", "none", "slightly right", "right")}


class WrittenDataError(ValueError):
    """A written data file breaks its format; the message names the file and line."""


def json_lines(path: Path):
    """(line number, object) of each non-blank line of a JSONL file; WrittenDataError naming a bad line."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise WrittenDataError(f"{path}:{n}: not valid JSON ({e})") from None
            if not isinstance(row, dict):
                raise WrittenDataError(f"{path}:{n}: expected a JSON object")
            yield n, row


def _need(cond: bool, path: Path, n: int, what: str) -> None:
    if not cond:
        raise WrittenDataError(f"{path}:{n}: {what}")


def _lang(row: dict, path: Path, n: int) -> None:
    _need(row.get("lang") in ("ko", "en"), path, n, f"lang must be 'ko' or 'en', got {row.get('lang')!r}")


def _pair(item, path: Path, n: int, what: str) -> tuple[str, str]:
    _need(isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) and x.strip() for x in item),
          path, n, f"{what} must be a [key, value] pair of non-empty strings, got {item!r}")
    return item[0], item[1]


def normalized(text: str) -> str:
    """Text compared for sameness: lower case, without spaces and punctuation."""
    return re.sub(r"[\W_]+", "", text.lower())


def heldout_texts(rows: list[dict], key: str) -> set[str]:
    """The normalized `key` texts of the validation and test rows among `rows`."""
    return {normalized(r[key]) for r in rows if r["split"] != "train"}


def without_texts(rows: list[dict], key: str, texts: set[str]) -> list[dict]:
    """`rows` less the training rows whose normalized `key` text is in `texts` (held-out text never trains)."""
    return [r for r in rows if r["split"] != "train" or normalized(r[key]) not in texts]


def _without_heldout_text(rows: list[dict], key: str) -> list[dict]:
    return without_texts(rows, key, heldout_texts(rows, key))


def task_files(task: str) -> list[tuple[Path, str]]:
    """(file, split) of every written file of a task ('ethics', 'memory', 'topic', 'open', 'persona')."""
    files = [(p, "train") for p in sorted((WRITTEN_DIR / task).glob("*.jsonl"))]
    for folder, split in SPLIT_FOLDERS.items():
        # `<task>.jsonl` and any further writer's `<task>-<writer>.jsonl`
        for p in sorted((WRITTEN_DIR / folder).glob(f"{task}*.jsonl")):
            if p.stem == task or p.stem.startswith(task + "-"):
                files.append((p, split))
    return files


def answer_set_messages(split: str) -> list[str]:
    """Every message, question or text of the split's written sets of her answers and the classifiers that shape
    them ("val": validation/, "test": heldout/), in file order, each once; not the crisis detector's sets (they
    measure the detector, which reads a message before anything else does)."""
    folder = {"val": "validation", "test": "heldout"}[split]
    return _messages_of(p for p in sorted((WRITTEN_DIR / folder).glob("*.jsonl")) if not p.stem.startswith("crisis"))


def _messages_of(paths) -> list[str]:
    """Every message, question or text of the files, in order, each once."""
    out = [row[k] for path in paths for _, row in json_lines(path) for k in ("message", "question", "text")
           if isinstance(row.get(k), str)]
    return list(dict.fromkeys(out))


ANSWER_SETS = ("open", "persona", "memory", "ownership")  # the sets whose figures are her answers


def her_answer_messages(split: str) -> list[str]:
    """The messages of the split's sets that measure her answers (`ANSWER_SETS`, every writer's file), each once: a
    written answer the server may reuse must not have been written for one of them. The classifiers' sets (ethics,
    topic, remember) measure no answer of hers, so their messages do not bar one."""
    return _messages_of(path for task in ANSWER_SETS for path, in_split in task_files(task) if in_split == split)


def _labelled_messages(task: str, labels: tuple[str, ...]) -> list[dict]:
    """{"text", "label", "lang", "kind", "split", "source"} for every written message of a labelled-message task."""
    out = []
    for path, split in task_files(task):
        for n, r in json_lines(path):
            _need(isinstance(r.get("text"), str) and r["text"].strip(), path, n, "text must be a non-empty string")
            _need(r.get("label") in labels, path, n, f"label must be one of {', '.join(labels)}")
            _lang(r, path, n)
            out.append({"text": r["text"], "label": r["label"], "lang": r["lang"], "kind": r.get("kind", ""),
                        "split": split, "source": path.parent.name + "/" + path.name})
    return _without_heldout_text(out, "text")


def ethics_rows() -> list[dict]:
    """Every written ethics message (`_labelled_messages`)."""
    return _labelled_messages("ethics", ETHICS_LABELS)


def crisis_rows() -> list[dict]:
    """Every written crisis-detector message (`_labelled_messages`): `crisis/` trains,
    `validation/crisis*.jsonl` chooses, `heldout/crisis.jsonl` is the test."""
    return _labelled_messages("crisis", CRISIS_LABELS)


def crisis_context_rows(split: str) -> list[dict]:
    """{"history": [{"user", "answer"}], "message", "label", "lang", "kind"}: short written conversations whose
    earlier turns decide what the last message means, labelled for the crisis detector (none, self, other), read
    with its context (`validation/crisis_context.jsonl` for "val", `heldout/crisis_context.jsonl` for "test")."""
    folder = {"val": "validation", "test": "heldout"}[split]
    path = WRITTEN_DIR / folder / "crisis_context.jsonl"
    out = []
    for n, r in json_lines(path):
        _need(isinstance(r.get("message"), str) and r["message"].strip(), path, n, "message must be a non-empty string")
        _need(r.get("label") in CRISIS_LABELS, path, n, f"label must be one of {', '.join(CRISIS_LABELS)}")
        history = r.get("history")
        _need(isinstance(history, list) and all(isinstance(h, dict) and isinstance(h.get("user"), str)
                                                and isinstance(h.get("answer"), str) for h in history),
              path, n, 'history must be a list of {"user": ..., "answer": ...} exchanges')
        _lang(r, path, n)
        out.append({"history": history, "message": r["message"], "label": r["label"], "lang": r["lang"],
                    "kind": r.get("kind", "")})
    return out


def topic_rows() -> list[dict]:
    """{"previous", "message", "label", "lang", "kind", "history", "split", "source"} per written case."""
    out = []
    for path, split in task_files("topic"):
        for n, r in json_lines(path):
            for key in ("previous", "message"):
                _need(isinstance(r.get(key), str) and r[key].strip(), path, n, f"{key} must be a non-empty string")
            _need(r.get("label") in TOPIC_LABELS, path, n, "label must be 'continued' or 'changed'")
            _lang(r, path, n)
            out.append({"previous": r["previous"], "message": r["message"], "label": r["label"], "lang": r["lang"],
                        "kind": r.get("kind", ""), "history": r.get("history", []), "split": split,
                        "source": path.parent.name + "/" + path.name})
    return _without_heldout_text(out, "message")


def persona_questions() -> list[dict]:
    """{"text", "label", "lang", "kind", "split", "source"}: messages labelled with the fact of hers they ask
    about (dialogue.prompting.PERSONA_ASPECTS) or "none". The training writers' `persona/` files hold both; the
    validation and test writers' questions about her (`persona.jsonl`) come with, as "none", their memory
    cases' direct and associative questions (about the user's own facts; the other kinds include questions
    about her) and their fact-telling messages (`remember*.jsonl`; the "nothing" kind left out, for the same
    reason)."""
    from dialogue.prompting import PERSONA_ASPECTS

    labels = ("none", *PERSONA_ASPECTS)
    out = []
    for path, split in task_files("persona"):
        for n, r in json_lines(path):
            key, label = "text" if split == "train" else "message", r.get("aspect")
            _need(isinstance(r.get(key), str) and r[key].strip(), path, n, f"{key} must be a non-empty string")
            _need(label in labels, path, n, f"aspect must be one of {', '.join(labels)}")
            _lang(r, path, n)
            out.append({"text": r[key], "label": label, "lang": r["lang"], "kind": r.get("kind") or "",
                        "split": split, "source": path.parent.name + "/" + path.name})
    for task, key in (("memory", "question"), ("remember", "message")):
        for path, split in task_files(task):
            if split == "train":
                continue
            for n, r in json_lines(path):
                if r.get("kind") in ("direct", "associative") if task == "memory" else r.get("kind") != "nothing":
                    out.append({"text": r[key], "label": "none", "lang": r["lang"], "kind": task, "split": split,
                                "source": path.parent.name + "/" + path.name})
    return _without_heldout_text(out, "text")


def memory_cases() -> list[dict]:
    """Retrieval cases in the format of dialogue/data/memory_cases.jsonl, with "kind", "split" and "source"."""
    out = []
    for path, split in task_files("memory"):
        for n, r in json_lines(path):
            memories = r.get("memories")
            _need(isinstance(memories, list) and memories, path, n, "memories must be a non-empty list")
            pairs = [list(_pair(m, path, n, "a memory")) for m in memories]
            _need(isinstance(r.get("question"), str) and r["question"].strip(), path, n, "question must be text")
            answer = r.get("answer")
            if answer is not None:
                answer = list(_pair(answer, path, n, "answer"))
                _need(answer in pairs, path, n, f"answer {answer} is not one of the stored memories")
            _need(r.get("kind") in MEMORY_KINDS, path, n, f"kind must be one of {', '.join(MEMORY_KINDS)}")
            _lang(r, path, n)
            out.append({"memories": pairs, "question": r["question"], "answer": answer, "lang": r["lang"],
                        "kind": r["kind"], "group": f"written:{path.stem}:{n}", "split": split,
                        "source": path.parent.name + "/" + path.name})
    return _without_heldout_text(out, "question")


def conversations() -> list[dict]:
    """The SFT conversations of `turns/` (training writers only), checked: levels, languages, `uses` keys."""
    out = []
    for path in sorted((WRITTEN_DIR / "turns").glob("*.jsonl")):
        for n, r in json_lines(path):
            _lang(r, path, n)
            _need(isinstance(r.get("id"), str), path, n, "id must be a string")
            for m in r.get("memories", []):
                _pair(m, path, n, "a memory")
            turns = r.get("turns")
            _need(isinstance(turns, list) and 1 <= len(turns) <= 6, path, n, "turns must hold 1 to 6 exchanges")
            for t in turns:
                for key in ("user", "answer", "summary"):
                    _need(isinstance(t.get(key), str) and t[key].strip(), path, n, f"turn {key} must be text")
                for m in t.get("remember", []):
                    _pair(m, path, n, "a remembered fact")
                expr = t.get("expression", {})
                for control, levels in LEVELS.items():
                    _need(expr.get(control) in levels, path, n,
                          f"expression {control} must be one of {', '.join(levels)}, got {expr.get(control)!r}")
                uses = t.get("uses")
                _need(uses is None or isinstance(uses, str), path, n, "uses must be a memory key or null")
                # a stored memory the gate brings to mind on a turn whose answer leaves it alone
                shown = t.get("shown")
                _need(shown is None or (uses is None and shown in {m[0] for m in r.get("memories", [])}), path, n,
                      "shown must be a stored memory's key, on a turn that uses none")
            out.append({**r, "source": path.name})
    return out


def message_variants() -> dict[str, list[str]]:
    """`variants/*.jsonl`: other ways a user would type a written conversation's first message, written so that
    the same answer fits them word for word; {the message as written in `turns/`: its variants}. The answer bank
    (`dialogue.answer_bank`) finds a first answer by any of them; nothing trains on them."""
    out: dict[str, list[str]] = {}
    for path in sorted((WRITTEN_DIR / "variants").glob("*.jsonl")):
        for n, r in json_lines(path):
            _lang(r, path, n)
            _need(isinstance(r.get("message"), str) and r["message"].strip(), path, n, "message must be text")
            variants = r.get("variants")
            _need(isinstance(variants, list) and all(isinstance(v, str) and v.strip() for v in variants), path, n,
                  "variants must be a list of non-empty strings")
            known = out.setdefault(r["message"], [])
            known.extend(v for v in variants if v not in known)  # a wording written twice counts once
    return out
