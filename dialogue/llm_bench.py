"""`ohlora bench dialogue --part llm`: the persona LLM's speed side by side with llama.cpp on the same prompts.

Rows, interleaved per repetition so that the shared machine's load falls on all of them alike:
- ohlora as shipped (`InProcessLLM`: fp16-packed base, role adapters as LoRA side matmuls, persona head),
- ohlora with fp32 weights (the reference the packed path is checked against),
- llama.cpp in this process (`llama-cpp-python`, the `llamacpp` extra) on the same Gemma GGUF with the
  answer adapter as GGUF LoRA, greedy, the same threads: with its prompt cache warm and cold;
then several answers at once through one `InProcessLLM` (1, 4, 16 sessions), and the load time and resident
memory of a process that holds only the LLM.
"""
from __future__ import annotations

import asyncio
import importlib.util
import statistics
import subprocess
import sys
import time
from datetime import datetime

from tqdm import tqdm

from dialogue.llm import InProcessLLM
from dialogue.prompting import TurnContext, answer_prompt, expression_prompt, language_of, memory_prompt, summary_prompt

MESSAGES = [
    ("오늘 친구랑 카페 가기로 했어! 너는 오늘 뭐 해?", ""),
    ("What's your MBTI?", ""),
    ("내일 뭐 입고 나갈까?", "[내일 날씨: 비]"),
    ("Can you recommend a good book for a long train ride?", ""),
]
NOW = datetime(2025, 11, 29, 15, 0)


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


class LlamaCppAnswers:
    """llama.cpp in process on the embedded GGUF with the answer adapter: greedy decoding of token ids."""

    def __init__(self, threads: int) -> None:
        from llama_cpp import Llama

        from weights.llamacpp import prepare_llamacpp

        files = prepare_llamacpp()
        self.model = Llama(model_path=str(files.base), lora_path=str(files.adapters["answer"]), n_ctx=2048,
                           n_threads=threads, n_threads_batch=threads, verbose=False)
        eot = self.model.tokenize(b"<end_of_turn>", add_bos=False, special=True)
        self.stop = {self.model.token_eos(), *eot[:1]}

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("llama_cpp") is not None

    def answer(self, prompt: str, max_tokens: int, warm: bool) -> tuple[float, float | None, int]:
        """(first token s, decode tokens/s, tokens). `warm`: the same prompt was just read, as llama.cpp's
        prompt cache finds it when a conversation goes on; else the cache is cleared first."""
        tokens = self.model.tokenize(prompt.encode(), add_bos=True, special=True)
        if warm:
            next(iter(self.model.generate(tokens, top_k=1, temp=0.0, repeat_penalty=1.0)))
        else:
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


