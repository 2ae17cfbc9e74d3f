"""`ohlora bench dialogue --part llm`: the persona LLM's speed side by side with llama.cpp on the same prompts.

Rows, interleaved per repetition so that the shared machine's load falls on all of them alike:
- ohlora as shipped (`InProcessLLM`: fp16-packed base, role adapters as LoRA side matmuls, persona head),
- the same with Gemma's whole 262,144-row LM head (what the persona vocabulary saves),
- ohlora with fp32 weights (the reference the packed path is checked against),
- llama.cpp in a process of its own (`llama-cpp-python`, the `llamacpp` extra) on the same Gemma GGUF with the
  answer adapter as GGUF LoRA, greedy, the same threads;
each on the first answer of a conversation (caches cleared) and on the next turn (prompt caches warm);
then several answers at once through one `InProcessLLM` (1, 4, 16 sessions), and the load time and resident
memory of a process that holds only the LLM.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from dialogue.llm import InProcessLLM
from dialogue.llm_loading import ADAPTERS_DIR, load_default_llm
from dialogue.prompting import TurnContext, answer_prompt, expression_prompt, memory_prompt, summary_prompt

# (first message, its retrieved memory, the user's next message): two turns of a conversation
CONVERSATIONS = [
    ("오늘 친구랑 카페 가기로 했어! 너는 오늘 뭐 해?", "", "카페에서 뭐 마실지 추천해 줄래?"),
    ("What's your MBTI?", "", "Do you think it suits you?"),
    ("내일 뭐 입고 나갈까?", "[내일 날씨: 비]", "우산도 챙겨야겠지?"),
    ("Can you recommend a good book for a long train ride?", "", "Something lighter, maybe?"),
]
NOW = datetime(2025, 11, 29, 15, 0)
# Pause when switching engines: llama.cpp's worker threads keep polling for work for a few hundred ms after each
# call (ggml's threadpool), and would otherwise run beside the next engine's first tokens.
SETTLE_S = 0.5
REPO_ROOT = Path(__file__).resolve().parents[2]  # the llama.cpp worker runs `python -m` from here


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


class LlamaCppAnswers:
    """llama.cpp in process on the embedded GGUF with the answer adapter: greedy decoding of token ids."""

    def __init__(self, threads: int) -> None:
        from llama_cpp import Llama

        from dialogue.llamacpp import keep_weights_off_amx
        from weights.llamacpp import prepare_llamacpp

        keep_weights_off_amx()  # on an AMX CPU the default buffers crash on the first token
        files = prepare_llamacpp()
        self.model = Llama(model_path=str(files.base), lora_path=str(files.adapters["answer"]), n_ctx=2048,
                           n_threads=threads, n_threads_batch=threads, verbose=False)
        eot = self.model.tokenize(b"<end_of_turn>", add_bos=False, special=True)
        self.stop = {self.model.token_eos(), *eot[:1]}

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("llama_cpp") is not None

    def answer(self, prompt: str, max_tokens: int, cold: bool) -> tuple[float, float | None, int]:
        """(first token s, decode tokens/s, tokens). Unless `cold`, llama.cpp's prompt cache keeps what the
        previous call read and wrote, and only the rest of this prompt is read."""
        tokens = self.model.tokenize(prompt.encode(), add_bos=True, special=True)
        if cold:
            self.model.reset()
        t0 = time.perf_counter()
        first, n = None, 0
        for token in self.model.generate(tokens, top_k=1, temp=0.0, repeat_penalty=1.0):
            if token in self.stop:
                break
            n += 1
            if first is None:
                first = time.perf_counter()
            if n >= max_tokens:
                break
        end = time.perf_counter()
        tps = (n - 1) / (end - first) if first is not None and n >= 8 else None
        return (first or end) - t0, tps, n


class LlamaCppProcess:
    """`LlamaCppAnswers` in its own process, driven over a pipe: each engine runs as a user would run it,
    alone in its process; in one process llama.cpp's threads slowed ohlora's decoding by a third."""

    def __init__(self, threads: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "dialogue.benchmarks.llm", "llamacpp-worker", str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=REPO_ROOT)
        if self._read() != {"ready": True}:
            raise RuntimeError("the llama.cpp worker did not start; try `python -m dialogue.benchmarks.llm llamacpp-worker 2`")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the llama.cpp worker exited")
        return json.loads(line)

    def answer(self, prompt: str, max_tokens: int, cold: bool) -> tuple[float, float | None, int]:
        self.proc.stdin.write(json.dumps({"prompt": prompt, "max_tokens": max_tokens, "cold": cold}) + "\n")
        self.proc.stdin.flush()
        r = self._read()
        return r["first_s"], r["tps"], r["tokens"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _llamacpp_worker(threads: int) -> None:
    engine = LlamaCppAnswers(threads)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        first, tps, n = engine.answer(req["prompt"], req["max_tokens"], req["cold"])
        print(json.dumps({"first_s": first, "tps": tps, "tokens": n}), flush=True)


def load_probe() -> tuple[float, float]:
    """(seconds to load, resident MB after loading) of the default LLM in a fresh process."""
    code = ("import time,torch;t=time.perf_counter();from dialogue.llm_loading import load_default_llm;"
            "llm=load_default_llm(threads=2);llm.generate_text('answer','hi',max_new_tokens=1);"
            "t=time.perf_counter()-t;"
            "rss=int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])/1024;print(t,rss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, rss = out.stdout.split()[-2:]
    return float(seconds), float(rss)


def _concurrent(llm: InProcessLLM, prompts: list[str], sessions: int, max_tokens: int) -> tuple[list, list]:
    """N answers started together: (first token s per session, decode tokens/s per session)."""
    async def one(prompt: str):
        t0 = time.perf_counter()
        first = None
        async for ev in llm.generate("answer", prompt, max_new_tokens=max_tokens):
            if first is None:
                first = time.perf_counter() - t0
            last = ev
        return first, last.timings.get("decode_tokens_per_s") if last.tokens >= 8 else None

    async def run():
        return await asyncio.gather(*(one(prompts[i % len(prompts)]) for i in range(sessions)))

    results = asyncio.run(run())
    return [f for f, _ in results if f is not None], [t for _, t in results if t is not None]


def bench(reps: int = 3, decode_tokens: int = 40, threads: int = 2, sessions: tuple[int, ...] = (1, 4, 16),
          llamacpp: bool = True) -> str:
    """The markdown section body; see the module docstring."""
    import torch

    torch.set_num_threads(threads)
    llm = load_default_llm(threads=threads)
    shipped = "fp16-packed" if llm.decoder.packed else "fp32"
    head_rows = len(llm.vocab) if llm.vocab is not None else llm.decoder.cfg.vocab_size
    full = load_default_llm(threads=threads, full_vocabulary=True) if llm.vocab is not None else None
    reference = None
    if llm.decoder.packed:
        from weights import prepared_path

        reference = InProcessLLM.from_pretrained(prepared_path("gemma3-270m"), ADAPTERS_DIR, threads=threads,
                                                 packed=False)
    llama = LlamaCppProcess(threads) if llamacpp and LlamaCppAnswers.available() else None
    first_prompts = [answer_prompt(m, TurnContext(now=NOW, memory=mem)) for m, mem, _ in CONVERSATIONS]
    # the second turn carries the first exchange (her answer as ohlora wrote it, the same text for every engine)
    answers = [llm.generate_text("answer", p, max_new_tokens=decode_tokens).text for p in first_prompts]
    next_prompts = [answer_prompt(m2, TurnContext(now=NOW, history=((m1, a1),)))
                    for (m1, _, m2), a1 in zip(CONVERSATIONS, answers)]

    labels = [f"ohlora ({shipped}, shipped)"] + (["ohlora (fp32 reference)"] if reference else [])
    full_label = f"ohlora ({shipped}, full {full.decoder.cfg.vocab_size:,}-row head)" if full else ""
    labels += [full_label] if full else []
    labels += ["llama.cpp"] if llama else []
    rows = {label: {"cold": [], "warm": [], "tps": [], "layers_ms": [], "head_ms": [], "post": []} for label in labels}

    def ours(engine: InProcessLLM, label: str, i: int) -> None:
        row = rows[label]
        engine.clear_prefix_cache()
        c = engine.generate_text("answer", first_prompts[i], max_new_tokens=decode_tokens)
        st = engine.last_stats
        row["cold"].append(c.timings.get("first_token_s", float("nan")))
        if "decode_tokens_per_s" in c.timings and c.tokens >= 8:
            row["tps"].append(c.timings["decode_tokens_per_s"])
        if st.steps:
            row["layers_ms"].append(1000 * st.layers_s / st.steps)
            row["head_ms"].append(1000 * st.head_s / (st.steps + 1))
        c = engine.generate_text("answer", next_prompts[i], max_new_tokens=decode_tokens)
        row["warm"].append(c.timings.get("first_token_s", float("nan")))

    def post_roles(engine: InProcessLLM, label: str) -> None:
        """memory, summary and expression started together, as the conversation runs them"""
        async def three(m: str, answer: str) -> None:
            async def run(role: str, prompt: str, n: int) -> None:
                async for _ in engine.generate(role, prompt, max_new_tokens=n):
                    pass
            await asyncio.gather(run("memory", memory_prompt(m, NOW), 48), run("summary", summary_prompt(m, answer), 40),
                                 run("expression", expression_prompt(answer), 20))

        for (m, _, _), answer in zip(CONVERSATIONS, answers):
            t0 = time.perf_counter()
            asyncio.run(three(m, answer))
            rows[label]["post"].append(time.perf_counter() - t0)

    def theirs(i: int) -> None:
        row = rows["llama.cpp"]
        ttft, tps, _ = llama.answer(first_prompts[i], decode_tokens, cold=True)
        row["cold"].append(ttft)
        if tps is not None:
            row["tps"].append(tps)
        row["warm"].append(llama.answer(next_prompts[i], decode_tokens, cold=False)[0])

    if llama:
        llama.answer(first_prompts[0], 4, cold=True)  # warm-up
    concurrency = {n: {"ttft": [], "tps": []} for n in sessions}
    for _ in tqdm(range(reps), desc="bench dialogue llm", unit="rep"):
        for i in range(len(CONVERSATIONS)):  # the engines alternate conversation by conversation
            ours(llm, labels[0], i)
            if full:
                ours(full, full_label, i)
            if llama:
                time.sleep(SETTLE_S)
                theirs(i)
                time.sleep(SETTLE_S)
        post_roles(llm, labels[0])
        if full:
            post_roles(full, full_label)
        for n in sessions:
            llm.clear_prefix_cache()
            ttft, tps = _concurrent(llm, first_prompts, n, decode_tokens)
            concurrency[n]["ttft"] += ttft
            concurrency[n]["tps"] += tps
    if reference:  # a reference row, not a competitor: one pass after the others
        reference.generate_text("answer", first_prompts[0], max_new_tokens=4)
        for i in range(len(CONVERSATIONS)):
            ours(reference, labels[1], i)
        post_roles(reference, labels[1])
        reference.close()
    if full:
        full.close()
    if llama:
        llama.close()
    llm.close()
    del reference, llm, full
    load_s, rss_mb = load_probe()

    lines = [f"Two-turn conversations ({len(CONVERSATIONS)}: Korean and English, one with a retrieved memory), greedy, "
             f"no repetition penalty, up to {decode_tokens} tokens, {threads} threads; medians over {reps} × "
             f"{len(CONVERSATIONS)} per row. *New conversation*: the first "
             "answer with every cache cleared. *Next turn*: the second answer, whose prompt repeats the first "
             "exchange, right after the first (each engine's prompt cache holds what it read and wrote). ohlora "
             f"decodes through its persona vocabulary's head ({head_rows} rows), beside the same engine on Gemma's "
             "whole head (interleaved with it); llama.cpp (llama-cpp-python, in "
             "a process of its own, as ohlora in this one) runs the embedded Q4_K_M GGUF with the answer adapter as GGUF LoRA and its full "
             "262,144-token head; the two alternate conversation by conversation, with a 0.5 s pause at each switch (the "
             "other engine's threads idle). The fp32 reference runs once after "
             "them. Post-answer roles: memory, summary and expression started together (as a conversation runs "
             "them), timed until the last ends.", "",
             "| engine | first token, new conversation | first token, next turn | decode tokens/s | per token: "
             "layers | per token: LM head | post-answer roles |", "|---|---|---|---|---|---|---|"]
    for label, row in rows.items():
        layers = f"{_median(row['layers_ms']):.1f} ms" if row["layers_ms"] else "—"
        head = f"{_median(row['head_ms']):.1f} ms" if row["head_ms"] else "—"
        post = f"{_median(row['post']):.2f} s" if row["post"] else "—"
        lines.append(f"| {label} | {_median(row['cold']) * 1000:.0f} ms | {_median(row['warm']) * 1000:.0f} ms | "
                     f"{_median(row['tps']):.1f} | {layers} | {head} | {post} |")
    if llama:
        mine, theirs_ = rows[labels[0]], rows["llama.cpp"]
        lines += ["", f"ohlora / llama.cpp, side by side: decode **{_median(mine['tps']) / _median(theirs_['tps']):.2f}×** "
                      f"the tokens/s (target ≥ 1.0); first token of the next turn "
                      f"**{_median(mine['warm']) / _median(theirs_['warm']):.2f}×** llama.cpp's with its cache warm "
                      f"(target ≤ 1.0), of a new conversation {_median(mine['cold']) / _median(theirs_['cold']):.2f}×."]
    else:
        lines += ["", "llama.cpp rows: not measured (`pip install -e '.[llamacpp]'` adds them)."]
    if full_label:
        mine, whole = rows[labels[0]], rows[full_label]
        lines += ["", f"Persona vocabulary's head against the whole head, side by side: decode "
                      f"**{_median(mine['tps']) / _median(whole['tps']):.2f}×** the tokens/s, LM head per token "
                      f"{_median(mine['head_ms']):.1f} ms against {_median(whole['head_ms']):.1f} ms, first token of "
                      f"a new conversation {_median(mine['cold']) / _median(whole['cold']):.2f}×."]
    lines += ["", "Several answers at once (one `InProcessLLM`, every session's tokens in one forward pass per step; "
                  "all started together, so the first tokens include reading every prompt):", "",
              "| answers at once | first token (median) | first token (worst) | decode tokens/s per answer | "
              "tokens/s, all answers |", "|---|---|---|---|---|"]
    for n, c in concurrency.items():
        tps = _median(c["tps"])
        lines.append(f"| {n} | {_median(c['ttft']) * 1000:.0f} ms | {max(c['ttft'], default=float('nan')) * 1000:.0f} ms"
                     f" | {tps:.1f} | {tps * n:.0f} |")
    lines += ["", f"A fresh process loading the LLM (base, four role adapters, tokenizer) and answering one token: "
                  f"**{load_s:.1f} s**, **{rss_mb:.0f} MB** resident."]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m dialogue.benchmarks.llm llamacpp-worker THREADS (started by LlamaCppProcess)
    if sys.argv[1:2] != ["llamacpp-worker"]:
        raise SystemExit("usage: python -m dialogue.benchmarks.llm llamacpp-worker THREADS")
    _llamacpp_worker(int(sys.argv[2]))
