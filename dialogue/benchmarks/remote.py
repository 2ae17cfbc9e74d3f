"""`ohlora bench remote`: the remote LLM path side by side with the engine itself and the in-process path.

Same answer prompts, greedy, one at a time on this machine, interleaved per repetition:
- engine directly: a bare streaming HTTP client on llama.cpp's server (the engine's own first token);
- ohlora's remote path: `RemoteLLM.generate` (pooled session, SSE parsing) on the same server;
- ohlora's remote turn: `PersonaChat.turn` on it (prompt building, validation, the held-back last word);
- in-process: `InProcessLLM.generate` (`dialogue.decoder`, fp16-packed where available), and its turn.
The difference between the first two is the remote path's overhead (target ≤ 50 ms on the first token).
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import datetime

from tqdm import tqdm

from dialogue.interfaces import TokenEvent
from dialogue.llm import Completion
from dialogue.prompting import TurnContext, answer_prompt

NOW = datetime(2025, 11, 29, 15, 0)
PROMPTS = [("오늘 친구랑 카페 가기로 했어! 너는 오늘 뭐 해?", ""), ("What's your MBTI?", ""),
           ("내일 뭐 입고 나갈까?", "[내일 날씨: 비]")]
TARGET_OVERHEAD_MS = 50


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


async def engine_direct(http, url: str, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    """(first token s, decode tokens/s, tokens) with nothing but an HTTP client reading the stream."""
    body = {"model": "answer", "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
            "stop": ["<end_of_turn>"]}
    t0 = time.perf_counter()
    first, n = None, 0
    async with http.post(f"{url}/completions", json=body) as resp:
        async for raw in resp.content:
            if raw.startswith(b"data: {"):
                if json.loads(raw[6:])["choices"][0].get("text"):
                    first = first or time.perf_counter()
                    n += 1
    total = time.perf_counter() - t0
    return first - t0, (n - 1) / max(total - (first - t0), 1e-9), n


async def via_backend(llm, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    done = None
    async for ev in llm.generate("answer", prompt, max_new_tokens=max_tokens):
        if isinstance(ev, Completion):
            done = ev
    return (done.timings.get("first_token_s", float("nan")), done.timings.get("decode_tokens_per_s", float("nan")),
            done.tokens)


async def turn_first_token(engine, message: str) -> float:
    """chat.send to the first TokenEvent of a whole turn (the rest of the turn, roles included, runs out)."""
    t0 = time.perf_counter()
    first = None
    async for ev in engine.turn("bench", message, NOW):
        if isinstance(ev, TokenEvent) and first is None:
            first = time.perf_counter() - t0
    engine.conversations.delete_user("bench")  # every rep starts a fresh conversation
    return first if first is not None else float("nan")


async def _bench(url: str, reps: int, max_tokens: int, in_process: bool) -> dict[str, dict[str, list[float]]]:
    import aiohttp

    from dialogue.backends import RemoteLLM, RemoteOptions
    from dialogue.conversation import PersonaChat

    prompts = [answer_prompt(m, TurnContext(now=NOW, memory=mem)) for m, mem in PROMPTS]
    remote = RemoteLLM(RemoteOptions.from_options(url, "answer,memory,summary,expression"))
    remote_chat = PersonaChat(remote)
    local = local_chat = None
    if in_process:
        from dialogue.llm_loading import load_default_llm

        local = load_default_llm()
        local_chat = PersonaChat(local)
    rows: dict[str, dict[str, list[float]]] = {}

    def add(label: str, ttft: float, tps: float | None = None) -> None:
        row = rows.setdefault(label, {"ttft": [], "tps": []})
        row["ttft"].append(ttft)
        if tps is not None:
            row["tps"].append(tps)

    async with aiohttp.ClientSession() as http:
        for p in prompts[:1]:  # warm-up: the engine's answer model loaded, connections open, packed weights built
            await engine_direct(http, url, p, 4)
            await via_backend(remote, p, 4)
            if local is not None:
                await via_backend(local, p, 4)
        for _ in tqdm(range(reps), desc="bench remote", unit="rep"):
            for (message, _), p in zip(PROMPTS, prompts):
                # llama.cpp keeps the last prompt's cache: each measured request follows a one-token request of
                # the same prompt, so the engine's own and our path both meet a warm cache (whoever went second
                # would otherwise skip the prefill the first one paid for)
                await engine_direct(http, url, p, 1)
                ttft, tps, n = await engine_direct(http, url, p, max_tokens)
                add("llama.cpp server, directly", ttft, tps if n >= 8 else None)
                await engine_direct(http, url, p, 1)
                ttft, tps, n = await via_backend(remote, p, max_tokens)
                add("ohlora remote path (RemoteLLM)", ttft, tps if n >= 8 else None)
                if local is not None:
                    ttft, tps, n = await via_backend(local, p, max_tokens)
                    add("ohlora in-process (InProcessLLM)", ttft, tps if n >= 8 else None)
            for message, _ in PROMPTS:  # whole turns: the post-answer roles run too (role switches included)
                add("ohlora turn, remote (PersonaChat → llama.cpp)", await turn_first_token(remote_chat, message))
                if local_chat is not None:
                    add("ohlora turn, in-process (PersonaChat)", await turn_first_token(local_chat, message))
    await remote.aclose()
    return rows


def bench_remote(url: str, reps: int = 5, max_tokens: int = 40, in_process: bool = True,
                 engine_label: str = "llama.cpp server") -> str:
    """Markdown body for docs/benchmarks.md."""
    rows = asyncio.run(_bench(url, reps, max_tokens, in_process))
    lines = [f"Answer prompts ({len(PROMPTS)}: Korean and English, one with a retrieved memory), greedy, up to "
             f"{max_tokens} tokens, batch 1, one request at a time, configurations interleaved in each of {reps} "
             f"repetitions; medians. Both llama.cpp rows meet the engine's prompt cache warm (a one-token request "
             f"of the same prompt just before each). Engine: {engine_label} (llama-cpp-python 0.3.36, the embedded Q4_K_M GGUF with "
             "the answer adapter as GGUF LoRA, full vocabulary, 2 threads); in-process: the shipped path "
             "(`dialogue.decoder`: fp16-packed base, answer LoRA merged, persona vocabulary head). A turn's first token is the first text the "
             "conversation releases (the last, possibly growing word is held back) and follows the previous "
             "turn's post-answer roles, so on llama-cpp-python's server it includes reloading the answer model "
             "(one model loaded at a time).", "",
             "| path | first token | decode tokens/s |", "|---|---|---|"]
    for label, row in rows.items():
        tps = f"{_median(row['tps']):.1f}" if row["tps"] else "—"
        lines.append(f"| {label} | {_median(row['ttft']) * 1000:.0f} ms | {tps} |")
    direct = _median(rows["llama.cpp server, directly"]["ttft"])
    ours = _median(rows["ohlora remote path (RemoteLLM)"]["ttft"])
    overhead = (ours - direct) * 1000
    lines += ["", f"Remote path overhead on the first token: {overhead:+.1f} ms over the engine's own "
                  f"(target ≤ {TARGET_OVERHEAD_MS} ms: {'met' if overhead <= TARGET_OVERHEAD_MS else 'not met'})."]
    return "\n".join(lines)
