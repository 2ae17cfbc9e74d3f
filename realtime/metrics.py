"""Server metrics in Prometheus' text exposition format (`GET /metrics`)."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class RateWindow:
    """Events per second over the last `window_s` seconds."""

    window_s: float = 5.0
    _events: deque = field(default_factory=deque)

    def add(self, n: int = 1, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._events.append((now, n))
        self._trim(now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self._trim(now)
        return sum(n for _, n in self._events) / self.window_s

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self.window_s:
            self._events.popleft()


@dataclass
class ServerMetrics:
    frames_rendered: int = 0       # frames the avatar produced (once per session)
    frames_sent: int = 0           # frames written to sockets (once per socket)
    frames_dropped: int = 0        # frames a slow socket skipped
    tokens_sent: int = 0
    turns_started: int = 0
    turns_interrupted: int = 0
    protocol_errors: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)  # sessions or sockets refused, by reason
    sessions_reclaimed: int = 0    # idle sessions closed to make room for a new one
    fps_window: RateWindow = field(default_factory=RateWindow)
    tokens_window: RateWindow = field(default_factory=RateWindow)

    def error(self, code: str) -> None:
        self.protocol_errors[code] = self.protocol_errors.get(code, 0) + 1

    def refusal(self, reason: str) -> None:
        self.refusals[reason] = self.refusals.get(reason, 0) + 1

    def render(self, gauges: dict[str, tuple[str, float]], labelled: dict[str, tuple[str, dict[str, float]]]) -> str:
        """The exposition text: counters from here, gauges supplied by the app at scrape time."""
        lines: list[str] = []

        def metric(name: str, kind: str, help_: str, value: float, labels: str = "") -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            lines.append(f"{name}{labels} {value:g}")

        metric("ohlora_frames_rendered_total", "counter", "frames produced by the avatar, once per session",
               self.frames_rendered)
        metric("ohlora_frames_sent_total", "counter", "frames written to sockets", self.frames_sent)
        metric("ohlora_frames_dropped_total", "counter", "frames skipped by slow sockets (drop-to-latest)",
               self.frames_dropped)
        metric("ohlora_tokens_sent_total", "counter", "answer tokens released to clients", self.tokens_sent)
        metric("ohlora_turns_total", "counter", "answers started", self.turns_started)
        metric("ohlora_turns_interrupted_total", "counter", "answers cut by barge-in", self.turns_interrupted)
        metric("ohlora_frames_delivered_per_second", "gauge", "frames/s written to sockets (5 s window)",
               self.fps_window.rate())
        metric("ohlora_tokens_per_second", "gauge", "tokens/s released to clients (5 s window)",
               self.tokens_window.rate())
        lines.append("# HELP ohlora_protocol_errors_total error messages sent, by code")
        lines.append("# TYPE ohlora_protocol_errors_total counter")
        for code, n in sorted(self.protocol_errors.items()):
            lines.append(f'ohlora_protocol_errors_total{{code="{code}"}} {n}')
        metric("ohlora_sessions_reclaimed_total", "counter",
               "idle sessions (their user had left) closed to make room for a new one", self.sessions_reclaimed)
        lines.append("# HELP ohlora_refusals_total sessions and sockets refused, by reason")
        lines.append("# TYPE ohlora_refusals_total counter")
        for reason in sorted({"server_full", "address_limit", "socket_limit", "draining"} | set(self.refusals)):
            lines.append(f'ohlora_refusals_total{{reason="{reason}"}} {self.refusals.get(reason, 0)}')
        for name, (help_, value) in gauges.items():
            metric(name, "gauge", help_, value)
        for name, (help_, series) in labelled.items():
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} gauge")
            for label, value in series.items():
                lines.append(f"{name}{{{label}}} {value:g}")
        return "\n".join(lines) + "\n"
