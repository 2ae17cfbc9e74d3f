"""The remote backend: an OpenAI-compatible streaming engine (vLLM / SGLang with multi-LoRA, a llama.cpp
server) holds the LLM; the avatar server stays its client.

Two wire modes (`RemoteOptions.api`):
- "completions": POST {url}/completions with our own Gemma-formatted prompt; each role maps to a served
  model name (for vLLM, the LoRA adapter's name: `--lora-modules answer=weights/adapters/answer …`).
- "chat": POST {url}/chat/completions with messages, for an instruction-tuned model without our adapters:
  the persona travels in a system prompt (dialogue.chat_prompts).

A role with a first-step stop bias (`weights/adapters/<role>/decoding.json`, e.g. the memory role's: stop at once
rather than store a daydream) is asked in "completions" mode for its first token alone with that bias on the
end-of-turn token (`logit_bias`), then, unless that token ended the turn, for the rest without it: the same
decoding the in-process model does (`InProcessLLM.stop_bias`).

Both stream `text/event-stream` lines `data: {json}` whose `choices[0].text` (completions) or
`choices[0].delta.content` (chat) is the next piece, then `data: [DONE]`. A stream that ends without
[DONE] (the engine died) is an error, not a short answer.

One pooled `aiohttp.ClientSession` per backend (keep-alive connections, created in the serving event
loop, closed by `aclose`). Failures that mean "the engine is not answering" (refused connection,
timeout, HTTP 5xx, a cut stream) raise `EngineUnreachable`, so the conversation can say so in character
at once instead of retrying against a dead engine.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from dialogue.llm import Completion, GenerationEvent, LLMBackend, LLMBackendError, TextDelta
from dialogue.prompting import END, ROLES

API_KEY_ENV = "OHLORA_LLM_API_KEY"  # the engine's API key comes from here, never from a config file
APIS = ("completions", "chat")


class EngineUnreachable(LLMBackendError):
    """The remote engine did not answer (down, overloaded, too slow, or it died mid-stream)."""


@dataclass(frozen=True)
class RemoteOptions:
    """How to reach the engine; built from `[dialogue]` options by `from_options`."""

    url: str
    models: dict[str, str]  # role -> served model name
    api: str = "completions"
    api_key: str | None = field(default=None, repr=False)  # never printed
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0  # the longest silence allowed between two pieces of a stream
    max_connections: int = 64

    @classmethod
    def from_options(cls, url: str | None, models: str, api: str = "completions",
                     connect_timeout_s: float | str = 5.0, read_timeout_s: float | str = 30.0,
                     max_connections: int | str = 64, env: dict[str, str] | None = None) -> RemoteOptions:
        """Check `[dialogue] remote_*` options (text from TOML, the environment or --set); ValueError names one."""
        if not url or not str(url).startswith(("http://", "https://")):
            raise ValueError(f"dialogue.remote_url: expected the engine's OpenAI-compatible base URL, e.g. "
                             f"http://127.0.0.1:8000/v1; got {url!r}")
        if api not in APIS:
            raise ValueError(f"dialogue.remote_api: must be one of {', '.join(APIS)}; got {api!r}")
        names = [n.strip() for n in str(models).split(",") if n.strip()]
        if len(names) == 1:  # one model for every role (a chat model, or one model with our prompts)
            names = names * len(ROLES)
        if len(names) != len(ROLES):
            raise ValueError("dialogue.remote_models: give one served model name, or four in the order "
                             f"{','.join(ROLES)}; got {models!r}")
        numbers = {}
        for option, value, kind in (("remote_connect_timeout_s", connect_timeout_s, float),
                                    ("remote_read_timeout_s", read_timeout_s, float),
                                    ("remote_max_connections", max_connections, int)):
            try:
                numbers[option] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"dialogue.{option}: expected a number, got {value!r}") from None
            if numbers[option] <= 0:
                raise ValueError(f"dialogue.{option}: must be above 0, got {value!r}")
        env = os.environ if env is None else env
        return cls(str(url).rstrip("/"), dict(zip(ROLES, names)), api, env.get(API_KEY_ENV) or None,
                   numbers["remote_connect_timeout_s"], numbers["remote_read_timeout_s"],
                   numbers["remote_max_connections"])


class RemoteLLM:
    """`LLMBackend` over an OpenAI-compatible engine. `prompt` is text in "completions" mode and a list of
    chat messages ({"role", "content"}) in "chat" mode."""

    def __init__(self, options: RemoteOptions, stop_bias: dict[str, float] | None = None,
                 stop_token_id: int | None = None) -> None:
        """stop_bias: per role, logits added to the end-of-turn token (`stop_token_id` in the served model's
        vocabulary) at the first step only; "completions" mode (the served adapters are ours)."""
        self.options = options
        self.api = options.api
        self.stop_bias = dict(stop_bias or {}) if stop_token_id is not None else {}
        self.stop_token_id = stop_token_id
        self._session = None  # aiohttp.ClientSession, made in the loop that uses it
        self._loop: asyncio.AbstractEventLoop | None = None

    def api_for(self, role: str) -> str:
        return self.api

    def _client(self):
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # a session belongs to one event loop (`ohlora chat` and tests may run several in turn)
            o = self.options
            headers = {"Authorization": f"Bearer {o.api_key}"} if o.api_key else {}
            self._session = aiohttp.ClientSession(
                headers=headers, connector=aiohttp.TCPConnector(limit=o.max_connections),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=o.connect_timeout_s,
                                              sock_read=o.read_timeout_s))
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        """Close the pooled connections (server shutdown)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _request(self, role: str, prompt: str | list[dict[str, str]], max_new_tokens: int, temperature: float,
                 seed: int | None, stop_bias: float = 0.0) -> tuple[str, dict[str, Any]]:
        if role not in self.options.models:
            raise LLMBackendError(f"no remote model configured for role '{role}'")
        body: dict[str, Any] = {"model": self.options.models[role], "max_tokens": max_new_tokens,
                                "temperature": temperature, "stream": True}
        if seed is not None:
            body["seed"] = seed
        if self.api == "chat":
            if isinstance(prompt, str):
                raise LLMBackendError("remote_api = \"chat\" needs chat messages, got a text prompt")
            body["messages"] = prompt
            return f"{self.options.url}/chat/completions", body
        if not isinstance(prompt, str):
            raise LLMBackendError("remote_api = \"completions\" needs a text prompt, got chat messages")
        body["prompt"] = prompt
        body["stop"] = [END]
        if stop_bias:
            body["logit_bias"] = {str(self.stop_token_id): stop_bias}
        return f"{self.options.url}/completions", body

    async def generate(self, role: str, prompt: str | list[dict[str, str]], *, max_new_tokens: int = 64,
                       temperature: float = 0.0, seed: int | None = None,
                       opening: str | None = None) -> AsyncIterator[GenerationEvent]:
        # `opening` is not enforced here: the served chat models follow the message's language themselves, and
        # a completions server would need our tokenizer's rows for a logit bias
        bias = self.stop_bias.get(role, 0.0) if self.api == "completions" else 0.0
        if not bias or max_new_tokens < 2:
            async for event in self._stream(role, prompt, max_new_tokens, temperature, seed):
                yield event
            return
        t0 = time.perf_counter()
        first = ""
        async for event in self._stream(role, prompt, 1, temperature, seed, bias):
            if isinstance(event, TextDelta):
                first += event.text
        first_s = time.perf_counter() - t0
        if not first:  # the biased first token ended the turn
            yield Completion("", 0, True, {"total_s": first_s})
            return
        yield TextDelta(first)
        async for event in self._stream(role, prompt + first, max_new_tokens - 1, temperature, seed):
            if isinstance(event, TextDelta):
                yield event
            else:
                timings = dict(event.timings, first_token_s=first_s, total_s=time.perf_counter() - t0)
                yield Completion(first + event.text, event.tokens + 1, event.finished, timings)

    async def _stream(self, role: str, prompt: str | list[dict[str, str]], max_new_tokens: int, temperature: float,
                      seed: int | None, stop_bias: float = 0.0) -> AsyncIterator[GenerationEvent]:
        """One request to the engine, streamed: its text pieces, then a Completion."""
        import aiohttp

        url, body = self._request(role, prompt, max_new_tokens, temperature, seed, stop_bias)
        t0 = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        finish_reason = None
        try:
            async with self._client().post(url, json=body) as resp:
                if resp.status != 200:
                    detail = (await resp.text())[:200]
                    error = EngineUnreachable if resp.status >= 500 or resp.status == 429 else LLMBackendError
                    hint = ("; check OHLORA_LLM_API_KEY" if resp.status in (401, 403) else
                            f"; is '{body['model']}' served? (dialogue.remote_models)" if resp.status in (400, 404)
                            else "")
                    raise error(f"{url} answered HTTP {resp.status}: {detail}{hint}")
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
                        choice = chunk["choices"][0] if chunk["choices"] else {}
                    except (ValueError, KeyError, IndexError, TypeError) as e:
                        raise LLMBackendError(f"{url} sent a malformed stream chunk: {data[:120]!r}") from e
                    text = choice.get("text") or (choice.get("delta") or {}).get("content") or ""
                    finish_reason = choice.get("finish_reason") or finish_reason
                    if text:
                        first = first or time.perf_counter()
                        pieces.append(text)
                        yield TextDelta(text)
                if not done:
                    raise EngineUnreachable(f"{url} closed the stream before [DONE] (the engine died mid-answer)")
        except (aiohttp.ClientError, TimeoutError) as e:
            kind = "timed out" if isinstance(e, TimeoutError) else f"failed ({type(e).__name__}: {e})"
            raise EngineUnreachable(f"the LLM engine at {url} {kind}; is it running? "
                                    "(dialogue.remote_url, dialogue.remote_read_timeout_s)") from e
        total = time.perf_counter() - t0
        timings = {"total_s": total}
        if first is not None:
            timings["first_token_s"] = first - t0
            if len(pieces) > 1:
                timings["decode_tokens_per_s"] = (len(pieces) - 1) / max(total - (first - t0), 1e-9)
        yield Completion("".join(pieces), len(pieces), finish_reason != "length", timings)


class RoleRoutedLLM:
    """Some roles on one backend, the rest on another: e.g. the answer on a remote engine and the
    post-answer roles on the small local model (`dialogue.remote_roles`)."""

    def __init__(self, routes: dict[str, LLMBackend]) -> None:
        self.routes = routes

    def api_for(self, role: str) -> str:
        return api_for(self.routes[role], role)

    def generate(self, role: str, prompt, **kwargs) -> AsyncIterator[GenerationEvent]:
        if role not in self.routes:
            raise LLMBackendError(f"no backend for role '{role}'")
        return self.routes[role].generate(role, prompt, **kwargs)

    async def aclose(self) -> None:
        for backend in {id(b): b for b in self.routes.values()}.values():
            close = getattr(backend, "aclose", None)
            if close is not None:
                await close()


def api_for(llm: Any, role: str) -> str:
    """The prompt form `llm` wants for `role`: "chat" (messages) or "completions" (our Gemma-formatted text;
    the in-process model)."""
    ask = getattr(llm, "api_for", None)
    return ask(role) if ask is not None else "completions"
