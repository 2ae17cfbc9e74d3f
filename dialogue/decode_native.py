"""The fused single-token decoder step (`decode_step.cpp`), compiled once per machine with torch's C++ extension
builder and cached in its extensions folder ($TORCH_EXTENSIONS_DIR, else ~/.cache/torch_extensions).

`.ci/setup` builds it (`python -m dialogue.decode_native`, ~20 s on 2 cores); where it cannot be built (no C++
compiler) the decoder runs the same step as plain torch ops, a little slower, and says so once.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import ModuleType

SOURCE = Path(__file__).with_name("decode_step.cpp")
NAME = "ohlora_decode_step"

log = logging.getLogger("ohlora.dialogue")
_lock = threading.Lock()
# a build takes ~20 s on 2 cores; torch's builder waits forever on the lock file of a build that was killed
# (Ctrl-C during the first start), so a lock this old is taken for abandoned and removed
STALE_LOCK_S = 600.0
_UNTRIED = object()
_module: ModuleType | None | object = _UNTRIED  # the first call's outcome, kept for the process


def decode_step() -> ModuleType | None:
    """The compiled module, built first if needed; None where it cannot be built or loaded."""
    global _module
    with _lock:
        if _module is _UNTRIED:
            _module = None
            try:  # torch's private helper: if it moves, the build still runs, only the stale lock is not looked for
                from torch.utils.cpp_extension import _get_build_directory

                clear_stale_lock(Path(_get_build_directory(NAME, verbose=False)))
            except Exception as e:
                log.warning("could not look for a stale build lock of the fused decode step (%s)", e)
            try:
                from torch.utils.cpp_extension import load

                _module = load(name=NAME, sources=[str(SOURCE)], extra_cflags=["-O3", "-march=native"],
                               verbose=False)
            except Exception as e:  # no compiler, or a failed build: the torch-ops path serves the same tokens
                reason = str(e).strip()
                log.warning("the fused decode step could not be built (%s); decoding with plain torch ops",
                            reason.splitlines()[-1] if reason else type(e).__name__)
        return _module


def clear_stale_lock(build_dir: Path, now: float | None = None) -> bool:
    """Remove the builder's lock file in `build_dir` when it is older than STALE_LOCK_S (its build was killed);
    True when one was removed."""
    lock = build_dir / "lock"
    try:
        age = (time.time() if now is None else now) - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    if age < STALE_LOCK_S:
        return False
    log.warning("removing the fused decode step's build lock left %.0f s ago by a build that did not finish (%s)",
                age, lock)
    lock.unlink(missing_ok=True)
    return True


if __name__ == "__main__":
    import sys

    t = time.perf_counter()
    built = decode_step()
    print(f"fused decode step: {'built' if built else 'NOT built (the decoder uses plain torch ops)'} "
          f"in {time.perf_counter() - t:.1f} s")
    sys.exit(0)
