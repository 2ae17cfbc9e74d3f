"""Training the answer-fit cross-encoder (`ohlora classifiers train --task answer_fit`): does a written answer
fit this message, after the exchange before it?

Every first turn of the written conversations (the answers the bank serves) and a sample of the later ones
gives a pair that fits (what the user asked, with the exchange before it, and the writer's answer) and one that
does not: mostly the first answer of another conversation whose message is among the nearest to this one (what
the answer bank would serve to a near miss or to a follow-up read as a first message), else a random answer in
the same language. The top e5 layers are fine-tuned on them
(`train_layer_classifier`); a twentieth of the conversations, held apart, chooses the epoch and the
temperature. The serving threshold is chosen later, on the validation open messages (docs/open-eval/).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from dialogue.answer_bank import FIT_LABELS, asked_text, evaluation_messages, fit_text, written_first_answers
from dialogue.data.written import conversations, normalized
from dialogue.training.classifier_layers import train_layer_classifier

# Written first messages at least this alike are taken for other wordings of the same message: their answers
# are not used as answers that do not fit.
SAME_MESSAGE = 0.96
NEAREST = 10
# later turns sampled (of about 9,600): with every first turn, what one epoch on two cores affords
LATER_TURNS = 3000
# the share of the not-fitting answers drawn from near misses; the rest are random
NEAR_MISS_SHARE = 0.7


def _held_apart(conversation_id: str, share: float) -> bool:
    return int(hashlib.sha256(conversation_id.encode()).hexdigest()[:8], 16) / 16 ** 8 < share


def answer_fit_rows(encoder, seed: int = 0, dev_share: float = 0.05, later_turns: int = LATER_TURNS,
                    progress: Callable[[str], None] = print) -> list[dict]:
    """{"previous": what was asked (`asked_text`), "message": an answer (`fit_text`), "label": fits / other,
    "split", "source"} for the first turns and `later_turns` sampled later turns of the training writers' conversations
    whose message no validation or test set holds (conversations with stored memories left out: their answers
    use what the pair does not show)."""
    rng = np.random.default_rng(seed)
    held_out = evaluation_messages()
    firsts = written_first_answers(held_out, variants=False)
    turns = []  # (conversation id, lang, asked, message, answer, answers of the same conversation)
    later = []
    for conv in conversations():
        if conv.get("memories"):  # answers that use stored memories the pair does not show
            continue
        answers = {t["answer"].strip() for t in conv["turns"]}
        previous = None
        for k, t in enumerate(conv["turns"]):
            if normalized(t["user"]) not in held_out:
                turn = (conv["id"], conv["lang"], asked_text(t["user"], previous), t["user"], t["answer"].strip(),
                        answers)
                (later if k else turns).append(turn)
            previous = (t["user"], t["answer"].strip())
    turns += [later[i] for i in sorted(rng.choice(len(later), min(later_turns, len(later)), replace=False))]
    progress(f"answer fit: {len(turns)} written turns, {len(firsts)} first answers to draw near misses from")
    first_vecs = encoder.encode([e.message for e in firsts], "query", batch_size=64)
    vecs = encoder.encode([t[3] for t in turns], "query", batch_size=64)
    by_lang = {lang: [i for i, t in enumerate(turns) if t[1] == lang] for lang in ("ko", "en")}
    rows = []
    for i, (cid, lang, asked, _, answer, own) in enumerate(turns):
        split = "val" if _held_apart(cid, dev_share) else "train"
        rows.append({"previous": asked, "message": fit_text(answer), "label": "fits", "split": split,
                     "source": "written/turns"})
        sims = first_vecs @ vecs[i]
        near = [j for j in np.argsort(-sims)[:NEAREST * 3]
                if sims[j] < SAME_MESSAGE and firsts[j].lang == lang and firsts[j].answer not in own][:NEAREST]
        if near and rng.random() < NEAR_MISS_SHARE:
            other = firsts[int(rng.choice(near))].answer
        else:
            while True:
                other = turns[int(rng.choice(by_lang[lang]))][4]
                if other not in own:
                    break
        rows.append({"previous": asked, "message": fit_text(other), "label": "other", "split": split,
                     "source": "written/turns"})
    return rows


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p[:, 1]))


def train_answer_fit(encoder, top_layers: int = 2, epochs: int = 2, lr: float = 5e-5, seed: int = 0,
                     max_minutes: float | None = None, progress: Callable[[str], None] = print):
    """Fine-tune the answer-fit cross-encoder; the epoch (best ROC AUC) and temperature are chosen on the
    conversations held apart. Returns the model and a record of the run."""
    rows = answer_fit_rows(encoder, seed, progress=progress)
    progress(f"answer fit: {sum(r['split'] == 'train' for r in rows)} train pairs, "
             f"{sum(r['split'] == 'val' for r in rows)} held-apart pairs")
    model, record = train_layer_classifier("answer_fit", encoder, rows, FIT_LABELS, top_layers, epochs, lr,
                                           seed=seed, augment=False, select=_roc_auc, max_minutes=max_minutes,
                                           progress=progress)
    model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    model.meta.update({"task": "answer_fit", "encoder": "multilingual-e5-small", "record": record})
    return model, record
