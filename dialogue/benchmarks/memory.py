"""`ohlora bench memory`: embedding one message, the classifiers of a turn, retrieval over 10,000 memories."""
from __future__ import annotations

import os
import time
from datetime import datetime

import numpy as np
import torch

from dialogue.answer_bank import AnswerBank
from dialogue.classifiers import (HEADS_DIR, EthicsClassifier, PersonaQuestionClassifier, TopicChangeClassifier,
                                  describe)
from dialogue.crisis import CrisisDetector
from dialogue.database import open_database
from dialogue.encoder import SentenceEncoder, shared_encoder
from dialogue.evaluation.reports import markdown_table
from dialogue.layer_classifier import LayerEnsemble, is_layer_classifier
from dialogue.memory import RELEVANCE_CANDIDATES, MemoryStore
from dialogue.memory_relevance import pair_text
from dialogue.tastes import TasteSheet


BENCH_TITLE = "Memory, topic change and ethics (dialogue II)"


def bench_memory_and_classifiers(memories: int = 10_000, reps: int = 30, threads: int | None = None) -> str:
    """The issue's speed targets, as a markdown section: embedding one message, both classifiers on a
    turn (and with the persona-question classifier, what a turn runs), retrieval over `memories` memories of
    one user. Medians of `reps` uncached calls."""
    if threads:
        torch.set_num_threads(threads)
    enc = shared_encoder()
    ethics, topic, persona = EthicsClassifier(enc), TopicChangeClassifier(enc), PersonaQuestionClassifier(enc)
    setups = {"shipped": (enc, ethics, topic, persona)}
    packed = enc.packed
    names = ("ethics", "topic", "persona")
    if packed and all(is_layer_classifier(HEADS_DIR / n) for n in names):
        # the fp32 alternative, measured side by side with what ships (fp16-packed layers)
        enc32 = SentenceEncoder(packed=False)
        heads = {n: LayerEnsemble.load(HEADS_DIR / n, enc32.config, packed=False) for n in names}
        setups["fp32"] = (enc32, EthicsClassifier(enc32, heads["ethics"]), TopicChangeClassifier(enc32, heads["topic"]),
                          PersonaQuestionClassifier(enc32, heads["persona"]))
    messages = ["내일 친구랑 카페 가기로 했어", "What should I do tomorrow?", "오늘 시험 끝나서 너무 신나!",
                "my dog Choco ran all over the park", "로라야 너 MBTI 뭐야?", "I'm dying for some ramen"]
    previous = "사용자가 내일 친구와 카페에 가기로 함"

    def timed(encoder, fn, reps, before=None) -> list[float]:
        ts = []
        for i in range(reps):
            encoder.clear_cache()
            if before is not None:
                before(i)
            t0 = time.perf_counter(); fn(i); ts.append(time.perf_counter() - t0)
        return ts

    msg = lambda i: messages[i % len(messages)] + f" {i}"  # noqa: E731  (never a cache hit)
    times: dict[str, dict[str, list[float]]] = {name: {"embed": [], "turn": [], "cold": [], "all": []}
                                                for name in setups}
    for name, (e, eth, top, per) in setups.items():  # warm up
        for m in messages:
            eth.classify(m); top.changed(previous, m); per.aspect(m)
    rounds = 3  # the configurations alternate in rounds: a busy spell of the machine hits both
    for r in range(rounds):
        for name, (e, eth, top, per) in setups.items():
            n = reps // rounds + (1 if r < reps % rounds else 0)
            t = times[name]
            t["embed"] += timed(e, lambda i: e.encode_one(msg(i)), n)
            # a turn: the gate classifies the message (one full encoder pass, cached), retrieval reuses its
            # embedding, the topic detector reuses its states; the summary was prepared after the previous answer
            both = lambda i: (eth.classify(msg(i)), top.changed(previous, msg(i)))  # noqa: E731
            t["turn"] += timed(e, both, n, before=lambda i: top.prepare(previous))
            t["cold"] += timed(e, both, n)
            every = lambda i: (both(i), per.aspect(msg(i)))  # noqa: E731
            t["all"] += timed(e, every, n, before=lambda i: top.prepare(previous))
    med = {name: {k: 1000 * float(np.median(v)) for k, v in t.items()} for name, t in times.items()}
    store = MemoryStore(open_database(":memory:"), enc)
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((memories, enc.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    key_vecs = np.roll(vecs, 1, axis=0)  # stand-in key embeddings (a memory is matched on both)
    now = datetime.now().astimezone()
    with store.db.transaction() as conn:
        conn.executemany("INSERT INTO memories (user_id, slot, key, value, embedding, key_embedding, created_at, "
                         "updated_at) VALUES ('bench', ?, ?, ?, ?, ?, ?, ?)",
                         [(f"k{i}", f"k{i}", f"v{i}", v.tobytes(), kv.tobytes(), now.timestamp(), now.timestamp())
                          for i, (v, kv) in enumerate(zip(vecs, key_vecs))])
    store._invalidate("bench")
    query = "내일 뭐 하지?"
    q = enc.encode_one(query)
    t0 = time.perf_counter(); store.search("bench", query, now, k=1, query_embedding=q)
    first = 1000 * (time.perf_counter() - t0)
    ask = lambda i: store.best_with_relevance("bench", query, now, query_embedding=q)  # noqa: E731
    warm = cold = pair_only = None
    if store.pair is not None:
        # in a turn the question's states come from the classifiers' encoder pass and the memory's from its
        # write (`remember_many`); `cold`: that memory written before a restart, its frozen pass not redone yet
        candidates = [(m.key, m.value) for m in store.search("bench", query, now, k=RELEVANCE_CANDIDATES,
                                                               query_embedding=q)]
        layer = store.pair.from_layer
        warm = lambda i: (enc.token_states([query], layer), enc.token_states(  # noqa: E731
            [pair_text(k, v) for k, v in candidates], layer, full=False))
        cold = 1000 * float(np.median(timed(enc, ask, reps, before=lambda i: enc.token_states([query], layer))))
        pair_only = 1000 * float(np.median(timed(enc, lambda i: store.pair_log_odds_many(query, candidates),
                                                 reps, before=warm)))
    retrieve = 1000 * float(np.median(timed(enc, ask, reps, before=warm)))
    bank = AnswerBank.from_written(enc)
    # in a turn the message's embedding is cached by retrieval; the lookup is the search over the written
    # messages and the checks of the nearest ones
    lookup = 1000 * float(np.median(timed(enc, lambda i: bank.best(msg(i), now),
                                          reps, before=lambda i: enc.encode_one(msg(i)))))
    # a follow-up is looked up once more, read with the user's message before it: e5 passes of the two together and
    # of the earlier message (uncached here; in a turn it was embedded the turn before)
    follow_up = 1000 * float(np.median(timed(enc, lambda i: bank.carried_over_in_context(msg(i), "나 요즘 좀 바빠", now),
                                             reps, before=lambda i: enc.encode_one(msg(i)))))
    fitting = None
    if bank.fit is not None:  # below the nearest: the cross-encoder on the eight nearest written answers
        nearest = np.argsort(-(bank.embeddings @ enc.encode_one(msg(0))))[:bank.candidates]
        near = [bank.entries[j].answer for j in nearest]
        fitting = 1000 * float(np.median(timed(enc, lambda i: bank.fit.probabilities(msg(i), near), reps,
                                               before=lambda i: enc.token_states([msg(i)], bank.fit.model.from_layer))))
    tastes = TasteSheet.from_written(enc)
    # a turn with no memory and no hard fact asked reads which line of her taste sheet the message asks about
    taste = 1000 * float(np.median(timed(enc, lambda i: tastes.match(msg(i)), reps,
                                         before=lambda i: enc.encode_one(msg(i)))))
    crisis = CrisisDetector(enc)
    # before anything else in a turn it reads the message: its e5 embedding is then cached for the rest
    care = 1000 * float(np.median(timed(enc, lambda i: crisis.assess(msg(i)), reps,
                                        before=lambda i: enc.encode_one(msg(i)))))
    kinds = "; ".join(f"{name}: {describe(c.head)}" for name, c in (("ethics", ethics), ("topic change", topic),
                                                                     ("persona question", persona)))
    fp32 = med.get("fp32")
    timed_rows = [("embed one message (e5-small, uncached)", "embed", "≤ 15"),
                  ("ethics + topic-change classifiers on a turn (message encoder pass included, uncached; summary "
                   "prepared after the previous answer)", "turn", "≤ 25"),
                  ("the same with the summary encoded in the call too", "cold", ""),
                  ("what a turn runs: ethics + topic change + persona question (summary prepared)", "all", "")]
    rows = [[label, f"{med['shipped'][k]:.1f}", target] + ([f"{fp32[k]:.1f}"] if fp32 else [])
            for label, k, target in timed_rows]
    rows += [[f"retrieval over {memories:,} memories of one user (query embedded; relevance model"
              + (f" and cross-encoder on the {RELEVANCE_CANDIDATES} best-ranked memories" if store.pair is not None else "")
              + " included)",
              f"{retrieve:.2f}", "≤ 10"] + ([""] if fp32 else []),
             *([[f"of which the cross-encoder on those memories ({len(store.pair.layers)} layers, one batch; the rest, search "
                 f"over {memories:,} and the gate, is the difference)", f"{pair_only:.2f}", ""] + ([""] if fp32 else []),
                ["the same, the memories' frozen passes not precomputed (first retrieval after a restart)",
                 f"{cold:.2f}", ""] + ([""] if fp32 else [])] if cold is not None else []),
             [f"first retrieval after a write (loads {memories:,} rows from SQLite)", f"{first:.1f}", ""]
             + ([""] if fp32 else []),
             [f"written-answer lookup over {len(bank.entries):,} written messages (message embedded; "
              "dialogue.answer_bank)", f"{lookup:.2f}", ""] + ([""] if fp32 else []),
             ["a follow-up's second lookup, read with the user's message before it (their e5 pass together "
              "and of the earlier one, uncached, included)", f"{follow_up:.2f}", ""] + ([""] if fp32 else []),
             *([[f"the answer-fit cross-encoder on {bank.candidates} written answers (message's encoder pass cached, "
                 f"answers' frozen states prepared; {len(bank.fit.model.layers)} layers, one batch)", f"{fitting:.2f}",
                 ""] + ([""] if fp32 else [])] if fitting is not None else []),
             [f"her taste sheet's line (message embedded; logistic regression over e5 and the nearest of "
              f"{len(tastes.questions):,} written questions, dialogue.tastes)", f"{taste:.2f}", ""] + ([""] if fp32 else []),
             ["crisis detector (message embedded; e5 head and character n-grams, dialogue.crisis)",
              f"{care:.2f}", ""] + ([""] if fp32 else [])]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    weights = "fp16-packed encoder and classifier layers" if packed else "fp32 encoder and classifier layers"
    header = ["step", f"ms ({weights}, shipped)", "target"] + (["ms (fp32 layers, side by side)"] if fp32 else [])
    return (f"Median milliseconds over {reps} calls, one process, {torch.get_num_threads()} torch thread(s); load "
            f"average {load:.1f} on {os.cpu_count()} cores when the run ended (figures from a busy machine are "
            f"upper bounds). Classifiers: {kinds}. Configurations measured in {rounds} alternating rounds.\n\n"
            + markdown_table(header, rows))
