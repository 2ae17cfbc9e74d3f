"""The remote backend: an OpenAI-compatible streaming completions endpoint (vLLM / SGLang with multi-LoRA,
llama.cpp server). Each role maps to a model name (for vLLM, the LoRA adapter's served name).

Wire format: POST {base_url}/completions with {"model", "prompt", "max_tokens", "temperature", "stream":
true}; the server answers `text/event-stream` lines `data: {json}` whose `choices[0].text` is the next
piece, then `data: [DONE]`. A stream that ends without [DONE] (the server died) is an error, not a short
answer.
"""
from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from dialogue.llm import Completion, GenerationEvent, LLMBackendError, TextDelta
from dialogue.prompting import END, ROLES


class RemoteLLM:
    def __init__(self, base_url: str, models: dict[str, str] | str, api_key: str | None = None,
                 timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.models = {r: models for r in ROLES} if isinstance(models, str) else dict(models)
        self.api_key = api_key
        self.timeout_s = timeout_s

    async def generate(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                       seed: int | None = None) -> AsyncIterator[GenerationEvent]:
        import aiohttp

        if role not in self.models:
            raise LLMBackendError(f"no remote model configured for role '{role}'")
        body = {"model": self.models[role], "prompt": prompt, "max_tokens": max_new_tokens,
                "temperature": temperature, "stream": True, "stop": [END]}
        if seed is not None:
            body["seed"] = seed
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = f"{self.base_url}/completions"
        t0 = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        finish_reason = None
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, json=body, headers=headers) as resp:
                    if resp.status != 200:
                        detail = (await resp.text())[:200]
                        raise LLMBackendError(f"{url} answered HTTP {resp.status}: {detail}")
                    done = False
                    async for raw in resp.content:
                        line = raw.decode("utf-8", "replace").strip()
                        if not line.startswith("data:"):
                            continue  # blank separators, comments (": keep-alive"), event names
                        data = line[5:].strip()
                        if data == "[DONE]":
                            done = True
                            break
                        try:
                            chunk = json.loads(data)
                            choice = chunk["choices"][0]
                        except (ValueError, KeyError, IndexError) as e:
                            raise LLMBackendError(f"{url} sent a malformed stream chunk: {data[:120]!r}") from e
                        text = choice.get("text") or (choice.get("delta") or {}).get("content") or ""
                        finish_reason = choice.get("finish_reason") or finish_reason
                        if text:
                            first = first or time.perf_counter()
                            pieces.append(text)
                            yield TextDelta(text)
                    if not done:
                        raise LLMBackendError(f"{url} closed the stream before [DONE] (the server died mid-answer)")
        except (aiohttp.ClientError, TimeoutError) as e:
            raise LLMBackendError(f"remote LLM at {url} failed: {type(e).__name__}: {e}; is the server up?") from e
        total = time.perf_counter() - t0
        timings = {"total_s": total}
        if first is not None:
            timings["first_token_s"] = first - t0
        yield Completion("".join(pieces), len(pieces), finish_reason != "length", timings)
