"""Session clocks: when a frame is due. A session's frames carry presentation times on its clock."""
from __future__ import annotations

import asyncio
import time


class WallClock:
    """Seconds since the session opened, on the monotonic clock: the server's clock."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._t0

    async def wait_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class OfflineClock:
    """A clock that jumps to each frame's time as it is consumed: every frame rendered, none skipped
    (offline video). Events can still be placed anywhere on it with `at=`."""

    def __init__(self) -> None:
        self._t = 0.0

    def now(self) -> float:
        return self._t

    async def wait_until(self, t: float) -> None:
        self._t = max(self._t, t)