def load_probe(adapters: str | None = None) -> tuple[float, float]:
    """(seconds to load, resident MB after loading) of the default LLM in a fresh process."""
    code = ("import time,torch;t=time.perf_counter();from dialogue.llm_evaluation import load_default_llm;"
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

    from dialogue.llm_evaluation import load_default_llm

    torch.set_num_threads(threads)
    llm = load_default_llm(threads=threads)
    shipped = "fp16-packed" if llm.decoder.packed else "fp32"
    reference = None
    if llm.decoder.packed:
        from weights import prepared_path

        from dialogue.training import ADAPTERS_DIR

        reference = InProcessLLM.from_pretrained(prepared_path("gemma3-270m"), ADAPTERS_DIR, threads=threads,
                                                 packed=False)
    llama = LlamaCppAnswers(threads) if llamacpp and LlamaCppAnswers.available() else None
    prompts = [answer_prompt(m, TurnContext(now=NOW, memory=mem)) for m, mem in MESSAGES]

    labels = [f"ohlora ({shipped}, shipped)"] + (["ohlora (fp32 reference)"] if reference else [])
    if llama:
        labels += ["llama.cpp, prompt cache warm", "llama.cpp, cold"]
    rows = {label: {"ttft": [], "tps": [], "layers_ms": [], "head_ms": [], "post": []} for label in labels}

    def ours(engine: InProcessLLM, label: str) -> None:
        row = rows[label]
        for p in prompts:
            c = engine.generate_text("answer", p, max_new_tokens=decode_tokens)
            st = engine.last_stats
            row["ttft"].append(c.timings.get("first_token_s", float("nan")))
            if "decode_tokens_per_s" in c.timings and c.tokens >= 8:
                row["tps"].append(c.timings["decode_tokens_per_s"])
            if st.steps:
                row["layers_ms"].append(1000 * st.layers_s / st.steps)
                row["head_ms"].append(1000 * st.head_s / (st.steps + 1))
        for m, _ in MESSAGES[:3]:
            answer = "좋아! 재밌게 보내고 나중에 얘기해 줘 😊" if language_of(m) == "ko" else "I'm an ENTJ! I love making plans."
            t0 = time.perf_counter()
            engine.generate_text("memory", memory_prompt(m), max_new_tokens=24)
            engine.generate_text("summary", summary_prompt(m, answer), max_new_tokens=40)
            engine.generate_text("expression", expression_prompt(answer), max_new_tokens=20)
            row["post"].append(time.perf_counter() - t0)

    def theirs(warm: bool) -> None:
        row = rows["llama.cpp, prompt cache warm" if warm else "llama.cpp, cold"]
        for p in prompts:
            ttft, tps, _ = llama.answer(p, decode_tokens, warm)
            row["ttft"].append(ttft)
            if tps is not None:
                row["tps"].append(tps)

    llm.generate_text("answer", prompts[0], max_new_tokens=4)  # warm-up
    if reference:
        reference.generate_text("answer", prompts[0], max_new_tokens=4)
    if llama:
        llama.answer(prompts[0], 4, warm=False)
    concurrency = {n: {"ttft": [], "tps": []} for n in sessions}
    for _ in tqdm(range(reps), desc="bench dialogue llm", unit="rep"):
        ours(llm, labels[0])
        if reference:
            ours(reference, labels[1])
        if llama:
            theirs(warm=True)
            theirs(warm=False)
        for n in sessions:
            ttft, tps = _concurrent(llm, prompts, n, decode_tokens)
            concurrency[n]["ttft"] += ttft
            concurrency[n]["tps"] += tps
    if reference:
        reference.close()
    llm.close()
    del reference, llm
    load_s, rss_mb = load_probe()

    lines = [f"Answer prompts of {len(prompts)} messages (Korean and English, one with a retrieved memory), greedy, "
             f"no repetition penalty, up to {decode_tokens} tokens, {threads} threads; medians over {reps} × "
             f"{len(prompts)} runs per row, the rows interleaved in each repetition. ohlora decodes through its "
             f"persona vocabulary's head ({llm_head_rows()} rows); llama.cpp (llama-cpp-python, in this process) "
             "runs the embedded Q4_K_M GGUF with the answer adapter as GGUF LoRA and its full 262,144-token head. "
             "Post-answer roles: memory + summary + expression one after another.", "",
             "| engine | first token | decode tokens/s | per token: layers | per token: LM head | post-answer roles |",
             "|---|---|---|---|---|---|"]
    for label, row in rows.items():
        layers = f"{_median(row['layers_ms']):.1f} ms" if row["layers_ms"] else "—"
        head = f"{_median(row['head_ms']):.1f} ms" if row["head_ms"] else "—"
        post = f"{_median(row['post']):.2f} s" if row["post"] else "—"
        lines.append(f"| {label} | {_median(row['ttft']) * 1000:.0f} ms | {_median(row['tps']):.1f} | {layers} | "
                     f"{head} | {post} |")
    if llama:
        mine, warm = rows[labels[0]], rows["llama.cpp, prompt cache warm"]
        lines += ["", f"ohlora / llama.cpp: decode **{_median(mine['tps']) / _median(warm['tps']):.2f}×** the tokens/s "
                      f"(target ≥ 1.0), first token **{_median(mine['ttft']) / _median(warm['ttft']):.2f}×** llama.cpp's "
                      "with its cache warm (target ≤ 1.0)."]
    else:
        lines += ["", "llama.cpp rows: not measured (`pip install -e '.[llamacpp]'` adds them)."]
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


def llm_head_rows() -> int:
    from dialogue.training import ADAPTERS_DIR
    from dialogue.vocabulary import load_vocabulary

    return len(load_vocabulary(ADAPTERS_DIR / "vocabulary.json"))
