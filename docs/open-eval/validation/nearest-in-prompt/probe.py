"""Probe: the nearest written exchanges (below the bank's serving threshold) put into the answer prompt as
earlier exchanges. Run from the repository root with the project's environment, e.g.
`RAG_LOW=0.85 RAG_K=1 .venv/bin/python docs/open-eval/validation/nearest-in-prompt/probe.py eval open answers
--set validation/open --transcript T.jsonl`; RAG_LOW: the cosine floor, RAG_K: how many exchanges."""
import os, sys
from dataclasses import replace
import numpy as np
from dialogue import conversation as conv
from dialogue.answer_bank import carries_over
from dialogue.prompting import language_of

LOW = float(os.environ.get("RAG_LOW", "0.85"))
K = int(os.environ.get("RAG_K", "1"))
orig = conv.PersonaChat._context
LOG = open(os.environ.get("RAG_LOG", "/tmp/rag.log"), "a")


def near(bank, message, now):
    lang = language_of(message)
    q = bank.encoder.encode_one(message, "query")
    sims = bank.embeddings @ q
    out = []
    for i in np.argsort(-sims)[:16]:
        s = float(sims[i])
        if s < LOW:
            break
        e = bank.entries[i]
        if e.lang == lang and carries_over(e, message, now):
            out.append((s, e))
        if len(out) >= K:
            break
    return out


def _context(self, user_id, message, now):
    ctx, mem = orig(self, user_id, message, now)
    if ctx.memory or ctx.persona_aspect or self.answers is None or len(ctx.history) > 1:
        return ctx, mem
    found = near(self.answers, message, now)
    if found:
        ex = tuple((e.message, e.answer) for _, e in reversed(found))
        ctx = replace(ctx, history=ex + tuple(ctx.history))
        print(repr(message), "<-", [(round(s, 3), e.message) for s, e in found], file=LOG, flush=True)
    return ctx, mem


conv.PersonaChat._context = _context
from realtime.cli import main
sys.exit(main(sys.argv[1:]))
